/**
 * The database on disk, page by page, instead of whole in memory.
 *
 * sql.js runs SQLite over Emscripten's in-memory file system (MEMFS), so by itself it holds
 * the whole database in memory and can only save it whole: at 100,000 messages with their
 * bodies indexed that is several hundred MB held, and written again by every save. Here the
 * files of one database (the database, its rollback journal) are MEMFS nodes whose reads,
 * writes, truncations and fsyncs go to real files through node:fs, at the offsets SQLite
 * asks for: SQLite keeps only its page cache in memory, every commit is on disk when it
 * returns (journal, fsync, pages, fsync), and a crash at any point leaves a database SQLite
 * recovers from its journal at the next open. Emscripten has a node file system of its own
 * (NODEFS) but sql.js is built without it, so the few operations SQLite uses are routed here.
 *
 * The routing binds names, not paths: sql.js opens a database as `/dbfile_<random>`, so the
 * next such name created while `open` runs is bound to the real file, and SQLite's side files
 * (`-journal`, `-wal`) to the files beside it. Everything else in MEMFS is left alone.
 *
 * Errors: an operation that fails in node:fs is handed to SQLite as the errno it would have
 * had from the C library (ENOSPC becomes SQLITE_FULL), and kept, so the store can say what
 * happened in the user's words ("free space on …") instead of SQLite's "disk I/O error".
 */
import * as fs from 'node:fs';

/** What sqlite.ts reaches inside sql.js (see patchSqlJs). */
export interface MemfsReach {
  node(path: string): { node: MemfsNode };
}

/** A MEMFS node; its operation tables have minified names, found by shape in keysOf(). */
type MemfsNode = Record<string, unknown> & { name: string; mode: number };
// MEMFS's operation tables are untyped JavaScript, called with what Emscripten's FS passes.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Ops = Record<string, (...args: any[]) => any>;
type Stream = { node: MemfsNode };

/** The last file-system error of a database's files, as node:fs reported it. */
export interface DiskIoError {
  op: 'read' | 'write' | 'truncate' | 'fsync' | 'open' | 'delete';
  file: string;
  error: NodeJS.ErrnoException;
}

/** One database's files on disk, as open() bound them. */
export interface DiskDatabase {
  /** The database file. */
  readonly file: string;
  /** The newest failure of an operation on its files, until clearError(). */
  readonly lastError: DiskIoError | undefined;
  clearError(): void;
  /** fdatasync()s the open files (what SQLite's "synchronous = NORMAL" leaves for later). */
  sync(): void;
  /** Closes the real files (after the database is closed; the files stay on disk). */
  release(): void;
}

/** Emscripten's errno numbers (its libc follows WASI's numbering). */
const ERRNO: Record<string, number> = {
  EACCES: 2,
  EBADF: 8,
  EDQUOT: 19,
  EEXIST: 20,
  EFBIG: 22,
  EIO: 29,
  EISDIR: 31,
  EMFILE: 33,
  ENOENT: 44,
  ENOSPC: 51,
  EPERM: 63,
  EROFS: 69,
};

interface Bound {
  path: string;
  /** The database's own file is never deleted when its MEMFS name goes (sql.js unlinks it on close). */
  main: boolean;
  /** The write-ahead log: its appends are written in runs (LOG_RUN_BYTES). */
  log?: boolean;
  db: Binding;
}

interface FileState {
  fd: number;
  size: number;
  bound: Bound;
  /** The write-ahead log only: its appends not written yet, `len` bytes meant for offset `at` (LOG_RUN_BYTES below). */
  run?: { buf: Buffer; at: number; len: number; commitNext: boolean };
}

/**
 * The write-ahead log's appends are written in runs, one write per commit, not one per write
 * SQLite makes: it appends each frame as two writes (a 24-byte header, then the page), and at
 * ~20,000 frames a 10,000-message sync those were ~40,000 writeSync calls on the engine's thread.
 * A run is written when the commit frame's page is appended: a commit frame's header holds the
 * database's size after the commit in its bytes 4-7, which are 0 in every other frame. So a
 * commit is in the file when SQLite's write of it returns, as before, and a failed write is
 * that write's failure. The run is also written before anything else touches the file (a
 * read, a write elsewhere, a truncation, a sync, a close) and when it is full.
 */
const LOG_RUN_BYTES = 256 * 1024;
const FRAME_HEADER_BYTES = 24;

class Binding implements DiskDatabase {
  lastError: DiskIoError | undefined;
  readonly names = new Set<string>();
  readonly states = new Set<FileState>();
  constructor(
    readonly file: string,
    private readonly unbind: (b: Binding) => void,
    /** Writes a file's pending run of log frames (LOG_RUN_BYTES). */
    private readonly writeRun: (s: FileState) => void,
  ) {}
  clearError(): void {
    this.lastError = undefined;
  }
  sync(): void {
    for (const s of this.states) {
      try {
        this.writeRun(s);
      } catch (e) {
        this.lastError = { op: 'write', file: s.bound.path, error: e as NodeJS.ErrnoException };
        throw e;
      }
      try {
        fs.fdatasyncSync(s.fd);
      } catch (e) {
        this.lastError = { op: 'fsync', file: s.bound.path, error: e as NodeJS.ErrnoException };
        throw e;
      }
    }
  }
  release(): void {
    for (const s of this.states) {
      try {
        this.writeRun(s);
      } catch {
        // the database is closed: SQLite reads a log cut short as the commits before the cut
      }
      closeQuietly(s.fd);
    }
    this.states.clear();
    this.unbind(this);
  }
}

function closeQuietly(fd: number): void {
  try {
    fs.closeSync(fd);
  } catch {
    // already closed
  }
}

/** The key of the one value in `obj` that is an object holding a function named `name`. */
function opsKey(obj: Record<string, unknown>, name: string): string | undefined {
  return Object.keys(obj).find((k) => {
    const v = obj[k] as Record<string, unknown> | null;
    return v !== null && typeof v === 'object' && typeof v[name] === 'function';
  });
}

/**
 * Routes the files of databases opened through the returned `open` to real files. `probe`
 * makes a throwaway in-memory database (its file node shows MEMFS's file operations).
 * Returns undefined when MEMFS does not have the expected shape (another sql.js build).
 */
export function diskFiles(
  memfs: MemfsReach,
  probe: () => { filename: string; close(): void },
): { open<T>(file: string, create: () => T): { value: T; disk: DiskDatabase } } | undefined {
  const root = memfs.node('/').node;
  const nodeOpsKey = opsKey(root, 'lookup');
  if (!nodeOpsKey) return undefined;
  const dirOps = root[nodeOpsKey] as Ops;
  const dirKeys = Object.keys(dirOps);
  const mknodKey = dirKeys[dirKeys.indexOf('lookup') + 1];
  if (!mknodKey || typeof dirOps[mknodKey] !== 'function' || dirOps[mknodKey].length !== 4 || typeof dirOps.unlink !== 'function') return undefined;

  // A file node's tables: node operations [getattr, setattr], stream operations [llseek, read, write, ...].
  const tmp = probe();
  let fileNodeOps: Ops;
  let streamOpsKey: string | undefined;
  let fileStreamOps: Ops;
  try {
    const fileNode = memfs.node(`/${tmp.filename}`).node;
    fileNodeOps = fileNode[nodeOpsKey] as Ops;
    streamOpsKey = opsKey(fileNode, 'read');
    fileStreamOps = (streamOpsKey ? fileNode[streamOpsKey] : {}) as Ops;
  } finally {
    tmp.close();
  }
  const [getattrKey, setattrKey] = Object.keys(fileNodeOps);
  const llseekKey = Object.keys(fileStreamOps)[0];
  if (!streamOpsKey || !getattrKey || !setattrKey || !llseekKey || typeof fileStreamOps.write !== 'function') return undefined;

  let ErrnoError: new (errno: number) => Error;
  try {
    memfs.node('/maildesk-no-such-file');
    return undefined;
  } catch (e) {
    if ((e as Error).name !== 'ErrnoError') return undefined;
    ErrnoError = (e as Error).constructor as new (errno: number) => Error;
  }

  const bound = new Map<string, Bound>();
  const stateOf = new WeakMap<object, FileState>();
  let pending: Binding | undefined;

  const fail = (s: Bound, op: DiskIoError['op'], e: unknown): never => {
    const error = e as NodeJS.ErrnoException;
    s.db.lastError = { op, file: s.path, error };
    throw new ErrnoError(ERRNO[error.code ?? ''] ?? ERRNO.EIO);
  };
  /** fs.readSync/writeSync until `length` bytes moved or one moves none; returns how many moved. */
  const transfer = (
    s: FileState,
    op: 'read' | 'write',
    io: (fd: number, buf: Int8Array, off: number, len: number, pos: number) => number,
    buffer: Int8Array,
    offset: number,
    length: number,
    position: number,
  ): number => {
    let done = 0;
    try {
      while (done < length) {
        const n = io(s.fd, buffer, offset + done, length - done, position + done);
        if (n <= 0) break;
        done += n;
      }
    } catch (e) {
      fail(s.bound, op, e);
    }
    return done;
  };
  /** Writes the log's pending run, if any, throwing what node:fs threw (the run is dropped then). */
  const writeRunOrThrow = (s: FileState): void => {
    const r = s.run;
    if (!r || r.len === 0) return;
    const len = r.len;
    r.len = 0;
    r.commitNext = false;
    for (let done = 0; done < len; ) {
      const n = fs.writeSync(s.fd, r.buf, done, len - done, r.at + done);
      if (n <= 0) throw Object.assign(new Error('the disk took no bytes'), { code: 'EIO' });
      done += n;
    }
  };
  /** The same, for an operation of SQLite's: a failure is that operation's failure. */
  const writeRun = (s: FileState, op: DiskIoError['op'] = 'write'): void => {
    try {
      writeRunOrThrow(s);
    } catch (e) {
      fail(s.bound, op, e);
    }
  };
  /** Appends to the log's run (LOG_RUN_BYTES); false where the write is too big for one. */
  const appendToRun = (s: FileState, buffer: Int8Array, offset: number, length: number, position: number): boolean => {
    const r = (s.run ??= { buf: Buffer.allocUnsafe(LOG_RUN_BYTES), at: position, len: 0, commitNext: false });
    // The page of a commit frame, whose header was the write before: the commit ends with it.
    const commitPage = r.commitNext;
    if (r.len > 0 && (position !== r.at + r.len || r.len + length > LOG_RUN_BYTES)) writeRun(s);
    if (length > LOG_RUN_BYTES) return false;
    if (r.len === 0) r.at = position;
    r.buf.set(new Uint8Array(buffer.buffer, buffer.byteOffset + offset, length), r.len);
    r.len += length;
    if (commitPage) writeRun(s);
    else r.commitNext = length === FRAME_HEADER_BYTES && position >= 32 && r.buf.readUInt32BE(r.len - FRAME_HEADER_BYTES + 4) !== 0;
    return true;
  };
  const state = (node: MemfsNode): FileState => {
    const s = stateOf.get(node);
    if (!s) throw new ErrnoError(ERRNO.EBADF);
    return s;
  };

  const nodeOps: Ops = {
    [getattrKey](node: MemfsNode) {
      const attr = fileNodeOps[getattrKey](node) as { size: number; blocks: number; blksize: number };
      attr.size = state(node).size;
      attr.blocks = Math.ceil(attr.size / (attr.blksize || 4096));
      return attr;
    },
    [setattrKey](node: MemfsNode, attr: { size?: number }) {
      const { size, ...rest } = attr;
      fileNodeOps[setattrKey](node, rest);
      if (size === undefined) return;
      const s = state(node);
      writeRun(s, 'truncate');
      try {
        fs.ftruncateSync(s.fd, size);
      } catch (e) {
        fail(s.bound, 'truncate', e);
      }
      s.size = size;
    },
  };
  const streamOps: Ops = {
    [llseekKey](stream: Stream & { position: number }, offset: number, whence: number) {
      let position = offset;
      if (whence === 1) position += stream.position;
      else if (whence === 2) position += state(stream.node).size;
      if (position < 0) throw new ErrnoError(28);
      return position;
    },
    read(stream: Stream, buffer: Int8Array, offset: number, length: number, position: number) {
      const s = state(stream.node);
      writeRun(s, 'read');
      // A read may stop short at the end of the file; what it got is what SQLite gets.
      return transfer(s, 'read', fs.readSync, buffer, offset, length, position);
    },
    write(stream: Stream, buffer: Int8Array, offset: number, length: number, position: number) {
      const s = state(stream.node);
      if (s.bound.log && appendToRun(s, buffer, offset, length, position)) {
        s.size = Math.max(s.size, position + length);
        return length;
      }
      writeRun(s);
      if (transfer(s, 'write', fs.writeSync, buffer, offset, length, position) < length) {
        fail(s.bound, 'write', Object.assign(new Error('the disk took no bytes'), { code: 'EIO' }));
      }
      s.size = Math.max(s.size, position + length);
      return length;
    },
    fsync(stream: Stream) {
      const s = state(stream.node);
      writeRun(s, 'fsync');
      try {
        fs.fdatasyncSync(s.fd);
      } catch (e) {
        fail(s.bound, 'fsync', e);
      }
      return 0;
    },
  };

  /** Makes `node` a window on its real file (opened, or created, now). */
  const attach = (node: MemfsNode, b: Bound): void => {
    let fd: number;
    try {
      fd = fs.openSync(b.path, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o600);
    } catch (e) {
      return fail(b, 'open', e);
    }
    const s: FileState = { fd, size: fs.fstatSync(fd).size, bound: b };
    stateOf.set(node, s);
    b.db.states.add(s);
    node[nodeOpsKey] = nodeOps;
    node[streamOpsKey] = streamOps;
  };

  /** The binding for `name` in the root folder: a side file of a bound database, or the database being opened. */
  const boundFor = (parent: MemfsNode, name: string): Bound | undefined => {
    if (parent !== root) return undefined;
    const b = bound.get(name);
    if (b) return b;
    if (pending && /^dbfile_\d+$/.test(name)) {
      const db = pending;
      pending = undefined;
      const main: Bound = { path: db.file, main: true, db };
      bound.set(name, main);
      db.names.add(name);
      for (const side of ['-journal', '-wal']) {
        bound.set(name + side, { path: db.file + side, main: false, log: side === '-wal', db });
        db.names.add(name + side);
      }
      return main;
    }
    return undefined;
  };

  const { lookup, unlink } = dirOps;
  const mknod = dirOps[mknodKey];
  dirOps.lookup = function (parent: MemfsNode, name: string) {
    try {
      return lookup.call(this, parent, name);
    } catch (e) {
      const b = boundFor(parent, name);
      // A real file MEMFS does not know yet (a journal left by a crash): SQLite must see it.
      if (!b || !fs.existsSync(b.path)) throw e;
      const node = mknod.call(this, parent, name, 0o100600, 0) as MemfsNode;
      attach(node, b);
      return node;
    }
  };
  dirOps[mknodKey] = function (parent: MemfsNode, name: string, mode: number, dev: number) {
    const node = mknod.call(this, parent, name, mode, dev) as MemfsNode;
    const b = boundFor(parent, name);
    if (b && (mode & 0o170000) === 0o100000) attach(node, b);
    return node;
  };
  dirOps.unlink = function (parent: MemfsNode, name: string) {
    const b = parent === root ? bound.get(name) : undefined;
    if (b) {
      const node = (memfs.node(`/${name}`) as { node: MemfsNode }).node;
      const s = stateOf.get(node);
      if (s) {
        // SQLite deletes the log once it is folded into the file: what is pending is no longer needed.
        if (s.run) s.run.len = 0;
        closeQuietly(s.fd);
        b.db.states.delete(s);
        stateOf.delete(node);
      }
      if (!b.main) {
        try {
          fs.rmSync(b.path, { force: true });
        } catch (e) {
          fail(b, 'delete', e);
        }
      }
    }
    return unlink.call(this, parent, name);
  };

  const unbind = (db: Binding): void => {
    for (const n of db.names) bound.delete(n);
    db.names.clear();
  };

  return {
    open<T>(file: string, create: () => T) {
      const db = new Binding(file, unbind, writeRunOrThrow);
      pending = db;
      let value: T;
      try {
        value = create();
      } catch (e) {
        db.release();
        // SQLite says "unable to open database file"; node:fs said why (EISDIR, EACCES, ENOSPC).
        throw db.lastError?.error ?? e;
      } finally {
        pending = undefined;
      }
      if (!db.names.size) {
        db.release();
        throw new Error('sql.js opened its database under a name MailDesk does not route to disk');
      }
      return { value, disk: db };
    },
  };
}
