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
 *   npm run build && node dist/bench/downtime.js
 */
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { type LocalTwin, startLocal } from '../host/local';
import { call, fmt, median, sleep } from './support';
import { type BenchRow, markdownGrid, markdownTable } from './table';

const SUB = '00000000-0000-0000-0000-000000000001';
const TIME_SCALE = 0.01;
const WARMUP_VMS = 1;
const MEASURED_VMS = 5;
const TARGET_RATIO = 1.15;
/** One VM's run, from seeding to its outcome, must end by then. */
const VM_TIMEOUT_MS = 30_000;
/** One request to the emulator or the host must be answered by then. */
const CALL_TIMEOUT_MS = 10_000;
const JAMMY = {
  publisher: 'Canonical',
  offer: '0001-com-ubuntu-server-jammy',
  sku: '22_04-lts-gen2',
};

export interface DowntimeBenchOptions {
  /** Measured VMs after the warm-up (default 5). */
  vms?: number;
  /** Warm-up VMs, reported as "first VM" (default 1). */
  warmups?: number;
  /** Epoch ms by which the benchmark must be done; it stops and throws after that. */
  deadline?: number;
  /** Stops the local twin at once (the caller's hard time bound); the benchmark then fails. */
  signal?: AbortSignal;
  log?: (line: string) => void;
}

/** Milliseconds of one VM's downtime and where they went. */
export interface DowntimeSample {
  vmId: string;
  downtimeMs: number;
  /** Timeline segments (ms). */
  powerOffMs: number;
  stoppedToDeallocatingMs: number;
  deallocateMs: number;
  deallocatedToStartingMs: number;
  startMs: number;
  /** Parts of the two gaps (ms). */
  powerOffPollMs: number;
  powerOffToDeallocateMs: number;
  deallocatePollMs: number;
  deallocateToNicPutMs: number;
  nicPutToDoneMs: number;
  nicPollMs: number;
  nicToStartMs: number;
  /** Over the lower bound, by cause (ms); the NIC update counts as its latency exactly. */
  timerLagMs: number;
  pollingMs: number;
  schedulingMs: number;
  /** ARM requests by the app for this VM. */
  reads: number;
  polls: number;
  writes: number;
}

export interface DowntimeBenchResult {
  timeScale: number;
  lowerBoundMs: number;
  latenciesMs: { powerOff: number; deallocate: number; nicUpdate: number; start: number };
  first: DowntimeSample;
  samples: DowntimeSample[];
  medianMs: number;
  worstMs: number;
  rows: BenchRow[];
  /** Markdown table: where the time goes, per step. */
  breakdown: string;
}

// --- HTTP --------------------------------------------------------------------------------------

// --- emulator views ----------------------------------------------------------------------------

type Latencies = Record<'powerOff' | 'deallocate' | 'nicUpdate' | 'start', number>;

interface TimelineEntry {
  powerState: string;
  at: number;
}

interface LoggedOperation {
  seq: number;
  time: string;
  principal: string;
  method: string;
  operation: string;
}

interface RunView {
  outcome: string;
  reason?: string;
}

const POLL_OPERATION = /\/locations\/operations\/read$/i;

class Twin {
  private readonly agent: https.Agent;
  private readonly hostAgent = new http.Agent({ keepAlive: true });

  constructor(readonly twin: LocalTwin) {
    if (!twin.emulator) throw new Error('the local twin has no embedded emulator');
    this.agent = new https.Agent({ keepAlive: true, ca: twin.emulator.caPem });
  }

  destroy(): void {
    this.agent.destroy();
    this.hostAgent.destroy();
  }

  private async admin<T>(method: string, route: string, body?: unknown): Promise<T> {
    const reply = await call(
      `${this.twin.armEndpoint}${route}`,
      { method, agent: this.agent },
      body,
      CALL_TIMEOUT_MS,
    );
    if (reply.status < 200 || reply.status >= 300)
      throw new Error(`${method} ${route} answered ${reply.status}: ${reply.body}`);
    return JSON.parse(reply.body) as T;
  }

  async config(): Promise<{ timeScale: number; latencies: Latencies }> {
    return this.admin('GET', '/_emulator/config');
  }

  async lastSeq(): Promise<number> {
    const { operations } = await this.admin<{ operations: LoggedOperation[] }>(
      'GET',
      '/_emulator/operations',
    );
    return operations.reduce((max, op) => Math.max(max, op.seq), 0);
  }

  async operationsSince(seq: number): Promise<LoggedOperation[]> {
    return (
      await this.admin<{ operations: LoggedOperation[] }>(
        'GET',
        `/_emulator/operations?since=${seq}`,
      )
    ).operations;
  }

  /** Seeds one running single-NIC VM in its own resource group; its write event starts a run. */
  async seedVm(resourceGroup: string): Promise<string> {
    const seeded = await this.admin<{ vms: { id: string }[] }>('POST', '/_emulator/seed', {
      subscriptionId: SUB,
      location: 'westus2',
      resourceGroups: [
        {
          name: resourceGroup,
          vms: [
            {
              name: 'vm',
              size: 'Standard_D4s_v5',
              osType: 'Linux',
              image: JAMMY,
              nics: 1,
              acceleratedNetworking: false,
              powerState: 'running',
            },
          ],
        },
      ],
    });
    const id = seeded.vms[0]?.id;
    if (!id) throw new Error(`seeding ${resourceGroup} returned no VM`);
    return id;
  }

  async timeline(vmId: string): Promise<TimelineEntry[]> {
    const { vms } = await this.admin<{ vms: { id: string; timeline?: TimelineEntry[] }[] }>(
      'GET',
      '/_emulator/vms?timeline=true',
    );
    const vm = vms.find((v) => v.id.toLowerCase() === vmId.toLowerCase());
    if (!vm?.timeline) throw new Error(`the emulator has no timeline for ${vmId}`);
    return vm.timeline;
  }

  /** GET /api/vms/{id}/remediation until the run has ended (404 while it has not started). */
  async outcome(vmId: string, notBefore: number, deadline: number): Promise<RunView> {
    const url = `${this.twin.host.url}/api/vms/${encodeURIComponent(vmId)}/remediation?code=${encodeURIComponent(this.twin.functionKey)}`;
    // No status requests while the VM is surely still down: they share this event loop.
    await sleep(Math.max(0, Math.min(notBefore, deadline) - Date.now()));
    for (;;) {
      const reply = await call(url, { agent: this.hostAgent }, undefined, CALL_TIMEOUT_MS);
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
}

// --- analysis ----------------------------------------------------------------------------------

function analyse(
  vmId: string,
  timeline: TimelineEntry[],
  ops: LoggedOperation[],
  latencies: Latencies,
): DowntimeSample {
  const find = (state: string, after: number): TimelineEntry => {
    const entry = timeline.find((e) => e.powerState === state && e.at >= after);
    if (!entry)
      throw new Error(`${vmId}: no '${state}' in its timeline: ${JSON.stringify(timeline)}`);
    return entry;
  };
  // accelnet deallocates a running VM directly (deallocate stops it too); a timeline with a
  // separate power off (stopping -> stopped) first is still read.
  const poweredOff = timeline.some((e) => e.powerState === 'stopping');
  const deallocating = find('deallocating', 0).at;
  const stopping = poweredOff ? find('stopping', 0).at : deallocating;
  const stopped = poweredOff ? find('stopped', stopping).at : deallocating;
  const deallocated = find('deallocated', deallocating).at;
  const starting = find('starting', deallocated).at;
  const running = [...timeline].reverse().find((e) => e.powerState === 'running')?.at ?? NaN;
  if (!(running >= starting)) throw new Error(`${vmId}: never running again after starting`);

  const mine = ops
    .filter((op) => op.principal === 'accelnet')
    .map((op) => ({ ...op, at: Date.parse(op.time) }));
  const writes = mine.filter((op) => op.method !== 'GET');
  const polls = mine.filter((op) => op.method === 'GET' && POLL_OPERATION.test(op.operation));
  /**
   * The poll that saw an operation end: the last one between the end (`from`) and the next
   * step's write (`until`). A poll answered after the end was stamped at or after it (the
   * handler runs in one go), so a ms tie does not hide an earlier 'InProgress' poll. No
   * poll there: nothing waited on polling, it all counts as scheduling.
   */
  const pollAfter = (from: number, until: number): number =>
    polls.filter((op) => op.at >= from && op.at <= until).at(-1)?.at ?? from;
  const nicPut =
    writes.find(
      (op) => op.operation === 'Microsoft.Network/networkInterfaces/write' && op.at >= deallocated,
    )?.at ?? NaN;
  if (!Number.isFinite(nicPut)) throw new Error(`${vmId}: no NIC write after deallocation`);
  const nicDone = Math.min(starting, nicPut + latencies.nicUpdate);

  const powerOffPoll = pollAfter(stopped, deallocating);
  const deallocatePoll = pollAfter(deallocated, nicPut);
  const nicPoll = pollAfter(nicDone, starting);
  const sample: DowntimeSample = {
    vmId,
    downtimeMs: running - stopping,
    powerOffMs: stopped - stopping,
    stoppedToDeallocatingMs: deallocating - stopped,
    deallocateMs: deallocated - deallocating,
    deallocatedToStartingMs: starting - deallocated,
    startMs: running - starting,
    powerOffPollMs: powerOffPoll - stopped,
    powerOffToDeallocateMs: deallocating - powerOffPoll,
    deallocatePollMs: deallocatePoll - deallocated,
    deallocateToNicPutMs: nicPut - deallocatePoll,
    nicPutToDoneMs: nicDone - nicPut,
    nicPollMs: nicPoll - nicDone,
    nicToStartMs: starting - nicPoll,
    timerLagMs: 0,
    pollingMs: 0,
    schedulingMs: 0,
    reads: mine.length - writes.length,
    polls: polls.length,
    writes: writes.length,
  };
  sample.timerLagMs =
    (poweredOff ? sample.powerOffMs - latencies.powerOff : 0) +
    (sample.deallocateMs - latencies.deallocate) +
    (sample.startMs - latencies.start);
  sample.pollingMs = sample.powerOffPollMs + sample.deallocatePollMs + sample.nicPollMs;
  sample.schedulingMs =
    sample.powerOffToDeallocateMs + sample.deallocateToNicPutMs + sample.nicToStartMs;
  return sample;
}

const ms = (n: number): string => `${fmt(n)} ms`;
const signed = (n: number): string => {
  const rounded = Math.round(n) + 0;
  return rounded >= 0 ? `+${fmt(rounded)}` : fmt(rounded);
};
const ratio = (n: number, base: number): string => `${fmt(n / base, 2)}x`;

// --- the benchmark -----------------------------------------------------------------------------

export async function runDowntimeBench(
  options: DowntimeBenchOptions = {},
): Promise<DowntimeBenchResult> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const measuredCount = options.vms ?? MEASURED_VMS;
  const warmups = Math.max(1, options.warmups ?? WARMUP_VMS);
  const deadline = options.deadline ?? Date.now() + 90_000;
  const dataDir = mkdtempSync(path.join(tmpdir(), 'accelnet-bench-downtime-'));
  // The app's own log, kept for a failure message only.
  const appLog: string[] = [];
  let twin: LocalTwin | undefined;
  let client: Twin | undefined;
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    client?.destroy();
    if (!twin) return Promise.resolve();
    stopping ??= twin.stop();
    return stopping;
  };
  const onAbort = (): void => {
    stop().catch((error: unknown) => log(`downtime: stopping the twin failed: ${String(error)}`));
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    log(`downtime: starting emulator (time scale ${TIME_SCALE}), Azurite and the host`);
    twin = await startLocal({
      port: 0,
      dataDir,
      timeScale: TIME_SCALE,
      settings: { ACCELNET_MODE: 'enforce' },
      log: (line) => {
        appLog.push(line);
        if (appLog.length > 40) appLog.shift();
      },
    });
    if (options.signal?.aborted) throw new Error('stopped: out of time');
    client = new Twin(twin);
    const config = await client.config();
    const toMs = (azureSeconds: number): number => azureSeconds * config.timeScale * 1000;
    const latencies: Latencies = {
      powerOff: toMs(config.latencies.powerOff),
      deallocate: toMs(config.latencies.deallocate),
      nicUpdate: toMs(config.latencies.nicUpdate),
      start: toMs(config.latencies.start),
    };
    // The operations accelnet makes: deallocate (which also stops the VM), NIC update, start.
    const lowerBoundMs = latencies.deallocate + latencies.nicUpdate + latencies.start;

    const samples: DowntimeSample[] = [];
    const stamp = Date.now().toString(36);
    for (let i = 0; i < warmups + measuredCount; i += 1) {
      if (Date.now() > deadline || options.signal?.aborted)
        throw new Error(`out of time after ${i} VMs`);
      const rg = `rg-downtime-${stamp}-${i + 1}`;
      const seq = await client.lastSeq();
      const vmId = await client.seedVm(rg);
      const view = await client.outcome(
        vmId,
        Date.now() + lowerBoundMs,
        Math.min(deadline, Date.now() + VM_TIMEOUT_MS),
      );
      if (view.outcome !== 'remediated') {
        throw new Error(
          `${vmId} ended '${view.outcome}'${view.reason ? `: ${view.reason}` : ''}\n${appLog.slice(-10).join('\n')}`,
        );
      }
      // Read now: the next seeding restarts every VM's timeline.
      const sample = analyse(
        vmId,
        await client.timeline(vmId),
        await client.operationsSince(seq),
        latencies,
      );
      samples.push(sample);
      log(
        `downtime: ${i < warmups ? 'warm-up' : 'measured'} VM ${i + 1}: ${ms(sample.downtimeMs)} (${ratio(sample.downtimeMs, lowerBoundMs)}), ${sample.reads} reads (${sample.polls} polls), ${sample.writes} writes`,
      );
    }

    const first = samples[0] as DowntimeSample;
    const measured = samples.slice(warmups);
    const med = (pick: (s: DowntimeSample) => number): number => median(measured.map(pick));
    const worst = (pick: (s: DowntimeSample) => number): number => Math.max(...measured.map(pick));
    const medianMs = med((s) => s.downtimeMs);
    const worstMs = worst((s) => s.downtimeMs);
    const n = measured.length;
    const medianRatio = medianMs / lowerBoundMs;
    const over = medianMs - lowerBoundMs;
    const share = (part: number): string => (over > 0 ? `${fmt((100 * part) / over)}%` : 'n/a');

    const rows: BenchRow[] = [
      {
        benchmark: `Baseline: ARM's own time (deallocate + NIC update + start)`,
        result: ms(lowerBoundMs),
        ratio: '1.00x',
        notes: `(${config.latencies.deallocate} + ${config.latencies.nicUpdate} + ${config.latencies.start}) Azure s x time scale ${config.timeScale}`,
      },
      {
        benchmark: `Downtime of one remediated VM, median of ${n} (deallocation accepted -> running)`,
        result: ms(medianMs),
        ratio: ratio(medianMs, lowerBoundMs),
        notes: `target <= ${fmt(TARGET_RATIO, 2)}x: ${medianRatio <= TARGET_RATIO ? 'met' : 'NOT met'}; ${signed(over)} ms over ARM: polling ${fmt(med((s) => s.pollingMs))}, scheduling ${fmt(med((s) => s.schedulingMs))}, emulator timers ${fmt(med((s) => s.timerLagMs))} (medians)`,
      },
      {
        benchmark: `Downtime of one remediated VM, worst of ${n}`,
        result: ms(worstMs),
        ratio: ratio(worstMs, lowerBoundMs),
        notes: `target <= ${fmt(TARGET_RATIO, 2)}x: ${worstMs / lowerBoundMs <= TARGET_RATIO ? 'met' : 'NOT met'}`,
      },
      {
        benchmark: 'Downtime of the first VM (operation durations not learned yet)',
        result: ms(first.downtimeMs),
        ratio: ratio(first.downtimeMs, lowerBoundMs),
        notes: `polling ${fmt(first.pollingMs)} ms, scheduling ${fmt(first.schedulingMs)} ms; warm-up, not in the median`,
      },
      {
        benchmark: `ARM requests by 'accelnet' per VM, median of ${n}`,
        result: `${fmt(med((s) => s.reads))} reads, ${fmt(med((s) => s.writes))} writes`,
        notes: `reads include ${fmt(med((s) => s.polls))} LRO polls; first VM: ${first.reads} reads (${first.polls} polls), ${first.writes} writes`,
      },
    ];

    type Pick = (s: DowntimeSample) => number;
    const line = (step: string, arm: number | undefined, pick: Pick, note: string): string[] => [
      step,
      arm === undefined ? '' : fmt(arm),
      fmt(med(pick)),
      arm === undefined ? '' : signed(med(pick) - arm),
      fmt(worst(pick)),
      fmt(pick(first)),
      note,
    ];
    const breakdown = markdownGrid(
      [
        'Step (power-state timeline)',
        'ARM ms',
        'Median ms',
        'Over ARM',
        'Worst ms',
        'First VM ms',
        'Where it goes',
      ],
      [
        line(
          'deallocating -> deallocated',
          latencies.deallocate,
          (s) => s.deallocateMs,
          'deallocate latency',
        ),
        line(
          'deallocated -> starting',
          latencies.nicUpdate,
          (s) => s.deallocatedToStartingMs,
          'NIC update + scheduling',
        ),
        line(
          '  polling',
          undefined,
          (s) => s.deallocatePollMs,
          'deallocated -> the poll that saw it',
        ),
        line(
          '  scheduling',
          undefined,
          (s) => s.deallocateToNicPutMs,
          'that poll -> NIC PUT (activity end, enableNics: GET VM, GET NIC)',
        ),
        line(
          '  NIC update',
          latencies.nicUpdate,
          (s) => s.nicPutToDoneMs,
          'NIC PUT -> its operation done (PUT + latency)',
        ),
        line('  polling', undefined, (s) => s.nicPollMs, 'NIC done -> the poll that saw it'),
        line(
          '  scheduling',
          undefined,
          (s) => s.nicToStartMs,
          'that poll -> start POST (activity end, next activity)',
        ),
        line('starting -> running', latencies.start, (s) => s.startMs, 'start latency'),
        line('Downtime', lowerBoundMs, (s) => s.downtimeMs, 'deallocating -> final running'),
        line(
          'Over ARM: polling',
          undefined,
          (s) => s.pollingMs,
          `3 waits for a poll; ${share(med((s) => s.pollingMs))} of the median's excess`,
        ),
        line(
          'Over ARM: scheduling',
          undefined,
          (s) => s.schedulingMs,
          `3 hand-overs between activities; ${share(med((s) => s.schedulingMs))}`,
        ),
        line(
          'Over ARM: emulator timers',
          undefined,
          (s) => s.timerLagMs,
          `late setTimeouts of deallocate and start (NIC not seen); ${share(med((s) => s.timerLagMs))}`,
        ),
      ],
      ['left', 'right', 'right', 'right', 'right', 'right', 'left'],
    );

    return {
      timeScale: config.timeScale,
      lowerBoundMs,
      latenciesMs: latencies,
      first,
      samples: measured,
      medianMs,
      worstMs,
      rows,
      breakdown,
    };
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    await stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const result = await runDowntimeBench({ deadline: Date.now() + 100_000 });
  process.stdout.write(`\n${markdownTable(result.rows)}\n\n${result.breakdown}\n`);
}

if (require.main === module) {
  const guard = setTimeout(() => {
    process.stderr.write('bench: still running after 115 s, stopping.\n');
    process.exit(1);
  }, 115_000);
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
