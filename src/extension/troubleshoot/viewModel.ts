/**
 * The pure half of the Troubleshoot view: the redacted report and the outcomes in, the
 * panel's model and the host-side action table out. No `vscode` import, so it is unit-tested
 * in plain Node (test/unit/troubleshoot-view.test.ts).
 *
 * The panel shows report.checks (already redacted) rather than the raw outcomes, so what the
 * user sees is exactly what Copy report and Save report hand to support.
 */
import * as l10n from '@vscode/l10n';
import type { CheckAction, CheckOutcome, CheckStatus } from '../../core/diagnostics/check';
import type { CheckProgress } from '../../core/diagnostics/runner';
import type { SupportReport } from '../../core/diagnostics/report';
import type { DiagnosticsPanelExtras } from '../../shared/protocol/engine';
import type { TroubleshootModel, ViewCheck, ViewGroup, ViewStatus } from '../../shared/protocol/troubleshoot';

/** What one run gives the panel: the redacted report (addresses masked) and the panel's extras. */
export type PanelReport = SupportReport & { panel: DiagnosticsPanelExtras };

/** Problems first, then what passed, then what could not be checked. */
const SEVERITY: Record<CheckStatus, number> = { fail: 0, warn: 1, pass: 2, skip: 3 };

/**
 * Commands a Troubleshoot button may run. The actions come from our own checks, but the
 * host still refuses anything else: a button must never become a way to run arbitrary commands.
 */
export function isAllowedActionCommand(command: string): boolean {
  return /^maildesk\.[A-Za-z]+$/.test(command) || command === 'workbench.action.openSettings';
}

export function emptyCounts(): Record<ViewStatus, number> {
  return { pass: 0, warn: 0, fail: 0, skip: 0 };
}

function worstOf(counts: Record<ViewStatus, number>): ViewStatus {
  if (counts.fail) return 'fail';
  if (counts.warn) return 'warn';
  if (counts.pass) return 'pass';
  return 'skip';
}

export interface ViewModelInput {
  /** The redacted report built from `outcomes` (its checks are index-aligned with them). */
  report: SupportReport;
  /** Each check's time and fix button (the engine's `panel.outcomes`, or the runner's outcomes). */
  outcomes: ReadonlyArray<Pick<CheckOutcome, 'ms' | 'action'>>;
  includeAddresses: boolean;
  /** Wall time of the run. */
  ms: number;
}

export interface BuiltView {
  model: TroubleshootModel;
  /** What `runAction {index}` may execute: the host looks the index up here and nowhere else. */
  actions: CheckAction[];
}

/** Groups the checks by account (installation-wide first), problems first within each group. */
export function buildViewModel(input: ViewModelInput): BuiltView {
  const { report, outcomes } = input;
  if (report.checks.length !== outcomes.length) throw new Error(`report has ${report.checks.length} checks for ${outcomes.length} outcomes`);
  const actions: CheckAction[] = [];
  const groups = new Map<string | null, ViewGroup>();
  const total = emptyCounts();
  const order = report.checks.map((_, i) => i).sort((a, b) => SEVERITY[report.checks[a].status] - SEVERITY[report.checks[b].status] || a - b);
  // Installation-wide results first, then accounts in the order the runner reported them.
  if (report.checks.some((c) => c.account === null)) groups.set(null, newGroup(null, l10n.t('Installation')));
  for (const c of report.checks) {
    if (c.account !== null && !groups.has(c.account)) groups.set(c.account, newGroup(c.account, accountHeading(report, c.account)));
  }
  for (const i of order) {
    const c = report.checks[i];
    const o = outcomes[i];
    const g = groups.get(c.account)!;
    const check: ViewCheck = { id: c.id, title: c.title, status: c.status, detail: c.detail, remedy: c.remedy, section: c.section, ms: o.ms, firstSeen: c.firstSeen, lastSuccess: c.lastSuccess };
    // A button only where there is something to fix, and only for a command we allow.
    if (o.action && (c.status === 'fail' || c.status === 'warn') && isAllowedActionCommand(o.action.command)) {
      check.action = { index: actions.length, title: o.action.title };
      actions.push({ title: o.action.title, command: o.action.command, args: o.action.args ? [...o.action.args] : undefined });
    }
    g.checks.push(check);
    g.counts[c.status]++;
    total[c.status]++;
  }
  for (const g of groups.values()) g.worst = worstOf(g.counts);
  return {
    model: {
      ranAt: report.generatedAt,
      ms: input.ms,
      counts: total,
      worst: worstOf(total),
      groups: [...groups.values()],
      includeAddresses: input.includeAddresses,
      expected: report.expected,
      happened: report.happened,
      when: report.when,
    },
    actions,
  };
}

function newGroup(account: string | null, heading: string): ViewGroup {
  return { account, heading, worst: 'skip', counts: emptyCounts(), checks: [] };
}

/** "Account work (IMAP, j***@example.com)": the address as the report shows it (masked or not). */
function accountHeading(report: SupportReport, id: string): string {
  const a = report.accounts.find((x) => x.id === id);
  return a ? l10n.t('Account {0} ({1}, {2})', a.id, a.provider, a.email) : l10n.t('Account {0}', id);
}

/** The action behind a `runAction` index, or undefined when the index is not one we handed out. */
export function resolveAction(actions: readonly CheckAction[], index: unknown): CheckAction | undefined {
  if (typeof index !== 'number' || !Number.isSafeInteger(index) || index < 0 || index >= actions.length) return undefined;
  const a = actions[index];
  return isAllowedActionCommand(a.command) ? a : undefined;
}

/** A function: the words are looked up after the extension has configured @vscode/l10n. */
const word = (s: CheckStatus): string | undefined => ({ pass: l10n.t('passed'), warn: l10n.t('warning'), fail: l10n.t('FAILED'), skip: l10n.t('skipped') })[s];

/** A check starting or finishing: the engine's `diagnostics/progress` (a status) or the runner's (an outcome). */
export type ProgressEvent = Pick<CheckProgress, 'phase' | 'check' | 'account' | 'done' | 'total'> & { status?: string; outcome?: Pick<CheckOutcome, 'status'> };

/** One progress line as a check finishes: "3/26 incoming.connect [work]: FAILED". */
export function progressLine(p: ProgressEvent): string | undefined {
  const status = p.outcome?.status ?? p.status;
  if (p.phase !== 'done' || !status) return undefined;
  return `${p.done}/${p.total} ${p.check}${p.account ? ` [${p.account}]` : ''}: ${word(status as CheckStatus) ?? status}`;
}

/** "2 failed, 1 warning, 20 passed, 3 skipped". */
export function countsText(c: Record<ViewStatus, number>): string {
  return c.warn === 1
    ? l10n.t('{0} failed, {1} warning, {2} passed, {3} skipped', c.fail, c.warn, c.pass, c.skip)
    : l10n.t('{0} failed, {1} warnings, {2} passed, {3} skipped', c.fail, c.warn, c.pass, c.skip);
}

/**
 * The two files Save report writes, from the path the user picked: whatever they called it,
 * a .md and a .json side by side with the same base name.
 */
export function reportPaths(chosen: string): { md: string; json: string } {
  const base = chosen.replace(/\.(md|markdown|json)$/i, '');
  return { md: `${base}.md`, json: `${base}.json` };
}

/** What Save report needs of a file system (VS Code's workspace.fs in the panel). */
export interface ReportFiles {
  write(path: string, text: string): Promise<void>;
  remove(path: string): Promise<void>;
}

/**
 * Writes the two report files, or neither: on a full disk or a read-only folder a half-written
 * file is removed and the error says what happened and what to do, naming the folder. The
 * report stays in the panel, so Copy report still hands it over.
 */
export async function saveReportFiles(files: ReportFiles, paths: { md: string; json: string }, texts: { md: string; json: string }): Promise<void> {
  const tried: string[] = [];
  try {
    for (const [p, text] of [
      [paths.md, texts.md],
      [paths.json, texts.json],
    ] as const) {
      tried.push(p);
      await files.write(p, text);
    }
  } catch (e) {
    for (const p of tried) await files.remove(p).catch(() => undefined);
    const text = e instanceof Error ? e.message : String(e);
    const folder = paths.md.slice(0, Math.max(0, paths.md.lastIndexOf('/'))) || '/';
    const why = /ENOSPC|EDQUOT|no space left|quota/i.test(text)
      ? l10n.t('the disk is full')
      : /EROFS|EACCES|EPERM|read-only|permission|NoPermissions/i.test(text)
        ? l10n.t('the folder is not writable')
        : text;
    throw new Error(l10n.t('The support report could not be saved in {0}: {1}. Nothing was left there; the report is still in this panel: use Copy report, or Save report to another folder.', folder, why), { cause: e });
  }
}

/**
 * `maildesk.*` settings as flat keys (`maildesk.ai.enabled`), from the nested object VS Code's
 * configuration serialises to: the form the checks read, the same as the CLI's `settings`.
 */
export function flattenSettings(value: unknown, prefix = 'maildesk'): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const walk = (v: unknown, key: string, depth: number): void => {
    if (v && typeof v === 'object' && !Array.isArray(v) && depth < 8) {
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) walk(x, `${key}.${k}`, depth + 1);
    } else if (typeof v !== 'function' && v !== undefined) {
      out[key] = v;
    }
  };
  walk(value, prefix, 0);
  return out;
}

/** The optional "what did you expect / what happened" answers, trimmed; `when` is set only if one was given. */
export function userStory(expected: string | undefined, happened: string | undefined, now: Date): { expected?: string; happened?: string; when?: string } {
  const e = expected?.trim() || undefined;
  const h = happened?.trim() || undefined;
  return e || h ? { expected: e, happened: h, when: now.toISOString() } : {};
}
