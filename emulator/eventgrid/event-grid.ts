import type { ArmActivity } from '../arm/activity';
import { ArmError } from '../arm/errors';
import { type DeliveryEnvironment, SubscriptionDelivery } from './delivery';
import { handshake } from './handshake';
import { buildResourceEvent } from './schemas';
import { checkSubscriptionName, endpointBase, parseSpec } from './subscription-spec';
import type {
  EventGridCounters,
  EventGridOptions,
  EventGridStats,
  SubscriptionView,
} from './types';

const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/**
 * The emulator's Event Grid: a system topic for Microsoft.Resources events that delivers
 * Resource{Write,Action,Delete}Success events to webhook subscribers the way Azure Event Grid
 * does: validation handshake first (Event Grid schema or CloudEvents abuse protection), then
 * at-least-once delivery in batches, retried on Event Grid's backoff schedule, in no
 * guaranteed order. Fault knobs per subscription (duplicates, random delays) let tests and
 * demos exercise a subscriber's idempotency and ordering assumptions.
 */
export class EventGrid {
  private readonly options: EventGridOptions;
  private readonly random: () => number;
  private readonly requestTimeoutMs: number;
  private readonly subscriptions = new Map<string, SubscriptionDelivery>();
  private readonly lifetime = new AbortController();
  private readonly idleWaiters = new Set<() => void>();
  private readonly counters: EventGridCounters = {
    published: 0,
    delivered: 0,
    attempts: 0,
    failedAttempts: 0,
    dropped: 0,
    duplicated: 0,
    reordered: 0,
  };
  private readonly environment: DeliveryEnvironment;
  private closed = false;

  constructor(options: EventGridOptions) {
    this.options = options;
    this.random = options.random ?? Math.random;
    this.requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.environment = {
      counters: this.counters,
      requestTimeoutMs: this.requestTimeoutMs,
      random: this.random,
      timeScale: options.timeScale,
      log: (line) => this.log(line),
      settled: () => this.checkIdle(),
    };
  }

  /** Creates or replaces a subscription; resolves once the endpoint passed the handshake. */
  async put(name: string, spec: unknown): Promise<SubscriptionView> {
    checkSubscriptionName(name);
    const normalized = parseSpec(name, spec);
    this.assertOpen();
    await handshake(name, normalized, {
      validationBaseUrl: this.options.validationBaseUrl(),
      signal: AbortSignal.any([AbortSignal.timeout(this.requestTimeoutMs), this.lifetime.signal]),
      log: (line) => this.log(line),
    });
    this.assertOpen();

    const key = name.toLowerCase();
    const existing = this.subscriptions.get(key);
    if (existing !== undefined && !existing.removed) {
      // Queued and retrying events follow the subscription to its new settings.
      existing.name = name;
      existing.spec = normalized;
      this.log(
        `eventgrid: subscription ${name} updated -> ${endpointBase(normalized.endpointUrl)}`,
      );
      return view(existing);
    }
    const subscription = new SubscriptionDelivery(name, normalized, this.environment);
    this.subscriptions.set(key, subscription);
    this.log(
      `eventgrid: subscription ${name} (${normalized.schema}) -> ${endpointBase(normalized.endpointUrl)}`,
    );
    return view(subscription);
  }

  get(name: string): SubscriptionView | undefined {
    const subscription = this.subscriptions.get(name.toLowerCase());
    return subscription !== undefined ? view(subscription) : undefined;
  }

  list(): SubscriptionView[] {
    return [...this.subscriptions.values()].map(view);
  }

  /** Removes a subscription; events it still owed are dropped. */
  delete(name: string): boolean {
    const key = name.toLowerCase();
    const subscription = this.subscriptions.get(key);
    if (subscription === undefined) return false;
    this.subscriptions.delete(key);
    subscription.retire();
    this.log(`eventgrid: subscription ${subscription.name} deleted`);
    this.checkIdle();
    return true;
  }

  /** Raises the Resource{Kind}Success event for an ARM activity to every matching subscription. */
  publish(activity: ArmActivity): void {
    if (this.closed) return;
    this.counters.published += 1;
    const event = buildResourceEvent(activity);
    const eventType = event.eventType.toLowerCase();
    const subject = event.subject.toLowerCase();
    for (const subscription of this.subscriptions.values()) {
      const { spec } = subscription;
      if (!spec.includedEventTypes.some((t) => t.toLowerCase() === eventType)) continue;
      if (!subject.startsWith(spec.subjectBeginsWith.toLowerCase())) continue;
      const seq = this.counters.published;
      subscription.enqueue(event, seq);
      if (spec.duplicateProbability > 0 && this.random() < spec.duplicateProbability) {
        subscription.enqueue(event, seq);
        this.counters.duplicated += 1;
      }
      subscription.flushSoon();
    }
  }

  stats(): EventGridStats {
    let pending = 0;
    for (const subscription of this.subscriptions.values()) pending += subscription.pending;
    return { ...this.counters, pending };
  }

  /** Resolves once no event is queued, waiting for a retry or in flight. */
  idle(timeoutMs = 30_000): Promise<void> {
    if (this.stats().pending === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const waiter = (): void => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.idleWaiters.delete(waiter);
        reject(
          new Error(
            `Event Grid still has ${this.stats().pending} pending event(s) after ${timeoutMs} ms`,
          ),
        );
      }, timeoutMs);
      this.idleWaiters.add(waiter);
    });
  }

  /** Stops all delivery: cancels timers and requests, drops pending events and subscriptions. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.lifetime.abort();
    for (const subscription of this.subscriptions.values()) subscription.retire();
    this.subscriptions.clear();
    this.checkIdle();
  }

  private assertOpen(): void {
    if (this.closed) {
      throw new ArmError(503, 'ServiceUnavailable', 'The emulator Event Grid has been closed.');
    }
  }

  private log(line: string): void {
    this.options.log?.(line);
  }

  private checkIdle(): void {
    if (this.idleWaiters.size === 0 || this.stats().pending > 0) return;
    const waiters = [...this.idleWaiters];
    this.idleWaiters.clear();
    for (const waiter of waiters) waiter();
  }
}

function view(subscription: SubscriptionDelivery): SubscriptionView {
  const { spec } = subscription;
  return {
    name: subscription.name,
    endpointUrl: spec.endpointUrl,
    endpointBaseUrl: endpointBase(spec.endpointUrl),
    schema: spec.schema,
    includedEventTypes: [...spec.includedEventTypes],
    subjectBeginsWith: spec.subjectBeginsWith,
    maxEventsPerBatch: spec.maxEventsPerBatch,
    preferredBatchSizeInKilobytes: spec.preferredBatchSizeInKilobytes,
    retryPolicy: { ...spec.retryPolicy },
    duplicateProbability: spec.duplicateProbability,
    delayMs: spec.delayMs,
    provisioningState: 'Succeeded',
  };
}
