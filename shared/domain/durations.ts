/**
 * How long ARM's operations take in Azure, in milliseconds, from real SDK recordings
 * (powerOff 4.7 s, deallocate 29.6 s, start from deallocated 75.6 s); a lone NIC update
 * takes a few seconds. Starting points only: the timer learns the real durations.
 */
export const TYPICAL_DURATIONS_MS: Readonly<Record<string, number>> = {
  powerOff: 4_700,
  deallocate: 29_600,
  start: 75_600,
  nicUpdate: 3_000,
};
