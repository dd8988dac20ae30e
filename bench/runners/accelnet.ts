/**
 * accelnet through the local host: a bulk run (POST /api/remediations over a subscription,
 * followed to its end in the host's task hub), and the outcome of one VM's event-triggered run
 * (GET /api/vms/{id}/remediation).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

import { call, sleep } from '../support';
import { type BenchTwin, startBenchTwin } from '../twin/local';

/** The app setting that overrides host.json's concurrent activities. */
export const ACTIVITY_SLOTS_SETTING =
  'AzureFunctionsJobHost__extensions__durableTask__maxConcurrentActivityFunctions';

/** host.json's maxConcurrentActivityFunctions, as deployed (what the local host reads too). */
export function deployedActivitySlots(): number {
  const file = path.join(__dirname, '../../../host.json');
  const json = JSON.parse(readFileSync(file, 'utf8')) as {
    extensions?: { durableTask?: { maxConcurrentActivityFunctions?: unknown } };
  };
  const value = json.extensions?.durableTask?.maxConcurrentActivityFunctions;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1)
    throw new Error(`${file}: extensions.durableTask.maxConcurrentActivityFunctions is not set`);
  return value;
}

export interface BulkRunOptions {
  emulator: { url: string; caFile: string };
  timeScale: number;
  dataDirPrefix: string;
  subscriptionId: string;
  maxParallel: number;
  /** The host's concurrent activities (by app setting). */
  activitySlots: number;
  /** How long the run may take before it is left unfinished (ms). */
  budgetMs: number;
  /** Epoch ms past which the run is not started. */
  deadline: number;
  /** Stops the twin at once (the run is then unfinished). */
  signal: AbortSignal;
  log: (line: string) => void;
}

export interface BulkRun {
  /** Epoch ms of the POST. */
  postedAt: number;
  /** POST -> the run's end, or -> the budget or abort (ms). */
  elapsedMs: number;
  /** Epoch ms of that end. */
  endAt: number;
  completed: boolean;
  /** The orchestration's runtime status at the end; undefined if aborted. */
  runtimeStatus: string | undefined;
  /** The run's status and non-zero counts as its API reports them, once completed. */
  summary: string;
  /** The app's last log lines. */
  appLog: string[];
}

/**
 * One bulk run on a fresh local twin in report mode (nothing but the bulk run acts), against an
 * emulator in its own process; the twin is stopped before this returns.
 */
export async function runBulk(options: BulkRunOptions): Promise<BulkRun> {
  const { log } = options;
  const twin = await startBenchTwin({
    dataDirPrefix: options.dataDirPrefix,
    timeScale: options.timeScale,
    emulator: options.emulator,
    settings: {
      // Report mode: no event-driven run may act (events are off while seeding anyway).
      ACCELNET_MODE: 'report',
      [ACTIVITY_SLOTS_SETTING]: String(options.activitySlots),
    },
    logLines: 20,
    signal: options.signal,
    log,
  });
  try {
    if (options.signal.aborted) throw new Error('stopped before the bulk run');
    if (Date.now() >= options.deadline) throw new Error('out of time before the bulk run');
    const started = performance.now();
    const postedAt = Date.now();
    const reply = await call(
      twin.hostUrl('/api/remediations'),
      { method: 'POST', agent: twin.hostAgent },
      { subscriptionId: options.subscriptionId, maxParallel: options.maxParallel },
    );
    if (reply.status !== 202)
      throw new Error(`POST /api/remediations answered ${reply.status}: ${reply.body}`);
    const { id } = JSON.parse(reply.body) as { id: string };
    log(`run ${id}, maxParallel ${options.maxParallel}, ${options.activitySlots} activities`);
    // The end is seen in the host's task hub: no status polling on the host's event loop.
    const hub = twin.local.host.taskHub;
    const progress = setInterval(() => {
      const ended = hub
        .list()
        .filter((i) => i.name === 'remediateVm' && i.runtimeStatus === 'Completed').length;
      log(`${((performance.now() - started) / 1000).toFixed(1)} s, ${ended} VM runs ended`);
    }, 5_000);
    progress.unref();
    let onAbort = (): void => undefined;
    const finished = await Promise.race([
      hub.waitForCompletion(id, options.budgetMs),
      new Promise<undefined>((resolve) => {
        onAbort = () => resolve(undefined);
        options.signal.addEventListener('abort', onAbort, { once: true });
      }),
    ]);
    options.signal.removeEventListener('abort', onAbort);
    clearInterval(progress);
    const elapsedMs = performance.now() - started;
    const endAt = Date.now();
    const completed = finished?.runtimeStatus === 'Completed';
    return {
      postedAt,
      elapsedMs,
      endAt,
      completed,
      runtimeStatus: finished?.runtimeStatus,
      summary: completed ? await summaryOf(twin, id) : '',
      appLog: twin.appLog,
    };
  } finally {
    await twin.stop();
    // The host put its app settings into this process's environment.
    delete process.env[ACTIVITY_SLOTS_SETTING];
  }
}

/** The run as its API reports it: `run <status>: <count> <n>, ...`. */
async function summaryOf(twin: BenchTwin, id: string): Promise<string> {
  const view = await call(twin.hostUrl(`/api/remediations/${id}`), { agent: twin.hostAgent });
  const body = JSON.parse(view.body) as { status?: string; summary?: Record<string, number> };
  return `run ${body.status ?? `answered ${view.status}`}: ${Object.entries(body.summary ?? {})
    .filter(([k, n]) => n > 0 && k !== 'total')
    .map(([k, n]) => `${k} ${n}`)
    .join(', ')}`;
}

export interface RunView {
  outcome: string;
  reason?: string;
}

/**
 * GET /api/vms/{id}/remediation until the VM's run has ended (404 while it has not started);
 * no request before `notBefore` (epoch ms), while the VM is surely still down: they share the
 * host's event loop.
 */
export async function awaitOutcome(
  twin: BenchTwin,
  vmId: string,
  {
    notBefore,
    deadline,
    callTimeoutMs,
  }: { notBefore: number; deadline: number; callTimeoutMs: number },
): Promise<RunView> {
  const url = twin.hostUrl(`/api/vms/${encodeURIComponent(vmId)}/remediation`);
  await sleep(Math.max(0, Math.min(notBefore, deadline) - Date.now()));
  for (;;) {
    const reply = await call(url, { agent: twin.hostAgent }, undefined, callTimeoutMs);
    if (reply.status === 200) {
      const view = JSON.parse(reply.body) as RunView;
      if (!['in-progress', 'pending-approval'].includes(view.outcome)) return view;
    } else if (reply.status !== 404) {
      throw new Error(`GET remediation of ${vmId} answered ${reply.status}: ${reply.body}`);
    }
    if (Date.now() > deadline)
      throw new Error(`no outcome for ${vmId} in time (last answer ${reply.status})`);
    await sleep(50);
  }
}
