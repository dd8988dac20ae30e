/**
 * What the emulator does to ARM requests, changed through its admin API: the faults it injects,
 * and its config (latencies, throttling).
 */
import type { FaultSpec } from '../../emulator/middleware/faults';
import type { ArmEmulator } from '../../emulator/server';
import { admin } from './arm';

export type { FaultSpec };

/** Sets the faults (a list, or `{seed, faults}` to draw from a seeded sequence); checks they were taken. */
export async function setFaults(
  em: ArmEmulator,
  faults: FaultSpec[] | { seed: number; faults: unknown[] },
): Promise<void> {
  const res = await admin(em, 'PUT', '/_emulator/faults', faults);
  expect(res.status).toBe(200);
}

export async function clearFaults(em: ArmEmulator): Promise<void> {
  await admin(em, 'DELETE', '/_emulator/faults');
}

/** Runs `body` with the emulator's config patched, then puts back the config it had. */
export async function withEmulatorConfig<T>(
  em: ArmEmulator,
  patch: unknown,
  body: () => Promise<T>,
): Promise<T> {
  const before = (await admin(em, 'GET', '/_emulator/config')).body;
  expect((await admin(em, 'PUT', '/_emulator/config', patch)).status).toBe(200);
  try {
    return await body();
  } finally {
    await admin(em, 'PUT', '/_emulator/config', before);
  }
}
