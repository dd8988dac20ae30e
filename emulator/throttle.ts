import type { EmulatorConfig } from './config';

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
