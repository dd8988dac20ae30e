/**
 * Delivery to one subscription, as Event Grid does it: events collect for a moment, are cut
 * into batches (up to maxEventsPerBatch within the preferred size, no event twice in one
 * batch), sent concurrently, and retried on Event Grid's schedule until delivered, refused
 * for good, or out of attempts or time to live.
 */
import { setTimeout as sleep } from 'node:timers/promises';

import { encodeDelivery, inSchema } from './schemas';
import type { NormalizedSpec } from './subscription-spec';
import type { EventGridCounters, EventGridEvent } from './types';
import { describeError, drain } from './webhook';

/** Event Grid's retry schedule, in Azure seconds; the last step repeats. */
const RETRY_SCHEDULE_SECONDS = [10, 30, 60, 300, 600, 1800, 3600, 10_800, 21_600, 43_200];
/** Statuses Event Grid does not retry (the event is dead-lettered or dropped). */
const NON_RETRYABLE_STATUSES = new Set([400, 401, 403, 404, 413]);
/** Event Grid counts only these as successful deliveries. */
const SUCCESS_STATUSES = new Set([200, 201, 202, 203, 204]);
/** Real milliseconds a burst collects before batches are cut. */
const BATCH_WINDOW_MS = 2;
/** Floor for scaled waits, so timeScale 0 does not spin. */
const MIN_WAIT_MS = 5;
/** Batches of one subscription being sent at once. */
const MAX_CONCURRENT_BATCHES = 32;

/** What every subscription's delivery shares with the Event Grid it belongs to. */
export interface DeliveryEnvironment {
  readonly counters: EventGridCounters;
  /** Real milliseconds to wait for a subscriber's response. */
  readonly requestTimeoutMs: number;
  random(): number;
  /** Emulator time scale, read on every retry. */
  timeScale(): number;
  log(line: string): void;
  /** Event copies were settled (delivered or dropped): Event Grid may have become idle. */
  settled(): void;
}

interface QueuedEvent {
  event: EventGridEvent;
  /** Order of publication, for counting out-of-order deliveries. */
  seq: number;
}

type AttemptResult =
  | { kind: 'delivered' }
  | { kind: 'rejected'; reason: string }
  | { kind: 'retry'; reason: string }
  | { kind: 'cancelled' };

export class SubscriptionDelivery {
  /** Event copies this subscription still owes (queued, waiting for a retry, in flight). */
  pending = 0;
  removed = false;
  private queue: QueuedEvent[] = [];
  private flushTimer: NodeJS.Timeout | undefined;
  /** Batches taken off the queue whose current attempt has not finished. */
  private active = 0;
  private readonly abort = new AbortController();
  /** The highest publication order acknowledged so far. */
  private maxDeliveredSeq = 0;

  constructor(
    public name: string,
    /** Read at each attempt: a replaced subscription delivers its backlog to the new endpoint. */
    public spec: NormalizedSpec,
    private readonly env: DeliveryEnvironment,
  ) {}

  /** Queues a copy of an event; {@link flushSoon} sends it. */
  enqueue(event: EventGridEvent, seq: number): void {
    this.queue.push({ event, seq });
    this.pending += 1;
  }

  flushSoon(): void {
    if (this.flushTimer !== undefined || this.removed) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      this.pump();
    }, BATCH_WINDOW_MS);
  }

  /** Stops delivery for good: timers and requests cancelled, every owed copy dropped. */
  retire(): void {
    this.removed = true;
    this.abort.abort();
    if (this.flushTimer !== undefined) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    this.queue = [];
    this.env.counters.dropped += this.pending;
    this.pending = 0;
  }

  private settle(count: number, outcome: 'delivered' | 'dropped'): void {
    if (this.removed) return;
    this.env.counters[outcome] += count;
    this.pending -= count;
    this.env.settled();
  }

  private pump(): void {
    while (!this.removed && this.queue.length > 0 && this.active < MAX_CONCURRENT_BATCHES) {
      const batch = this.takeBatch();
      if (batch.length === 0) return;
      void this.runBatch(batch);
    }
  }

  /** Cuts the next batch: up to maxEventsPerBatch events within the preferred size, no event twice. */
  private takeBatch(): QueuedEvent[] {
    const { maxEventsPerBatch, preferredBatchSizeInKilobytes, schema } = this.spec;
    const maxBytes = preferredBatchSizeInKilobytes * 1024;
    const taken: QueuedEvent[] = [];
    const skipped: QueuedEvent[] = [];
    const ids = new Set<string>();
    let bytes = 0;
    let index = 0;
    for (; index < this.queue.length && taken.length < maxEventsPerBatch; index += 1) {
      const item = this.queue[index];
      if (item === undefined) continue;
      if (ids.has(item.event.id)) {
        skipped.push(item);
        continue;
      }
      const size = Buffer.byteLength(JSON.stringify(inSchema(schema, item.event)));
      if (taken.length > 0 && bytes + size > maxBytes) break;
      taken.push(item);
      ids.add(item.event.id);
      bytes += size;
    }
    this.queue = skipped.concat(this.queue.slice(index));
    return taken;
  }

  private async runBatch(batch: QueuedEvent[]): Promise<void> {
    let deliveryCount = 0;
    let elapsedSeconds = 0;
    for (;;) {
      this.active += 1;
      let result: AttemptResult;
      try {
        result = await this.attempt(batch, deliveryCount);
      } finally {
        this.active -= 1;
      }
      if (this.removed || result.kind === 'cancelled') return;
      this.pump();

      if (result.kind === 'delivered') {
        for (const item of batch) {
          if (item.seq < this.maxDeliveredSeq) this.env.counters.reordered += 1;
          this.maxDeliveredSeq = Math.max(this.maxDeliveredSeq, item.seq);
        }
        this.settle(batch.length, 'delivered');
        return;
      }
      if (result.kind === 'rejected') {
        this.env.log(
          `eventgrid: ${this.name}: dropped ${batch.length} event(s): ${result.reason}, not retried`,
        );
        this.settle(batch.length, 'dropped');
        return;
      }

      const attempts = deliveryCount + 1;
      const step =
        RETRY_SCHEDULE_SECONDS[Math.min(deliveryCount, RETRY_SCHEDULE_SECONDS.length - 1)] ?? 3600;
      const { maxDeliveryAttempts, eventTimeToLiveInMinutes } = this.spec.retryPolicy;
      if (
        attempts >= maxDeliveryAttempts ||
        elapsedSeconds + step > eventTimeToLiveInMinutes * 60
      ) {
        this.env.log(
          `eventgrid: ${this.name}: dropped ${batch.length} event(s) after ${attempts} attempt(s): ${result.reason}`,
        );
        this.settle(batch.length, 'dropped');
        return;
      }
      const jitter = 1 + (this.env.random() - 0.5) * 0.2;
      const waitMs = Math.max(MIN_WAIT_MS, step * 1000 * this.env.timeScale() * jitter);
      this.env.log(
        `eventgrid: ${this.name}: attempt ${attempts} failed (${result.reason}), retrying in ${Math.round(waitMs)} ms`,
      );
      if (!(await this.wait(waitMs))) return;
      if (this.removed) return;
      deliveryCount += 1;
      elapsedSeconds += step;
    }
  }

  /** Waits real milliseconds; false when the subscription went away meanwhile. */
  private async wait(ms: number): Promise<boolean> {
    try {
      await sleep(ms, undefined, { signal: this.abort.signal, ref: false });
      return true;
    } catch {
      return false;
    }
  }

  private async attempt(batch: QueuedEvent[], deliveryCount: number): Promise<AttemptResult> {
    const { delayMs } = this.spec;
    if (delayMs > 0 && !(await this.wait(this.env.random() * delayMs))) {
      return { kind: 'cancelled' };
    }
    if (this.removed) return { kind: 'cancelled' };

    // Read the settings now: a replaced subscription delivers its backlog to the new endpoint.
    const { endpointUrl, schema, maxEventsPerBatch } = this.spec;
    const encoded = encodeDelivery(
      schema,
      maxEventsPerBatch,
      batch.map((item) => item.event),
    );
    const headers: Record<string, string> = {
      'aeg-event-type': 'Notification',
      'aeg-subscription-name': this.name.toUpperCase(),
      'aeg-delivery-count': String(deliveryCount),
      ...encoded.headers,
    };

    this.env.counters.attempts += 1;
    let status: number;
    try {
      const response = await fetch(endpointUrl, {
        method: 'POST',
        headers,
        body: encoded.body,
        redirect: 'manual',
        signal: AbortSignal.any([
          AbortSignal.timeout(this.env.requestTimeoutMs),
          this.abort.signal,
        ]),
      });
      status = response.status;
      await drain(response);
    } catch (err) {
      if (this.removed) return { kind: 'cancelled' };
      this.env.counters.failedAttempts += 1;
      return { kind: 'retry', reason: describeError(err) };
    }
    if (SUCCESS_STATUSES.has(status)) return { kind: 'delivered' };
    this.env.counters.failedAttempts += 1;
    if (NON_RETRYABLE_STATUSES.has(status)) return { kind: 'rejected', reason: `HTTP ${status}` };
    return { kind: 'retry', reason: `HTTP ${status}` };
  }
}
