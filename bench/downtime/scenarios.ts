/**
 * The conditions a remediated VM's downtime is measured under: how long ARM's operations take.
 * A scenario is a line here; `npm run bench` measures each on a fresh local twin.
 */
import type { EmulatorAdmin } from '../twin/emulator-admin';

export interface DowntimeScenario {
  /** Prefixes the scenario's rows (none for the first, Azure's typical durations). */
  label?: string;
  /** Multiplies every operation duration of the emulator: 0.4 is 2.5 times faster, 2 slower. */
  latencyFactor?: number;
}

/** Azure's typical durations: the emulator's own, from recordings of the real SDK. */
export const AZURE_TYPICAL: DowntimeScenario = {};

/**
 * The scenarios `npm run bench` measures, in this order. The service is told none of them: it
 * polls as ARM answers (Retry-After, the operation's own times) and learns from what it sees.
 */
export const DOWNTIME_SCENARIOS: readonly DowntimeScenario[] = [
  AZURE_TYPICAL,
  { label: 'ARM 2.5x faster', latencyFactor: 0.4 },
  { label: 'ARM 2x slower', latencyFactor: 2 },
];

/** Sets the scenario's operation durations on the emulator. */
export async function applyScenario(
  admin: EmulatorAdmin,
  scenario: DowntimeScenario,
): Promise<void> {
  const factor = scenario.latencyFactor;
  if (factor === undefined || factor === 1) return;
  const { latencies } = await admin.config();
  // To the Azure ms, so that the rows read 11.84 s rather than 11.840000000000002.
  const scaled = (s: number): number => Math.round(s * factor * 1000) / 1000;
  await admin.setConfig({
    latencies: Object.fromEntries(Object.entries(latencies).map(([name, s]) => [name, scaled(s)])),
  });
}
