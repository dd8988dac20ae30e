import { z } from 'zod';

import { describeZodError } from './config';
import { ArmError } from './errors';

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

  constructor(private readonly random: () => number = Math.random) {}

  set(faults: Fault[]): void {
    this.faults = faults;
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
