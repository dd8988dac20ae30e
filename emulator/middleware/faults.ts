import { z } from 'zod';

import { ArmError, injectedFault } from '../arm/errors';
import { seededRandom } from '../arm/random';
import { describeZodError, type EmulatorConfig } from '../config';
import type { Middleware, RequestContext } from '../http/pipeline';

const faultSchema = z.strictObject({
  match: z
    .strictObject({
      method: z.string().min(1).optional(),
      /** A regular expression tested against the request path, case-insensitively. */
      pathPattern: z.string().min(1).optional(),
      /** An ARM operation name, e.g. Microsoft.Compute/virtualMachines/start/action. */
      operation: z.string().min(1).optional(),
    })
    .default({}),
  probability: z.number().min(0).max(1),
  kind: z.enum(['http', 'reset', 'lro-failed', 'delay']),
  status: z.number().int().min(400).max(599).optional(),
  code: z.string().min(1).optional(),
  message: z.string().min(1).optional(),
  retryAfter: z.number().nonnegative().optional(),
  delayMs: z.number().int().nonnegative().max(600_000).optional(),
  /** Fire at most this many times. */
  times: z.number().int().positive().optional(),
});

export type FaultSpec = z.infer<typeof faultSchema>;

export interface Fault extends FaultSpec {
  pattern: RegExp | undefined;
  fired: number;
}

export interface FaultTarget {
  method: string;
  path: string;
  operation: string;
}

/**
 * The seed of `{seed, faults}`: faults then fire from a seeded sequence, so a run's draws can
 * be replayed. Undefined for a plain list or when no seed is given.
 */
export function faultSeed(body: unknown): number | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body) || !('seed' in body))
    return undefined;
  const seed = body.seed;
  if (typeof seed !== 'number' || !Number.isInteger(seed))
    throw new ArmError(400, 'InvalidFaults', 'seed: must be an integer');
  return seed;
}

export function parseFaults(body: unknown): Fault[] {
  const list = Array.isArray(body)
    ? body
    : typeof body === 'object' && body !== null && 'faults' in body
      ? body.faults
      : body;
  const parsed = z.array(faultSchema).safeParse(list);
  if (!parsed.success) {
    throw new ArmError(400, 'InvalidFaults', describeZodError(parsed.error));
  }
  return parsed.data.map((spec, index) => {
    let pattern: RegExp | undefined;
    if (spec.match.pathPattern !== undefined) {
      try {
        pattern = new RegExp(spec.match.pathPattern, 'i');
      } catch {
        throw new ArmError(
          400,
          'InvalidFaults',
          `${index}.match.pathPattern: not a valid regular expression`,
        );
      }
    }
    return { ...spec, pattern, fired: 0 };
  });
}

/** Picks the faults that fire for a request: each matching fault rolls its own probability. */
export class FaultInjector {
  private faults: Fault[] = [];

  constructor(private random: () => number = Math.random) {}

  /** Replaces the faults; with a seed, they fire from a seeded sequence from now on. */
  set(faults: Fault[], seed?: number): void {
    this.faults = faults;
    if (seed !== undefined) this.random = seededRandom(seed);
  }

  clear(): void {
    this.faults = [];
  }

  list(): Fault[] {
    return this.faults;
  }

  draw(target: FaultTarget): Fault[] {
    const fired: Fault[] = [];
    for (const fault of this.faults) {
      if (!matches(fault, target)) continue;
      if (fault.times !== undefined && fault.fired >= fault.times) continue;
      if (this.random() >= fault.probability) continue;
      fault.fired += 1;
      fired.push(fault);
    }
    return fired;
  }
}

function matches(fault: Fault, target: FaultTarget): boolean {
  const { method, operation } = fault.match;
  if (method !== undefined && method.toUpperCase() !== target.method.toUpperCase()) return false;
  if (operation !== undefined && operation.toLowerCase() !== target.operation.toLowerCase())
    return false;
  if (fault.pattern !== undefined && !fault.pattern.test(target.path)) return false;
  return true;
}

/**
 * Fault injection: the faults that fire for a request (each matching one rolls its
 * probability) act in order: `delay` waits, `reset` drops the connection, `http` answers
 * with its status and code, `lro-failed` lets the request through but fails the operation it
 * starts.
 */
export function injectFaults(faults: FaultInjector, config: () => EmulatorConfig): Middleware {
  return (ctx) => {
    const fired = faults.draw({
      method: ctx.method,
      path: ctx.url.pathname,
      operation: ctx.match?.route.operation ?? 'unknown',
    });
    return fired.length > 0 ? applyFaults(ctx, fired, config) : undefined;
  };
}

async function applyFaults(
  ctx: RequestContext,
  fired: readonly Fault[],
  config: () => EmulatorConfig,
): Promise<void> {
  for (const fault of fired) {
    if (fault.kind === 'delay') {
      await new Promise((resolve) => setTimeout(resolve, fault.delayMs ?? 1000));
    } else if (fault.kind === 'reset') {
      ctx.drop('ConnectionReset');
      return;
    } else if (fault.kind === 'http') {
      // Retry-After in whole Azure seconds, and in real milliseconds on the emulator's clock
      // (x-ms-retry-after-ms, as its throttling sends), which the SDK honours first.
      const retry: Record<string, string> =
        fault.retryAfter !== undefined
          ? {
              'Retry-After': String(Math.ceil(fault.retryAfter)),
              'x-ms-retry-after-ms': String(
                Math.round(fault.retryAfter * 1000 * config().timeScale),
              ),
            }
          : {};
      ctx.fail(injectedFault(fault.status ?? 500, fault.code, fault.message), retry);
      return;
    } else {
      const code = fault.code ?? 'InternalOperationError';
      ctx.lroFailure = {
        code,
        message: fault.message ?? `Injected fault: the operation ended ${code}.`,
      };
    }
  }
}
