/**
 * `accelnet remediate`: one bulk run over a subscription, resource group or list of VMs,
 * through the running accelnet (so it is that service's run, in its API and dashboard), or
 * self-contained on a local host. Without --yes it shows the plan and asks on a terminal, and
 * refuses without one. Exit status 0 when no VM failed, 1 otherwise.
 */
import { type Command, Option } from 'commander';

import type { ComplianceRow } from '../../shared/arm/discovery';
import { parseVmId } from '../../shared/domain/events';
import { loadCliSettings } from '../../shared/platform/config';
import { connectOrSelfContained } from '../connect';
import { EXIT_FAILED } from '../errors';
import { EXIT_INTERRUPTED, follow, Interrupt } from '../follow';
import { table } from '../format';
import {
  collectVmId,
  collectVmName,
  dataDirOption,
  examples,
  givenFlags,
  notes,
  outputOptions,
  parseMaxParallel,
  resourceGroupOption,
  selfContainedOptions,
  serviceOptions,
  subscriptionOption,
  timeScaleOption,
  withOptions,
} from '../options';
import { type OutputOptions, print } from '../output';
import { canAsk, confirm } from '../prompt';
import { runCsv, runTable, type RunView, vms } from '../runView';
import { withLocalService } from '../selfContained';
import { type ServiceClient } from '../service';
import { requireSubscriptionId, resolveSubscription, subscriptionArg } from '../subscriptions';
import { UsageError } from '../usage';
import { notFound } from './scan';

export const EXIT_OK = 0;

interface RemediateOptions extends OutputOptions {
  subscription?: string;
  resourceGroup?: string;
  name?: string[];
  vm?: string[];
  maxParallel: number;
  approval: 'none' | 'required';
  approvalScope: 'run' | 'vm';
  dryRun?: boolean;
  includeAvailabilitySets?: boolean;
  yes?: boolean;
  /** false with --no-wait. */
  wait: boolean;
  service?: string;
  key?: string;
  armEndpoint?: string;
  azure?: boolean;
  dataDir: string;
  timeScale: number;
  onlyShowErrors?: boolean;
}

const SUB = '00000000-0000-0000-0000-000000000001';

export function registerRemediate(program: Command): void {
  const command = program
    .command('remediate')
    .summary('Remediate VMs in one bulk run')
    .description(
      'Remediate a subscription, resource group or list of VMs in one bulk run, through the running accelnet (its run, in its API and dashboard) or self-contained on a local host. Exit status 0 when no VM failed, 1 otherwise.',
    )
    .addOption(subscriptionOption())
    .addOption(resourceGroupOption())
    .addOption(
      new Option('-n, --name <vm>', 'only this VM, by name (with -g); repeatable').argParser(
        collectVmName,
      ),
    )
    .addOption(
      new Option('--vm <id>', 'only this VM, by resource id; repeatable').argParser(collectVmId),
    )
    .addOption(
      new Option('--max-parallel <n>', 'VMs remediated at once (1-500)')
        .argParser(parseMaxParallel)
        .default(10),
    )
    .addOption(
      new Option('--approval <mode>', 'none, or required: the plan waits for a decision')
        .choices(['none', 'required'])
        .default('none'),
    )
    .addOption(
      new Option(
        '--approval-scope <scope>',
        'with --approval required: run (one decision for the plan) or vm (one per VM)',
      )
        .choices(['run', 'vm'])
        .default('run'),
    )
    .option('--dry-run', 'plan only: report what would be remediated, change nothing')
    .option(
      '--include-availability-sets',
      'remediate availability sets as whole units (all their VMs down at once; needs approval)',
    )
    .option('-y, --yes', 'do not ask for confirmation (needed without a terminal)')
    .option('--no-wait', 'start the run and return its id; do not follow it (needs a service)');
  withOptions(
    command,
    outputOptions(),
    serviceOptions(),
    selfContainedOptions(),
    dataDirOption('durable state and logs of a self-contained run'),
    timeScaleOption(),
  )
    .addHelpText(
      'after',
      examples([
        ['See what would change (nothing is):', `accelnet remediate -s ${SUB} --dry-run`],
        [
          'Remediate a resource group: shows the plan and asks first:',
          `accelnet remediate -s ${SUB} -g rg-app`,
        ],
        [
          'Two VMs by name, without asking, 4 at a time:',
          `accelnet remediate -s ${SUB} -g rg-app -n web-1 -n web-2 --max-parallel 4 -y`,
        ],
        [
          'Start it and return its id; follow it later:',
          `accelnet remediate -s ${SUB} -y --no-wait --query id -o tsv`,
        ],
        [
          'The plan waits for a decision (`accelnet approve RUN`):',
          `accelnet remediate -s ${SUB} --approval required -y`,
        ],
      ]),
    )
    .action(async (options: RemediateOptions, command: Command) => {
      process.exitCode = await remediate(options, command);
    });
}

async function remediate(options: RemediateOptions, command: Command): Promise<number> {
  const settings = loadCliSettings();
  const subscription = subscriptionArg(options.subscription, settings.subscription);
  checkScope(options, subscription);
  if (options.azure && options.armEndpoint !== undefined)
    throw new UsageError('--azure: give either --azure or --arm-endpoint, not both.');
  const confirming = !options.dryRun && options.approval === 'none' && !options.yes;
  if (confirming && !canAsk())
    throw new UsageError(
      '--yes: remediate deallocates VMs (each is down for minutes) and asks first, but there is no terminal to ask on: confirm with -y/--yes, or see the plan with --dry-run.',
    );
  const local = givenFlags(command, {
    armEndpoint: '--arm-endpoint',
    azure: '--azure',
    dataDir: '--data-dir',
    timeScale: '--time-scale',
  });
  const conn = await connectOrSelfContained(options, local, settings);
  const note = notes(options.onlyShowErrors);
  if (conn.kind === 'service') {
    const id = requireSubscriptionId(subscription, `the accelnet service at ${conn.client.url}`);
    if (conn.source === 'found')
      note(`Remediating through the accelnet service at ${conn.client.url}.`);
    return through(conn.client, id, options, {
      confirming,
      note,
      approveHint: (run) => `\`accelnet approve ${run}${conn.flags ? ` ${conn.flags}` : ''}\``,
      interrupted: (run) =>
        `Stopped following: run ${run} goes on in the service (\`accelnet status ${run} --watch\`).`,
    });
  }
  if (!options.wait)
    throw new UsageError(
      `--no-wait: it needs a running accelnet to carry on the run (\`accelnet start\`, or --service URL); ${conn.why}, and a self-contained run ends with this command.`,
    );
  const armEndpoint = options.azure ? undefined : (options.armEndpoint ?? settings.armEndpoint);
  return withLocalService(
    {
      ...(options.azure ? { azure: true } : {}),
      ...(armEndpoint ? { armEndpoint } : {}),
      dataDir: options.dataDir,
      timeScale: options.timeScale,
    },
    async (localService) => {
      note(
        `${capital(conn.why)}: running self-contained on a local host over ${localService.what}; host log ${localService.logFile}.`,
      );
      const id = await resolveSubscription(subscription, localService.arm);
      return through(localService.client, id, options, {
        confirming,
        note,
        approveHint: (run) =>
          `\`accelnet approve ${run} --service ${localService.client.url} --key ${localService.twin.functionKey}\` (this command's own local host, while it runs)`,
        interrupted: () =>
          localService.embedded
            ? 'Interrupted: the run stopped with the local host and the embedded emulator.'
            : `Interrupted: the run stopped with the local host; its state is in ${options.dataDir}, and a host started on the same --data-dir resumes it.`,
      });
    },
  );
}

/** The scope's VMs by name and id checked against the subscription and group. */
function checkScope(options: RemediateOptions, subscription: string): void {
  if (options.name && options.resourceGroup === undefined)
    throw new UsageError("--name: give the VMs' resource group with -g/--resource-group.");
  for (const id of options.vm ?? []) {
    const vm = parseVmId(id);
    if (vm && /^[0-9a-f-]{36}$/.test(subscription) && vm.subscriptionId !== subscription)
      throw new UsageError(
        `--vm: '${id}' is in subscription ${vm.subscriptionId}, not in --subscription ${subscription}.`,
      );
    if (
      vm &&
      options.resourceGroup !== undefined &&
      vm.resourceGroup.toLowerCase() !== options.resourceGroup.toLowerCase()
    )
      throw new UsageError(
        `--vm: '${id}' is in resource group ${vm.resourceGroup}, not in --resource-group ${options.resourceGroup}.`,
      );
  }
}

interface Through {
  confirming: boolean;
  note: (line: string) => void;
  approveHint: (runId: string) => string;
  interrupted: (runId: string) => string;
}

/** Plans, asks, starts and follows the run through a service's API; the exit status. */
async function through(
  client: ServiceClient,
  subscriptionId: string,
  options: RemediateOptions,
  how: Through,
): Promise<number> {
  const vmIds = [
    ...(options.vm ?? []),
    ...(options.name ?? []).map(
      (name) =>
        `/subscriptions/${subscriptionId}/resourceGroups/${options.resourceGroup}/providers/Microsoft.Compute/virtualMachines/${name}`,
    ),
  ];
  const unique = [...new Map(vmIds.map((id) => [id.toLowerCase(), id])).values()];
  const interrupt = new Interrupt();
  try {
    if (how.confirming) {
      const answer = await confirmPlan(client, subscriptionId, options.resourceGroup, unique);
      if (answer === undefined) {
        how.note('Interrupted: nothing was started.');
        return EXIT_INTERRUPTED;
      }
      if (!answer) {
        how.note('Nothing was started.');
        return EXIT_OK;
      }
    }
    let started: { id: string; statusUrl: string };
    try {
      started = (await client.call('POST', '/api/remediations', {
        subscriptionId,
        ...(options.resourceGroup !== undefined ? { resourceGroup: options.resourceGroup } : {}),
        ...(unique.length > 0 ? { vmIds: unique } : {}),
        dryRun: options.dryRun === true,
        maxParallel: options.maxParallel,
        approval: options.approval,
        ...(options.approval === 'required' ? { approvalScope: options.approvalScope } : {}),
        ...(options.includeAvailabilitySets ? { includeAvailabilitySets: true } : {}),
      })) as { id: string; statusUrl: string };
    } catch (error) {
      throw notFound(error, client.url);
    }
    if (!options.wait) {
      print({ id: started.id, statusUrl: started.statusUrl }, options, {
        table: () => `Run ${started.id} started: ${started.statusUrl}`,
      });
      how.note(`Follow it with \`accelnet status ${started.id} --watch\`.`);
      return EXIT_OK;
    }
    how.note(
      `Run ${started.id}${options.dryRun ? ' (dry run)' : ''} started: ${started.statusUrl}`,
    );
    const run = await follow({
      client,
      id: started.id,
      ask: canAsk() && !options.yes,
      approveHint: how.approveHint(started.id),
      progress: !options.onlyShowErrors,
      note: how.note,
      interrupt,
    });
    if (!run) {
      how.note(how.interrupted(started.id));
      return EXIT_INTERRUPTED;
    }
    print<RunView>(run, options, { table: runTable, csv: runCsv });
    if (run.status === 'failed')
      process.stderr.write(`error: run ${run.id} failed${run.error ? `: ${run.error}` : ''}\n`);
    return exitOf(run);
  } finally {
    interrupt.dispose();
  }
}

export function exitOf(run: RunView): number {
  return run.status === 'failed' || run.vms.some((v) => v.outcome === 'failed')
    ? EXIT_FAILED
    : EXIT_OK;
}

/** Shows the VMs the run would take down and asks; undefined when interrupted. */
async function confirmPlan(
  client: ServiceClient,
  subscriptionId: string,
  resourceGroup: string | undefined,
  vmIds: string[],
): Promise<boolean | undefined> {
  const query = new URLSearchParams({
    subscriptionId,
    ...(resourceGroup ? { resourceGroup } : {}),
  });
  let rows: ComplianceRow[];
  try {
    rows = (await client.call('GET', `/api/compliance?${query.toString()}`)) as ComplianceRow[];
  } catch (error) {
    throw notFound(error, client.url);
  }
  const wanted = new Set(vmIds.map((id) => id.toLowerCase()));
  const plan = rows.filter(
    (r) => r.action === 'remediate' && (wanted.size === 0 || wanted.has(r.vmId.toLowerCase())),
  );
  if (plan.length === 0) return true;
  const running = plan.filter((r) => r.powerState === 'running').length;
  process.stderr.write(
    `The plan: remediate ${vms(plan.length)}. Each is deallocated (${running} of them running: down for a few minutes each), gets Accelerated Networking on its NICs, and is started again if it ran. Each is read again right before it goes down.\n`,
  );
  process.stderr.write(
    `${table(
      ['NAME', 'RESOURCE GROUP', 'SIZE', 'POWER'],
      plan.map((r) => [r.name, parseVmId(r.vmId)?.resourceGroup ?? '', r.size, r.powerState]),
    )}\n`,
  );
  return confirm(`Remediate ${vms(plan.length)}?`);
}

function capital(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
