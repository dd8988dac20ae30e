/**
 * `accelnet pause [--reason TEXT] [--show]`: turns the running service's pause switch on (or,
 * with --show, only reads it). While paused no run of any kind takes another VM down.
 */
import { userInfo } from 'node:os';

import { InvalidArgumentError, Option } from 'commander';

import { type PauseState } from '../shared/domain/ports';
import { pauseStateSchema, reasonSchema } from '../shared/http/pause';
import { loadCliSettings } from '../shared/platform/config';
import { AccelnetError } from '../shared/platform/errors';
import { table } from './format';
import { resolveService, type ServiceClient, type ServiceOptions } from './service';
import { UsageError } from './usage';

export type PauseOutput = 'table' | 'json' | 'none';

export interface PauseOptions extends ServiceOptions {
  reason?: string;
  show?: boolean;
  output: PauseOutput;
}

/** `--reason`: one line of text, as the service takes it. */
export function parseReason(value: string): string {
  const parsed = reasonSchema.safeParse(value);
  if (!parsed.success)
    throw new InvalidArgumentError(`${parsed.error.issues[0]?.message ?? 'is not valid'}.`);
  return parsed.data;
}

export const outputOption = (): Option =>
  new Option('-o, --output <format>', 'table, json or none')
    .choices(['table', 'json', 'none'])
    .default('table');

/** Who is pausing or resuming, as the service records it. */
export function cliUser(): string {
  let name: string;
  try {
    name = userInfo().username;
  } catch {
    name = loadCliSettings().user;
  }
  // eslint-disable-next-line no-control-regex
  const clean = name.replace(/[\u0000-\u001f\u007f]/g, '').slice(0, 100);
  return clean === '' ? 'accelnet-cli' : `accelnet-cli:${clean}`;
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

export async function runPause(options: PauseOptions): Promise<PauseState> {
  if (options.show && options.reason !== undefined)
    throw new UsageError(
      '--show: it reads the pause state and changes nothing; drop --reason, or drop --show to pause.',
    );
  const client = resolveService(options);
  const state = pauseStateOf(
    client,
    options.show
      ? await client.call('GET', '/api/pause')
      : await client.call('POST', '/api/pause', {
          ...(options.reason !== undefined ? { reason: options.reason } : {}),
          by: cliUser(),
        }),
  );
  print(state, options.output, describe(state, client.url));
  return state;
}

/** One sentence on what the state means, for a person. */
export function describe(state: PauseState, url: string): string {
  return state.paused
    ? `${url} is paused (since ${state.since}, by ${state.by}): no run of any kind takes another VM down; VMs already down are finished and started again; runs wait and go on after \`accelnet resume\`.`
    : `${url} is not paused: runs take VMs down as they need to.`;
}

/** The state on stdout in the chosen format; the sentence on stderr with the table. */
export function print(state: PauseState, output: PauseOutput, sentence: string): void {
  const text = render(state, output);
  if (text !== '') process.stdout.write(`${text}\n`);
  if (output === 'table') process.stderr.write(`${sentence}\n`);
}

export function render(state: PauseState, output: PauseOutput): string {
  if (output === 'none') return '';
  if (output === 'json') return JSON.stringify(state, null, 2);
  return table(
    ['PAUSED', 'SINCE', 'BY', 'REASON'],
    [state.paused ? ['yes', state.since, state.by, state.reason ?? ''] : ['no', '', '', '']],
  );
}
