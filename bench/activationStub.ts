/**
 * A stand-in for the 'vscode' module, enough for MailDesk's activate() to run in plain Node:
 * the activation benchmark loads dist/extension.js the way VS Code's extension host does
 * (require of the main module, then activate with a context) without VS Code itself.
 *
 * The parts activate() reads values from are real (configuration defaults, output channel,
 * events, Uri, enums); everything else is a "does nothing" object that accepts any call, so a
 * registration the benchmark does not know about still runs instead of throwing.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

type Anything = Record<string | symbol, unknown> & ((...args: unknown[]) => unknown);

/**
 * The names the 'vscode' module exports. A bundle reads them through esbuild's `__toESM`, which
 * copies only the module's own keys: the stub must have them all. From @types/vscode when it is
 * there (the repository's dev dependency), else the namespaces and classes MailDesk uses.
 */
function vscodeExports(): string[] {
  try {
    const dts = fs.readFileSync(require.resolve('@types/vscode/index.d.ts'), 'utf8');
    return [...new Set([...dts.matchAll(/^\s*export (?:namespace|class|enum|const|function|let) ([A-Za-z]+)/gm)].map((m) => m[1]!))];
  } catch {
    return ['window', 'workspace', 'commands', 'env', 'lm', 'chat', 'languages', 'extensions', 'l10n', 'authentication', 'version'];
  }
}

/** Any property is another such object, any call or `new` gives one; never a thenable. */
export function anything(name: string): Anything {
  const props = new Map<string | symbol, unknown>();
  const target = function stub(): void {};
  return new Proxy(target, {
    get(t, p) {
      if (props.has(p)) return props.get(p);
      // Not a promise (an `await` of it returns it), not iterable, prints as its name.
      if (p === 'then' || p === Symbol.iterator || p === Symbol.asyncIterator) return undefined;
      if (p === Symbol.toPrimitive || p === 'toString') return () => `[vscode stub ${name}]`;
      if (p === 'prototype') return Reflect.get(t, p);
      if (typeof p === 'symbol') return undefined;
      const v = anything(`${name}.${p}`);
      props.set(p, v);
      return v;
    },
    set(_t, p, v) {
      props.set(p, v);
      return true;
    },
    apply: () => anything(`${name}()`),
    construct: () => anything(`new ${name}`),
  }) as unknown as Anything;
}

class Disposable {
  static from(...ds: { dispose(): unknown }[]): Disposable {
    return new Disposable(() => ds.forEach((d) => d.dispose()));
  }
  constructor(private readonly fn: () => unknown) {}
  dispose(): void {
    this.fn();
  }
}

class EventEmitter<T> {
  private readonly listeners = new Set<(e: T) => unknown>();
  readonly event = (l: (e: T) => unknown): Disposable => {
    this.listeners.add(l);
    return new Disposable(() => this.listeners.delete(l));
  };
  fire(e: T): void {
    for (const l of [...this.listeners]) l(e);
  }
  dispose(): void {
    this.listeners.clear();
  }
}

class Uri {
  private constructor(
    readonly scheme: string,
    readonly fsPath: string,
  ) {}
  get path(): string {
    return this.fsPath;
  }
  static file(p: string): Uri {
    return new Uri('file', p);
  }
  static parse(s: string): Uri {
    return new Uri(s.split(':')[0] ?? 'file', s);
  }
  static joinPath(base: Uri, ...parts: string[]): Uri {
    return new Uri(base.scheme, path.join(base.fsPath, ...parts));
  }
  with(): Uri {
    return this;
  }
  toString(): string {
    return `${this.scheme}://${this.fsPath}`;
  }
}

class TreeItem {
  constructor(
    public label: unknown,
    public collapsibleState?: number,
  ) {}
}

class ThemeIcon {
  constructor(
    readonly id: string,
    readonly color?: unknown,
  ) {}
}

class ThemeColor {
  constructor(readonly id: string) {}
}

/** "{0} of {1}" with its arguments, as vscode.l10n.t does. */
function t(message: string | { message: string }, ...args: unknown[]): string {
  const text = typeof message === 'string' ? message : message.message;
  const values = args.length === 1 && typeof args[0] === 'object' && args[0] !== null ? (args[0] as Record<string, unknown>) : args;
  return text.replace(/\{(\w+)\}/g, (m, k: string) => (k in values ? String((values as Record<string, unknown>)[k]) : m));
}

function logChannel(name: string, lines: string[]): Anything {
  const c = anything(`OutputChannel(${name})`);
  for (const level of ['trace', 'debug', 'info', 'warn', 'error', 'appendLine']) c[level] = (line: string) => lines.push(`${level}: ${line}`);
  c.logLevel = 3; // Info
  c.onDidChangeLogLevel = new EventEmitter<number>().event;
  return c;
}

/** The 'vscode' module for one activation. `outputLines` collects what the MailDesk channel was told. */
export function vscodeStub(): { module: Record<string, unknown>; outputLines: string[] } {
  const outputLines: string[] = [];
  // A plain object, as VS Code's API object is (esbuild's __toESM copies its keys in every module
  // that imports it; through a Proxy that would cost far more than it does in VS Code).
  const vscode = Object.fromEntries(vscodeExports().map((k) => [k, anything(`vscode.${k}`)])) as Record<string, unknown>;
  Object.assign(vscode, {
    Disposable,
    EventEmitter,
    Uri,
    TreeItem,
    ThemeIcon,
    ThemeColor,
    TreeItemCollapsibleState: { None: 0, Collapsed: 1, Expanded: 2 },
    StatusBarAlignment: { Left: 1, Right: 2 },
    LogLevel: { Off: 0, Trace: 1, Debug: 2, Info: 3, Warning: 4, Error: 5 },
    ViewColumn: { Active: -1, Beside: -2, One: 1, Two: 2 },
    ProgressLocation: { SourceControl: 1, Window: 10, Notification: 15 },
    ConfigurationTarget: { Global: 1, Workspace: 2, WorkspaceFolder: 3 },
    l10n: { t, bundle: undefined, uri: undefined },
    version: '1.100.0',
  });
  const window = vscode.window as Anything;
  window.createOutputChannel = (name: string) => logChannel(name, outputLines);
  const workspace = vscode.workspace as Anything;
  // Every setting reads as unset: its default.
  workspace.getConfiguration = () => ({ get: <T>(_key: string, def?: T) => def, has: () => false, inspect: () => undefined, update: async () => undefined });
  workspace.onDidChangeConfiguration = new EventEmitter<unknown>().event;
  return { module: vscode, outputLines };
}

/** The ExtensionContext activate() receives: storage under `dir`, no secrets stored yet. */
export function stubContext(extensionDir: string, dir: string, version: string): Anything {
  const c = anything('context');
  const secrets = new Map<string, string>();
  Object.assign(c, {
    subscriptions: [] as { dispose(): unknown }[],
    extensionUri: Uri.file(extensionDir),
    extensionPath: extensionDir,
    globalStorageUri: Uri.file(path.join(dir, 'globalStorage')),
    storageUri: Uri.file(path.join(dir, 'workspaceStorage')),
    logUri: Uri.file(path.join(dir, 'logs')),
    extension: { id: 'maildesk.maildesk', packageJSON: { version } },
    secrets: {
      get: async (k: string) => secrets.get(k),
      store: async (k: string, v: string) => void secrets.set(k, v),
      delete: async (k: string) => void secrets.delete(k),
      onDidChange: new EventEmitter<unknown>().event,
    },
  });
  for (const memento of ['globalState', 'workspaceState']) {
    const m = new Map<string, unknown>();
    c[memento] = { get: <T>(k: string, def?: T) => (m.has(k) ? m.get(k) : def), update: async (k: string, v: unknown) => void m.set(k, v), keys: () => [...m.keys()], setKeysForSync: () => undefined };
  }
  return c;
}
