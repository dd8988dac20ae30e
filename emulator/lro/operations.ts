import { randomUUID } from 'node:crypto';

import { notFound, operationFailed } from '../arm/errors';
import type { JsonObject } from '../arm/json';
import type { ArmResult, RequestInfo } from '../arm/request';
import type { EmulatorConfig, LatencyName } from '../config';

export type OperationProvider = 'Microsoft.Compute' | 'Microsoft.Network';

export interface Operation {
  id: string;
  provider: OperationProvider;
  location: string;
  status: 'InProgress' | 'Succeeded' | 'Failed';
  startTime: string;
  endTime: string | undefined;
  error: { code: string; message: string } | undefined;
  timer: NodeJS.Timeout | undefined;
  complete: (() => void) | undefined;
}

/** What happens to the resource when its operation ends. */
export interface Outcome {
  succeed: () => void;
  fail: () => void;
}

const OPERATION_LIMIT = 200_000;

/**
 * Long-running operations as in shared/reference/arm-wire-notes.md: an operation takes its
 * latency (Azure seconds, from the config) on the emulator's clock, then succeeds, or fails
 * when an `lro-failed` fault fired for the request that started it. Accepted requests carry
 * Azure-AsyncOperation (the operation status resource), Location (Compute's 202s: the result,
 * an empty 200 once done) and Retry-After.
 */
export class LongRunningOperations {
  private readonly operations = new Map<string, Operation>();

  constructor(private readonly config: () => EmulatorConfig) {}

  /** Starts an operation that ends after `latency` times `factor`. */
  start(
    provider: OperationProvider,
    location: string,
    latency: LatencyName,
    req: RequestInfo,
    outcome: Outcome,
    factor = 1,
  ): Operation {
    const op = this.create(provider, location);
    const { timeScale, latencies } = this.config();
    const ms = latencies[latency] * factor * timeScale * 1000;
    const failure = req.lroFailure;
    if (failure) req.lroFailureScheduled = true;
    op.complete = () => {
      op.timer = undefined;
      op.complete = undefined;
      op.endTime = new Date().toISOString();
      if (failure) {
        op.status = 'Failed';
        op.error = failure;
        outcome.fail();
      } else {
        op.status = 'Succeeded';
        outcome.succeed();
      }
    };
    op.timer = setTimeout(op.complete, ms);
    return op;
  }

  /** The answer to the request that started `op`: its status, body and operation headers. */
  accepted(op: Operation, req: RequestInfo, status: number, body: unknown): ArmResult {
    const { timeScale, latencies } = this.config();
    const headers: Record<string, string> = {
      'Azure-AsyncOperation': operationUrl(op, req, false),
      'x-ms-request-id': op.id,
    };
    const compute = op.provider === 'Microsoft.Compute';
    if (compute) {
      // Compute sends Location (the monitor URL, answering an empty 200) only with 202s
      // (POST actions, DELETE). A 200/201 PUT or PATCH carries Azure-AsyncOperation alone,
      // so SDKs read the resource itself from the request URL when the operation is done.
      if (status === 202) headers.Location = operationUrl(op, req, true);
      headers['Azure-AsyncNotification'] = 'Enabled';
    }
    const hint = Math.floor(
      Math.min(10, compute ? latencies.start : latencies.nicUpdate) * timeScale,
    );
    if (hint >= 1) headers['Retry-After'] = String(hint);
    return { status, ...(body !== undefined ? { body } : {}), headers };
  }

  /** The status URL of an operation that is already over (a write that takes no time). */
  completed(provider: OperationProvider, location: string, req: RequestInfo, sub: string): string {
    const op = this.create(provider, location);
    op.status = 'Succeeded';
    op.endTime = op.startTime;
    return `${req.baseUrl}/subscriptions/${sub}/providers/${provider}/locations/${location}/operations/${op.id}?api-version=${req.apiVersion}`;
  }

  /** GET of an Azure-AsyncOperation URL (the status) or of a Location URL (`result`). */
  status(provider: string, id: string, result: boolean, req: RequestInfo): ArmResult {
    const op = this.operations.get(id.toLowerCase()) ?? this.operations.get(id);
    if (!op || op.provider.toLowerCase() !== provider.toLowerCase()) {
      throw notFound(`The operation '${id}' was not found.`);
    }
    const { timeScale } = this.config();
    const retry: Record<string, string> =
      Math.floor(10 * timeScale) >= 1 ? { 'Retry-After': String(Math.floor(10 * timeScale)) } : {};
    if (result) {
      if (op.status === 'InProgress')
        return { status: 202, headers: { Location: req.url, ...retry } };
      if (op.status === 'Failed' && op.error) throw operationFailed(op.error);
      return { status: op.provider === 'Microsoft.Compute' ? 200 : 204 };
    }
    const body: JsonObject =
      op.provider === 'Microsoft.Compute'
        ? {
            startTime: op.startTime,
            ...(op.endTime ? { endTime: op.endTime } : {}),
            status: op.status,
            name: op.id,
            ...(op.error ? { error: op.error } : {}),
          }
        : { status: op.status, ...(op.error ? { error: op.error } : {}) };
    return { status: 200, body, headers: op.status === 'InProgress' ? retry : {} };
  }

  /** Completes every operation in flight now, as if its time had passed (seeding). */
  settle(): void {
    for (const op of this.operations.values()) {
      if (op.timer && op.complete) {
        clearTimeout(op.timer);
        op.timer = undefined;
        op.complete();
      }
    }
  }

  /** Stops the clocks of operations in flight (they never end). */
  close(): void {
    for (const op of this.operations.values()) if (op.timer) clearTimeout(op.timer);
  }

  reset(): void {
    this.close();
    this.operations.clear();
  }

  private create(provider: OperationProvider, location: string): Operation {
    if (this.operations.size >= OPERATION_LIMIT) {
      for (const [id, old] of this.operations) {
        if (old.status !== 'InProgress') this.operations.delete(id);
        if (this.operations.size < OPERATION_LIMIT / 2) break;
      }
    }
    const op: Operation = {
      id: randomUUID(),
      provider,
      location,
      status: 'InProgress',
      startTime: new Date().toISOString(),
      endTime: undefined,
      error: undefined,
      timer: undefined,
      complete: undefined,
    };
    this.operations.set(op.id, op);
    return op;
  }
}

function operationUrl(op: Operation, req: RequestInfo, monitor: boolean): string {
  const sub = /\/subscriptions\/([^/]+)/i.exec(new URL(req.url).pathname)?.[1] ?? '';
  if (op.provider === 'Microsoft.Compute') {
    return `${req.baseUrl}/subscriptions/${sub}/providers/Microsoft.Compute/locations/${op.location}/operations/${op.id}?p=${op.id}&api-version=${req.apiVersion}${monitor ? '&monitor=true' : ''}`;
  }
  const kind = monitor ? 'operationResults' : 'operations';
  return `${req.baseUrl}/subscriptions/${sub}/providers/Microsoft.Network/locations/${op.location}/${kind}/${op.id}?api-version=${req.apiVersion}`;
}
