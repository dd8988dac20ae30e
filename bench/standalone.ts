/** Running a benchmark file as a program: bounded in time, exit 0 when done, 1 with its error. */
import { killChildren } from './twin/children';

/** Keeps a run bounded in time whatever hangs: kills the children and exits. */
export function watchdog(ms: number): NodeJS.Timeout {
  const timer = setTimeout(() => {
    process.stderr.write(`bench: still running after ${ms} ms, stopping.\n`);
    killChildren();
    process.exit(1);
  }, ms);
  timer.unref();
  return timer;
}

/** Runs `main` under a watchdog of `boundMs`, then exits: 0 when it is done, 1 if it threw. */
export function runMain(boundMs: number, main: () => Promise<void>): void {
  watchdog(boundMs);
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(
        `bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
      process.exit(1);
    },
  );
}

/** `runMain` when node runs the file of `mod` itself (`node dist/bench/<file>.js`). */
export function runStandalone(mod: NodeModule, boundMs: number, main: () => Promise<void>): void {
  if (require.main === mod) runMain(boundMs, main);
}
