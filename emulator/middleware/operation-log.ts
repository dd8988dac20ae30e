import type { AnswerListener, Middleware, RequestContext } from '../http/pipeline';

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
export class OperationLog implements AnswerListener {
  private readonly entries: OperationLogEntry[] = [];
  private seq = 0;

  answered(ctx: RequestContext, status: number, code: string | undefined): void {
    const entry: OperationLogEntry = {
      seq: ++this.seq,
      time: ctx.arrivedAt,
      principal: ctx.principal ?? '',
      method: ctx.method,
      path: ctx.url.pathname,
      operation: ctx.match?.route.operation ?? 'unknown',
      status,
    };
    if (ctx.logFacts) Object.assign(entry, ctx.logFacts);
    if (code !== undefined) entry.code = code;
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
    ctx.arrivedAt = new Date().toISOString();
    ctx.listener = log;
  };
}
