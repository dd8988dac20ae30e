/**
 * The size of the reliability suite: `ACCELNET_RELIABILITY_SCALE=full` (what
 * `npm run test:reliability` sets) or `ci` (the default, part of plain `jest`).
 */
export type Scale = 'full' | 'ci';

function readScale(): Scale {
  const raw = (process.env.ACCELNET_RELIABILITY_SCALE ?? 'ci').trim().toLowerCase();
  if (raw === 'full' || raw === 'ci') return raw;
  throw new Error(`ACCELNET_RELIABILITY_SCALE must be 'full' or 'ci', not '${raw}'`);
}

export const SCALE: Scale = readScale();

/** Picks the full-size or the CI-size value. */
export const sized = <T>(full: T, ci: T): T => (SCALE === 'full' ? full : ci);

/** A seeded pseudo-random generator (mulberry32): the same seed gives the same sequence. */
export { seededRandom } from '../../../emulator/arm/random';

/** The seed of this run: `ACCELNET_RELIABILITY_SEED` to replay one, else a fixed default. */
export const SEED = Number.parseInt(process.env.ACCELNET_RELIABILITY_SEED ?? '20261125', 10);
