/**
 * `accelnet start`: the function app on the local Functions host (what `npm start` runs), and
 * the demo when asked. It prints where it serves and its function key (a generated key once,
 * here and nowhere else; a key from ACCELNET_FUNCTION_KEY never), and writes both to
 * service.json (mode 0600) so that the CLI finds this service while it runs.
 */
import { createWriteStream, rmSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';

import { MultiBar, Presets } from 'cli-progress';
import { type Command, Option } from 'commander';

import type { VmView } from '../../emulator/world';
import type { LocalTwin } from '../../host/local';
import { parseVmId, vmInstanceId } from '../../shared/domain/events';
import type { VmOutcome } from '../../shared/domain/outcomes';
import { type CliSettings, loadCliSettings } from '../../shared/platform/config';
import { lockDataDir, noteTakeover } from '../dataDirLock';
import { table } from '../format';
import {
  armEndpointOption,
  azureOption,
  dataDirOption,
  examples,
  outputOptions,
  parsePort,
  timeScaleOption,
  withOptions,
} from '../options';
import { type OutputOptions, print } from '../output';
import { removeServiceState, writeServiceState } from '../serviceState';
import { UsageError } from '../usage';
import { parseEndpointOrUsage, waitForSignal } from './emulator';

export interface StartOptions extends OutputOptions {
  port: number;
  demo: boolean;
  azure?: boolean;
  armEndpoint?: string;
  dataDir: string;
  timeScale: number;
  onlyShowErrors?: boolean;
}

export function registerStart(program: Command): void {
  const command = program
    .command('start')
    .summary('Run the service locally (the demo first); print its URL and key')
    .description(
      'Run the function app on the local Functions host; with the embedded ARM emulator, remediate the demo fleet live. Prints the service URL and function key, and writes them to service.json for the other commands.',
    )
    .addOption(
      new Option('--port <n>', 'host port on 127.0.0.1; 0 picks a free one')
        .argParser(parsePort)
        .default(7071),
    )
    .option(
      '--demo',
      'seed the demo fleet into the embedded emulator and remediate it (default without --arm-endpoint/--azure)',
    )
    .option('--no-demo', 'serve only');
  withOptions(
    command,
    azureOption(),
    armEndpointOption(),
    dataDirOption('durable state and logs'),
    timeScaleOption(),
    outputOptions(),
  )
    .addHelpText(
      'after',
      examples([
        ['The demo: the local twin remediates a demo fleet live, then serves:', 'accelnet start'],
        ['Serve only, on a free port:', 'accelnet start --no-demo --port 0'],
        [
          'Against a running emulator, with a key of your choosing:',
          'ACCELNET_FUNCTION_KEY=my-key accelnet start --arm-endpoint https://127.0.0.1:8443',
        ],
      ]),
    )
    .action(async (options: Omit<StartOptions, 'demo'> & { demo?: boolean }) => {
      const cli = loadCliSettings();
      const armEndpoint = options.armEndpoint ?? cli.armEndpoint;
      if (options.azure && options.armEndpoint !== undefined)
        throw new UsageError('--azure: give either --azure or --arm-endpoint, not both.');
      const external = options.azure === true || armEndpoint !== undefined;
      if (options.demo === true && external)
        throw new UsageError(
          '--demo: the demo needs the embedded emulator; drop --arm-endpoint/--azure or use --no-demo.',
        );
      await runStart(
        {
          ...options,
          demo: options.demo ?? !external,
          ...(armEndpoint && !options.azure
            ? { armEndpoint: parseEndpointOrUsage(armEndpoint) }
            : {}),
        },
        waitForSignal(),
        cli,
      );
    });
}

const DONE = new Set(['Completed', 'Failed', 'Terminated']);

/**
 * `accelnet start`: the function app on the local host, and the demo when asked. It holds its
 * --data-dir while it runs: a second command on it is refused (exit 2), naming this pid.
 */
export async function runStart(
  options: StartOptions,
  signal: Promise<void>,
  cli: CliSettings = loadCliSettings(),
): Promise<void> {
  const lock = await lockDataDir(options.dataDir, 'start');
  noteTakeover(lock);
  try {
    await serve(options, signal, cli);
  } finally {
    lock.release();
  }
}

async function serve(
  options: StartOptions,
  signal: Promise<void>,
  cli: CliSettings,
): Promise<void> {
  const embedded = !options.azure && !options.armEndpoint;
  if (embedded) {
    // The embedded emulator starts empty: runs persisted against an earlier one are void.
    rmSync(path.join(options.dataDir, 'durable'), { recursive: true, force: true });
  }
  // Read before the local host starts (it fills in what is missing, a function key included).
  const demoMode = options.demo && embedded && cli.mode === undefined;
  const mode = cli.mode ?? (demoMode ? 'enforce' : 'report');
  const logFile = path.join(options.dataDir, 'accelnet.log');
  // Loaded here, not when any command starts: the host and the app take a good part of a second.
  const [{ startLocal }, { seedFleet }, { DEMO_FLEET }] = await Promise.all([
    import('../../host/local'),
    import('../../emulator/seed'),
    import('../../emulator/demo-fleet'),
  ]);
  const twin = await startLocal({
    port: options.port,
    dataDir: options.dataDir,
    ...(options.azure ? { azure: true } : {}),
    ...(options.armEndpoint ? { armEndpoint: options.armEndpoint } : {}),
    timeScale: options.timeScale,
    settings: demoMode ? { ACCELNET_MODE: 'enforce' } : {},
    log: fileSink(logFile),
  });
  // The banner is for people: stdout with the table format, stderr with the others (stdout
  // then holds the data alone).
  const people = options.output === 'table' ? process.stdout : process.stderr;
  const out = (line = ''): void => void people.write(`${line}\n`);
  const chosenKey = cli.functionKey !== undefined;
  const stateFile = saveState(twin, options, cli, chosenKey);
  for (const line of banner(twin, { ...options, mode, demoMode, chosenKey, logFile, stateFile }))
    out(line);
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
        options.onlyShowErrors ? undefined : people,
      );
      const views = new Map(emulator.world.vmViews().map((v) => [v.id.toLowerCase(), v]));
      out();
      const rows = seeded.vms.map((v) => ({
        id: v.id,
        name: v.name,
        size: v.size,
        outcome: outcomes.get(v.id),
        view: views.get(v.id.toLowerCase()),
      }));
      print(rows.map(reportRow), options, { table: () => report(rows) });
      out();
    } else if (options.output !== 'table') {
      print(serviceInfo(twin, mode, logFile), options);
    }
    out('Serving until Ctrl-C.');
    await signal;
  } finally {
    if (stateFile) removeServiceState(cli.configDir);
    await twin.stop();
  }
}

/** Writes service.json for the CLI; a failure to write it is a note, not a stop. */
function saveState(
  twin: LocalTwin,
  options: StartOptions,
  cli: CliSettings,
  chosenKey: boolean,
): string | undefined {
  try {
    const file = writeServiceState(cli.configDir, {
      url: twin.host.url,
      key: twin.functionKey,
      keySource: chosenKey ? 'environment' : 'generated',
      pid: process.pid,
      host: hostname(),
      dataDir: path.resolve(options.dataDir),
      startedAt: new Date().toISOString(),
    });
    // Gone with the process, however it ends (a crash included; SIGKILL leaves a stale file
    // that the CLI recognises by its dead pid).
    process.once('exit', () => removeServiceState(cli.configDir));
    return file;
  } catch (error) {
    if (!options.onlyShowErrors)
      process.stderr.write(
        `warning: could not write ${cli.configDir}/service.json (${error instanceof Error ? error.message : String(error)}): the CLI will not find this service by itself; give it --service and --key.\n`,
      );
    return undefined;
  }
}

/** What the service is, where, and how to reach it: a generated key once, a chosen one never. */
function banner(
  twin: LocalTwin,
  o: StartOptions & {
    mode: string;
    demoMode: boolean;
    chosenKey: boolean;
    logFile: string;
    stateFile: string | undefined;
  },
): string[] {
  const url = twin.host.url;
  const key = o.chosenKey ? undefined : twin.functionKey;
  return [
    `accelnet is serving on ${url}`,
    `  function key    ${key === undefined ? 'from ACCELNET_FUNCTION_KEY (not shown)' : `${key} (generated for this run; set ACCELNET_FUNCTION_KEY to choose one)`}`,
    `  ARM             ${twin.emulator ? `embedded emulator ${twin.armEndpoint} (time scale ${o.timeScale})` : twin.armEndpoint}`,
    `  storage         ${twin.storage ? `Azurite on port ${twin.storage.port}` : 'AzureWebJobsStorage'}`,
    `  mode            ${o.mode}${o.demoMode ? ' (demo)' : ''}`,
    `  logs            ${o.logFile}`,
    `  dashboard       ${url}/api/dashboard?code=${key ?? '<ACCELNET_FUNCTION_KEY>'}`,
    `  try             curl -H ${key === undefined ? '"x-functions-key: $ACCELNET_FUNCTION_KEY"' : `'x-functions-key: ${key}'`} ${url}/api/approvals`,
    o.stateFile
      ? `  the CLI         accelnet status, scan, remediate, approve, pause and resume act through this service (its URL and key are in ${o.stateFile}, mode 0600, while it runs)`
      : `  the CLI         export ACCELNET_SERVICE_URL=${url} and ACCELNET_FUNCTION_KEY, then accelnet status, scan, remediate, approve, pause, resume`,
  ];
}

/** `-o json` without the demo: where the service is (never its key). */
function serviceInfo(twin: LocalTwin, mode: string, logFile: string): Record<string, unknown> {
  return {
    url: twin.host.url,
    arm: twin.armEndpoint,
    storage: twin.storage ? `azurite:${twin.storage.port}` : 'AzureWebJobsStorage',
    mode,
    logs: logFile,
  };
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
  stream: NodeJS.WriteStream | undefined,
): Promise<Map<string, VmOutcome>> {
  const { vmRunView } = await import('../../functions/vmRemediation');
  const outcomes = new Map<string, VmOutcome>();
  const tty = stream?.isTTY === true;
  const bars = tty
    ? new MultiBar(
        {
          format: ' {bar} {value}/{total} VMs | {summary}',
          hideCursor: true,
          clearOnComplete: false,
          stream,
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
        if (stream && !tty)
          stream.write(
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

interface DemoRow {
  id: string;
  name: string;
  size: string;
  outcome: VmOutcome | undefined;
  view: VmView | undefined;
}

/** A VM of the demo as `-o json` shows it. */
function reportRow(r: DemoRow): Record<string, unknown> {
  return {
    vmId: r.id,
    name: r.name,
    resourceGroup: parseVmId(r.id)?.resourceGroup ?? '',
    size: r.size,
    outcome: r.outcome?.outcome ?? 'no run',
    reason: r.outcome?.reason ?? null,
    originalPowerState: r.outcome?.originalPowerState ?? null,
    powerState: r.view?.powerState ?? r.outcome?.finalPowerState ?? null,
    acceleratedNetworking: anColumn(r.view),
    deallocations: r.view?.deallocations ?? null,
  };
}

/** The final report: one row per VM, then the counts by outcome. */
export function report(rows: DemoRow[]): string {
  const body = rows.map((r) => [
    r.name,
    parseVmId(r.id)?.resourceGroup ?? '',
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
    ['VM', 'RESOURCE GROUP', 'SIZE', 'OUTCOME', 'REASON', 'POWER', 'AN ACTIVE', 'DEALLOCATIONS'],
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
