/**
 * The fleet benchmark's phases: each approach's runner on the seeded fleet, then what the
 * emulator saw of it (requests, 429s, VMs down at once, VMs not left as expected) as one result.
 */
import path from 'node:path';

import {
  APP_PRINCIPAL,
  countOperations,
  isRead,
  type OperationCounts,
} from '../measure/operations';
import { downIntervals, maxOverlap } from '../measure/timelines';
import { runBulk } from '../runners/accelnet';
import { runAllAtOnce, runSequentially, type Target } from '../runners/documented';
import { sdkClients } from '../runners/sdk';
import { fmt, mean, median, seconds, sleep } from '../support';
import type { LoggedOperation } from '../twin/emulator-admin';
import type { EmulatorProcess } from '../twin/emulator-process';
import { SUBSCRIPTION_ID } from '../twin/seed';
import { failedVms, type Fleet } from './mix';

export type FleetPhase = 'accelnet' | 'accelnet-deployed' | 'sequential' | 'naive';

const SEQUENTIAL_PRINCIPAL = 'bench-sequential';
const NAIVE_PRINCIPAL = 'bench-naive';

/** What one approach did, from the emulator's point of view. */
export interface FleetPhaseResult {
  phase: FleetPhase;
  label: string;
  /** Wall time (ms); for the sequential loop and a bounded run, extrapolated to the fleet. */
  wallMs: number;
  /** Measured wall time (ms) and the eligible VMs the approach was given. */
  measuredMs: number;
  vms: number;
  /** Eligible VMs left remediated when it ended. */
  done: number;
  /** The wall time is an extrapolation from part of the work. */
  extrapolated: boolean;
  /** Ended by its time bound before it was done. */
  cutShort: boolean;
  reads: number;
  writes: number;
  throttled: number;
  failedVms: number;
  failures: string[];
  maxDown: number;
  /** Downtime of the VMs that were running (power off accepted -> running again), ms. */
  downtimeMedianMs: number;
  downtimeMaxMs: number;
  /** Downtime summed over the fleet's VMs (for a sample, scaled to the fleet), ms. */
  totalDowntimeMs: number;
  note: string;
}

/** What a phase runs on and may take. */
export interface PhaseContext {
  phase: FleetPhase;
  emulator: EmulatorProcess;
  /** The emulator's CA, for the app. */
  caFile: string;
  /** Where a twin makes its data directory. */
  dataRoot: string;
  fleet: Fleet;
  timeScale: number;
  maxParallel: number;
  /** The write bucket's refill in real time. */
  writesPerSecond: number;
  /** What this phase may take (ms). */
  budgetMs: number;
  /** Epoch ms by which the whole benchmark must be done. */
  deadline: number;
  /** Stops everything at once. */
  signal: AbortSignal;
  log: (line: string) => void;
}

interface Observed {
  ops: LoggedOperation[];
  counts: OperationCounts;
  failures: string[];
  maxDown: number;
  downtimes: number[];
}

/**
 * What the emulator saw. `documented`: the approach follows the documented procedure, which
 * deallocates every running VM, those of sizes fixed in place included; that is not a failure.
 */
async function observe(
  ctx: PhaseContext,
  principal: string,
  scope: ReadonlySet<string>,
  endAt: number,
  documented = false,
): Promise<Observed> {
  const ops = await ctx.emulator.admin.operations();
  const vms = await ctx.emulator.admin.vms();
  const intervals = downIntervals(vms, endAt);
  return {
    ops,
    counts: countOperations(ops, principal),
    failures: failedVms(ctx.fleet, vms, scope, { inPlaceStaysUp: !documented }),
    maxDown: maxOverlap(intervals),
    downtimes: intervals.map(([from, to]) => to - from),
  };
}

function phaseResult(
  base: Pick<
    FleetPhaseResult,
    'phase' | 'label' | 'wallMs' | 'measuredMs' | 'vms' | 'extrapolated' | 'cutShort' | 'note'
  >,
  seen: Observed,
  extraFailures: string[] = [],
): FleetPhaseResult {
  const failures = [...extraFailures, ...seen.failures];
  const failed = new Set(failures.map((f) => f.split(':')[0]));
  return {
    ...base,
    done: base.vms - seen.failures.filter((f) => !f.includes('out of scope')).length,
    reads: seen.counts.reads,
    writes: seen.counts.writes,
    throttled: seen.counts.throttled,
    failedVms: failed.size,
    failures: failures.slice(0, 5),
    maxDown: seen.maxDown,
    downtimeMedianMs: median(seen.downtimes),
    downtimeMaxMs: seen.downtimes.length > 0 ? Math.max(...seen.downtimes) : NaN,
    totalDowntimeMs: seen.downtimes.reduce((a, b) => a + b, 0),
  };
}

export interface AccelnetRun {
  label: string;
  activitySlots: number;
  /** Stop the run after this long and extrapolate (the as-deployed run). */
  boundMs?: number;
}

/** One bulk run on a fresh local twin with `run.activitySlots` concurrent activities. */
export async function accelnetPhase(
  ctx: PhaseContext,
  run: AccelnetRun,
): Promise<{ result: FleetPhaseResult; ops: LoggedOperation[] }> {
  const { phase, fleet } = ctx;
  if (ctx.budgetMs < 5_000) throw new Error(`fleet: no time left for ${phase}`);
  const bulk = await runBulk({
    emulator: { url: ctx.emulator.url, caFile: ctx.caFile },
    timeScale: ctx.timeScale,
    dataDirPrefix: path.join(ctx.dataRoot, 'twin-'),
    subscriptionId: SUBSCRIPTION_ID,
    maxParallel: ctx.maxParallel,
    activitySlots: run.activitySlots,
    budgetMs: ctx.budgetMs,
    deadline: ctx.deadline,
    signal: ctx.signal,
    log: (line) => ctx.log(`${phase}: ${line}`),
  });
  const elapsed = bulk.elapsedMs;
  const seen = await observe(ctx, APP_PRINCIPAL, new Set(fleet.eligible), bulk.endAt);
  const firstWrite = seen.ops.find((op) => op.principal === APP_PRINCIPAL && !isRead(op));
  const planMs = firstWrite ? Date.parse(firstWrite.time) - bulk.postedAt : NaN;
  const cut = run.boundMs !== undefined && !bulk.completed;
  const done = fleet.eligible.length - seen.failures.length;
  const result = phaseResult(
    {
      phase,
      label: run.label,
      wallMs: cut && done > 0 ? (elapsed * fleet.eligible.length) / done : elapsed,
      measuredMs: elapsed,
      vms: fleet.eligible.length,
      extrapolated: cut,
      cutShort: !bulk.completed && !cut,
      note: [
        cut
          ? `stopped at its ${seconds(elapsed)} bound with ${done} of ${fleet.eligible.length} VMs remediated (${fmt((done * 1000) / elapsed, 1)} VMs/s), EXTRAPOLATED linearly`
          : bulk.completed
            ? bulk.summary
            : `NOT DONE after ${seconds(elapsed)}: ${bulk.runtimeStatus ?? 'running'}`,
        `plan ${seconds(planMs)} (POST -> first write)`,
      ].join('; '),
    },
    seen,
  );
  if (cut) {
    // VMs still in flight at the cut are not failures of the approach.
    result.failedVms = 0;
    result.failures = [];
  }
  ctx.log(
    `${phase}: ${seconds(elapsed)}, ${done} VMs done, ${seen.counts.writes} writes, ${seen.counts.reads} reads, ${seen.counts.throttled} 429s, ${seen.maxDown} down at once`,
  );
  if (!bulk.completed && !cut)
    for (const line of bulk.appLog.slice(-5)) ctx.log(`  ${line.slice(0, 300)}`);
  return { result, ops: seen.ops };
}

/** The documented procedure VM by VM on a sample, its time scaled linearly to the fleet. */
export async function sequentialPhase(
  ctx: PhaseContext,
  sampleSize: number,
): Promise<FleetPhaseResult> {
  const { fleet } = ctx;
  // A sample in the fleet's proportions: running VMs (the procedure deallocates those of sizes
  // fixed in place too), then deallocated ones.
  const running = [...fleet.running, ...fleet.inPlace];
  const deallocatedShare = Math.round(
    (sampleSize * fleet.deallocated.length) / fleet.eligible.length,
  );
  const sample: Target[] = [
    ...running.slice(0, sampleSize - deallocatedShare).map((vm) => ({ vm, running: true })),
    ...fleet.deallocated.slice(0, deallocatedShare).map((vm) => ({ vm, running: false })),
  ].map((t) => ({ ...t, resourceGroup: fleet.resourceGroup }));
  const clients = sdkClients(ctx.emulator, SEQUENTIAL_PRINCIPAL);
  const { perClass, errors, measuredMs } = await runSequentially(
    clients,
    sample,
    ctx.signal,
    ctx.budgetMs,
  );
  const scaled =
    mean(perClass.running) * running.length + mean(perClass.deallocated) * fleet.deallocated.length;
  const timed = perClass.running.length + perClass.deallocated.length;
  const seen = await observe(
    ctx,
    SEQUENTIAL_PRINCIPAL,
    new Set(sample.map((s) => s.vm)),
    Date.now(),
    true,
  );
  ctx.log(`sequential: ${seconds(measuredMs)} for ${timed} VMs -> ${seconds(scaled)} scaled`);
  const result = phaseResult(
    {
      phase: ctx.phase,
      label: `Documented procedure, sequential loop (${sample.length} VMs, scaled)`,
      wallMs: scaled,
      measuredMs,
      vms: sample.length,
      extrapolated: true,
      // Fewer timed VMs than planned (the time bound) still scale; none do not.
      cutShort: timed === 0,
      note: `measured on ${timed} of ${sample.length} VMs (${perClass.running.length} running, ${perClass.deallocated.length} deallocated) in ${seconds(measuredMs)}, SCALED LINEARLY to ${running.length} + ${fleet.deallocated.length}: ${fmt(mean(perClass.running))} ms per running VM, ${fmt(mean(perClass.deallocated))} ms per deallocated one`,
    },
    seen,
    errors,
  );
  // Every running VM of the fleet goes down once, as the sample's did.
  result.totalDowntimeMs = mean(seen.downtimes) * running.length;
  return result;
}

/** Naive: every eligible VM at once, the SDK's default retries, until all settle. */
export async function naivePhase(ctx: PhaseContext): Promise<FleetPhaseResult> {
  const { fleet } = ctx;
  const clients = sdkClients(ctx.emulator, NAIVE_PRINCIPAL);
  const targets = fleet.eligible.map((vm) => ({
    resourceGroup: fleet.resourceGroup,
    vm,
    running: fleet.kindOf(vm) === 'running' || fleet.kindOf(vm) === 'in-place',
  }));
  const { errors, elapsedMs, cutShort } = await runAllAtOnce(
    clients,
    targets,
    ctx.signal,
    ctx.budgetMs,
  );
  const seen = await observe(ctx, NAIVE_PRINCIPAL, new Set(fleet.eligible), Date.now(), true);
  const firstError = [...errors.values()][0]?.split('\n')[0]?.slice(0, 140);
  const throttledErrors = [...errors.values()].filter((e) => /throttl|429/i.test(e)).length;
  ctx.log(`naive: ${seconds(elapsedMs)}, ${seen.counts.throttled} 429s, ${errors.size} VMs threw`);
  // Let aborted pollers and retries unwind before the next reset.
  await sleep(200);
  return phaseResult(
    {
      phase: ctx.phase,
      label: 'Naive Promise.all over every eligible VM (SDK default retries)',
      wallMs: elapsedMs,
      measuredMs: elapsedMs,
      vms: fleet.eligible.length,
      extrapolated: false,
      cutShort,
      note: `${errors.size} VMs threw${errors.size > 0 ? ` (${throttledErrors} on 429s${firstError ? `, e.g. ${firstError}` : ''})` : ''}; ${seen.counts.throttled > 0 ? `the SDK retried every 429 that did not end a VM (Retry-After honoured)` : 'no request met an empty bucket'}: the ${fleet.eligible.length} VMs' requests are spread by the client's own ramp-up (TLS connections, CPU) while the write bucket refills at ${fmt(ctx.writesPerSecond)}/s at this time scale${cutShort ? `; stopped at its ${seconds(ctx.budgetMs)} bound` : ''}`,
    },
    seen,
    [...errors.keys()].map((vm) => `${vm}: threw`),
  );
}
