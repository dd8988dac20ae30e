import { createWriteStream, rmSync } from 'node:fs';
import path from 'node:path';

import { MultiBar, Presets } from 'cli-progress';

import { DEMO_FLEET } from '../emulator/demo-fleet';
import { seedFleet } from '../emulator/seed';
import type { VmView } from '../emulator/world';
import { vmRunView } from '../functions/vmRemediation';
import { startLocal } from '../host/local';
import { parseVmId, vmInstanceId } from '../shared/domain/events';
import type { VmOutcome } from '../shared/domain/outcomes';
import { loadCliSettings } from '../shared/platform/config';
import { lockDataDir, noteTakeover } from './dataDirLock';
import { table } from './format';

export interface StartOptions {
  port: number;
  demo: boolean;
  azure?: boolean;
  armEndpoint?: string;
  dataDir: string;
  timeScale: number;
}

const DONE = new Set(['Completed', 'Failed', 'Terminated']);

/**
 * `accelnet start`: the function app on the local host, and the demo when asked. It holds its
 * --data-dir while it runs: a second command on it is refused (exit 2), naming this pid.
 */
export async function runStart(options: StartOptions, signal: Promise<void>): Promise<void> {
  const lock = await lockDataDir(options.dataDir, 'start');
  noteTakeover(lock);
  try {
    await serve(options, signal);
  } finally {
    lock.release();
  }
}

async function serve(options: StartOptions, signal: Promise<void>): Promise<void> {
  const embedded = !options.azure && !options.armEndpoint;
  if (embedded) {
    // The embedded emulator starts empty: runs persisted against an earlier one are void.
    rmSync(path.join(options.dataDir, 'durable'), { recursive: true, force: true });
  }
  // Read before the local host starts (it fills in what is missing, a function key included).
  const cli = loadCliSettings();
  const demoMode = options.demo && embedded && cli.mode === undefined;
  const mode = cli.mode ?? (demoMode ? 'enforce' : 'report');
  const logFile = path.join(options.dataDir, 'accelnet.log');
  const twin = await startLocal({
    port: options.port,
    dataDir: options.dataDir,
    ...(options.azure ? { azure: true } : {}),
    ...(options.armEndpoint ? { armEndpoint: options.armEndpoint } : {}),
    timeScale: options.timeScale,
    settings: demoMode ? { ACCELNET_MODE: 'enforce' } : {},
    log: fileSink(logFile),
  });
  const out = (line = ''): void => void process.stdout.write(`${line}\n`);
  // A key the operator chose is a secret they already hold: it stays out of the output (and
  // so out of captured logs). A generated one is printed once, or no one could use it.
  const chosenKey = cli.functionKey !== undefined;
  const shownKey = chosenKey ? '$ACCELNET_FUNCTION_KEY' : twin.functionKey;
  out(`accelnet is serving on ${twin.host.url}`);
  out(
    `  function key    ${chosenKey ? 'from ACCELNET_FUNCTION_KEY' : `${twin.functionKey} (generated; set ACCELNET_FUNCTION_KEY to choose one)`}`,
  );
  out(
    `  ARM             ${twin.emulator ? `embedded emulator ${twin.armEndpoint} (time scale ${options.timeScale})` : twin.armEndpoint}`,
  );
  out(
    `  storage         ${twin.storage ? `Azurite on port ${twin.storage.port}` : 'AzureWebJobsStorage'}`,
  );
  out(`  mode            ${mode}${demoMode ? ' (demo)' : ''}`);
  out(`  logs            ${logFile}`);
  out(
    `  try             curl "${twin.host.url}/api/vms/<url-encoded VM id>/remediation?code=${shownKey}"`,
  );
  out();

  try {
    if (options.demo && twin.emulator) {
      const emulator = twin.emulator;
      const seeded = seedFleet(emulator.world, DEMO_FLEET, { baseUrl: emulator.url, events: true });
      out(
        `Seeded the demo fleet: ${seeded.vms.length} VMs in ${seeded.resourceGroups.join(', ')}. Each VM write raises an Event Grid event; accelnet decides and remediates.`,
      );
      out();
      const outcomes = await follow(
        seeded.vms.map((v) => v.id),
        (id) => {
          const ref = parseVmId(id);
          const record = ref ? twin.host.taskHub.get(vmInstanceId(ref)) : undefined;
          return record;
        },
        signal,
      );
      const views = new Map(emulator.world.vmViews().map((v) => [v.id.toLowerCase(), v]));
      out();
      out(
        report(
          seeded.vms.map((v) => ({
            id: v.id,
            name: v.name,
            size: v.size,
            outcome: outcomes.get(v.id),
            view: views.get(v.id.toLowerCase()),
          })),
        ),
      );
      out();
    }
    out('Serving until Ctrl-C.');
    await signal;
  } finally {
    await twin.stop();
  }
}

interface RecordLike {
  runtimeStatus: string;
  output?: string;
  customStatus?: string;
  input?: string;
}

/** Follows the runs of the given VMs until each has ended (or the signal comes). */
async function follow(
  ids: string[],
  lookup: (id: string) => RecordLike | undefined,
  signal: Promise<void>,
): Promise<Map<string, VmOutcome>> {
  const outcomes = new Map<string, VmOutcome>();
  const tty = process.stdout.isTTY === true;
  const bars = tty
    ? new MultiBar(
        {
          format: ' {bar} {value}/{total} VMs | {summary}',
          hideCursor: true,
          clearOnComplete: false,
        },
        Presets.shades_classic,
      )
    : undefined;
  const bar = bars?.create(ids.length, 0, { summary: 'waiting for events' });
  let stopped = false;
  void signal.then(() => (stopped = true));
  const deadline = Date.now() + 10 * 60_000;
  while (!stopped && outcomes.size < ids.length && Date.now() < deadline) {
    const active: string[] = [];
    for (const id of ids) {
      if (outcomes.has(id)) continue;
      const record = lookup(id);
      if (!record) continue;
      const view = vmRunView(id, parseRecord(record));
      if (DONE.has(record.runtimeStatus)) {
        outcomes.set(id, view);
        if (!tty)
          process.stdout.write(
            `${nameOf(id).padEnd(10)} ${view.outcome.padEnd(18)} ${view.reason ?? ''}\n`,
          );
      } else {
        const status = parseJson(record.customStatus) as
          { phase?: string; step?: string } | undefined;
        active.push(`${nameOf(id)}: ${status?.step ?? status?.phase ?? 'starting'}`);
      }
    }
    bar?.update(outcomes.size, {
      summary:
        active.length > 0
          ? active.slice(0, 4).join(', ') + (active.length > 4 ? ', …' : '')
          : counts(outcomes),
    });
    await Promise.race([new Promise((r) => setTimeout(r, 100)), signal]);
  }
  bar?.update(outcomes.size, { summary: counts(outcomes) });
  bars?.stop();
  return outcomes;
}

function parseRecord(record: RecordLike): {
  runtimeStatus: string;
  output: unknown;
  customStatus: unknown;
  input: unknown;
} {
  return {
    runtimeStatus: record.runtimeStatus,
    output: parseJson(record.output),
    customStatus: parseJson(record.customStatus),
    input: parseJson(record.input),
  };
}

function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function counts(outcomes: Map<string, VmOutcome>): string {
  const byOutcome = new Map<string, number>();
  for (const o of outcomes.values()) byOutcome.set(o.outcome, (byOutcome.get(o.outcome) ?? 0) + 1);
  return [...byOutcome.entries()].map(([k, n]) => `${n} ${k}`).join(', ');
}

function nameOf(id: string): string {
  return id.slice(id.lastIndexOf('/') + 1);
}

/** The final report: one row per VM, then the counts by outcome. */
export function report(
  rows: {
    id: string;
    name: string;
    size: string;
    outcome: VmOutcome | undefined;
    view: VmView | undefined;
  }[],
): string {
  const body = rows.map((r) => [
    r.name,
    r.size,
    r.outcome?.outcome ?? 'no run',
    r.outcome?.reason ?? '',
    r.outcome
      ? `${r.outcome.originalPowerState} -> ${r.view?.powerState ?? r.outcome.finalPowerState}`
      : (r.view?.powerState ?? ''),
    anColumn(r.view),
    String(r.view?.deallocations ?? ''),
  ]);
  const tally = new Map<string, number>();
  for (const r of rows)
    tally.set(r.outcome?.outcome ?? 'no run', (tally.get(r.outcome?.outcome ?? 'no run') ?? 0) + 1);
  const summary = [...tally.entries()].map(([k, n]) => `${n} ${k}`).join(', ');
  return `${table(
    ['VM', 'SIZE', 'OUTCOME', 'REASON', 'POWER', 'AN ACTIVE', 'DEALLOCATIONS'],
    body.map((r) => r.map((c) => truncate(c, 60))),
  )}\n\n${rows.length} VMs: ${summary}`;
}

/** Whether Accelerated Networking is in effect (it takes effect when a deallocated VM starts). */
function anColumn(view: VmView | undefined): string {
  if (!view) return '';
  if (view.nics.every((n) => n.acceleratedNetworkingEffective)) return 'yes';
  if (view.powerState === 'deallocated' && view.nics.every((n) => n.enableAcceleratedNetworking))
    return 'at next start';
  return 'no';
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function fileSink(file: string): (line: string) => void {
  const stream = createWriteStream(file, { flags: 'a' });
  return (line) => void stream.write(`${line}\n`);
}
