/**
 * The language worker activities run on, and `functionTimeout` as the Functions host enforces
 * it there. In Azure an invocation past its timeout ends with a FunctionTimeoutException
 * ("Timeout value of {timeout} was exceeded by function: {name}", WebJobs SDK
 * FunctionExecutor.cs:643-669), which the Durable extension reports to the orchestration as
 * the activity's failure (TaskActivityShim.cs:100-124: "Activity function '{name}' failed:
 * {message}"), so the orchestration retries it per its policy or fails. The host then restarts
 * the worker process that ran it (WebScriptHostExceptionHandler.cs:28-65; the grace period is
 * zero, JobHostFunctionTimeoutOptionsSetup.cs:19-29 setting none), and every other invocation
 * on that worker is lost: the channel is disposed without failing them
 * (RpcFunctionInvocationDispatcher.cs:675-689 passes no exception, GrpcWorkerChannel.cs:
 * 1556-1571), so each ends only at its own timeout, as a timeout.
 *
 * Here the worker is this process and its code cannot be stopped: an invocation past its
 * timeout, and one lost in a restart, keep running, but their results are discarded.
 */
import { randomUUID } from 'node:crypto';
import { types } from 'node:util';

import type { HostLogger } from '../log';
import { formatTimeSpan } from './limits';

/** An invocation ended by its timeout. */
export class FunctionTimeoutError extends Error {
  constructor(timeoutMs: number, functionName: string) {
    super(
      `Timeout value of ${formatTimeSpan(timeoutMs)} was exceeded by function: Functions.${functionName}`,
    );
    this.name = 'FunctionTimeoutException';
  }
}

interface Invocation {
  id: string;
  functionName: string;
  /** The worker that ran it was restarted: whatever it returns is discarded. */
  lost: boolean;
}

export class LanguageWorker {
  readonly #timeoutMs: number | undefined;
  readonly #log: HostLogger;
  readonly #running = new Set<Invocation>();
  readonly #timers = new Set<NodeJS.Timeout>();

  /** `timeoutMs` undefined: functions run without a limit (functionTimeout -1). */
  constructor(timeoutMs: number | undefined, log: HostLogger) {
    this.#timeoutMs = timeoutMs;
    this.#log = log;
  }

  /** Runs one invocation: its result, or a FunctionTimeoutError once its timeout has passed. */
  invoke<T>(functionName: string, run: () => Promise<T>): Promise<T> {
    const timeoutMs = this.#timeoutMs;
    if (timeoutMs === undefined) return run();
    const invocation: Invocation = { id: randomUUID(), functionName, lost: false };
    this.#running.add(invocation);
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        if (settled) return;
        settled = true;
        this.#running.delete(invocation);
        this.#log.error('function timed out', {
          functionName,
          invocationId: invocation.id,
          timeout: formatTimeSpan(timeoutMs),
        });
        reject(new FunctionTimeoutError(timeoutMs, functionName));
        // An invocation lost in an earlier restart is on no worker any more: nothing to restart.
        if (!invocation.lost) this.#restart(invocation);
      }, timeoutMs);
      // Only a running invocation keeps the process alive, not its deadline.
      timer.unref();
      this.#timers.add(timer);
      const settle = (then: () => void): void => {
        if (settled || invocation.lost) return;
        settled = true;
        clearTimeout(timer);
        this.#timers.delete(timer);
        this.#running.delete(invocation);
        then();
      };
      run().then(
        (value) => settle(() => resolve(value)),
        (err: unknown) =>
          settle(() => reject(types.isNativeError(err) ? err : new Error(String(err)))),
      );
    });
  }

  /** The worker that ran a timed-out invocation restarts: the others on it are lost. */
  #restart(timedOut: Invocation): void {
    const lost = [...this.#running].filter((i) => !i.lost);
    for (const invocation of lost) invocation.lost = true;
    this.#log.warn(
      `A function timeout has occurred. Restarting worker process executing invocationId '${timedOut.id}'.`,
      { functionName: timedOut.functionName, lost: lost.map((i) => i.functionName) },
    );
  }

  /** Stops the timers (the host stops). */
  stop(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }
}
