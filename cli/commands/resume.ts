/** `accelnet resume`: turns the running service's pause switch off; runs that waited go on. */
import type { Command } from 'commander';

import { loadCliSettings } from '../../shared/platform/config';
import { cliUser } from '../approvals';
import { connectService, type ServiceFlags } from '../connect';
import { examples, outputOptions, serviceOptions, withOptions } from '../options';
import type { OutputOptions } from '../output';
import { pauseStateOf, show } from './pause';

interface ResumeOptions extends ServiceFlags, OutputOptions {
  onlyShowErrors?: boolean;
}

export function registerResume(program: Command): void {
  const command = program
    .command('resume')
    .summary('Resume the service after a pause')
    .description('Resume the running service after `accelnet pause`: runs that waited go on.');
  withOptions(command, serviceOptions(), outputOptions())
    .addHelpText(
      'after',
      examples([
        ['Resume the service `accelnet start` runs:', 'accelnet resume'],
        ['Resume, printing nothing:', 'accelnet resume -o none'],
      ]),
    )
    .action(async (options: ResumeOptions) => {
      const { client } = await connectService(options, loadCliSettings());
      const state = pauseStateOf(
        client,
        await client.call('DELETE', '/api/pause', { by: cliUser() }),
      );
      show(
        state,
        options,
        `${client.url} is resumed: runs that waited on the pause go on, and runs take VMs down as they need to.`,
      );
    });
}
