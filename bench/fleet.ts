/**
 * A mixed fleet of 1,000 VMs, three ways, against the ARM emulator at time scale 0.01 with
 * throttling on (ARM's default buckets per subscription and principal):
 *
 * - accelnet: the local twin (Azurite + the Functions host running the compiled app, in report
 *   mode so nothing but the bulk run acts), POST /api/remediations over the subscription,
 *   followed until the run completes. Twice: with the host's concurrent activities raised by
 *   app setting (the measured run), and as host.json deploys it, bounded and extrapolated;
 * - the documented procedure as a sequential loop (deallocate, NIC GET + PUT, start, VM by VM,
 *   the real SDK clients awaiting every poller), measured on 50 VMs and scaled linearly;
 * - naive unbounded parallelism: the same procedure in one `Promise.all` over every eligible
 *   VM, with the SDK's default retry policy.
 *
 * The emulator runs in its own process (as ARM does not share the app's CPU) and every approach
 * starts from a fresh state of it (reset + reseed with events off). Every number comes from
 * the emulator: its operation log (requests per principal: reads, writes, 429s) and its
 * power-state timelines (VMs down at once, downtime, final states). The baseline is the lower
 * bound of any approach that honours ARM's limits: max(one VM's critical path, the writes the
 * fleet needs / the write bucket's refill).
 *
 * Another fleet is a variant (FLEET_VARIANTS): a mix (fleet/mix.ts) and the phases to run on it.
 *
 *   npm run build && node dist/bench/fleet.js
 *   BENCH_FLEET_MAX_PARALLEL=200 BENCH_FLEET_PHASES=accelnet node dist/bench/fleet.js
 */
import { setMaxListeners } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import {
  type Fleet,
  type FleetMix,
  fleetOf,
  seedFresh,
  STANDARD_MIX,
  V5_HEAVY_MIX,
} from './fleet/mix';
import { type PerVmBreakdown, perVmBreakdown } from './fleet/per-vm';
import {
  accelnetPhase,
  type FleetPhase,
  type FleetPhaseResult,
  naivePhase,
  type PhaseContext,
  sequentialPhase,
} from './fleet/phases';
import { fleetTable, perVmTable } from './fleet/report';
import { type FleetBounds, fleetBounds } from './measure/bounds';
import { deployedActivitySlots } from './runners/accelnet';
import { runStandalone } from './standalone';
import { fmt, seconds } from './support';
import { type EmulatorProcess, startEmulatorProcess } from './twin/emulator-process';

export type { FleetMix } from './fleet/mix';
export type { FleetPhase, FleetPhaseResult } from './fleet/phases';

/** ARM's clock against real time: 0.01 runs 100x faster than Azure (BENCH_FLEET_TIME_SCALE to explore). */
const TIME_SCALE = Number(process.env.BENCH_FLEET_TIME_SCALE) || 0.01;
/**
 * Lanes of the accelnet run. The lower bound is write-limited (3,250 writes at 1,000/s against
 * one VM's 1.13 s), which would take ~280 VMs in flight; but on the local twin the host's own
 * work per VM (orchestration episodes, activities, audit rows) saturates its event loop well
 * before the write bucket binds (no 429s at any lane count). Measured on this fleet (wall s):
 * 60: 24.6, 80: 21.4, 100: 19.6, 120: 20.4, 150: 20.3, 250: 22.6, 400: 28.8. Past ~100 lanes
 * every VM waits longer on the busy loop, so more lanes only put more VMs down at once.
 */
const DEFAULT_MAX_PARALLEL = 100;
/**
 * The host's concurrent activities for the measured run, by the app setting that overrides
 * host.json. Activities wait on ARM's long-running operations while they hold their slot, so
 * host.json's value (read from it) caps the VMs in flight whatever maxParallel says; 500 is
 * maxParallel's own ceiling.
 */
const DEFAULT_ACTIVITY_SLOTS = 500;
/** How long the as-deployed run goes before it is stopped and extrapolated (ms). */
const DEPLOYED_RUN_MS = 12_000;
const SEQUENTIAL_VMS = 50;
const ALL_PHASES: FleetPhase[] = ['accelnet', 'accelnet-deployed', 'sequential', 'naive'];
/** What a phase may take at most (ms), and what is kept for it while earlier phases run. */
const PHASE_CAP_MS: Record<FleetPhase, number> = {
  accelnet: 90_000,
  'accelnet-deployed': DEPLOYED_RUN_MS,
  sequential: 120_000,
  naive: 60_000,
};
const PHASE_RESERVE_MS: Record<FleetPhase, number> = {
  accelnet: 30_000,
  'accelnet-deployed': 20_000,
  sequential: 60_000,
  naive: 30_000,
};

/** A fleet and the approaches to run on it, each on a fresh seed of it. */
export interface FleetVariant {
  mix: FleetMix;
  /** Default: the benchmark's `phases` (all, or BENCH_FLEET_PHASES). */
  phases?: FleetPhase[];
  /** VMs the sequential loop is timed on (default: the benchmark's). */
  sequentialVms?: number;
}

/**
 * The fleets `npm run bench` runs, in this order, each with its own two tables. The v5-heavy
 * fleet is run by accelnet and by the documented procedure only: its row is the total downtime
 * against that procedure's, which deallocates every running VM.
 */
export const FLEET_VARIANTS: readonly FleetVariant[] = [
  { mix: STANDARD_MIX },
  { mix: V5_HEAVY_MIX, phases: ['accelnet', 'sequential'], sequentialVms: 20 },
];

export interface FleetBenchOptions {
  /** Lanes of the accelnet runs (default 100, or BENCH_FLEET_MAX_PARALLEL). */
  maxParallel?: number;
  /** The host's concurrent activities in the measured accelnet run (default 500, or BENCH_FLEET_ACTIVITY_SLOTS). */
  activitySlots?: number;
  /** VMs the sequential loop is measured on (default 50). */
  sequentialVms?: number;
  /** Which approaches to run, in this order (default all, or BENCH_FLEET_PHASES=a,b). */
  phases?: FleetPhase[];
  /** The fleets, in this order (default FLEET_VARIANTS). */
  variants?: readonly FleetVariant[];
  /** Epoch ms by which the benchmark must be done; phases are cut short to stay within it. */
  deadline?: number;
  /** Stops everything at once (the caller's hard time bound); the benchmark then fails. */
  signal?: AbortSignal;
  log?: (line: string) => void;
}

export interface FleetVariantResult {
  mix: FleetMix;
  bounds: FleetBounds;
  phases: FleetPhaseResult[];
  /** accelnet's requests per remediated running single-NIC VM (after an 'accelnet' phase). */
  perVm: PerVmBreakdown | undefined;
  /** Markdown: the approaches against the lower bound. */
  table: string;
  /** Markdown: accelnet's requests per remediated running single-NIC VM ('' without one). */
  perVmTable: string;
}

export interface FleetBenchResult {
  maxParallel: number;
  activitySlots: number;
  variants: FleetVariantResult[];
}

export async function runFleetBench(options: FleetBenchOptions = {}): Promise<FleetBenchResult> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const deadline = options.deadline ?? Date.now() + 200_000;
  const maxParallel =
    options.maxParallel ?? (Number(process.env.BENCH_FLEET_MAX_PARALLEL) || DEFAULT_MAX_PARALLEL);
  const activitySlots =
    options.activitySlots ??
    (Number(process.env.BENCH_FLEET_ACTIVITY_SLOTS) || DEFAULT_ACTIVITY_SLOTS);
  const deployedSlots = deployedActivitySlots();
  const fromEnv = (process.env.BENCH_FLEET_PHASES ?? '')
    .split(',')
    .filter((p): p is FleetPhase => (ALL_PHASES as string[]).includes(p));
  const phases = options.phases ?? (fromEnv.length > 0 ? fromEnv : ALL_PHASES);
  const variants = (options.variants ?? FLEET_VARIANTS).map((v) => ({
    fleet: fleetOf(v.mix),
    phases: v.phases ?? phases,
    sequentialVms: v.sequentialVms,
    results: [] as FleetPhaseResult[],
    perVm: undefined as PerVmBreakdown | undefined,
  }));
  const steps = variants.flatMap((variant) => variant.phases.map((phase) => ({ variant, phase })));

  const stopAll = new AbortController();
  setMaxListeners(0, stopAll.signal);
  const dataRoot = mkdtempSync(path.join(tmpdir(), 'accelnet-bench-fleet-'));
  let em: EmulatorProcess | undefined;
  const onAbort = (): void => {
    stopAll.abort(new Error('stopped'));
    void em?.stop().catch((error: unknown) => log(`fleet: stopping failed: ${String(error)}`));
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const remaining = (): number => deadline - Date.now();
  const checkTime = (what: string): void => {
    if (stopAll.signal.aborted) throw new Error(`fleet: stopped before ${what}`);
    if (remaining() <= 0) throw new Error(`fleet: out of time before ${what}`);
  };
  /** What step `i` may take: its own cap, and never the time the steps after it need. */
  const budgetFor = (i: number, phase: FleetPhase): number => {
    const after = steps.slice(i + 1);
    const reserve = after.reduce((ms, step) => ms + PHASE_RESERVE_MS[step.phase], 3_000);
    return Math.min(PHASE_CAP_MS[phase], remaining() - reserve);
  };

  try {
    log(`fleet: starting the ARM emulator (time scale ${TIME_SCALE}, throttling on)`);
    em = await startEmulatorProcess({ timeScale: TIME_SCALE });
    const emulator = em;
    const caFile = path.join(dataRoot, 'emulator-ca.pem');
    writeFileSync(caFile, emulator.caPem);
    const config = await emulator.admin.config();
    const boundsOf = (fleet: Fleet): FleetBounds =>
      fleetBounds(
        config,
        {
          running: fleet.running.length,
          inPlace: fleet.inPlace.length,
          deallocated: fleet.deallocated.length,
        },
        maxParallel,
      );
    for (const { fleet } of variants) {
      const b = boundsOf(fleet);
      log(
        `fleet: lower bound ${seconds(b.lowerBoundMs)} = max(critical path ${seconds(b.criticalPathMs)}, ${b.neededWrites} writes / ${fmt(b.writesPerSecond)} per s = ${seconds(b.writesBoundMs)})`,
      );
    }

    for (const [i, { variant, phase }] of steps.entries()) {
      const { fleet } = variant;
      checkTime(phase);
      log(`fleet: ${phase}: fresh emulator, seeding ${fleet.size} VMs`);
      await seedFresh(emulator.admin, fleet, TIME_SCALE);
      const ctx: PhaseContext = {
        phase,
        emulator,
        caFile,
        dataRoot,
        fleet,
        timeScale: TIME_SCALE,
        maxParallel,
        writesPerSecond: boundsOf(fleet).writesPerSecond,
        budgetMs: budgetFor(i, phase),
        deadline,
        signal: stopAll.signal,
        log: (line) => log(`fleet: ${line}`),
      };
      if (phase === 'accelnet') {
        const { result, ops } = await accelnetPhase(ctx, {
          label: `accelnet bulk remediation (maxParallel ${maxParallel}, ${activitySlots} concurrent activities)`,
          activitySlots,
        });
        variant.results.push(result);
        variant.perVm = perVmBreakdown(fleet, ops);
      } else if (phase === 'accelnet-deployed') {
        const { result } = await accelnetPhase(ctx, {
          label: `accelnet as deployed (host.json: ${deployedSlots} concurrent activities), maxParallel ${maxParallel}`,
          activitySlots: deployedSlots,
          boundMs: DEPLOYED_RUN_MS,
        });
        variant.results.push(result);
      } else if (phase === 'sequential') {
        const sampleSize = Math.min(
          fleet.eligible.length,
          variant.sequentialVms ?? options.sequentialVms ?? SEQUENTIAL_VMS,
        );
        variant.results.push(await sequentialPhase(ctx, sampleSize));
      } else {
        variant.results.push(await naivePhase(ctx));
      }
    }

    return {
      maxParallel,
      activitySlots,
      variants: variants.map(({ fleet, results, perVm }) => {
        const bounds = boundsOf(fleet);
        const table = fleetTable({
          fleet,
          bounds,
          timeScale: TIME_SCALE,
          maxParallel,
          activitySlots,
          deployedActivitySlots: deployedSlots,
          phases: results,
        });
        return {
          mix: fleet.mix,
          bounds,
          phases: results,
          perVm,
          table,
          perVmTable: perVmTable(perVm),
        };
      }),
    };
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    stopAll.abort(new Error('done'));
    await em?.stop();
    rmSync(dataRoot, { recursive: true, force: true });
  }
}

/** Each variant's two tables, as `npm run bench` prints them. */
export function fleetMarkdown(result: FleetBenchResult): string {
  return result.variants.map((v) => `${v.table}\n\n${v.perVmTable}`).join('\n\n');
}

runStandalone(module, 230_000, async () => {
  const result = await runFleetBench({ deadline: Date.now() + 200_000 });
  process.stdout.write(`\n${fleetMarkdown(result)}\n`);
});
