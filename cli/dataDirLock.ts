/**
 * One command per data directory. `accelnet start` and `accelnet remediate` keep durable state
 * under `--data-dir`; two of them on one directory would drive the same runs (and the second
 * would even delete the first one's state). So each holds `<dir>/accelnet.lock` while it runs:
 * a JSON file with its pid, created atomically (written aside, then hard-linked into place,
 * which fails if the file exists, so it is never seen half-written). A second command finds
 * the holder alive and refuses; a lock whose process is gone (a crash, SIGKILL) is taken over.
 */
import { randomUUID } from 'node:crypto';
import {
  closeSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  statSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';

import { AccelnetError } from '../shared/platform/errors';

export const LOCK_FILE = 'accelnet.lock';

/** Who holds a data directory. */
export interface LockHolder {
  pid: number;
  /** The command that holds it: `start`, `remediate`. */
  command: string;
  host: string;
  since: string;
  /** Tells this holding apart from an earlier one of the same pid. */
  nonce: string;
}

export interface DataDirLock {
  readonly dir: string;
  readonly file: string;
  /** The holder whose process was gone, when this lock was taken over from one. */
  readonly takenOver: LockHolder | undefined;
  /** Lets the directory go (also done at process exit); idempotent. */
  release(): void;
}

export interface LockOptions {
  /** Whether a process lives; default: `process.kill(pid, 0)`. */
  isAlive?: (pid: number) => boolean;
  /** How long to wait for another process that is taking over a stale lock. */
  waitMs?: number;
}

/** A takeover guard older than this was left by a process that died mid-takeover. */
const GUARD_STALE_MS = 10_000;
/** A lock file that cannot be read is stale once it is this old (or being written before). */
const UNREADABLE_STALE_MS = 2_000;

/** Another live process holds the directory: the message names it, the directory and the pid. */
export function dataDirInUse(dir: string, file: string, holder: LockHolder): AccelnetError {
  const elsewhere = holder.host !== hostname();
  return new AccelnetError(
    'DataDirInUse',
    `--data-dir ${dir} is in use by \`accelnet ${holder.command}\` (pid ${holder.pid}${elsewhere ? ` on ${holder.host}` : ''}, since ${holder.since}); two commands on one data directory would drive the same runs. Stop that one, or give this one another --data-dir. (If pid ${holder.pid} is no accelnet${elsewhere ? ` on ${holder.host}` : ''}, delete ${file}.)`,
  );
}

export function isAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: it exists, and belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  return !isZombie(pid);
}

/** A process that has exited but that its parent has not reaped yet (Linux): it is gone. */
function isZombie(pid: number): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return false;
  }
  // "pid (comm) state ...": comm may hold spaces and parentheses, so read after the last ')'.
  return stat
    .slice(stat.lastIndexOf(')') + 1)
    .trim()
    .startsWith('Z');
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Takes `dir` for this process, or throws `DataDirInUse` (a one-line message naming the
 * directory and the holder's pid) when a live process holds it.
 */
export async function lockDataDir(
  dataDir: string,
  command: string,
  options: LockOptions = {},
): Promise<DataDirLock> {
  const alive = options.isAlive ?? isAlive;
  const dir = path.resolve(dataDir);
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, LOCK_FILE);
  const me: LockHolder = {
    pid: process.pid,
    command,
    host: hostname(),
    since: new Date().toISOString(),
    nonce: randomUUID(),
  };
  const text = `${JSON.stringify(me)}\n`;
  const deadline = Date.now() + (options.waitMs ?? 5_000);
  for (;;) {
    if (create(file, text)) return held(dir, file, text, undefined);
    const seen = readLock(file);
    if (seen === 'gone') continue;
    if (seen.holder) {
      // Another host's pid cannot be checked from here: it counts as alive.
      if (seen.holder.host !== me.host || alive(seen.holder.pid))
        throw dataDirInUse(dir, file, seen.holder);
    } else if (ageMs(file) < UNREADABLE_STALE_MS) {
      // Unreadable and young: a writer without hard links is still writing it.
      if (Date.now() > deadline) throw unreadable(dir, file);
      await sleep(50);
      continue;
    }
    // Its process is gone (or the file is unreadable and old): take it over, carefully.
    const result = takeOver(file, seen.text, text);
    if (result === 'taken') return held(dir, file, text, seen.holder);
    if (result === 'busy') {
      if (Date.now() > deadline) throw unreadable(dir, file);
      await sleep(50);
    }
  }
}

/** Creates the lock file with its whole content at once; false when it exists. */
function create(file: string, text: string): boolean {
  const aside = `${file}.${process.pid}.${randomUUID()}.tmp`;
  writeFileSync(aside, text, { flag: 'wx' });
  try {
    linkSync(aside, file);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    // A file system without hard links: an exclusive create, then the content.
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'ENOSYS' || code === 'EOPNOTSUPP')
      return createExclusive(file, text);
    throw error;
  } finally {
    try {
      unlinkSync(aside);
    } catch {
      // Already gone.
    }
  }
}

function createExclusive(file: string, text: string): boolean {
  let fd: number;
  try {
    fd = openSync(file, 'wx');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
  return true;
}

type Seen = { text: string; holder: LockHolder | undefined } | 'gone';

function readLock(file: string): Seen {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    throw error;
  }
  return { text, holder: parseHolder(text) };
}

function parseHolder(text: string): LockHolder | undefined {
  try {
    const raw = JSON.parse(text) as Partial<LockHolder>;
    if (typeof raw.pid !== 'number' || !Number.isInteger(raw.pid) || raw.pid <= 0) return undefined;
    return {
      pid: raw.pid,
      command: typeof raw.command === 'string' ? raw.command : 'unknown',
      host: typeof raw.host === 'string' ? raw.host : hostname(),
      since: typeof raw.since === 'string' ? raw.since : 'unknown',
      nonce: typeof raw.nonce === 'string' ? raw.nonce : '',
    };
  } catch {
    return undefined;
  }
}

function ageMs(file: string): number {
  try {
    return Date.now() - statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

/**
 * Replaces a stale lock, under a guard file created exclusively, so that of several processes
 * finding the same stale lock exactly one removes it: the others find the guard taken, or
 * find the lock changed once they hold the guard, and look again.
 */
function takeOver(file: string, staleText: string, text: string): 'taken' | 'busy' | 'again' {
  const guard = `${file}.takeover`;
  let fd: number;
  try {
    fd = openSync(guard, 'wx');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    if (ageMs(guard) > GUARD_STALE_MS) {
      try {
        unlinkSync(guard);
      } catch {
        // Someone else cleared it.
      }
      return 'again';
    }
    return 'busy';
  }
  closeSync(fd);
  try {
    const now = readLock(file);
    if (now !== 'gone' && now.text !== staleText) return 'again';
    if (now !== 'gone') unlinkSync(file);
    return create(file, text) ? 'taken' : 'again';
  } finally {
    unlinkSync(guard);
  }
}

/** Says on stderr when a stale lock was taken over: whose, and that its process is gone. */
export function noteTakeover(lock: DataDirLock): void {
  const gone = lock.takenOver;
  if (gone)
    process.stderr.write(
      `Took over --data-dir ${lock.dir} from \`accelnet ${gone.command}\` (pid ${gone.pid}, since ${gone.since}), whose process is gone.\n`,
    );
}

function unreadable(dir: string, file: string): AccelnetError {
  return new AccelnetError(
    'DataDirInUse',
    `--data-dir ${dir}: its lock ${file} is being taken by another command or cannot be read; try again, or delete ${file} if no accelnet uses ${dir}.`,
  );
}

function held(
  dir: string,
  file: string,
  text: string,
  takenOver: LockHolder | undefined,
): DataDirLock {
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    process.off('exit', release);
    // Only our own lock: never one a later holder made.
    try {
      if (readFileSync(file, 'utf8') === text) unlinkSync(file);
    } catch {
      // Already gone.
    }
  };
  process.on('exit', release);
  return { dir, file, takenOver, release };
}
