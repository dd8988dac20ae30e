import type { Middleware } from '../http/pipeline';

export interface OperationLogEntry {
  seq: number;
  time: string;
  principal: string;
  method: string;
  path: string;
  operation: string;
  status: number;
  /**
   * The error code of the response; for a request accepted while an `lro-failed` fault fired,
   * the code the operation it started will end with.
   */
  code?: string;
  /** For NIC writes: the power state of the VM the NIC is attached to, when the write arrived. */
  vmPowerState?: string;
}

/** Every ARM request in order, as `GET /_emulator/operations` shows it. */
export class OperationLog {
  private readonly entries: OperationLogEntry[] = [];
  private seq = 0;

  append(entry: OperationLogEntry): void {
    entry.seq = ++this.seq;
    this.entries.push(entry);
  }

  all(): readonly OperationLogEntry[] {
    return this.entries;
  }

  since(seq: number): OperationLogEntry[] {
    return this.entries.filter((entry) => entry.seq > seq);
  }

  clear(): void {
    this.entries.length = 0;
    this.seq = 0;
  }
}

/** Records the request in the log when it is answered, whatever answers it. */
export function logOperations(log: OperationLog): Middleware {
  return (ctx) => {
    const time = new Date().toISOString();
    ctx.onAnswer = (status, code) =>
      log.append({
        seq: 0,
        time,
        principal: ctx.principal ?? '',
        method: ctx.method,
        path: ctx.url.pathname,
        operation: ctx.match?.route.operation ?? 'unknown',
        status,
        ...ctx.logFacts,
        ...(code !== undefined ? { code } : {}),
      });
  };
}
