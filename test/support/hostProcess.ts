/**
 * `accelnet start --no-demo` as a child process against a test's emulator and Azurite, as an
 * operator runs it: it can be SIGKILLed and started again over the same data directory, and
 * everything it prints is kept.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.join(__dirname, '../..');
export const MAIN = path.join(ROOT, 'dist/cli/main.js');

/** Builds dist/ when it is missing (a fresh clone under plain `jest`). */
export function ensureBuilt(): void {
  if (!existsSync(MAIN))
    execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
}

export interface HostProcessOptions {
  port: number;
  dataDir: string;
  armEndpoint: string;
  storage: string;
  functionKey: string;
  env?: Record<string, string>;
}

export interface HostProcess {
  child: ChildProcess;
  url: string;
  /** Everything it wrote to stdout and stderr so far. */
  output(): string;
  kill(signal: NodeJS.Signals): Promise<void>;
}

export async function startHostProcess(options: HostProcessOptions): Promise<HostProcess> {
  const child = spawn(
    process.execPath,
    [
      MAIN,
      'start',
      '--no-demo',
      '--port',
      String(options.port),
      '--data-dir',
      options.dataDir,
      '--arm-endpoint',
      options.armEndpoint,
    ],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        ACCELNET_MODE: 'enforce',
        ACCELNET_FUNCTION_KEY: options.functionKey,
        AzureWebJobsStorage: options.storage,
        ACCELNET_ARM_TIME_SCALE: '0.01',
        ...options.env,
      },
    },
  );
  let out = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  await new Promise<void>((resolve, reject) => {
    const onData = (): void => {
      if (out.includes('Serving until Ctrl-C.')) {
        child.stdout?.off('data', onData);
        child.off('exit', onExit);
        resolve();
      }
    };
    const onExit = (code: number | null): void =>
      reject(new Error(`the host exited (${String(code)}) before serving: ${out}`));
    child.stdout?.on('data', onData);
    child.once('exit', onExit);
  });
  return {
    child,
    url: `http://127.0.0.1:${options.port}`,
    output: () => out,
    kill: async (signal) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill(signal);
      await exited;
    },
  };
}
