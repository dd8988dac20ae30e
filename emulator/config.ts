import { z } from 'zod';

import { ArmError } from './arm/errors';

/**
 * Operation durations in Azure seconds, from the real SDK recordings in
 * shared/reference/arm-wire-notes.md (powerOff 4.7 s, deallocate 29.6 s, start from
 * deallocated 75.6 s, restart 36.1 s, VM delete 19.6 s, no-op PATCH ~1 s). No recording
 * times a lone NIC PUT or a VM create; those two are estimates.
 */
export const DEFAULT_LATENCIES = {
  powerOff: 4.7,
  deallocate: 29.6,
  start: 75.6,
  restart: 36.1,
  nicUpdate: 3,
  vmCreate: 60,
  vmUpdate: 1,
  vmDelete: 19.6,
} as const;

const bucket = z.strictObject({
  bucket: z.number().int().positive(),
  refillPerSecond: z.number().positive(),
});

const latencies = z.strictObject({
  powerOff: z.number().nonnegative(),
  deallocate: z.number().nonnegative(),
  start: z.number().nonnegative(),
  restart: z.number().nonnegative(),
  nicUpdate: z.number().nonnegative(),
  vmCreate: z.number().nonnegative(),
  vmUpdate: z.number().nonnegative(),
  vmDelete: z.number().nonnegative(),
});

export const emulatorConfigSchema = z.strictObject({
  /** Real seconds per Azure second: 1 is real time, 0.01 is 100x faster, 0 completes at once. */
  timeScale: z.number().min(0).max(100),
  latencies,
  throttling: z.strictObject({
    enabled: z.boolean(),
    reads: bucket,
    writes: bucket,
    deletes: bucket,
  }),
  /** Items per page of list operations before a nextLink. */
  pageSize: z.number().int().min(1).max(1000),
});

export type EmulatorConfig = z.infer<typeof emulatorConfigSchema>;
export type LatencyName = keyof EmulatorConfig['latencies'];

export function defaultConfig(): EmulatorConfig {
  return {
    timeScale: 1,
    latencies: { ...DEFAULT_LATENCIES },
    throttling: {
      enabled: true,
      // ARM's token buckets per subscription and principal.
      reads: { bucket: 250, refillPerSecond: 25 },
      writes: { bucket: 200, refillPerSecond: 10 },
      deletes: { bucket: 200, refillPerSecond: 10 },
    },
    pageSize: 50,
  };
}

const partialConfig = z.strictObject({
  timeScale: emulatorConfigSchema.shape.timeScale.optional(),
  latencies: latencies.partial().optional(),
  throttling: z
    .strictObject({
      enabled: z.boolean().optional(),
      reads: bucket.partial().optional(),
      writes: bucket.partial().optional(),
      deletes: bucket.partial().optional(),
    })
    .optional(),
  pageSize: emulatorConfigSchema.shape.pageSize.optional(),
});

export type EmulatorConfigPatch = z.infer<typeof partialConfig>;

/** Merges a PUT /_emulator/config body into the current config; a bad body names its field. */
export function mergeConfig(current: EmulatorConfig, body: unknown): EmulatorConfig {
  const parsed = partialConfig.safeParse(body);
  if (!parsed.success) {
    throw new ArmError(400, 'InvalidConfig', describeZodError(parsed.error));
  }
  const patch = parsed.data;
  const t = patch.throttling;
  return {
    timeScale: patch.timeScale ?? current.timeScale,
    latencies: { ...current.latencies, ...patch.latencies },
    throttling: {
      enabled: t?.enabled ?? current.throttling.enabled,
      reads: { ...current.throttling.reads, ...t?.reads },
      writes: { ...current.throttling.writes, ...t?.writes },
      deletes: { ...current.throttling.deletes, ...t?.deletes },
    },
    pageSize: patch.pageSize ?? current.pageSize,
  };
}

export function describeZodError(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const path = issue.path.length > 0 ? issue.path.join('.') : '(body)';
      return `${path}: ${issue.message}`;
    })
    .join('; ');
}
