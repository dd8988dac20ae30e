/**
 * The entities of the task hub: one record per entity (its state, queue, lock holder and the
 * messages it has yet to read or send), and the episodes that run its batches, as the Durable
 * extension's entity scheduler does.
 */
import { randomUUID } from 'node:crypto';

import { errorMessage, type HostLogger } from '../log';
import type { RegisteredFunction, Registry } from '../registry';
import { isRecord } from '../rpc';
import { type BatchOutcome, failedBatch, runEntityBatch } from './entityBatch';
import {
  deliveryKey,
  type EntityInbound,
  type Outgoing,
  parseSchedulerId,
  type RequestMessage,
  schedulerId,
} from './entityMessages';
import { admit, grantLock, mayDequeue, type SchedulerState, takeBatch } from './entityScheduler';

/** Everything the hub keeps about one entity (also its file on disk). */
export interface EntityRecord extends SchedulerState {
  kind: 'entity';
  /** The scheduler id, `@name@key`. */
  id: string;
  name: string;
  key: string;
  /** Messages delivered and not yet read by the scheduler. */
  inbox: EntityInbound[];
  /** Messages its batches sent that are not yet known to be delivered. */
  outbox: Outgoing[];
  /** Keys of the latest messages delivered, so a copy sent again after a restart is dropped. */
  received: string[];
  createdTime: string;
  lastUpdatedTime: string;
}

/** How many delivered message keys an entity remembers. */
const RECEIVED_KEPT = 1000;

/** What the entities need from the hub they belong to. */
export interface EntityHost {
  readonly registry: Registry;
  readonly log: HostLogger;
  /** Largest number of operations one call of an entity function receives. */
  readonly batchSize: number;
  stopped(): boolean;
  persist(rec: EntityRecord): void;
  /** Runs the entity's episodes when it has work. */
  schedule(id: string): void;
  /** Sends what a batch produced, once the entity's new state is on disk. */
  dispatch(rec: EntityRecord, messages: Outgoing[]): void;
}

/** Whether a stored document is an entity's record. */
export function isEntityRecord(doc: unknown): doc is EntityRecord {
  return isRecord(doc) && doc.kind === 'entity';
}

export class Entities {
  readonly #host: EntityHost;
  readonly #records = new Map<string, EntityRecord>();
  /** Entity functions by lower-cased name (entity names are case-insensitive). */
  readonly #functions = new Map<string, RegisteredFunction>();

  constructor(host: EntityHost) {
    this.#host = host;
    for (const fn of host.registry.functions.values())
      if (fn.triggerType === 'entityTrigger') this.#functions.set(fn.name.toLowerCase(), fn);
  }

  load(rec: EntityRecord): void {
    this.#records.set(rec.id, rec);
  }

  get(id: string): EntityRecord | undefined {
    return this.#records.get(id);
  }

  list(): EntityRecord[] {
    return [...this.#records.values()];
  }

  remove(id: string): boolean {
    return this.#records.delete(id);
  }

  /** Whether the app has an entity function of this name. */
  knows(name: string): boolean {
    return this.#functions.has(name.toLowerCase());
  }

  /** The extension's message for an entity name the app does not have. */
  unknownMessage(name: string): string {
    const known = [...this.#functions.values()].map((f) => f.name);
    return `The function '${name}' doesn't exist, is disabled, or is not an entity function. Additional info: ${
      known.length > 0
        ? `The following are the known entity functions: '${known.join("', '")}'.`
        : 'No entity functions are currently registered!'
    }`;
  }

  /** Puts a message in the entity's inbox (creating the entity), unless it was delivered before. */
  deliver(target: string, inbound: EntityInbound): void {
    if (this.#host.stopped()) return;
    let rec = this.#records.get(target);
    if (!rec) {
      const entity = parseSchedulerId(target);
      if (!entity) {
        this.#host.log.warn('message to an invalid entity id dropped', { entity: target });
        return;
      }
      const now = new Date().toISOString();
      rec = {
        kind: 'entity',
        id: target,
        name: entity.name,
        key: entity.key,
        exists: false,
        queue: [],
        inbox: [],
        outbox: [],
        received: [],
        createdTime: now,
        lastUpdatedTime: now,
      };
      this.#records.set(target, rec);
    }
    const key = deliveryKey(inbound);
    if (rec.received.includes(key)) return;
    rec.received.push(key);
    if (rec.received.length > RECEIVED_KEPT)
      rec.received.splice(0, rec.received.length - RECEIVED_KEPT);
    rec.inbox.push(inbound);
    this.#host.persist(rec);
    this.#host.schedule(target);
  }

  /** Whether the entity has messages to read or requests it may run now. */
  hasWork(id: string): boolean {
    const rec = this.#records.get(id);
    return rec !== undefined && (rec.inbox.length > 0 || mayDequeue(rec));
  }

  /**
   * Reads the inbox, runs the next batch (operations, then at most one lock request) and
   * records the outcome. The scheduler works on a copy that replaces the record only once the
   * batch is done, so the record written meanwhile (a delivery) never loses queued requests.
   */
  async runEpisode(id: string): Promise<void> {
    const rec = this.#records.get(id);
    if (!rec) return;
    const taken = rec.inbox.length;
    const next: SchedulerState = {
      exists: rec.exists,
      state: rec.state,
      queue: [...rec.queue],
      lockedBy: rec.lockedBy,
    };
    admit(next, rec.inbox.slice(0, taken));
    const batch = takeBatch(next, this.#host.batchSize);
    const outgoing: Outgoing[] = [];
    if (batch.operations.length > 0) {
      const outcome = await this.#run(rec, batch.operations);
      if (this.#host.stopped() || this.#records.get(id) !== rec) return;
      this.#apply(rec, next, batch.operations, outcome, outgoing);
    }
    if (batch.lockRequest) {
      const granted = grantLock(next, batch.lockRequest);
      if (granted) outgoing.push(granted);
      this.#host.log.info('entity locked', {
        entity: rec.id,
        lockedBy: batch.lockRequest.parent,
        lockRequestId: batch.lockRequest.id,
      });
    }
    if (rec.lockedBy !== undefined && next.lockedBy === undefined)
      this.#host.log.info('entity released', { entity: rec.id, lockedBy: rec.lockedBy });
    rec.inbox.splice(0, taken);
    rec.exists = next.exists;
    rec.state = next.state;
    rec.queue = next.queue;
    rec.lockedBy = next.lockedBy;
    rec.lastUpdatedTime = new Date().toISOString();
    this.#host.persist(rec);
    this.#host.dispatch(rec, outgoing);
  }

  async #run(rec: EntityRecord, operations: RequestMessage[]): Promise<BatchOutcome> {
    const fn = this.#functions.get(rec.name);
    if (!fn) {
      const message = this.unknownMessage(rec.name);
      this.#host.log.error('entity batch failed', { entity: rec.id, error: message });
      return failedBatch(rec, operations.length, message);
    }
    try {
      return await runEntityBatch(
        this.#host.registry,
        fn.name,
        { name: rec.name, key: rec.key },
        rec,
        operations,
      );
    } catch (err) {
      this.#host.log.error('entity batch failed', { entity: rec.id, error: errorMessage(err) });
      return failedBatch(rec, operations.length, errorMessage(err));
    }
  }

  /** The entity's new state, a response to each call and the signals its operations sent. */
  #apply(
    rec: EntityRecord,
    next: SchedulerState,
    operations: RequestMessage[],
    outcome: BatchOutcome,
    outgoing: Outgoing[],
  ): void {
    next.exists = outcome.exists;
    next.state = outcome.exists ? outcome.state : undefined;
    operations.forEach((op, i) => {
      const result = outcome.results[i] ?? { isError: true, result: null };
      if (result.isError)
        this.#host.log.warn('entity operation failed', {
          entity: rec.id,
          operation: op.op,
          error: result.result,
        });
      if (op.signal === true || op.parent === undefined) return;
      outgoing.push({
        to: 'orchestration',
        instanceId: op.parent,
        executionId: op.parentExecution,
        requestId: op.id,
        response: {
          result: result.result,
          ...(result.isError ? { exceptionType: 'Error' } : {}),
        },
      });
    });
    for (const signal of outcome.signals) {
      outgoing.push({
        to: 'entity',
        target: schedulerId(signal.target),
        name: 'op',
        message: {
          op: signal.name,
          signal: true,
          ...(signal.input !== undefined ? { input: signal.input } : {}),
          id: randomUUID(),
          parent: rec.id,
        },
      });
    }
  }
}
