import * as fs from 'node:fs';
import * as os from 'node:os';

/**
 * The main thread's time on a CPU and waiting for one, in ms, since it started (Linux:
 * /proc/self/task/<pid>/schedstat, nanoseconds), or undefined elsewhere. On a machine shared
 * with other work, a 5 ms timer's gap mixes the thread's own work with its wait for a core;
 * this tells the two apart.
 */
export function mainThreadTimes(): { runMs: number; queuedMs: number } | undefined {
  try {
    const [run, wait] = fs.readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').trim().split(/\s+/).map(Number);
    return Number.isFinite(run) && Number.isFinite(wait) ? { runMs: run / 1e6, queuedMs: wait / 1e6 } : undefined;
  } catch {
    return undefined;
  }
}

/** Each thread of this process: its time on a CPU in ms (schedstat), by kernel thread id (Linux), or undefined elsewhere. */
function threadRunMs(): Map<number, number> | undefined {
  try {
    const out = new Map<number, number>();
    for (const tid of fs.readdirSync('/proc/self/task')) {
      try {
        const run = Number(fs.readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').split(/\s+/)[0]);
        if (Number.isFinite(run)) out.set(Number(tid), run / 1e6);
      } catch {
        // the thread ended between the listing and the read
      }
    }
    return out;
  } catch {
    return undefined;
  }
}

/** The kernel's clock ticks per second for /proc/<pid>/stat times: 100 on every Linux we run on. */
const CLOCK_TICKS = 100;

/**
 * CPU time (user + system, ms) of every process in a process group, with that of its children
 * already reaped (Dovecot's master is the group leader; a session's `imap` process is its
 * child). Undefined where /proc is missing.
 */
function groupCpuMs(pgid: number): number | undefined {
  try {
    let ticks = 0;
    for (const pid of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      try {
        const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
        // After "pid (comm) ": state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime
        const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        if (Number(f[2]) !== pgid) continue;
        ticks += Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
      } catch {
        // the process ended between the listing and the read
      }
    }
    return (ticks * 1000) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}

export interface CpuSnapshot {
  at: number;
  threads: Map<number, number> | undefined;
  dovecotMs: number | undefined;
}

/**
 * Where a phase's CPU went, in ms: this process's main thread, the threads it started during the
 * phase (MailDesk: the header worker), its other threads (V8's compiler and garbage-collector
 * helpers, libuv's pool), and the mail server's processes. On a machine with few cores the
 * phase's wall time can be no shorter than their sum over the cores.
 */
export interface CpuSplit {
  wallMs: number;
  mainMs: number;
  newThreadsMs: number;
  otherThreadsMs: number;
  dovecotMs: number;
  cores: number;
}

export function cpuSnapshot(dovecotPid: number | undefined): CpuSnapshot {
  return { at: performance.now(), threads: threadRunMs(), dovecotMs: dovecotPid ? groupCpuMs(dovecotPid) : undefined };
}

export function cpuSplit(before: CpuSnapshot, after: CpuSnapshot): CpuSplit | undefined {
  if (!before.threads || !after.threads) return undefined;
  let mainMs = 0;
  let newThreadsMs = 0;
  let otherThreadsMs = 0;
  for (const [tid, ms] of after.threads) {
    const was = before.threads.get(tid);
    if (tid === process.pid) mainMs = ms - (was ?? 0);
    else if (was === undefined) newThreadsMs += ms;
    else otherThreadsMs += ms - was;
  }
  // A thread that ended during the phase (a header worker done with its pages) takes its time with it.
  return {
    wallMs: after.at - before.at,
    mainMs,
    newThreadsMs,
    otherThreadsMs,
    dovecotMs: (after.dovecotMs ?? NaN) - (before.dovecotMs ?? NaN),
    cores: os.availableParallelism(),
  };
}
