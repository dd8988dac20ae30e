/** `accelnet emulator`: the ARM emulator alone, on HTTPS on 127.0.0.1. */
import { readFile } from 'node:fs/promises';

import { type Command, Option } from 'commander';

import { examples, notes, outputOptions, parsePort, parseTimeScale, withOptions } from '../options';
import { type OutputOptions, print } from '../output';
import { parseEndpoint } from '../target';
import { UsageError } from '../usage';

interface EmulatorOptions extends OutputOptions {
  port: number;
  timeScale: number;
  seed?: string;
  throttling: boolean;
  onlyShowErrors?: boolean;
}

export function registerEmulator(program: Command): void {
  const command = program
    .command('emulator')
    .summary('Run the ARM emulator alone')
    .description(
      'Run the ARM emulator alone (HTTPS on 127.0.0.1); prints `ARM emulator listening on URL` once it serves.',
    )
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
    .option('--no-throttling', 'turn ARM throttling off');
  withOptions(command, outputOptions())
    .addHelpText(
      'after',
      examples([
        [
          'The demo fleet, 100x faster than Azure:',
          'accelnet emulator --port 8443 --time-scale 0.01 --seed demo',
        ],
        [
          'A fleet of your own on a free port, its URL as JSON:',
          'accelnet emulator --port 0 --seed fleet.json -o json',
        ],
      ]),
    )
    .action(async (options: EmulatorOptions) => {
      // Loaded here, not when any command starts: the emulator takes a good part of a second.
      const [{ DEMO_FLEET }, { seedFleet }, { startEmulator }] = await Promise.all([
        import('../../emulator/demo-fleet'),
        import('../../emulator/seed'),
        import('../../emulator/server'),
      ]);
      const note = notes(options.onlyShowErrors);
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
          throw new UsageError(`--seed: ${error instanceof Error ? error.message : String(error)}`);
        }
        note(
          `Seeded ${seeded.vms.length} VMs in ${seeded.resourceGroups.join(', ')} (subscription ${seeded.subscriptionId}).`,
        );
      }
      const info = {
        url: emulator.url,
        caCertificate: `${emulator.url}/_emulator/ca.pem`,
        admin: `${emulator.url}/_emulator/`,
      };
      print(info, options, { table: () => `ARM emulator listening on ${emulator.url}` });
      note(`CA certificate: ${info.caCertificate}; admin API under ${info.admin}. Ctrl-C stops.`);
      await waitForSignal();
      await emulator.stop();
    });
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

export function waitForSignal(): Promise<void> {
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

/** ACCELNET_ARM_ENDPOINT checked as --arm-endpoint is: a bad one exits 2 naming it. */
export function parseEndpointOrUsage(value: string): string {
  try {
    return parseEndpoint(value);
  } catch (error) {
    throw new UsageError(
      `ACCELNET_ARM_ENDPOINT: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}
