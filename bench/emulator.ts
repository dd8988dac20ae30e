/**
 * ARM emulator throughput. The emulator runs in a child process (the `accelnet emulator` bin)
 * so the load generator does not share its event loop; a minimal HTTPS server in another child
 * process gives a baseline measured in the same run on the same machine.
 *
 *   npm run bench:emulator          (BENCH_SECONDS=5 per phase by default)
 *   BENCH_EMULATOR_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" npm run bench:emulator
 */
import { readFileSync } from 'node:fs';
import https from 'node:https';
import { join } from 'node:path';

import type { PipelinePolicy } from '@azure/core-rest-pipeline';

import { sdkClients } from './runners/sdk';
import { runStandalone } from './standalone';
import { fmt } from './support';
import { type BenchRow, markdownTable } from './table';
import { type Child, spawnNode } from './twin/children';
import { startEmulatorProcess } from './twin/emulator-process';
import { seedBody, SUBSCRIPTION_ID as SUB } from './twin/seed';

const RG = 'rg-bench';
const FLEET_SIZE = 200;
const CONCURRENCY = 32;
const CYCLE_VMS = 8;
const TARGET_GETS_PER_CORE = 2000;
const BASELINE_MAIN = join(__dirname, 'baseline-server.js');
/** Whole-run bound: phases are ~5 s each; everything stops by then whatever happens. */
const WATCHDOG_MS = 58_000;

export interface EmulatorBenchOptions {
  /** Seconds per measured phase (default BENCH_SECONDS or 5). */
  seconds?: number;
  /** Extra node flags for the emulator child (e.g. --cpu-prof). */
  emulatorNodeArgs?: string[];
  log?: (line: string) => void;
}

export interface EmulatorBenchResult {
  rawGetsPerSecond: number;
  rawGetsPerCoreSecond: number;
  emulatorCores: number;
  sdkGetsPerSecond: number;
  sdkGetsPerCoreSecond: number;
  cyclesPerSecond: number;
  cycleRequestsPerSecond: number;
  baselinePerSecond: number;
  baselinePerCoreSecond: number;
  ratio: number;
  rows: BenchRow[];
}

// --- child processes -----------------------------------------------------------------------------

async function startBaselineChild(): Promise<{ child: Child; url: string; caPem: string }> {
  const { child, line } = await spawnNode([BASELINE_MAIN], 'the baseline server');
  const { url, caPem } = JSON.parse(line) as { url: string; caPem: string };
  return { child, url, caPem };
}

/** CPU seconds (user + system) a process has used, from /proc/<pid>/stat. */
function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start at field 3 (state).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return (utime + stime) / CLOCK_TICKS;
  } catch {
    return Number.NaN;
  }
}
/** USER_HZ: 100 on every Linux that matters. */
const CLOCK_TICKS = 100;

// --- HTTP --------------------------------------------------------------------------------------

interface Reply {
  status: number;
  body: string;
}

function request(url: URL | string, options: https.RequestOptions, body?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, options, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

const vmPath = (i: number): string =>
  `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.Compute/virtualMachines/vm-${(i % FLEET_SIZE) + 1}?api-version=2024-07-01`;

// --- load --------------------------------------------------------------------------------------

interface LoadResult {
  ok: number;
  errors: number;
  seconds: number;
  cpu: number;
}

/**
 * Runs `concurrency` workers calling `once` back to back for `seconds`; counts completions and
 * the CPU seconds the measured process used meanwhile.
 */
async function load(
  seconds: number,
  concurrency: number,
  pid: number,
  once: (worker: number, n: number) => Promise<number>,
): Promise<LoadResult> {
  const started = performance.now();
  const deadline = started + seconds * 1000;
  const cpuBefore = cpuSeconds(pid);
  let ok = 0;
  let errors = 0;
  let firstError: Error | undefined;
  let n = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      while (performance.now() < deadline) {
        try {
          // Not `ok += await …`: that reads `ok` before the await and loses other workers' counts.
          const done = await once(worker, n++);
          ok += done;
        } catch (error) {
          errors += 1;
          firstError ??= error instanceof Error ? error : new Error(String(error));
          if (errors > 100) throw firstError;
        }
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  if (firstError !== undefined && ok === 0) throw firstError;
  return { ok, errors, seconds: elapsed, cpu: cpuSeconds(pid) - cpuBefore };
}

function rawGetter(
  base: string,
  agent: https.Agent,
  path: (n: number) => string,
  token: string | undefined,
): (worker: number, n: number) => Promise<number> {
  const headers = token !== undefined ? { Authorization: `Bearer ${token}` } : {};
  return async (_worker, n) => {
    const reply = await request(`${base}${path(n)}`, { agent, headers });
    if (reply.status !== 200) throw new Error(`GET answered ${reply.status}: ${reply.body}`);
    return 1;
  };
}

// --- the benchmark -----------------------------------------------------------------------------

export async function runEmulatorBench(
  options: EmulatorBenchOptions = {},
): Promise<EmulatorBenchResult> {
  const seconds = options.seconds ?? (Number(process.env.BENCH_SECONDS) || 5);
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const nodeArgs =
    options.emulatorNodeArgs ??
    (process.env.BENCH_EMULATOR_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');
  const children: Child[] = [];
  const agents: https.Agent[] = [];
  try {
    // (d) first, so its child is gone before the emulator is measured.
    log(`baseline: minimal https server, raw client, ${CONCURRENCY} concurrent, ${seconds} s`);
    const baseline = await startBaselineChild();
    children.push(baseline.child);
    const baselineAgent = new https.Agent({
      keepAlive: true,
      ca: baseline.caPem,
      maxSockets: CONCURRENCY,
    });
    agents.push(baselineAgent);
    const base = await load(
      seconds,
      CONCURRENCY,
      baseline.child.pid,
      rawGetter(baseline.url, baselineAgent, (n) => vmPath(n), 'bench'),
    );
    await baseline.child.stop();
    baselineAgent.destroy();

    log('emulator: starting (time scale 0, no throttling) and seeding 200 VMs');
    const emulator = await startEmulatorProcess({ timeScale: 0, throttling: false, nodeArgs });
    children.push(emulator.child);
    const ca = emulator.caPem;
    await emulator.admin.seed(
      seedBody(RG, [
        {
          name: 'vm',
          count: FLEET_SIZE,
          size: 'Standard_D4s_v5',
          acceleratedNetworking: false,
          powerState: 'running',
        },
      ]),
      { events: false },
    );
    emulator.admin.close();

    // (a) raw GETs.
    log(`emulator: raw GET VM, ${CONCURRENCY} concurrent, ${seconds} s`);
    const agent = new https.Agent({ keepAlive: true, ca, maxSockets: CONCURRENCY });
    agents.push(agent);
    const raw = await load(
      seconds,
      CONCURRENCY,
      emulator.child.pid,
      rawGetter(emulator.url, agent, vmPath, 'bench'),
    );

    // (b) GETs through the real SDK.
    log(`emulator: SDK compute.virtualMachines.get, ${CONCURRENCY} concurrent, ${seconds} s`);
    // Counts every HTTP request the SDK sends, LRO polls included.
    const sent = { requests: 0 };
    const counter: PipelinePolicy = {
      name: 'benchRequestCounter',
      sendRequest: (req, next) => {
        sent.requests += 1;
        return next(req);
      },
    };
    const { compute, network } = sdkClients(emulator, 'bench', {
      perRetry: [counter],
      retryOptions: { maxRetries: 3, retryDelayInMs: 5, maxRetryDelayInMs: 100 },
    });
    const sdk = await load(seconds, CONCURRENCY, emulator.child.pid, async (_w, n) => {
      await compute.virtualMachines.get(RG, `vm-${(n % FLEET_SIZE) + 1}`);
      return 1;
    });

    // (c) remediation cycles through the SDK, one VM per worker.
    log(`emulator: deallocate/flip/start cycles, ${CYCLE_VMS} VMs concurrently, ${seconds} s`);
    const poll = { updateIntervalInMs: 1 };
    const requestsBefore = sent.requests;
    const cycles = await load(seconds, CYCLE_VMS, emulator.child.pid, async (worker) => {
      const vm = `vm-${worker + 1}`;
      await compute.virtualMachines.beginPowerOffAndWait(RG, vm, poll);
      await compute.virtualMachines.beginDeallocateAndWait(RG, vm, poll);
      const nic = await network.networkInterfaces.get(RG, `${vm}-nic`);
      await network.networkInterfaces.beginCreateOrUpdateAndWait(
        RG,
        `${vm}-nic`,
        { ...nic, enableAcceleratedNetworking: true },
        { ...poll, requestOptions: { customHeaders: { 'If-Match': nic.etag ?? '*' } } },
      );
      await compute.virtualMachines.beginStartAndWait(RG, vm, poll);
      return 1;
    });
    const cycleRequests = sent.requests - requestsBefore;
    await emulator.child.stop();

    const perSecond = (r: LoadResult): number => r.ok / r.seconds;
    const perCore = (r: LoadResult): number => (r.cpu > 0 ? r.ok / r.cpu : Number.NaN);
    const cores = (r: LoadResult): number => r.cpu / r.seconds;
    const rawRate = perSecond(raw);
    const rawPerCore = perCore(raw);
    const baselineRate = perSecond(base);
    const errors = (r: LoadResult): string => (r.errors > 0 ? `; ${r.errors} errors` : '');
    const rows: BenchRow[] = [
      {
        benchmark: 'Emulator GET VM, raw https (keep-alive, 32 concurrent)',
        result: `${fmt(rawRate)} req/s`,
        notes: `emulator CPU ${fmt(cores(raw), 2)} cores -> ${fmt(rawPerCore)} GETs/s per core (target >= ${fmt(TARGET_GETS_PER_CORE)}: ${rawPerCore >= TARGET_GETS_PER_CORE ? 'met' : 'NOT met'})${errors(raw)}`,
      },
      {
        benchmark: 'Emulator GET VM, @azure/arm-compute (32 concurrent)',
        result: `${fmt(perSecond(sdk))} req/s`,
        notes: `emulator CPU ${fmt(cores(sdk), 2)} cores -> ${fmt(perCore(sdk))} GETs/s per core${errors(sdk)}`,
      },
      {
        benchmark: 'Deallocate/flip/start cycles via SDK (8 VMs, time scale 0)',
        result: `${fmt(perSecond(cycles), 1)} cycles/s`,
        notes: `${fmt(cycleRequests / cycles.seconds)} ARM req/s incl. LRO polls; emulator CPU ${fmt(cores(cycles), 2)} cores${errors(cycles)}`,
      },
      {
        benchmark: 'Baseline: minimal https server, fixed small JSON, raw client',
        result: `${fmt(baselineRate)} req/s`,
        notes: `server CPU ${fmt(cores(base), 2)} cores -> ${fmt(perCore(base))} req/s per core${errors(base)}`,
      },
      {
        benchmark: 'Emulator raw GET rate / baseline rate',
        result: fmt(rawRate / baselineRate, 2),
        notes: `per core: ${fmt(rawPerCore / perCore(base), 2)}`,
      },
    ];
    return {
      rawGetsPerSecond: rawRate,
      rawGetsPerCoreSecond: rawPerCore,
      emulatorCores: cores(raw),
      sdkGetsPerSecond: perSecond(sdk),
      sdkGetsPerCoreSecond: perCore(sdk),
      cyclesPerSecond: perSecond(cycles),
      cycleRequestsPerSecond: cycleRequests / cycles.seconds,
      baselinePerSecond: baselineRate,
      baselinePerCoreSecond: perCore(base),
      ratio: rawRate / baselineRate,
      rows,
    };
  } finally {
    for (const agent of agents) agent.destroy();
    await Promise.all(children.map((child) => child.stop()));
  }
}

runStandalone(module, WATCHDOG_MS, async () => {
  const result = await runEmulatorBench();
  process.stdout.write(`\n${markdownTable(result.rows)}\n`);
});
