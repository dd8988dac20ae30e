/**
 * `accelnet status [RUN_ID]`: the running service's bulk runs (the most recent first), one
 * run with its VMs and their outcomes, or the latest event-triggered run of one VM; with
 * --watch, a run followed until it ends.
 */
import { type Command, InvalidArgumentError, Option } from 'commander';

import { parseVmId } from '../../shared/domain/events';
import { loadCliSettings } from '../../shared/platform/config';
import { AccelnetError } from '../../shared/platform/errors';
import { connectService, type ServiceConnection } from '../connect';
import { EXIT_INTERRUPTED, follow, Interrupt } from '../follow';
import {
  examples,
  notes,
  outputOptions,
  parseVmName,
  resourceGroupOption,
  serviceOptions,
  subscriptionOption,
  withOptions,
} from '../options';
import { type OutputOptions, print } from '../output';
import { canAsk } from '../prompt';
import { listCsv, listTable, runCsv, type RunListItem, runTable, type RunView } from '../runView';
import { requireSubscriptionId, subscriptionArg } from '../subscriptions';
import { UsageError } from '../usage';
import { exitOf } from './remediate';

interface StatusOptions extends OutputOptions {
  top: number;
  watch?: boolean;
  subscription?: string;
  resourceGroup?: string;
  name?: string;
  service?: string;
  key?: string;
  onlyShowErrors?: boolean;
}

/** A run id as the service makes them: bulk-<uuid>. */
export function parseRunId(value: string): string {
  if (!/^bulk-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value))
    throw new InvalidArgumentError(
      'must be a bulk run id (bulk-<uuid>, as `accelnet remediate` and `accelnet status` print them).',
    );
  return value.toLowerCase();
}

function parseTop(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 100)
    throw new InvalidArgumentError('must be a whole number from 1 to 100.');
  return Number(value);
}

export function registerStatus(program: Command): void {
  const command = program
    .command('status')
    .summary('Show runs and their progress')
    .description(
      "Show the running service's bulk runs, or one run with each VM's outcome and progress; -g and -n show a VM's latest event-triggered run.",
    )
    .argument(
      '[run-id]',
      'a bulk run id (bulk-<uuid>); without it, the most recent runs',
      parseRunId,
    )
    .addOption(
      new Option('--top <n>', 'how many recent runs to list (1-100)')
        .argParser(parseTop)
        .default(10),
    )
    .option('--watch', 'follow the run until it ends (a progress bar on a terminal)')
    .addOption(subscriptionOption())
    .addOption(resourceGroupOption("the VM's resource group (with -n)"))
    .addOption(
      new Option('-n, --name <vm>', "a VM's latest event-triggered run (with -g)").argParser(
        parseVmName,
      ),
    );
  withOptions(command, outputOptions(), serviceOptions())
    .addHelpText(
      'after',
      examples([
        ['The most recent runs:', 'accelnet status'],
        ['One run, each VM with its outcome and reason:', 'accelnet status bulk-<uuid>'],
        [
          'Follow a run started with --no-wait until it ends:',
          'accelnet status bulk-<uuid> --watch',
        ],
        [
          'The ids of the runs still going:',
          'accelnet status --query "[?status==\'running\'].id" -o tsv',
        ],
        [
          "A VM's latest event-triggered run:",
          'accelnet status -s 00000000-0000-0000-0000-000000000001 -g rg-app -n web-1',
        ],
      ]),
    )
    .action(async (runId: string | undefined, options: StatusOptions) => {
      process.exitCode = await status(runId, options);
    });
}

async function status(runId: string | undefined, options: StatusOptions): Promise<number> {
  const settings = loadCliSettings();
  if (runId !== undefined && options.name !== undefined)
    throw new UsageError('--name: give either a run id or a VM (-g and -n), not both.');
  if (options.watch && runId === undefined)
    throw new UsageError('--watch: give the run id to follow.');
  if (options.name !== undefined && options.resourceGroup === undefined)
    throw new UsageError("--name: give the VM's resource group with -g/--resource-group.");
  const conn = await connectService(options, settings);
  if (options.name !== undefined) {
    const sub = requireSubscriptionId(
      subscriptionArg(options.subscription, settings.subscription),
      `the accelnet service at ${conn.client.url}`,
    );
    return vmStatus(conn, sub, options);
  }
  if (runId === undefined) return listRuns(conn, options);
  if (options.watch) {
    const interrupt = new Interrupt();
    try {
      const run = await follow({
        client: conn.client,
        id: runId,
        ask: canAsk(),
        approveHint: `\`accelnet approve ${runId}\``,
        progress: !options.onlyShowErrors,
        note: notes(options.onlyShowErrors),
        interrupt,
      });
      if (!run) {
        notes(options.onlyShowErrors)(`Stopped following: run ${runId} goes on in the service.`);
        return EXIT_INTERRUPTED;
      }
      print<RunView>(run, options, { table: runTable, csv: runCsv });
      return exitOf(run);
    } finally {
      interrupt.dispose();
    }
  }
  const run = await getRun(conn, runId);
  print<RunView>(run, options, { table: runTable, csv: runCsv });
  return 0;
}

async function getRun(conn: ServiceConnection, runId: string): Promise<RunView> {
  try {
    return (await conn.client.call('GET', `/api/remediations/${runId}`)) as RunView;
  } catch (error) {
    if (error instanceof AccelnetError && error.status === 404)
      throw new AccelnetError(
        'RunNotFound',
        `the accelnet service at ${conn.client.url} has no run ${runId}: \`accelnet status\` lists its runs.`,
        { status: 404 },
      );
    throw error;
  }
}

async function listRuns(conn: ServiceConnection, options: StatusOptions): Promise<number> {
  let answer: unknown;
  try {
    answer = await conn.client.call('GET', `/api/remediations?top=${options.top}`);
  } catch (error) {
    if (error instanceof AccelnetError && error.code === 'ServiceRouteMissing')
      throw new AccelnetError(
        'ServiceRouteMissing',
        `the accelnet service at ${conn.client.url} does not list its runs (no GET /api/remediations): it is older than this CLI; give a run id (\`accelnet status bulk-<uuid>\`).`,
      );
    throw error;
  }
  const runs = (answer as { runs?: unknown }).runs;
  if (!Array.isArray(runs))
    throw new AccelnetError(
      'ServiceAnswerInvalid',
      `the accelnet service at ${conn.client.url} answered GET /api/remediations without a list of runs: is it an accelnet service of this version?`,
    );
  print<RunListItem[]>(runs as RunListItem[], options, { table: listTable, csv: listCsv });
  return 0;
}

async function vmStatus(
  conn: ServiceConnection,
  subscriptionId: string,
  options: StatusOptions,
): Promise<number> {
  const id = `/subscriptions/${subscriptionId}/resourceGroups/${options.resourceGroup}/providers/Microsoft.Compute/virtualMachines/${options.name}`;
  let vm: RunView['vms'][number];
  try {
    vm = (await conn.client.call(
      'GET',
      `/api/vms/${encodeURIComponent(id)}/remediation`,
    )) as RunView['vms'][number];
  } catch (error) {
    if (error instanceof AccelnetError && error.status === 404)
      throw new AccelnetError(
        'VmRunNotFound',
        `the accelnet service at ${conn.client.url} has no event-triggered run of ${parseVmId(id)?.name ?? id} in ${options.resourceGroup}: it has not seen a write of that VM (\`accelnet scan -g ${options.resourceGroup} -n ${options.name}\` shows its compliance).`,
        { status: 404 },
      );
    throw error;
  }
  const view: RunView = { id: 'event', status: 'completed', vms: [vm] };
  print(vm, options, {
    table: () => runTable(view).split('\n\n')[0] ?? '',
    csv: () => runCsv(view),
  });
  return 0;
}
