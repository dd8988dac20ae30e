/**
 * The options commands share, spelled as the Azure CLI spells them, with their parsers: a bad
 * value is one line naming the option, exit status 2.
 */
import { type Command, InvalidArgumentError, Option } from 'commander';

import { parseVmId } from '../shared/domain/events';
import { outputOption, queryOption } from './output';
import { keyOption, serviceOption } from './service';
import { parseSubscription } from './subscriptions';
import { parseEndpoint, parseResourceGroup } from './target';

export function parsePort(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) > 65535)
    throw new InvalidArgumentError('must be a whole number from 0 to 65535.');
  return Number(value);
}

export function parseTimeScale(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > 100)
    throw new InvalidArgumentError(
      'must be a number from 0 to 100 (1 = real time, 0.01 = 100x faster).',
    );
  return n;
}

export function parseMaxParallel(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 500)
    throw new InvalidArgumentError('must be a whole number from 1 to 500.');
  return Number(value);
}

/** `--vm` is repeatable: each value must be a VM resource id; they collect into a list. */
export function collectVmId(value: string, previous: string[] | undefined): string[] {
  const vm = parseVmId(value);
  if (!vm)
    throw new InvalidArgumentError(
      'must be a virtual machine resource id (/subscriptions/ID/resourceGroups/RG/providers/Microsoft.Compute/virtualMachines/NAME).',
    );
  return [...(previous ?? []), vm.id];
}

/** A VM name as Azure allows it (1-64 letters, digits, -, _ and ., not ending in . or -). */
export function parseVmName(value: string): string {
  if (!/^[A-Za-z0-9_][-\w.]{0,63}$/.test(value) || /[.-]$/.test(value))
    throw new InvalidArgumentError(
      'must be a VM name (1-64 letters, digits, -, _ and ., not ending in . or -).',
    );
  return value;
}

/** `-n/--name` is repeatable where a command takes several VMs. */
export function collectVmName(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), parseVmName(value)];
}

export const subscriptionOption = (): Option =>
  new Option(
    '-s, --subscription <id-or-name>',
    "subscription id or name (default: AZURE_SUBSCRIPTION_ID); a name needs ARM's subscription list",
  ).argParser(parseSubscription);

export const resourceGroupOption = (what = 'only this resource group'): Option =>
  new Option('-g, --resource-group <name>', what).argParser(parseResourceGroup);

export const onlyShowErrorsOption = (): Option =>
  new Option('--only-show-errors', 'only show errors: no notes or warnings on stderr');

export const armEndpointOption = (): Option =>
  new Option(
    '--arm-endpoint <url>',
    'run self-contained against this ARM (also ACCELNET_ARM_ENDPOINT), e.g. a running `accelnet emulator`',
  ).argParser(parseEndpoint);

export const azureOption = (): Option =>
  new Option(
    '--azure',
    'run self-contained against Azure (https://management.azure.com) with DefaultAzureCredential',
  );

export const timeScaleOption = (): Option =>
  new Option('--time-scale <x>', 'time scale of the embedded emulator of a self-contained run')
    .argParser(parseTimeScale)
    .default(0.01);

export const dataDirOption = (what: string): Option =>
  new Option('--data-dir <dir>', what).default('.accelnet');

/** -o and --query: how a command prints what it has to say. */
export const outputOptions = (): Option[] => [outputOption(), queryOption()];

/** --service and --key: the running accelnet a command talks to. */
export const serviceOptions = (): Option[] => [serviceOption(), keyOption()];

/** --arm-endpoint and --azure: the ARM a self-contained run works against. */
export const selfContainedOptions = (): Option[] => [armEndpointOption(), azureOption()];

/**
 * Adds options to a command in the order given (its --help lists them so), then
 * --only-show-errors, which ends every command's list.
 */
export function withOptions(command: Command, ...options: (Option | Option[])[]): Command {
  for (const option of [...options.flat(), onlyShowErrorsOption()]) command.addOption(option);
  return command;
}

/** The options of a self-contained run that were given on the command line, as flags. */
export function givenFlags(command: Command, names: Record<string, string>): string[] {
  return Object.entries(names)
    .filter(([key]) => command.getOptionValueSource(key) === 'cli')
    .map(([, flag]) => flag);
}

/** Notes on stderr for people; --only-show-errors silences them. */
export function notes(quiet: boolean | undefined): (line: string) => void {
  return quiet ? () => undefined : (line) => void process.stderr.write(`${line}\n`);
}

/** Examples at the end of a command's --help. */
export function examples(lines: [string, string][]): string {
  const out: string[] = [];
  for (const [what, command] of lines) {
    if (what !== '') out.push(`${out.length > 0 ? '\n' : ''}  ${what}`);
    out.push(`    $ ${command}`);
  }
  return `\nExamples:\n${out.join('\n')}\n`;
}
