import { readFile } from 'node:fs/promises';

import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';

import { DEMO_FLEET } from '../emulator/demo-fleet';
import { seedFleet } from '../emulator/seed';
import { startEmulator } from '../emulator/server';
import { parseVmId } from '../shared/domain/events';
import { loadCliSettings, loadSettings } from '../shared/platform/config';
import { AccelnetError } from '../shared/platform/errors';
import { outputOption, parseReason, type PauseOutput, runPause } from './pause';
import { runRemediate } from './remediate';
import { runResume } from './resume';
import { type OutputFormat, renderScan, scan } from './scan';
import { keyOption, serviceOption } from './service';
import { runStart } from './start';
import { parseEndpoint, parseResourceGroup, parseSubscription, resolveTarget } from './target';
import { UsageError } from './usage';

/** Exit status for bad arguments, as the contract says. */
export const EXIT_USAGE = 2;

export function parsePort(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) > 65535) {
    throw new InvalidArgumentError('must be a whole number from 0 to 65535.');
  }
  return Number(value);
}

export function parseTimeScale(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > 100) {
    throw new InvalidArgumentError(
      'must be a number from 0 to 100 (1 = real time, 0.01 = 100x faster).',
    );
  }
  return n;
}

export function parseMaxParallel(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 500) {
    throw new InvalidArgumentError('must be a whole number from 1 to 500.');
  }
  return Number(value);
}

/** `--vm` is repeatable: each value must be a VM resource id; they collect into a list. */
export function collectVmId(value: string, previous: string[] | undefined): string[] {
  const vm = parseVmId(value);
  if (!vm) {
    throw new InvalidArgumentError(
      'must be a virtual machine resource id (/subscriptions/ID/resourceGroups/RG/providers/Microsoft.Compute/virtualMachines/NAME).',
    );
  }
  return [...(previous ?? []), vm.id];
}

export function buildProgram(): Command {
  const program = new Command('accelnet')
    .description(
      'Brings Accelerated Networking to every Azure VM that can have it, safely, at fleet scale.',
    )
    .showHelpAfterError(false)
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(text.split('\n')[0] + '\n') });

  program
    .command('emulator')
    .description('Run the ARM emulator alone (HTTPS on 127.0.0.1).')
    .addOption(
      new Option('--port <n>', 'port to listen on; 0 picks a free one')
        .argParser(parsePort)
        .default(8443),
    )
    .addOption(
      new Option(
        '--time-scale <x>',
        'real seconds per Azure second: 1 real time, 0.01 is 100x faster, 0 instant',
      )
        .argParser(parseTimeScale)
        .default(1),
    )
    .option('--seed <fleet>', "seed a fleet: 'demo' or a path to a fleet spec JSON file")
    .option('--no-throttling', 'turn ARM throttling off')
    .exitOverride()
    .action(
      async (options: { port: number; timeScale: number; seed?: string; throttling: boolean }) => {
        const fleet =
          options.seed === undefined
            ? undefined
            : options.seed === 'demo'
              ? DEMO_FLEET
              : await readFleet(options.seed);
        const emulator = await startEmulator({ port: options.port, timeScale: options.timeScale });
        if (!options.throttling) emulator.currentConfig.throttling.enabled = false;
        if (fleet) {
          let seeded;
          try {
            seeded = seedFleet(emulator.world, fleet, { baseUrl: emulator.url, events: true });
          } catch (error) {
            await emulator.stop();
            throw new UsageError(
              `--seed: ${error instanceof Error ? error.message : String(error)}`,
            );
          }
          process.stderr.write(
            `Seeded ${seeded.vms.length} VMs in ${seeded.resourceGroups.join(', ')} (subscription ${seeded.subscriptionId}).\n`,
          );
        }
        process.stdout.write(`ARM emulator listening on ${emulator.url}\n`);
        process.stderr.write(
          `CA certificate: ${emulator.url}/_emulator/ca.pem; admin API under ${emulator.url}/_emulator/. Ctrl-C stops.\n`,
        );
        await waitForSignal();
        await emulator.stop();
      },
    );

  program
    .command('start')
    .description(
      'Run the function app on the local Functions host; with the embedded ARM emulator, remediate the demo fleet live.',
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
    .option('--no-demo', 'serve only')
    .option('--azure', 'use Azure (https://management.azure.com) with DefaultAzureCredential')
    .addOption(
      new Option(
        '--arm-endpoint <url>',
        'another ARM endpoint (also ACCELNET_ARM_ENDPOINT)',
      ).argParser(parseEndpoint),
    )
    .option('--data-dir <dir>', 'durable state and logs', '.accelnet')
    .addOption(
      new Option('--time-scale <x>', 'time scale of the embedded emulator')
        .argParser(parseTimeScale)
        .default(0.01),
    )
    .exitOverride()
    .action(
      async (options: {
        port: number;
        demo?: boolean;
        azure?: boolean;
        armEndpoint?: string;
        dataDir: string;
        timeScale: number;
      }) => {
        const armEndpoint = options.armEndpoint ?? loadCliSettings().armEndpoint;
        const external = options.azure === true || armEndpoint !== undefined;
        if (options.demo === true && external)
          throw new UsageError(
            '--demo: the demo needs the embedded emulator; drop --arm-endpoint/--azure or use --no-demo.',
          );
        const demo = options.demo ?? !external;
        await runStart(
          {
            port: options.port,
            demo,
            ...(options.azure ? { azure: true } : {}),
            ...(armEndpoint ? { armEndpoint: parseEndpointOrUsage(armEndpoint) } : {}),
            dataDir: options.dataDir,
            timeScale: options.timeScale,
          },
          waitForSignal(),
        );
      },
    );

  program
    .command('scan')
    .description(
      'Report the Accelerated Networking compliance of a subscription or resource group; changes nothing.',
    )
    .addOption(
      new Option('--subscription <id>', 'subscription id')
        .argParser(parseSubscription)
        .makeOptionMandatory(),
    )
    .addOption(
      new Option('--resource-group <name>', 'only this resource group').argParser(
        parseResourceGroup,
      ),
    )
    .addOption(
      new Option('--output <format>', 'table, json or csv')
        .choices(['table', 'json', 'csv'])
        .default('table'),
    )
    .addOption(
      new Option(
        '--arm-endpoint <url>',
        'ARM endpoint (also ACCELNET_ARM_ENDPOINT); default: an embedded emulator',
      ).argParser(parseEndpoint),
    )
    .option('--azure', 'use Azure (https://management.azure.com) with DefaultAzureCredential')
    .option('--ca-file <path>', 'PEM of a CA to trust for --arm-endpoint')
    .exitOverride()
    .action(
      async (options: {
        subscription: string;
        resourceGroup?: string;
        output: OutputFormat;
        armEndpoint?: string;
        azure?: boolean;
        caFile?: string;
      }) => {
        const settings = settingsOrUsage();
        const target = await resolveTarget(options, 'accelnet-cli', (line) =>
          process.stderr.write(`${line}\n`),
        );
        try {
          const rows = await scan(
            target,
            {
              subscriptionId: options.subscription,
              ...(options.resourceGroup ? { resourceGroup: options.resourceGroup } : {}),
            },
            settings,
          );
          process.stdout.write(`${renderScan(rows, options.output)}\n`);
        } finally {
          await target.close();
        }
      },
    );

  program
    .command('remediate')
    .description(
      'Remediate a subscription, resource group or list of VMs in one bulk run through the function app on a local host.',
    )
    .addOption(
      new Option('--subscription <id>', 'subscription id')
        .argParser(parseSubscription)
        .makeOptionMandatory(),
    )
    .addOption(
      new Option('--resource-group <name>', 'only this resource group').argParser(
        parseResourceGroup,
      ),
    )
    .addOption(
      new Option(
        '--vm <id>',
        'only this VM (a resource id in the subscription and group); repeatable',
      ).argParser(collectVmId),
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
    .addOption(
      new Option(
        '--arm-endpoint <url>',
        'ARM endpoint (also ACCELNET_ARM_ENDPOINT); default: an embedded emulator seeded with the demo fleet',
      ).argParser(parseEndpoint),
    )
    .option('--azure', 'use Azure (https://management.azure.com) with DefaultAzureCredential')
    .option('--data-dir <dir>', 'durable state and logs', '.accelnet')
    .addOption(
      new Option('--time-scale <x>', 'time scale of the embedded emulator')
        .argParser(parseTimeScale)
        .default(0.01),
    )
    .exitOverride()
    .action(
      async (options: {
        subscription: string;
        resourceGroup?: string;
        vm?: string[];
        maxParallel: number;
        approval: 'none' | 'required';
        approvalScope: 'run' | 'vm';
        dryRun?: boolean;
        includeAvailabilitySets?: boolean;
        armEndpoint?: string;
        azure?: boolean;
        dataDir: string;
        timeScale: number;
      }) => {
        for (const id of options.vm ?? []) {
          const vm = parseVmId(id);
          if (vm && vm.subscriptionId !== options.subscription)
            throw new UsageError(
              `--vm: '${id}' is in subscription ${vm.subscriptionId}, not in --subscription ${options.subscription}.`,
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
        if (options.azure && options.armEndpoint !== undefined)
          throw new UsageError('--azure: give either --azure or --arm-endpoint, not both.');
        const armEndpoint = options.azure
          ? undefined
          : (options.armEndpoint ?? loadCliSettings().armEndpoint);
        process.exitCode = await runRemediate({
          subscriptionId: options.subscription,
          ...(options.resourceGroup !== undefined ? { resourceGroup: options.resourceGroup } : {}),
          ...(options.vm ? { vmIds: [...new Set(options.vm)] } : {}),
          maxParallel: options.maxParallel,
          approval: options.approval,
          approvalScope: options.approvalScope,
          dryRun: options.dryRun === true,
          includeAvailabilitySets: options.includeAvailabilitySets === true,
          ...(options.azure ? { azure: true } : {}),
          ...(armEndpoint ? { armEndpoint: parseEndpointOrUsage(armEndpoint) } : {}),
          dataDir: options.dataDir,
          timeScale: options.timeScale,
        });
      },
    );

  program
    .command('pause')
    .description(
      'Pause the running service: no run of any kind takes another VM down until `accelnet resume`; VMs already down are finished and started again.',
    )
    .addOption(
      new Option(
        '--reason <text>',
        'why (one line, up to 500 characters; shown on the dashboard)',
      ).argParser(parseReason),
    )
    .option('--show', 'only show whether the service is paused; change nothing')
    .addOption(serviceOption())
    .addOption(keyOption())
    .addOption(outputOption())
    .exitOverride()
    .action(
      async (options: {
        reason?: string;
        show?: boolean;
        service?: string;
        key?: string;
        output: PauseOutput;
      }) => {
        await runPause(options);
      },
    );

  program
    .command('resume')
    .description('Resume the running service after `accelnet pause`: runs that waited go on.')
    .addOption(serviceOption())
    .addOption(keyOption())
    .addOption(outputOption())
    .exitOverride()
    .action(async (options: { service?: string; key?: string; output: PauseOutput }) => {
      await runResume(options);
    });

  return program;
}

function settingsOrUsage(): ReturnType<typeof loadSettings> {
  try {
    return loadSettings();
  } catch (error) {
    if (error instanceof AccelnetError) throw new UsageError(error.message);
    throw error;
  }
}

async function readFleet(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new UsageError(`--seed: cannot read fleet spec file '${path}'.`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new UsageError(
      `--seed: '${path}' is not valid JSON (${error instanceof Error ? error.message : String(error)}).`,
    );
  }
}

function waitForSignal(): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve();
    };
    process.on('SIGINT', done);
    process.on('SIGTERM', done);
  });
}

/** Errors that are the caller's to fix before anything runs: a setting, a data dir in use. */
const USAGE_CODES = new Set(['InvalidSetting', 'DataDirInUse']);

/** Runs the CLI: bad arguments print one line and exit 2; other failures exit 1. */
export async function runProgram(program: Command, argv: string[]): Promise<void> {
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are not errors.
      process.exitCode = error.exitCode === 0 ? 0 : EXIT_USAGE;
      return;
    }
    if (
      error instanceof UsageError ||
      (error instanceof AccelnetError && USAGE_CODES.has(error.code))
    ) {
      process.stderr.write(`error: ${error.message}\n`);
      process.exitCode = EXIT_USAGE;
      return;
    }
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`error: ${message}\n`);
    process.exitCode = 1;
  }
}

function parseEndpointOrUsage(value: string): string {
  try {
    return parseEndpoint(value);
  } catch (error) {
    throw new UsageError(
      `ACCELNET_ARM_ENDPOINT: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}
