/**
 * One command per data directory: the lock itself (in this process, and raced by several
 * processes), then `accelnet start` and `accelnet remediate` as an operator runs them.
 */
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';

import { LOCK_FILE, lockDataDir } from '../../cli/dataDirLock';
import { cliEnv, freshConfigDir } from '../support/cli';
import { request } from '../support/http';

const ROOT = join(__dirname, '../..');
const MAIN = join(ROOT, 'dist/cli/main.js');
// The service.json of `accelnet start` goes here, not in the user's configuration directory.
const CONFIG = freshConfigDir();
const LOCK_MODULE = join(ROOT, 'dist/cli/dataDirLock.js');
const SUB = '00000000-0000-0000-0000-000000000001';

let scratch = '';
const children: ChildProcess[] = [];

beforeAll(() => {
  // `npm test` builds first; a bare `jest` run builds the CLI once here.
  if (!existsSync(MAIN) || !existsSync(LOCK_MODULE))
    execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
  scratch = mkdtempSync(join(tmpdir(), 'accelnet-lock-'));
}, 120_000);

afterEach(() => {
  for (const child of children.splice(0))
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
});

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

let dirs = 0;
const freshDir = (): string => {
  const dir = join(scratch, `dir-${(dirs += 1)}`);
  mkdirSync(dir);
  return dir;
};

/** The pid of a process that has exited (so no process has it, until the system reuses it). */
function deadPid(): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['-e', '']);
    child.on('exit', () => resolve(child.pid ?? 0));
  });
}

function writeLock(dir: string, holder: Record<string, unknown>): void {
  writeFileSync(join(dir, LOCK_FILE), `${JSON.stringify(holder)}\n`);
}

const readLock = (dir: string): { pid: number; command: string } =>
  JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')) as { pid: number; command: string };

describe('the data directory lock', () => {
  test('when a directory is free, then the lock holds it with this pid until released, and then it is free again', async () => {
    const dir = freshDir();

    const lock = await lockDataDir(dir, 'start');

    expect(readLock(dir)).toMatchObject({ pid: process.pid, command: 'start' });
    expect(lock.takenOver).toBeUndefined();
    lock.release();
    lock.release();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
    (await lockDataDir(dir, 'remediate')).release();
  });

  test('when a live process holds the directory, then a second lock is refused naming the directory and its pid, and the holder keeps it', async () => {
    const dir = freshDir();
    const first = await lockDataDir(dir, 'start');

    const second = lockDataDir(dir, 'remediate');

    await expect(second).rejects.toMatchObject({
      code: 'DataDirInUse',
      message: expect.stringContaining(
        `--data-dir ${dir} is in use by \`accelnet start\` (pid ${process.pid}, since `,
      ) as unknown,
    });
    expect(readLock(dir)).toMatchObject({ pid: process.pid, command: 'start' });
    first.release();
  });

  test('when the holder is gone (a crash), then its lock is taken over and the takeover says from whom', async () => {
    const dir = freshDir();
    const gone = await deadPid();
    writeLock(dir, { pid: gone, command: 'start', host: hostname(), since: 'then', nonce: 'n' });

    const lock = await lockDataDir(dir, 'remediate');

    expect(lock.takenOver).toMatchObject({ pid: gone, command: 'start' });
    expect(readLock(dir)).toMatchObject({ pid: process.pid, command: 'remediate' });
    lock.release();
  });

  (existsSync('/proc/self/stat') ? test : test.skip)(
    'when the holder has exited but its parent has not reaped it (a zombie), then its lock is taken over',
    async () => {
      const dir = freshDir();
      // The shell's background child exits; the shell, replaced by sleep, never reaps it.
      const parent = spawn('sh', ['-c', 'sleep 0.1 & echo $!; exec sleep 30'], {
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      children.push(parent);
      const zombie = Number(
        await new Promise<string>((resolve) =>
          parent.stdout.setEncoding('utf8').once('data', (chunk: string) => resolve(chunk.trim())),
        ),
      );
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(() => process.kill(zombie, 0)).not.toThrow();
      writeLock(dir, {
        pid: zombie,
        command: 'start',
        host: hostname(),
        since: 'then',
        nonce: 'n',
      });

      const lock = await lockDataDir(dir, 'start');

      expect(lock.takenOver?.pid).toBe(zombie);
      lock.release();
    },
  );

  test('when the lock file cannot be read, then it is taken over once it is old, and waited on while it is young', async () => {
    const dir = freshDir();
    const file = join(dir, LOCK_FILE);
    writeFileSync(file, '');

    await expect(lockDataDir(dir, 'start', { waitMs: 200 })).rejects.toMatchObject({
      code: 'DataDirInUse',
    });

    const old = new Date(Date.now() - 60_000);
    utimesSync(file, old, old);
    const lock = await lockDataDir(dir, 'start');
    expect(readLock(dir).pid).toBe(process.pid);
    lock.release();
  });

  test('when another host holds the directory (a shared disk), then it counts as alive and the message names that host', async () => {
    const dir = freshDir();
    writeLock(dir, { pid: 4242, command: 'start', host: 'build-7', since: 'then', nonce: 'n' });

    await expect(lockDataDir(dir, 'start', { isAlive: () => false })).rejects.toMatchObject({
      message: expect.stringContaining('(pid 4242 on build-7, since then)') as unknown,
    });
  });

  test('when a lock is released after another process replaced it, then the other one is left alone', async () => {
    const dir = freshDir();
    const lock = await lockDataDir(dir, 'start');
    writeLock(dir, { pid: 4242, command: 'start', host: hostname(), since: 'now', nonce: 'm' });

    lock.release();

    expect(readLock(dir).pid).toBe(4242);
  });

  /**
   * Processes that each try to lock `dir` at the same moment; what each got. The one that gets
   * it holds it until every one has answered, so a late starter cannot find it free.
   */
  async function race(dir: string, n: number): Promise<string[]> {
    const answered = `${dir}-answered`;
    mkdirSync(answered);
    const at = Date.now() + 1_500;
    const script = `
      const { readdirSync, writeFileSync } = require('node:fs');
      const { lockDataDir } = require(${JSON.stringify(LOCK_MODULE)});
      const answered = ${JSON.stringify(answered)};
      setTimeout(async () => {
        try {
          const lock = await lockDataDir(${JSON.stringify(dir)}, 'race');
          process.stdout.write('taken ' + process.pid);
          const deadline = Date.now() + 20000;
          const wait = setInterval(() => {
            if (readdirSync(answered).length < ${n} && Date.now() < deadline) return;
            clearInterval(wait);
            lock.release();
          }, 20);
        } catch (error) {
          process.stdout.write((error.code || 'error') + ' ' + error.message);
        }
        writeFileSync(answered + '/' + process.pid, '');
      }, ${at} - Date.now());`;
    return Promise.all(
      Array.from(
        { length: n },
        () =>
          new Promise<string>((resolve) =>
            execFile(process.execPath, ['-e', script], (_error, stdout, stderr) =>
              resolve(`${stdout}${stderr}`),
            ),
          ),
      ),
    );
  }

  test.each([
    ['a free directory', false],
    ['a directory whose holder crashed', true],
  ])(
    'when six processes lock %s at the same moment, then exactly one gets it and the others are refused naming its pid',
    async (_, stale) => {
      const dir = freshDir();
      if (stale)
        writeLock(dir, {
          pid: await deadPid(),
          command: 'start',
          host: hostname(),
          since: 'then',
          nonce: 'n',
        });

      const results = await race(dir, 6);

      const taken = results.filter((r) => r.startsWith('taken '));
      expect(taken).toHaveLength(1);
      const winner = taken[0]!.slice('taken '.length);
      for (const other of results.filter((r) => !r.startsWith('taken ')))
        expect(other).toContain(
          `DataDirInUse --data-dir ${dir} is in use by \`accelnet race\` (pid ${winner},`,
        );
      expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
    },
    30_000,
  );
});

interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
}

function accelnet(args: string[], env: Record<string, string> = {}): Promise<Exit> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [MAIN, ...args],
      { cwd: ROOT, env: cliEnv(CONFIG, env), timeout: 120_000 },
      (error, stdout, stderr) =>
        resolve({
          code: error ? (typeof error.code === 'number' ? error.code : null) : 0,
          stdout,
          stderr,
        }),
    );
  });
}

/** `accelnet start --no-demo` on `dir`, once it serves. */
async function startServing(
  dir: string,
  key: string,
): Promise<{ child: ChildProcess; url: string; exited: Promise<number | null> }> {
  const child = spawn(
    process.execPath,
    [MAIN, 'start', '--no-demo', '--port', '0', '--data-dir', dir],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: cliEnv(CONFIG, { ACCELNET_FUNCTION_KEY: key }),
    },
  );
  children.push(child);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let out = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      const m = /accelnet is serving on (http:\/\/\S+)/.exec(out);
      if (m?.[1] && out.includes('Serving until Ctrl-C.')) resolve(m[1]);
    });
    void exited.then((code) => reject(new Error(`accelnet start exited (${code}): ${out}`)));
  });
  return { child, url, exited };
}

describe('accelnet start and remediate on one data directory', () => {
  test('when a second command is started on a directory a live one holds, then it is refused in one line naming the directory and the pid, exit 2, and the first goes on untouched', async () => {
    const dir = freshDir();
    const key = 'lock-test-key';
    const first = await startServing(dir, key);
    // The first one's durable state: a second command used to delete it on the way in.
    const marker = join(dir, 'durable', 'marker');
    writeFileSync(marker, 'the first one keeps its state');

    const refused = await Promise.all([
      accelnet(['remediate', '--subscription', SUB, '--dry-run', '--data-dir', dir]),
      accelnet(['start', '--no-demo', '--port', '0', '--data-dir', dir]),
    ]);

    for (const [exit, command] of [
      [refused[0], 'remediate'],
      [refused[1], 'start'],
    ] as const) {
      expect({ command, code: exit.code }).toEqual({ command, code: 2 });
      const lines = exit.stderr.trimEnd().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(
        new RegExp(
          `^error: --data-dir ${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is in use by \`accelnet start\` \\(pid ${first.child.pid},`,
        ),
      );
      expect(exit.stdout).toBe('');
    }
    expect(readFileSync(marker, 'utf8')).toBe('the first one keeps its state');
    expect(readLock(dir)).toMatchObject({ pid: first.child.pid, command: 'start' });
    const served = await request(`${first.url}/api/pause?code=${key}`);
    expect(served.status).toBe(200);

    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  }, 120_000);

  test('when the holder of the directory was killed (its lock is left behind), then the next command takes it over, says so, runs and lets it go', async () => {
    const dir = freshDir();
    const gone = await deadPid();
    writeLock(dir, { pid: gone, command: 'start', host: hostname(), since: 'then', nonce: 'n' });

    const exit = await accelnet([
      'remediate',
      '--subscription',
      SUB,
      '--dry-run',
      '--data-dir',
      dir,
    ]);

    expect(exit.code).toBe(0);
    expect(exit.stderr).toContain(
      `Took over --data-dir ${dir} from \`accelnet start\` (pid ${gone}, since then), whose process is gone.`,
    );
    expect(exit.stdout).toMatch(/\d+ VMs: .*planned/);
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  }, 120_000);
});
