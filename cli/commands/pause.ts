/**
 * `accelnet pause [--reason TEXT] [--show]`: turns the running service's pause switch on (or,
 * with --show, only reads it). While paused no run of any kind takes another VM down.
 */
import { type Command, InvalidArgumentError, Option } from 'commander';

import { type PauseState } from '../../shared/domain/ports';
import { pauseStateSchema, reasonSchema } from '../../shared/http/pause';
import { loadCliSettings } from '../../shared/platform/config';
import { AccelnetError } from '../../shared/platform/errors';
import { cliUser } from '../approvals';
import { connectService, type ServiceFlags } from '../connect';
import { table } from '../format';
import { examples, notes, outputOptions, serviceOptions, withOptions } from '../options';
import { type OutputOptions, print } from '../output';
import { type ServiceClient } from '../service';
import { UsageError } from '../usage';

export interface PauseOptions extends ServiceFlags, OutputOptions {
  reason?: string;
  show?: boolean;
  onlyShowErrors?: boolean;
}

/** `--reason`: one line of text, as the service takes it. */
export function parseReason(value: string): string {
  const parsed = reasonSchema.safeParse(value);
  if (!parsed.success)
    throw new InvalidArgumentError(`${parsed.error.issues[0]?.message ?? 'is not valid'}.`);
  return parsed.data;
}

export function registerPause(program: Command): void {
  const command = program
    .command('pause')
    .summary('Pause the service: no VM is taken down')
    .description(
      'Pause the running service: no run of any kind takes another VM down until `accelnet resume`; VMs already down are finished and started again.',
    )
    .addOption(
      new Option(
        '--reason <text>',
        'why (one line, up to 500 characters; shown on the dashboard)',
      ).argParser(parseReason),
    )
    .option('--show', 'only show whether the service is paused; change nothing');
  withOptions(command, serviceOptions(), outputOptions())
    .addHelpText(
      'after',
      examples([
        [
          'Pause, with the reason the dashboard shows:',
          'accelnet pause --reason "storage account failover"',
        ],
        ['Whether it is paused:', 'accelnet pause --show'],
        [
          'A service in Azure:',
          'accelnet pause --service https://APP.azurewebsites.net --key "$KEY" --reason "change freeze"',
        ],
      ]),
    )
    .action(async (options: PauseOptions) => {
      if (options.show && options.reason !== undefined)
        throw new UsageError(
          '--show: it reads the pause state and changes nothing; drop --reason, or drop --show to pause.',
        );
      const { client } = await connectService(options, loadCliSettings());
      const state = pauseStateOf(
        client,
        options.show
          ? await client.call('GET', '/api/pause')
          : await client.call('POST', '/api/pause', {
              ...(options.reason !== undefined ? { reason: options.reason } : {}),
              by: cliUser(),
            }),
      );
      show(state, options, describe(state, client.url));
    });
}

/** The pause state of an answer, checked. */
export function pauseStateOf(client: ServiceClient, answer: unknown): PauseState {
  const parsed = pauseStateSchema.safeParse(answer);
  if (!parsed.success)
    throw new AccelnetError(
      'ServiceAnswerInvalid',
      `the accelnet service at ${client.url} answered /api/pause with something other than a pause state: is it an accelnet service of this version?`,
    );
  return parsed.data;
}

/** One sentence on what the state means, for a person. */
export function describe(state: PauseState, url: string): string {
  return state.paused
    ? `${url} is paused (since ${state.since}, by ${state.by}): no run of any kind takes another VM down; VMs already down are finished and started again; runs wait and go on after \`accelnet resume\`.`
    : `${url} is not paused: runs take VMs down as they need to.`;
}

/** The state on stdout in the chosen format; the sentence on stderr with the table. */
export function show(
  state: PauseState,
  options: OutputOptions & { onlyShowErrors?: boolean },
  sentence: string,
): void {
  print(state, options, {
    table: (s) =>
      table(
        ['PAUSED', 'SINCE', 'BY', 'REASON'],
        [s.paused ? ['yes', s.since, s.by, s.reason ?? ''] : ['no', '', '', '']],
      ),
  });
  if (options.output === 'table' && options.query === undefined)
    notes(options.onlyShowErrors)(sentence);
}
