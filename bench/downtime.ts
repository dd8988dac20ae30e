/**
 * Downtime of one remediated VM against ARM's own time for the operations it takes.
 *
 * The whole local twin runs here: the ARM emulator at time scale 0.01, Azurite, and the
 * Functions host running the compiled app (ACCELNET_MODE=enforce). One running single-NIC
 * VM is seeded at a time, in a fresh resource group; its write event starts a remediation run.
 * Downtime is read from the emulator's power-state timeline (real ms): from the 'deallocating'
 * entry (deallocation accepted; 'stopping' if a separate power off came first) to the final
 * 'running' entry. The lower bound is what ARM itself takes for the operations accelnet makes:
 * (deallocate + nicUpdate + start latencies) x time scale. What is left over
 * is split, from the timeline and the emulator's operation log, into the emulator's own timer
 * lag, polling (an operation ended -> the poll that saw it) and scheduling (that poll -> the
 * next ARM write: activity end, audit, orchestrator, next activity, its reads).
 *
 * Each scenario (downtime/scenarios.ts: ARM's operation durations) runs on a fresh twin.
 *
 *   npm run build && node dist/bench/downtime.js
 */
import { tmpdir } from 'node:os';
import path from 'node:path';

import { downtimeBreakdown, downtimeRows } from './downtime/report';
import { analyse, type DowntimeSample } from './downtime/sample';
import { applyScenario, DOWNTIME_SCENARIOS, type DowntimeScenario } from './downtime/scenarios';
import { criticalPathMs, type Latencies, latenciesMs } from './measure/bounds';
import { awaitOutcome } from './runners/accelnet';
import { runStandalone } from './standalone';
import { median, ms, ratio } from './support';
import { type BenchRow, markdownTable } from './table';
import type { EmulatorAdmin } from './twin/emulator-admin';
import { embeddedAdmin, startBenchTwin } from './twin/local';
import { seedBody } from './twin/seed';

export type { DowntimeSample } from './downtime/sample';
export type { DowntimeScenario } from './downtime/scenarios';

const TIME_SCALE = 0.01;
const WARMUP_VMS = 1;
const MEASURED_VMS = 5;
/** One VM's run, from seeding to its outcome, must end by then. */
const VM_TIMEOUT_MS = 30_000;
/** One request to the emulator or the host must be answered by then. */
const CALL_TIMEOUT_MS = 10_000;

export interface DowntimeBenchOptions {
  /** Measured VMs after the warm-up (default 5). */
  vms?: number;
  /** Warm-up VMs, reported as "first VM" (default 1). */
  warmups?: number;
  /** What to measure, in this order, each on a fresh twin (default DOWNTIME_SCENARIOS). */
  scenarios?: readonly DowntimeScenario[];
  /** Epoch ms by which the benchmark must be done; it stops and throws after that. */
  deadline?: number;
  /** Stops the local twin at once (the caller's hard time bound); the benchmark then fails. */
  signal?: AbortSignal;
  log?: (line: string) => void;
}

export interface DowntimeScenarioResult {
  scenario: DowntimeScenario;
  timeScale: number;
  lowerBoundMs: number;
  latenciesMs: Latencies;
  first: DowntimeSample;
  samples: DowntimeSample[];
  medianMs: number;
  worstMs: number;
  rows: BenchRow[];
  /** Markdown table: where the time goes, per step. */
  breakdown: string;
}

export interface DowntimeBenchResult {
  scenarios: DowntimeScenarioResult[];
  /** Every scenario's rows, in order. */
  rows: BenchRow[];
  /** Every scenario's breakdown table. */
  breakdown: string;
}

export async function runDowntimeBench(
  options: DowntimeBenchOptions = {},
): Promise<DowntimeBenchResult> {
  const scenarios: DowntimeScenarioResult[] = [];
  for (const scenario of options.scenarios ?? DOWNTIME_SCENARIOS)
    scenarios.push(await runScenario(scenario, options));
  return {
    scenarios,
    rows: scenarios.flatMap((s) => s.rows),
    breakdown: scenarios.map((s) => s.breakdown).join('\n\n'),
  };
}

async function runScenario(
  scenario: DowntimeScenario,
  options: DowntimeBenchOptions,
): Promise<DowntimeScenarioResult> {
  const prefix = `downtime: ${scenario.label ? `${scenario.label}: ` : ''}`;
  const log = (line: string): void =>
    (options.log ?? ((l: string) => process.stderr.write(`${l}\n`)))(`${prefix}${line}`);
  const measuredCount = options.vms ?? MEASURED_VMS;
  const warmups = Math.max(1, options.warmups ?? WARMUP_VMS);
  const deadline = options.deadline ?? Date.now() + 90_000;
  log(`starting emulator (time scale ${TIME_SCALE}), Azurite and the host`);
  const twin = await startBenchTwin({
    dataDirPrefix: path.join(tmpdir(), 'accelnet-bench-downtime-'),
    timeScale: TIME_SCALE,
    settings: { ACCELNET_MODE: 'enforce' },
    logLines: 40,
    ...(options.signal ? { signal: options.signal } : {}),
    log,
  });
  let admin: EmulatorAdmin | undefined;
  try {
    admin = embeddedAdmin(twin, CALL_TIMEOUT_MS);
    await applyScenario(admin, scenario);
    const config = await admin.config();
    const latencies = latenciesMs(config);
    const lowerBoundMs = criticalPathMs(latencies);

    const samples: DowntimeSample[] = [];
    const stamp = Date.now().toString(36);
    for (let i = 0; i < warmups + measuredCount; i += 1) {
      if (Date.now() > deadline || options.signal?.aborted)
        throw new Error(`out of time after ${i} VMs`);
      const rg = `rg-downtime-${stamp}-${i + 1}`;
      const seq = await admin.lastSeq();
      const vmId = await seedRunningVm(admin, rg);
      const view = await awaitOutcome(twin, vmId, {
        notBefore: Date.now() + lowerBoundMs,
        deadline: Math.min(deadline, Date.now() + VM_TIMEOUT_MS),
        callTimeoutMs: CALL_TIMEOUT_MS,
      });
      if (view.outcome !== 'remediated') {
        throw new Error(
          `${vmId} ended '${view.outcome}'${view.reason ? `: ${view.reason}` : ''}\n${twin.appLog.slice(-10).join('\n')}`,
        );
      }
      // Read now: the next seeding restarts every VM's timeline.
      const sample = analyse(
        vmId,
        await admin.timeline(vmId),
        await admin.operations(seq),
        latencies,
      );
      samples.push(sample);
      log(
        `${i < warmups ? 'warm-up' : 'measured'} VM ${i + 1}: ${ms(sample.downtimeMs)} (${ratio(sample.downtimeMs, lowerBoundMs)}), ${sample.reads} reads (${sample.polls} polls), ${sample.writes} writes`,
      );
    }

    const first = samples[0] as DowntimeSample;
    const measured = samples.slice(warmups);
    const report = { label: scenario.label, config, latencies, lowerBoundMs, first, measured };
    return {
      scenario,
      timeScale: config.timeScale,
      lowerBoundMs,
      latenciesMs: latencies,
      first,
      samples: measured,
      medianMs: median(measured.map((s) => s.downtimeMs)),
      worstMs: Math.max(...measured.map((s) => s.downtimeMs)),
      rows: downtimeRows(report),
      breakdown: downtimeBreakdown(report),
    };
  } finally {
    admin?.close();
    await twin.stop();
  }
}

/**
 * One running single-NIC VM in its own resource group; its write event starts a run. Its size
 * (Dsv3) does not require AN, so it is remediated through a deallocation: the downtime measured.
 */
async function seedRunningVm(admin: EmulatorAdmin, resourceGroup: string): Promise<string> {
  const [vm] = await admin.seed(
    seedBody(resourceGroup, [
      { name: 'vm', size: 'Standard_D4s_v3', acceleratedNetworking: false, powerState: 'running' },
    ]),
  );
  if (!vm) throw new Error(`seeding ${resourceGroup} returned no VM`);
  return vm.id;
}

runStandalone(module, 115_000, async () => {
  const result = await runDowntimeBench({ deadline: Date.now() + 100_000 });
  process.stdout.write(`\n${markdownTable(result.rows)}\n\n${result.breakdown}\n`);
});
