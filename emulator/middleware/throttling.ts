import { throttled } from '../arm/errors';
import type { EmulatorConfig } from '../config';
import type { Middleware } from '../http/pipeline';

export type BucketKind = 'reads' | 'writes' | 'deletes';

interface Bucket {
  tokens: number;
  updatedAt: number;
}

export interface ThrottleDecision {
  allowed: boolean;
  /** Tokens left after this request (whole tokens, as ARM reports them). */
  remaining: number;
  /** When refused: real milliseconds until a token is available. */
  retryAfterMs: number;
}

/**
 * ARM's token buckets, one per subscription, principal and kind of operation. Refill rates
 * are in Azure seconds, so they scale with the emulator's time scale.
 */
export class Throttle {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly config: () => EmulatorConfig,
    private readonly now: () => number = () => performance.now(),
  ) {}

  take(subscriptionId: string, principal: string, kind: BucketKind): ThrottleDecision {
    const { throttling, timeScale } = this.config();
    const spec = throttling[kind];
    if (!throttling.enabled || timeScale === 0) {
      return { allowed: true, remaining: spec.bucket - 1, retryAfterMs: 0 };
    }
    const refillPerMs = spec.refillPerSecond / timeScale / 1000;
    const key = `${subscriptionId.toLowerCase()}|${principal}|${kind}`;
    const now = this.now();
    const bucket = this.buckets.get(key) ?? { tokens: spec.bucket, updatedAt: now };
    bucket.tokens = Math.min(spec.bucket, bucket.tokens + (now - bucket.updatedAt) * refillPerMs);
    bucket.updatedAt = now;
    this.buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { allowed: true, remaining: Math.floor(bucket.tokens), retryAfterMs: 0 };
    }
    return {
      allowed: false,
      remaining: 0,
      retryAfterMs: Math.ceil((1 - bucket.tokens) / refillPerMs),
    };
  }

  reset(): void {
    this.buckets.clear();
  }
}

/**
 * Throttling like ARM: a token bucket per subscription, principal and kind of request; every
 * answer from here on carries the x-ms-ratelimit-remaining-* headers, and an empty bucket is
 * answered 429 with Retry-After (Azure seconds) and x-ms-retry-after-ms (real milliseconds).
 */
export function throttleRequests(throttle: Throttle, config: () => EmulatorConfig): Middleware {
  return (ctx) => {
    const subscriptionId = /^\/subscriptions\/([^/]+)/i.exec(ctx.url.pathname)?.[1] ?? '';
    const method = ctx.method;
    const kind: BucketKind =
      method === 'GET' || method === 'HEAD' ? 'reads' : method === 'DELETE' ? 'deletes' : 'writes';
    const principal = ctx.principal ?? '';
    const decision = throttle.take(subscriptionId, principal, kind);
    addRateLimitHeaders(ctx.answerHeaders, kind, decision.remaining, config());
    if (decision.allowed) return;
    const seconds = Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
    ctx.fail(throttled(kind, subscriptionId, principal, decision.retryAfterMs), {
      'Retry-After': String(seconds),
      'x-ms-retry-after-ms': String(decision.retryAfterMs),
    });
  };
}

function addRateLimitHeaders(
  headers: Record<string, string>,
  kind: BucketKind,
  remaining: number,
  config: EmulatorConfig,
): void {
  const { bucket } = config.throttling[kind];
  const global = bucket * 15 - (bucket - remaining);
  headers[`x-ms-ratelimit-remaining-subscription-${kind}`] = String(remaining);
  headers[`x-ms-ratelimit-remaining-subscription-global-${kind}`] = String(Math.max(0, global));
}
