/**
 * The scheduling rules of one entity, as the Durable extension applies them
 * (DurableTaskExtension.EntityMiddleware, EntityScheduler/SchedulerState.cs and
 * Listener/TaskEntityShim.ProcessLockRequest): a FIFO queue of requests, a lock holder whose
 * own messages go to the front, and batches of operations that stop at a lock request.
 */
import {
  type EntityInbound,
  LOCK_GRANTED,
  type Outgoing,
  type RequestMessage,
  schedulerId,
} from './entityMessages';

/** What an entity keeps between batches (the extension's SchedulerState). */
export interface SchedulerState {
  exists: boolean;
  /** The entity's state as JSON text, while it exists. */
  state?: string;
  queue: RequestMessage[];
  /** The orchestration holding the lock, if any. */
  lockedBy?: string;
}

/**
 * Reads newly delivered messages in order: a release from the lock holder frees the entity;
 * a request from the lock holder goes to the front of the queue, any other to the back.
 */
export function admit(s: SchedulerState, inbound: readonly EntityInbound[]): void {
  const fromHolder: RequestMessage[] = [];
  for (const m of inbound) {
    if (m.name === 'release') {
      if (s.lockedBy === m.message.parent) s.lockedBy = undefined;
    } else if (s.lockedBy !== undefined && s.lockedBy === m.message.parent) {
      fromHolder.push(m.message);
    } else {
      s.queue.push(m.message);
    }
  }
  if (fromHolder.length > 0) s.queue = [...fromHolder, ...s.queue];
}

/** Whether the head of the queue may run now: the entity is free, or the holder sent it. */
export function mayDequeue(s: SchedulerState): boolean {
  const head = s.queue[0];
  return head !== undefined && (s.lockedBy === undefined || s.lockedBy === head.parent);
}

/** The work of one batch: operations, then at most one lock request. */
export interface Batch {
  operations: RequestMessage[];
  lockRequest?: RequestMessage;
}

/** Takes the next batch off the queue: operations up to `max`, stopping at a lock request. */
export function takeBatch(s: SchedulerState, max: number): Batch {
  const operations: RequestMessage[] = [];
  while (mayDequeue(s) && operations.length < max) {
    const request = s.queue.shift();
    if (!request) break;
    if (request.lockset) return { operations, lockRequest: request };
    operations.push(request);
  }
  return { operations };
}

/**
 * Grants a lock request: the entity is locked by the requester, and the request goes on to the
 * next entity of the lock set by position; the last one answers the orchestration under the
 * lock request's id.
 */
export function grantLock(s: SchedulerState, request: RequestMessage): Outgoing | undefined {
  const lockset = request.lockset ?? [];
  s.lockedBy = request.parent;
  const position = (request.pos ?? 0) + 1;
  const next = lockset[position];
  if (next) {
    return {
      to: 'entity',
      target: schedulerId(next),
      name: 'op',
      message: { ...request, pos: position },
    };
  }
  if (request.parent === undefined) return undefined;
  return {
    to: 'orchestration',
    instanceId: request.parent,
    executionId: request.parentExecution,
    requestId: request.id,
    response: { result: LOCK_GRANTED },
  };
}
