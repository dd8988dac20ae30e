/**
 * A mixed fleet of 1,000 VMs, three ways, against the ARM emulator at time scale 0.01 with
 * throttling on (ARM's default buckets per subscription and principal):
 *
 * - accelnet: the local twin (Azurite + the Functions host running the compiled app, in report
 *   mode so nothing but the bulk run acts), POST /api/remediations over the subscription,
 *   followed until the run completes. Twice: with the host's concurrent activities raised by
 *   app setting (the measured run), and as host.json deploys it (10), bounded and extrapolated;
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
 *   npm run build && node dist/bench/fleet.js
 *   BENCH_FLEET_MAX_PARALLEL=200 BENCH_FLEET_PHASES=accelnet node dist/bench/fleet.js
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { setMaxListeners } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { ComputeManagementClient } from '@azure/arm-compute';
import { NetworkManagementClient } from '@azure/arm-network';
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import { tlsPolicy } from '@azure/core-rest-pipeline';

import { type LocalTwin, startLocal } from '../host/local';
import { call, fmt, median, sleep } from './support';
import { markdownGrid } from './table';

const CLI_MAIN = path.join(__dirname, '../cli/main.js');
const SUB = '00000000-0000-0000-0000-000000000001';
const RG = 'rg-fleet';
/** ARM's clock against real time: 0.01 runs 100x faster than Azure (BENCH_FLEET_TIME_SCALE to explore). */
const TIME_SCALE = Number(process.env.BENCH_FLEET_TIME_SCALE) || 0.01;
const APP_PRINCIPAL = 'accelnet';
const SEQUENTIAL_PRINCIPAL = 'bench-sequential';
const NAIVE_PRINCIPAL = 'bench-naive';
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
 * host.json's 10 caps a bulk run at ~10 VMs in flight whatever maxParallel says; 500 is
 * maxParallel's own ceiling.
 */
const DEFAULT_ACTIVITY_SLOTS = 500;
const ACTIVITY_SLOTS_SETTING =
  'AzureFunctionsJobHost__extensions__durableTask__maxConcurrentActivityFunctions';
/** host.json's maxConcurrentActivityFunctions, as deployed (what the local host reads too). */
const DEPLOYED_ACTIVITY_SLOTS = hostJsonActivitySlots();

function hostJsonActivitySlots(): number {
  const file = path.join(__dirname, '../../host.json');
  const json = JSON.parse(readFileSync(file, 'utf8')) as {
    extensions?: { durableTask?: { maxConcurrentActivityFunctions?: unknown } };
  };
  const value = json.extensions?.durableTask?.maxConcurrentActivityFunctions;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1)
    throw new Error(`${file}: extensions.durableTask.maxConcurrentActivityFunctions is not set`);
  return value;
}
/** How long the as-deployed run goes before it is stopped and extrapolated (ms). */
const DEPLOYED_RUN_MS = 12_000;
const SEQUENTIAL_VMS = 50;
/** Poll interval of the SDK pollers of the two scripted approaches (real ms). */
const SCRIPT_POLL_MS = 20;
const TARGET_SPEEDUP = 20;
const TARGET_BOUND_RATIO = 1.25;
const TARGET_WRITES = 6;
const TARGET_READS = 10;

const JAMMY = {
  publisher: 'Canonical',
  offer: '0001-com-ubuntu-server-jammy',
  sku: '22_04-lts-gen2',
};

/** The fleet, by name prefix: what each group is and what a run must leave it as. */
const GROUPS = [
  { name: 'web', count: 800, kind: 'running', size: 'Standard_D4s_v5', an: false },
  { name: 'batch', count: 50, kind: 'deallocated', size: 'Standard_D4s_v5', an: false },
  { name: 'api', count: 50, kind: 'compliant', size: 'Standard_D4s_v5', an: true },
  { name: 'tiny', count: 50, kind: 'unsupported', size: 'Standard_B2s', an: false },
  { name: 'payments', count: 50, kind: 'opted-out', size: 'Standard_D4s_v5', an: false },
] as const;
type GroupKind = (typeof GROUPS)[number]['kind'];

const FLEET = {
  subscriptionId: SUB,
  location: 'westus2',
  resourceGroups: [
    {
      name: RG,
      vms: GROUPS.map((g) => ({
        name: g.name,
        count: g.count,
        size: g.size,
        osType: 'Linux',
        image: JAMMY,
        nics: 1,
        acceleratedNetworking: g.an,
        powerState: g.kind === 'deallocated' ? 'deallocated' : 'running',
        ...(g.kind === 'opted-out' ? { tags: { 'accelnet-exempt': 'true' } } : {}),
      })),
    },
  ],
};
const FLEET_SIZE = GROUPS.reduce((n, g) => n + g.count, 0);

/** The group a VM name (`web-17`) belongs to. */
function kindOf(vmName: string): GroupKind | undefined {
  const prefix = vmName.replace(/-\d+$/, '').toLowerCase();
  return GROUPS.find((g) => g.name === prefix)?.kind;
}

const namesOf = (kind: GroupKind): string[] => {
  const g = GROUPS.find((x) => x.kind === kind);
  return g ? Array.from({ length: g.count }, (_, i) => `${g.name}-${i + 1}`) : [];
};
const RUNNING = namesOf('running');
const DEALLOCATED = namesOf('deallocated');
const ELIGIBLE = [...RUNNING, ...DEALLOCATED];

export type FleetPhase = 'accelnet' | 'accelnet-deployed' | 'sequential' | 'naive';
const ALL_PHASES: FleetPhase[] = ['accelnet', 'accelnet-deployed', 'sequential', 'naive'];

export interface FleetBenchOptions {
  /** Lanes of the accelnet runs (default 100, or BENCH_FLEET_MAX_PARALLEL). */
  maxParallel?: number;
  /** The host's concurrent activities in the measured accelnet run (default 500, or BENCH_FLEET_ACTIVITY_SLOTS). */
  activitySlots?: number;
  /** VMs the sequential loop is measured on (default 50). */
  sequentialVms?: number;
  /** Which approaches to run, in this order (default all, or BENCH_FLEET_PHASES=a,b). */
  phases?: FleetPhase[];
  /** Epoch ms by which the benchmark must be done; phases are cut short to stay within it. */
  deadline?: number;
  /** Stops everything at once (the caller's hard time bound); the benchmark then fails. */
  signal?: AbortSignal;
  log?: (line: string) => void;
}

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
  note: string;
}

/** accelnet's ARM requests per remediated running single-NIC VM. */
export interface PerVmBreakdown {
  vms: number;
  writes: Record<string, number>;
  reads: Record<string, number>;
  /** Discovery and SKU reads of the plan, per eligible VM. */
  planReadsPerVm: number;
  totalWrites: number;
  totalReads: number;
}

export interface FleetBenchResult {
  lowerBoundMs: number;
  criticalPathMs: number;
  writesBoundMs: number;
  neededWrites: number;
  maxParallel: number;
  activitySlots: number;
  phases: FleetPhaseResult[];
  perVm: PerVmBreakdown | undefined;
  /** Markdown: the approaches against the lower bound. */
  table: string;
  /** Markdown: accelnet's requests per remediated running single-NIC VM. */
  perVmTable: string;
}

// --- HTTP --------------------------------------------------------------------------------------

function credential(principal: string): TokenCredential {
  return {
    getToken: (): Promise<AccessToken> =>
      Promise.resolve({ token: principal, expiresOnTimestamp: Date.now() + 3_600_000 }),
  };
}

// --- the emulator ------------------------------------------------------------------------------

interface LoggedOperation {
  seq: number;
  time: string;
  principal: string;
  method: string;
  path: string;
  operation: string;
  status: number;
}

interface VmView {
  id: string;
  name: string;
  powerState: string;
  nics: {
    id: string;
    enableAcceleratedNetworking: boolean;
    acceleratedNetworkingEffective: boolean;
  }[];
  timeline?: { powerState: string; at: number }[];
}

interface EmulatorConfigView {
  timeScale: number;
  latencies: Record<'powerOff' | 'deallocate' | 'nicUpdate' | 'start', number>;
  throttling: {
    enabled: boolean;
    reads: { bucket: number; refillPerSecond: number };
    writes: { bucket: number; refillPerSecond: number };
  };
}

const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

/** The ARM emulator in its own process (the `accelnet emulator` bin) and its admin API. */
class Emulator {
  private readonly agent: https.Agent;

  private constructor(
    readonly url: string,
    readonly caPem: string,
    private readonly stopChild: () => Promise<void>,
  ) {
    this.agent = new https.Agent({ keepAlive: true, ca: caPem });
  }

  static async start(): Promise<Emulator> {
    const proc = spawn(
      process.execPath,
      [CLI_MAIN, 'emulator', '--port', '0', '--time-scale', String(TIME_SCALE)],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    children.add(proc);
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    void exited.then(() => children.delete(proc));
    const stop = async (): Promise<void> => {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    };
    let stderr = '';
    proc.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-2000);
    });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        const timer = setTimeout(
          () => reject(new Error(`the emulator did not start in 20 s: ${stderr}`)),
          20_000,
        );
        proc.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
          out += chunk;
          const m = /ARM emulator listening on (https:\/\/127\.0\.0\.1:\d+)/.exec(out);
          if (m?.[1]) {
            clearTimeout(timer);
            resolve(m[1]);
          }
        });
        void exited.then(() => {
          clearTimeout(timer);
          reject(new Error(`the emulator exited (${proc.exitCode}): ${stderr}`));
        });
      });
      const ca = await call(`${url}/_emulator/ca.pem`, { rejectUnauthorized: false, agent: false });
      if (ca.status !== 200) throw new Error(`GET /_emulator/ca.pem answered ${ca.status}`);
      return new Emulator(url, ca.body, stop);
    } catch (error) {
      await stop();
      throw error;
    }
  }

  async stop(): Promise<void> {
    this.agent.destroy();
    await this.stopChild();
  }

  async admin<T>(method: string, route: string, body?: unknown): Promise<T> {
    const reply = await call(`${this.url}${route}`, { method, agent: this.agent }, body, 60_000);
    if (reply.status < 200 || reply.status >= 300)
      throw new Error(`${method} ${route} answered ${reply.status}: ${reply.body.slice(0, 500)}`);
    return JSON.parse(reply.body) as T;
  }

  /** A fresh world: nothing in flight, full buckets, default throttling, the fleet seeded. */
  async fresh(): Promise<void> {
    await this.admin('POST', '/_emulator/reset');
    const config = await this.admin<EmulatorConfigView>('PUT', '/_emulator/config', {
      timeScale: TIME_SCALE,
      throttling: {
        enabled: true,
        reads: { bucket: 250, refillPerSecond: 25 },
        writes: { bucket: 200, refillPerSecond: 10 },
      },
    });
    if (!config.throttling.enabled) throw new Error('throttling is off');
    const seeded = await this.admin<{ vms: unknown[] }>(
      'POST',
      '/_emulator/seed?events=false',
      FLEET,
    );
    if (seeded.vms.length !== FLEET_SIZE)
      throw new Error(`seeded ${seeded.vms.length} VMs, expected ${FLEET_SIZE}`);
  }

  config(): Promise<EmulatorConfigView> {
    return this.admin('GET', '/_emulator/config');
  }

  async operations(): Promise<LoggedOperation[]> {
    return (await this.admin<{ operations: LoggedOperation[] }>('GET', '/_emulator/operations'))
      .operations;
  }

  async vms(): Promise<VmView[]> {
    return (await this.admin<{ vms: VmView[] }>('GET', '/_emulator/vms?timeline=true')).vms;
  }
}

// --- analysis ----------------------------------------------------------------------------------

const READ_METHODS = new Set(['GET', 'HEAD']);
const POLL =
  /\/providers\/(Microsoft\.\w+)\/locations\/[^/]+\/(?:operations|operationResults)\/([^/?]+)/i;
const VM_PATH = /\/virtualMachines\/([^/?]+)/i;
const NIC_PATH = /\/networkInterfaces\/([^/?]+)/i;

/** The VM a request is about (by name), or 'poll:<provider>', or 'other' (lists, SKUs…). */
function subjectOf(op: LoggedOperation): string {
  const poll = POLL.exec(op.path);
  if (poll) return `poll:${(poll[1] ?? '').toLowerCase()}`;
  const vm = VM_PATH.exec(op.path)?.[1];
  if (vm) return decodeURIComponent(vm);
  const nic = NIC_PATH.exec(op.path)?.[1];
  if (nic) return decodeURIComponent(nic).replace(/-nic(?:-\d+)?$/i, '');
  return 'other';
}

interface Counts {
  reads: number;
  writes: number;
  throttled: number;
}

function countOps(ops: LoggedOperation[], principal: string): Counts {
  const mine = ops.filter((op) => op.principal === principal);
  return {
    reads: mine.filter((op) => READ_METHODS.has(op.method)).length,
    writes: mine.filter((op) => !READ_METHODS.has(op.method)).length,
    throttled: mine.filter((op) => op.status === 429).length,
  };
}

/**
 * Down intervals of the VMs that were running: from the first entry that is neither running
 * nor starting (power off or deallocation accepted) to the final 'running' entry, or to `endAt`
 * when the VM is not running at the end.
 */
function downIntervals(vms: VmView[], endAt: number): [number, number][] {
  const intervals: [number, number][] = [];
  for (const vm of vms) {
    const timeline = vm.timeline ?? [];
    if (timeline[0]?.powerState !== 'running') continue;
    const down = timeline.find((e) => e.powerState !== 'running' && e.powerState !== 'starting');
    if (!down) continue;
    const last = timeline.at(-1);
    const up = last?.powerState === 'running' && last.at >= down.at ? last.at : endAt;
    intervals.push([down.at, up]);
  }
  return intervals;
}

/** Most intervals open at once; one ending at the ms another starts does not overlap it. */
function maxOverlap(intervals: [number, number][]): number {
  const edges: [number, number][] = intervals.flatMap(([from, to]): [number, number][] => [
    [from, 1],
    [to, -1],
  ]);
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let now = 0;
  let max = 0;
  for (const [, delta] of edges) {
    now += delta;
    max = Math.max(max, now);
  }
  return max;
}

/**
 * VMs not left as expected: those in scope must end with Accelerated Networking (running and
 * effective if they were running, enabled and still deallocated otherwise); VMs out of scope,
 * compliant, unsupported or opted out must not have been touched.
 */
function failedVms(vms: VmView[], scope: ReadonlySet<string>): string[] {
  const failures: string[] = [];
  for (const vm of vms) {
    const kind = kindOf(vm.name);
    const enabled = vm.nics.every((n) => n.enableAcceleratedNetworking);
    const effective = vm.nics.every((n) => n.acceleratedNetworkingEffective);
    if (scope.has(vm.name)) {
      if (kind === 'running' && !(vm.powerState === 'running' && effective))
        failures.push(
          `${vm.name}: ${vm.powerState}, AN ${effective ? 'effective' : 'not effective'}`,
        );
      if (kind === 'deallocated' && !(vm.powerState === 'deallocated' && enabled))
        failures.push(`${vm.name}: ${vm.powerState}, AN ${enabled ? 'enabled' : 'not enabled'}`);
    } else if ((vm.timeline ?? []).length > 1) {
      failures.push(`${vm.name}: touched though out of scope (${vm.powerState})`);
    }
  }
  return failures;
}

interface Observed {
  counts: Counts;
  failures: string[];
  maxDown: number;
  downtimes: number[];
}

async function observe(
  em: Emulator,
  principal: string,
  scope: ReadonlySet<string>,
  endAt: number,
): Promise<Observed & { ops: LoggedOperation[] }> {
  const ops = await em.operations();
  const vms = await em.vms();
  const intervals = downIntervals(vms, endAt);
  return {
    ops,
    counts: countOps(ops, principal),
    failures: failedVms(vms, scope),
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
    ...seen.counts,
    failedVms: failed.size,
    failures: failures.slice(0, 5),
    maxDown: seen.maxDown,
    downtimeMedianMs: median(seen.downtimes),
    downtimeMaxMs: seen.downtimes.length > 0 ? Math.max(...seen.downtimes) : NaN,
  };
}

// --- the approaches ----------------------------------------------------------------------------

interface Clients {
  compute: ComputeManagementClient;
  network: NetworkManagementClient;
}

/** The real SDK clients as `createArmFactory` builds them, with the SDK's default retry policy. */
function sdkClients(em: Emulator, principal: string): Clients {
  const options = {
    endpoint: em.url,
    additionalPolicies: [{ policy: tlsPolicy({ ca: em.caPem }), position: 'perCall' as const }],
  };
  return {
    compute: new ComputeManagementClient(credential(principal), SUB, options),
    network: new NetworkManagementClient(credential(principal), SUB, options),
  };
}

/** The documented procedure for one VM: deallocate, update the NIC, start it again. */
async function documentedProcedure(
  clients: Clients,
  vm: string,
  wasRunning: boolean,
  abortSignal: AbortSignal,
): Promise<void> {
  const poll = { updateIntervalInMs: SCRIPT_POLL_MS, abortSignal };
  await clients.compute.virtualMachines.beginDeallocateAndWait(RG, vm, poll);
  const nic = await clients.network.networkInterfaces.get(RG, `${vm}-nic`, { abortSignal });
  await clients.network.networkInterfaces.beginCreateOrUpdateAndWait(
    RG,
    `${vm}-nic`,
    { ...nic, enableAcceleratedNetworking: true },
    { ...poll, requestOptions: { customHeaders: nic.etag ? { 'If-Match': nic.etag } : {} } },
  );
  if (wasRunning) await clients.compute.virtualMachines.beginStartAndWait(RG, vm, poll);
}

/** An AbortController aborted by `parent` or after `ms`, whichever comes first. */
function bounded(parent: AbortSignal, ms: number): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  const onParent = (): void => controller.abort(new Error('stopped'));
  parent.addEventListener('abort', onParent, { once: true });
  const timer = setTimeout(() => controller.abort(new Error('time bound')), Math.max(0, ms));
  timer.unref();
  return {
    signal: controller.signal,
    dispose: () => {
      clearTimeout(timer);
      parent.removeEventListener('abort', onParent);
    },
  };
}

interface AccelnetRun {
  label: string;
  activitySlots: number;
  /** Stop the run after this long and extrapolate (the as-deployed run). */
  boundMs?: number;
}

// --- formatting --------------------------------------------------------------------------------

const seconds = (ms: number): string => `${fmt(ms / 1000, 2)} s`;
const met = (ok: boolean): string => (ok ? 'met' : 'NOT met');

// --- the benchmark -----------------------------------------------------------------------------

export async function runFleetBench(options: FleetBenchOptions = {}): Promise<FleetBenchResult> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const deadline = options.deadline ?? Date.now() + 200_000;
  const maxParallel =
    options.maxParallel ?? (Number(process.env.BENCH_FLEET_MAX_PARALLEL) || DEFAULT_MAX_PARALLEL);
  const activitySlots =
    options.activitySlots ??
    (Number(process.env.BENCH_FLEET_ACTIVITY_SLOTS) || DEFAULT_ACTIVITY_SLOTS);
  const sampleSize = Math.min(ELIGIBLE.length, options.sequentialVms ?? SEQUENTIAL_VMS);
  const fromEnv = (process.env.BENCH_FLEET_PHASES ?? '')
    .split(',')
    .filter((p): p is FleetPhase => (ALL_PHASES as string[]).includes(p));
  const phases = options.phases ?? (fromEnv.length > 0 ? fromEnv : ALL_PHASES);

  const stopAll = new AbortController();
  setMaxListeners(0, stopAll.signal);
  const dataRoot = mkdtempSync(path.join(tmpdir(), 'accelnet-bench-fleet-'));
  let em: Emulator | undefined;
  let twin: LocalTwin | undefined;
  let twinStopping: Promise<void> | undefined;
  const stopTwin = async (): Promise<void> => {
    const current = twin;
    if (!current) return;
    twinStopping ??= current.stop();
    await twinStopping;
    twin = undefined;
    twinStopping = undefined;
  };
  const onAbort = (): void => {
    stopAll.abort(new Error('stopped'));
    void stopTwin()
      .then(() => em?.stop())
      .catch((error: unknown) => log(`fleet: stopping failed: ${String(error)}`));
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const remaining = (): number => deadline - Date.now();
  const checkTime = (what: string): void => {
    if (stopAll.signal.aborted) throw new Error(`fleet: stopped before ${what}`);
    if (remaining() <= 0) throw new Error(`fleet: out of time before ${what}`);
  };
  /** What a phase may take: its own cap, and never the time the phases after it need. */
  const budgetFor = (phase: FleetPhase, cap: number): number => {
    const after = phases.slice(phases.indexOf(phase) + 1);
    const reserve = after.reduce(
      (ms, p) => ms + (p === 'sequential' ? 60_000 : p === 'accelnet-deployed' ? 20_000 : 30_000),
      3_000,
    );
    return Math.min(cap, remaining() - reserve);
  };

  try {
    log(`fleet: starting the ARM emulator (time scale ${TIME_SCALE}, throttling on)`);
    em = await Emulator.start();
    const emulator = em;
    const caFile = path.join(dataRoot, 'emulator-ca.pem');
    writeFileSync(caFile, emulator.caPem);

    const config = await emulator.config();
    const scaleMs = (azureSeconds: number): number => azureSeconds * config.timeScale * 1000;
    // One running VM's critical path: the documented procedure's operations, one after another
    // (deallocate, which also stops the VM; the NIC update; start).
    const criticalPathMs =
      scaleMs(config.latencies.deallocate) +
      scaleMs(config.latencies.nicUpdate) +
      scaleMs(config.latencies.start);
    // The documented procedure needs 3 writes for a running VM (deallocate, NIC PUT, start) and
    // 1 for a deallocated one (NIC PUT): the fewest this fleet can take.
    const neededWrites = 3 * RUNNING.length + DEALLOCATED.length;
    const writesPerSecond = config.throttling.writes.refillPerSecond / config.timeScale;
    const writesBoundMs = (neededWrites / writesPerSecond) * 1000;
    const lowerBoundMs = Math.max(criticalPathMs, writesBoundMs);
    // A second bound, for the maxParallel the run is given: no more than maxParallel VMs are
    // down at once, so the running VMs take at least ceil(running / maxParallel) critical
    // paths one after another.
    const windowBoundMs = Math.ceil(RUNNING.length / maxParallel) * criticalPathMs;
    const boundAtMaxParallelMs = Math.max(windowBoundMs, writesBoundMs);
    log(
      `fleet: lower bound ${seconds(lowerBoundMs)} = max(critical path ${seconds(criticalPathMs)}, ${neededWrites} writes / ${fmt(writesPerSecond)} per s = ${seconds(writesBoundMs)})`,
    );

    const results: FleetPhaseResult[] = [];
    let perVm: PerVmBreakdown | undefined;

    /** One bulk run on a fresh local twin with `run.activitySlots` concurrent activities. */
    const runAccelnet = async (phase: FleetPhase, run: AccelnetRun): Promise<void> => {
      const budget = budgetFor(phase, run.boundMs ?? 90_000);
      if (budget < 5_000) throw new Error(`fleet: no time left for ${phase}`);
      const dataDir = mkdtempSync(path.join(dataRoot, 'twin-'));
      const appLog: string[] = [];
      twin = await startLocal({
        port: 0,
        dataDir,
        armEndpoint: emulator.url,
        settings: {
          // Report mode: no event-driven run may act (events are off while seeding anyway).
          ACCELNET_MODE: 'report',
          // What startLocal sets for its embedded emulator, for this one.
          ACCELNET_ARM_CA_FILE: caFile,
          ACCELNET_ARM_TIME_SCALE: String(TIME_SCALE),
          ACCELNET_POLL_INTERVAL_MS: String(Math.max(5, Math.round(2000 * TIME_SCALE))),
          ACCELNET_RETRY_INTERVAL_MS: String(Math.max(20, Math.round(5000 * TIME_SCALE))),
          [ACTIVITY_SLOTS_SETTING]: String(run.activitySlots),
        },
        log: (line) => {
          appLog.push(line);
          if (appLog.length > 20) appLog.shift();
        },
      });
      const live = twin;
      const hostAgent = new http.Agent({ keepAlive: true });
      const key = encodeURIComponent(live.functionKey);
      try {
        checkTime(phase);
        const started = performance.now();
        const postedAt = Date.now();
        const reply = await call(
          `${live.host.url}/api/remediations?code=${key}`,
          { method: 'POST', agent: hostAgent },
          { subscriptionId: SUB, maxParallel },
        );
        if (reply.status !== 202)
          throw new Error(`POST /api/remediations answered ${reply.status}: ${reply.body}`);
        const { id } = JSON.parse(reply.body) as { id: string };
        log(
          `fleet: ${phase}: run ${id}, maxParallel ${maxParallel}, ${run.activitySlots} activities`,
        );
        // The end is seen in the host's task hub: no status polling on the host's event loop.
        const hub = live.host.taskHub;
        const progress = setInterval(() => {
          const ended = hub
            .list()
            .filter((i) => i.name === 'remediateVm' && i.runtimeStatus === 'Completed').length;
          log(
            `fleet: ${phase}: ${((performance.now() - started) / 1000).toFixed(1)} s, ${ended} VM runs ended`,
          );
        }, 5_000);
        progress.unref();
        const finished = await Promise.race([
          hub.waitForCompletion(id, budget),
          new Promise<undefined>((resolve) =>
            stopAll.signal.addEventListener('abort', () => resolve(undefined), { once: true }),
          ),
        ]);
        clearInterval(progress);
        const elapsed = performance.now() - started;
        const endAt = Date.now();
        const completed = finished?.runtimeStatus === 'Completed';
        let note = '';
        if (completed) {
          // The run as its API reports it, once.
          const view = await call(`${live.host.url}/api/remediations/${id}?code=${key}`, {
            agent: hostAgent,
          });
          const body = JSON.parse(view.body) as {
            status?: string;
            summary?: Record<string, number>;
          };
          note = `run ${body.status ?? `answered ${view.status}`}: ${Object.entries(
            body.summary ?? {},
          )
            .filter(([k, n]) => n > 0 && k !== 'total')
            .map(([k, n]) => `${k} ${n}`)
            .join(', ')}`;
        }
        await stopTwin();
        const seen = await observe(emulator, APP_PRINCIPAL, new Set(ELIGIBLE), endAt);
        const firstWrite = seen.ops.find(
          (op) => op.principal === APP_PRINCIPAL && !READ_METHODS.has(op.method),
        );
        const planMs = firstWrite ? Date.parse(firstWrite.time) - postedAt : NaN;
        const cut = run.boundMs !== undefined && !completed;
        const done = ELIGIBLE.length - seen.failures.length;
        const result = phaseResult(
          {
            phase,
            label: run.label,
            wallMs: cut && done > 0 ? (elapsed * ELIGIBLE.length) / done : elapsed,
            measuredMs: elapsed,
            vms: ELIGIBLE.length,
            extrapolated: cut,
            cutShort: !completed && !cut,
            note: [
              cut
                ? `stopped at its ${seconds(elapsed)} bound with ${done} of ${ELIGIBLE.length} VMs remediated (${fmt((done * 1000) / elapsed, 1)} VMs/s), EXTRAPOLATED linearly`
                : completed
                  ? note
                  : `NOT DONE after ${seconds(elapsed)}: ${finished?.runtimeStatus ?? 'running'}`,
              `plan ${seconds(planMs)} (POST -> first write)`,
            ].join('; '),
          },
          seen,
          [],
        );
        if (cut) {
          // VMs still in flight at the cut are not failures of the approach.
          result.failedVms = 0;
          result.failures = [];
        }
        results.push(result);
        if (phase === 'accelnet') perVm = breakdown(seen.ops);
        log(
          `fleet: ${phase}: ${seconds(elapsed)}, ${done} VMs done, ${seen.counts.writes} writes, ${seen.counts.reads} reads, ${seen.counts.throttled} 429s, ${seen.maxDown} down at once`,
        );
        if (!completed && !cut) for (const line of appLog.slice(-5)) log(`  ${line.slice(0, 300)}`);
      } finally {
        hostAgent.destroy();
        await stopTwin();
      }
    };

    for (const phase of phases) {
      checkTime(phase);
      log(`fleet: ${phase}: fresh emulator, seeding ${FLEET_SIZE} VMs`);
      await emulator.fresh();

      if (phase === 'accelnet') {
        await runAccelnet(phase, {
          label: `accelnet bulk remediation (maxParallel ${maxParallel}, ${activitySlots} concurrent activities)`,
          activitySlots,
        });
      } else if (phase === 'accelnet-deployed') {
        await runAccelnet(phase, {
          label: `accelnet as deployed (host.json: ${DEPLOYED_ACTIVITY_SLOTS} concurrent activities), maxParallel ${maxParallel}`,
          activitySlots: DEPLOYED_ACTIVITY_SLOTS,
          boundMs: DEPLOYED_RUN_MS,
        });
      } else if (phase === 'sequential') {
        // A sample in the fleet's proportions: running VMs, then deallocated ones.
        const deallocatedShare = Math.round((sampleSize * DEALLOCATED.length) / ELIGIBLE.length);
        const sample = [
          ...RUNNING.slice(0, sampleSize - deallocatedShare).map((vm) => ({ vm, running: true })),
          ...DEALLOCATED.slice(0, deallocatedShare).map((vm) => ({ vm, running: false })),
        ];
        const clients = sdkClients(emulator, SEQUENTIAL_PRINCIPAL);
        const bound = bounded(stopAll.signal, budgetFor(phase, 120_000));
        const perClass = { running: [] as number[], deallocated: [] as number[] };
        const errors: string[] = [];
        const started = performance.now();
        try {
          for (const { vm, running } of sample) {
            if (bound.signal.aborted) break;
            const t0 = performance.now();
            try {
              await documentedProcedure(clients, vm, running, bound.signal);
              (running ? perClass.running : perClass.deallocated).push(performance.now() - t0);
            } catch (error) {
              if (!bound.signal.aborted)
                errors.push(`${vm}: ${error instanceof Error ? error.message : String(error)}`);
            }
          }
        } finally {
          bound.dispose();
        }
        const measured = performance.now() - started;
        const mean = (xs: number[]): number =>
          xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length;
        const scaled =
          mean(perClass.running) * RUNNING.length + mean(perClass.deallocated) * DEALLOCATED.length;
        const timed = perClass.running.length + perClass.deallocated.length;
        const seen = await observe(
          emulator,
          SEQUENTIAL_PRINCIPAL,
          new Set(sample.map((s) => s.vm)),
          Date.now(),
        );
        results.push(
          phaseResult(
            {
              phase,
              label: `Documented procedure, sequential loop (${sample.length} VMs, scaled)`,
              wallMs: scaled,
              measuredMs: measured,
              vms: sample.length,
              extrapolated: true,
              // Fewer timed VMs than planned (the time bound) still scale; none do not.
              cutShort: timed === 0,
              note: `measured on ${timed} of ${sample.length} VMs (${perClass.running.length} running, ${perClass.deallocated.length} deallocated) in ${seconds(measured)}, SCALED LINEARLY to ${RUNNING.length} + ${DEALLOCATED.length}: ${fmt(mean(perClass.running))} ms per running VM, ${fmt(mean(perClass.deallocated))} ms per deallocated one`,
            },
            seen,
            errors,
          ),
        );
        log(
          `fleet: sequential: ${seconds(measured)} for ${timed} VMs -> ${seconds(scaled)} scaled`,
        );
      } else {
        // Naive: every eligible VM at once, the SDK's default retries, until all settle.
        const clients = sdkClients(emulator, NAIVE_PRINCIPAL);
        const budget = budgetFor(phase, 60_000);
        const bound = bounded(stopAll.signal, budget);
        const errors = new Map<string, string>();
        const started = performance.now();
        let settledAt = started;
        try {
          await Promise.all(
            ELIGIBLE.map(async (vm) => {
              try {
                await documentedProcedure(clients, vm, kindOf(vm) === 'running', bound.signal);
              } catch (error) {
                errors.set(vm, error instanceof Error ? error.message : String(error));
              } finally {
                settledAt = Math.max(settledAt, performance.now());
              }
            }),
          );
        } finally {
          bound.dispose();
        }
        const cutShort = bound.signal.aborted;
        const elapsed = (cutShort ? performance.now() : settledAt) - started;
        const seen = await observe(emulator, NAIVE_PRINCIPAL, new Set(ELIGIBLE), Date.now());
        const firstError = [...errors.values()][0]?.split('\n')[0]?.slice(0, 140);
        const throttledErrors = [...errors.values()].filter((e) => /throttl|429/i.test(e)).length;
        results.push(
          phaseResult(
            {
              phase,
              label: 'Naive Promise.all over every eligible VM (SDK default retries)',
              wallMs: elapsed,
              measuredMs: elapsed,
              vms: ELIGIBLE.length,
              extrapolated: false,
              cutShort,
              note: `${errors.size} VMs threw${errors.size > 0 ? ` (${throttledErrors} on 429s${firstError ? `, e.g. ${firstError}` : ''})` : ''}; ${seen.counts.throttled > 0 ? `the SDK retried every 429 that did not end a VM (Retry-After honoured)` : 'no request met an empty bucket'}: the ${ELIGIBLE.length} VMs' requests are spread by the client's own ramp-up (TLS connections, CPU) while the write bucket refills at ${fmt(writesPerSecond)}/s at this time scale${cutShort ? `; stopped at its ${seconds(budget)} bound` : ''}`,
            },
            seen,
            [...errors.keys()].map((vm) => `${vm}: threw`),
          ),
        );
        log(
          `fleet: naive: ${seconds(elapsed)}, ${seen.counts.throttled} 429s, ${errors.size} VMs threw`,
        );
        // Let aborted pollers and retries unwind before the next reset.
        await sleep(200);
      }
    }

    return render({
      lowerBoundMs,
      criticalPathMs,
      writesBoundMs,
      windowBoundMs,
      boundAtMaxParallelMs,
      neededWrites,
      writesPerSecond,
      maxParallel,
      activitySlots,
      phases: results,
      perVm,
    });
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    stopAll.abort(new Error('done'));
    await stopTwin().catch((error: unknown) => log(`fleet: stopping the twin: ${String(error)}`));
    await em?.stop();
    rmSync(dataRoot, { recursive: true, force: true });
    // The host put its app settings into this process's environment.
    delete process.env[ACTIVITY_SLOTS_SETTING];
  }
}

/**
 * accelnet's requests per remediated running single-NIC VM. Requests naming a VM or its NIC are
 * counted on it; LRO polls name only an operation id: Compute polls all belong to running VMs
 * (a deallocated VM's deallocate is a synchronous no-op and it is not started), Network polls
 * are shared by NIC update (one per remediated VM, the same operation for both kinds).
 */
function breakdown(ops: LoggedOperation[]): PerVmBreakdown {
  const mine = ops.filter((op) => op.principal === APP_PRINCIPAL);
  const running = RUNNING.length;
  const writes: Record<string, number> = {};
  const reads: Record<string, number> = {};
  const add = (into: Record<string, number>, key: string, n: number): void => {
    into[key] = (into[key] ?? 0) + n;
  };
  let computePolls = 0;
  let networkPolls = 0;
  let nicPuts = 0;
  let planReads = 0;
  for (const op of mine) {
    const subject = subjectOf(op);
    const read = READ_METHODS.has(op.method);
    if (subject === 'poll:microsoft.compute') computePolls += 1;
    else if (subject === 'poll:microsoft.network') networkPolls += 1;
    else if (subject === 'other') {
      if (read) planReads += 1;
      else add(writes, `other ${op.operation}`, 1 / running);
    } else {
      const kind = kindOf(subject);
      const label = `${op.method} ${op.operation.replace(/^Microsoft\.\w+\//, '')}`;
      if (!read && /networkInterfaces\/write/i.test(op.operation)) nicPuts += 1;
      if (kind !== 'running') continue;
      add(read ? reads : writes, `${label}${op.status === 429 ? ' (429)' : ''}`, 1 / running);
    }
  }
  add(reads, 'LRO polls, Compute (deallocate, start)', computePolls / running);
  add(reads, 'LRO polls, Network (NIC update)', nicPuts > 0 ? networkPolls / nicPuts : 0);
  const sum = (r: Record<string, number>): number => Object.values(r).reduce((a, b) => a + b, 0);
  return {
    vms: running,
    writes,
    reads,
    planReadsPerVm: planReads / ELIGIBLE.length,
    totalWrites: sum(writes),
    totalReads: sum(reads),
  };
}

function render(r: {
  lowerBoundMs: number;
  criticalPathMs: number;
  writesBoundMs: number;
  windowBoundMs: number;
  boundAtMaxParallelMs: number;
  neededWrites: number;
  writesPerSecond: number;
  maxParallel: number;
  activitySlots: number;
  phases: FleetPhaseResult[];
  perVm: PerVmBreakdown | undefined;
}): FleetBenchResult {
  const sequential = r.phases.find((x) => x.phase === 'sequential');
  const ratio = (ms: number): string => `${fmt(ms / r.lowerBoundMs, 2)}x`;
  const perVm = (n: number, vms: number): string => (vms > 0 ? fmt(n / vms, 1) : 'n/a');
  /** A bound's row: a name, its time, its ratio and how it is made; no measured columns. */
  const boundRow = (name: string, ms: number, notes: string): string[] => [
    name,
    seconds(ms),
    ratio(ms),
    ...Array<string>(6).fill(''),
    notes,
  ];
  const rows: string[][] = [
    boundRow(
      'Baseline: lower bound, max(one VM critical path, writes / write refill)',
      r.lowerBoundMs,
      `max(${seconds(r.criticalPathMs)} deallocate + NIC + start, ${fmt(r.neededWrites)} writes (3 per running VM, 1 per deallocated) / ${fmt(r.writesPerSecond)} writes/s = ${seconds(r.writesBoundMs)}); assumes unbounded parallelism`,
    ),
    boundRow(
      `Second bound, at maxParallel ${fmt(r.maxParallel)}: max(ceil(running / maxParallel) x critical path, writes / write refill)`,
      r.boundAtMaxParallelMs,
      `max(ceil(${RUNNING.length} / ${fmt(r.maxParallel)}) x ${seconds(r.criticalPathMs)} = ${seconds(r.windowBoundMs)}, ${seconds(r.writesBoundMs)}): the best any run can do with at most ${fmt(r.maxParallel)} VMs down at once; ratios in this table are to the first bound`,
    ),
  ];
  for (const p of r.phases) {
    const notes: string[] = [];
    if (p.phase === 'accelnet') {
      const done = !p.cutShort;
      notes.push(
        `target <= ${fmt(TARGET_BOUND_RATIO, 2)}x of the bound: ${met(done && p.wallMs / r.lowerBoundMs <= TARGET_BOUND_RATIO)}`,
        `${fmt(p.wallMs / r.boundAtMaxParallelMs, 2)}x the second bound (at maxParallel ${fmt(r.maxParallel)})`,
      );
      if (sequential && !sequential.cutShort) {
        const speedup = sequential.wallMs / p.wallMs;
        notes.push(
          `${fmt(speedup, 1)}x faster than sequential (target >= ${TARGET_SPEEDUP}x: ${met(done && speedup >= TARGET_SPEEDUP)})`,
        );
      }
      notes.push(`no failed VMs: ${met(done && p.failedVms === 0)}`);
      notes.push(
        `${fmt(r.activitySlots)} concurrent activities set by app setting ${ACTIVITY_SLOTS_SETTING} (host.json: ${DEPLOYED_ACTIVITY_SLOTS})`,
      );
    }
    // A run stopped at its bound: requests per VM it finished (those of VMs in flight included).
    const perVmOf = p.extrapolated && p.phase !== 'sequential' ? p.done : p.vms;
    if (perVmOf !== p.vms) notes.push(`requests per VM are per VM remediated (${p.done})`);
    notes.push(p.note);
    if (p.failures.length > 0) notes.push(`e.g. ${p.failures.slice(0, 2).join('; ')}`);
    rows.push([
      p.label,
      `${p.cutShort ? '> ' : p.extrapolated ? '~ ' : ''}${seconds(p.wallMs)}`,
      ratio(p.wallMs),
      perVm(p.reads, perVmOf),
      perVm(p.writes, perVmOf),
      fmt(p.throttled),
      `${fmt(p.failedVms)} of ${fmt(p.vms)}`,
      fmt(p.maxDown),
      `${seconds(p.downtimeMedianMs)} / ${seconds(p.downtimeMaxMs)}`,
      notes.join('; '),
    ]);
  }
  const table = markdownGrid(
    [
      `Fleet of ${FLEET_SIZE} VMs: ${RUNNING.length} eligible running, ${DEALLOCATED.length} eligible deallocated, 150 to leave alone; time scale ${TIME_SCALE}, throttling on`,
      'Wall time',
      'Ratio',
      'Reads/VM',
      'Writes/VM',
      '429s',
      'Failed VMs',
      'Most down at once',
      'VM downtime median / max',
      'Notes',
    ],
    rows,
    ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'left'],
  );

  let perVmTable = '';
  if (r.perVm) {
    const b = r.perVm;
    const lines: string[][] = [
      ...Object.entries(b.writes).map(([k, n]) => ['write', k, fmt(n, 2)]),
      [
        'write',
        'Total writes',
        `${fmt(b.totalWrites, 2)} (target <= ${TARGET_WRITES}: ${met(b.totalWrites <= TARGET_WRITES)})`,
      ],
      ...Object.entries(b.reads).map(([k, n]) => ['read', k, fmt(n, 2)]),
      [
        'read',
        'Total reads',
        `${fmt(b.totalReads, 2)} (target <= ${TARGET_READS}: ${met(b.totalReads <= TARGET_READS)})`,
      ],
      [
        'read',
        'Planning (paged lists, SKUs), per eligible VM, not in the total',
        fmt(b.planReadsPerVm, 2),
      ],
    ];
    perVmTable = markdownGrid(
      [
        `accelnet: ARM requests per remediated running single-NIC VM (${b.vms} VMs)`,
        'Request',
        'Per VM',
      ],
      lines,
      ['left', 'left', 'right'],
    );
  }
  return {
    lowerBoundMs: r.lowerBoundMs,
    criticalPathMs: r.criticalPathMs,
    writesBoundMs: r.writesBoundMs,
    neededWrites: r.neededWrites,
    maxParallel: r.maxParallel,
    activitySlots: r.activitySlots,
    phases: r.phases,
    perVm: r.perVm,
    table,
    perVmTable,
  };
}

async function main(): Promise<void> {
  const result = await runFleetBench({ deadline: Date.now() + 200_000 });
  process.stdout.write(`\n${result.table}\n\n${result.perVmTable}\n`);
}

if (require.main === module) {
  const guard = setTimeout(() => {
    process.stderr.write('bench: still running after 230 s, stopping.\n');
    process.exit(1);
  }, 230_000);
  guard.unref();
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(
        `bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
      process.exit(1);
    },
  );
}
