/** What the local test servers (Dovecot, Courier) need from this machine: its users and a fast temporary folder. */
import * as fs from 'node:fs';
import * as os from 'node:os';

/** The uid and gid of a system user from /etc/passwd; `hint` says what installs the user when it is missing. */
export function lookupIds(name: string, hint = ''): { uid: number; gid: number } {
  const line = fs
    .readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(name + ':'));
  if (!line) throw new Error(`user '${name}' not found in /etc/passwd${hint ? ` (${hint})` : ''}`);
  const parts = line.split(':');
  return { uid: Number(parts[2]), gid: Number(parts[3]) };
}

/** Where servers keep their files: MAILDESK_TEST_TMPDIR, else /dev/shm when writable, else the OS temporary folder. */
export function defaultTmpRoot(): string {
  const env = process.env.MAILDESK_TEST_TMPDIR;
  if (env) return env;
  try {
    fs.accessSync('/dev/shm', fs.constants.W_OK | fs.constants.X_OK);
    if (fs.statSync('/dev/shm').isDirectory()) return '/dev/shm';
  } catch {
    // no tmpfs here
  }
  return os.tmpdir();
}
