/**
 * Node child processes of the benchmarks (the ARM emulator, the baseline server): started with
 * a readiness line, stopped gently, and all killed when this process exits or a watchdog fires.
 */
import { type ChildProcess, spawn } from 'node:child_process';

export interface Child {
  process: ChildProcess;
  pid: number;
  /** SIGTERM, then SIGKILL after 5 s; resolves once it has exited. */
  stop: () => Promise<void>;
}

const live = new Set<ChildProcess>();
process.on('exit', killChildren);

/** Kills every child still running (at exit, or when a run must end now). */
export function killChildren(): void {
  for (const child of live) child.kill('SIGKILL');
}

/** Spawns node with `args` and resolves with its child and first stdout line (its readiness). */
export function spawnNode(args: string[], what: string): Promise<{ child: Child; line: string }> {
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(proc);
  let stderr = '';
  proc.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  void exited.then(() => live.delete(proc));
  const child: Child = {
    process: proc,
    pid: proc.pid ?? 0,
    stop: async () => {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
  return new Promise((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`${what} did not start within 20 s: ${stderr}`));
    }, 20_000);
    proc.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      if (buffered.includes('\n')) return;
      buffered += chunk;
      const end = buffered.indexOf('\n');
      if (end >= 0) {
        clearTimeout(timer);
        resolve({ child, line: buffered.slice(0, end) });
      }
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`${what} exited before it was ready (${proc.exitCode}): ${stderr}`));
    });
  });
}
