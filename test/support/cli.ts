/**
 * The `accelnet` CLI as a user runs it, for the CLI tests: the built bin in a child process,
 * with an environment of its own (no service, key, subscription or ARM endpoint inherited, and
 * a configuration directory of its own, so that no `accelnet start` elsewhere is found).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const ROOT = path.join(__dirname, '../..');
export const MAIN = path.join(ROOT, 'dist/cli/main.js');
export const SUB = '00000000-0000-0000-0000-000000000001';

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** `npm test` builds first; a bare `jest` run builds the CLI once. */
export function buildOnce(): void {
  if (!existsSync(MAIN))
    execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
}

/** A fresh configuration directory: where `accelnet start` writes service.json. */
export function freshConfigDir(): string {
  return mkdtempSync(path.join(tmpdir(), 'accelnet-cfg-'));
}

/** The environment of a CLI run: the test's own, less what would point it elsewhere. */
export function cliEnv(configDir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of [
    'ACCELNET_SERVICE_URL',
    'ACCELNET_FUNCTION_KEY',
    'ACCELNET_ARM_ENDPOINT',
    'AZURE_SUBSCRIPTION_ID',
    'ACCELNET_MODE',
    'NO_COLOR',
  ])
    delete env[name];
  return { ...env, ACCELNET_CONFIG_DIR: configDir, ...extra };
}

const children: ChildProcess[] = [];

/** Kills what the tests started and left running (call in afterEach/afterAll). */
export function killChildren(): void {
  for (const child of children.splice(0))
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

/** Starts the CLI; `exited` resolves with what it printed and its status. */
export function spawnCli(
  args: string[],
  env: NodeJS.ProcessEnv,
  cwd = ROOT,
): { child: ChildProcess; exited: Promise<Exit> } {
  const child = spawn(process.execPath, [MAIN, ...args], {
    cwd,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<Exit>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { child, exited };
}

export interface RunningEmulator {
  child: ChildProcess;
  url: string;
  exited: Promise<Exit>;
}

const LISTENING = /^ARM emulator listening on (https:\/\/127\.0\.0\.1:(\d+))$/;

/**
 * Starts `accelnet emulator --port 0 --time-scale 0 …` and resolves with its URL once it printed
 * the listening line, which must be its first line on stdout.
 */
export async function startEmulator(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<RunningEmulator> {
  const { child, exited } = spawnCli(
    ['emulator', '--port', '0', '--time-scale', '0', ...args],
    env,
  );
  const url = await new Promise<string>((resolve, reject) => {
    let buffered = '';
    const onData = (chunk: string): void => {
      buffered += chunk;
      const line = buffered.split('\n')[0] ?? '';
      const m = buffered.includes('\n') ? LISTENING.exec(line) : null;
      if (m?.[1]) {
        child.stdout?.off('data', onData);
        resolve(m[1]);
      } else if (buffered.includes('\n')) {
        reject(new Error(`unexpected first stdout line: ${line}`));
      }
    };
    child.stdout?.on('data', onData);
    void exited.then((exit) =>
      reject(new Error(`the CLI exited (${exit.code}) before listening: ${exit.stderr}`)),
    );
  });
  return { child, url, exited };
}

/** Runs the CLI to its end. */
export function cli(args: string[], env: NodeJS.ProcessEnv, cwd = ROOT): Promise<Exit> {
  return spawnCli(args, env, cwd).exited;
}

export interface Service {
  child: ChildProcess;
  url: string;
  /** What it printed so far (stdout and stderr). */
  output(): string;
  stdout(): string;
  /** Stops it with SIGINT; its exit status. */
  stop(): Promise<number | null>;
}

/** `accelnet start … --port 0`, once it serves (after the demo, when it runs one). */
export async function startService(args: string[], env: NodeJS.ProcessEnv): Promise<Service> {
  const { child, exited } = spawnCli(['start', '--port', '0', ...args], env);
  let out = '';
  let stdout = '';
  child.stdout?.on('data', (chunk: string) => {
    out += chunk;
    stdout += chunk;
  });
  child.stderr?.on('data', (chunk: string) => (out += chunk));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`accelnet start did not serve: ${out}`)),
      90_000,
    );
    child.stdout?.on('data', () => {
      const m = /accelnet is serving on (http:\/\/\S+)/.exec(out);
      if (m?.[1] && out.includes('Serving until Ctrl-C.')) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    void exited.then((exit) => {
      clearTimeout(timer);
      reject(new Error(`accelnet start exited (${exit.code}): ${out}`));
    });
  });
  return {
    child,
    url,
    output: () => out,
    stdout: () => stdout,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGINT');
      return (await exited).code;
    },
  };
}

/** A GET with the function key; status and text. */
export async function get(url: string, key: string): Promise<{ status: number; body: string }> {
  const res = await fetch(url, { headers: { 'x-functions-key': key } });
  return { status: res.status, body: await res.text() };
}
