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
  /**
   * MANA hardware: the chance that a VM of a size Azure may move to MANA lands on it when it
   * starts from deallocated, and the seed of those draws (null: the fault seed, else random).
   */
  mana: z.strictObject({
    landingProbability: z.number().min(0).max(1),
    seed: z.number().int().nullable(),
  }),
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
    // Half the fleet: the MANA page gives no rate, only that VMs "may land" on MANA.
    mana: { landingProbability: 0.5, seed: null },
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
  mana: emulatorConfigSchema.shape.mana.partial().optional(),
});

export type EmulatorConfigPatch = z.infer<typeof partialConfig>;

/** A PUT /_emulator/config body, checked; a bad body names its field. */
export function parseConfigPatch(body: unknown): EmulatorConfigPatch {
  const parsed = partialConfig.safeParse(body);
  if (!parsed.success) {
    throw new ArmError(400, 'InvalidConfig', describeZodError(parsed.error));
  }
  return parsed.data;
}

/** The current config with a checked PUT /_emulator/config body merged in. */
export function applyConfigPatch(
  current: EmulatorConfig,
  patch: EmulatorConfigPatch,
): EmulatorConfig {
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
    mana: { ...current.mana, ...patch.mana },
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
