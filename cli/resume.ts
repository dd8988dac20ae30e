/** `accelnet resume`: turns the running service's pause switch off; runs that waited go on. */
import { cliUser, type PauseOutput, pauseStateOf, print } from './pause';
import { resolveService, type ServiceOptions } from './service';

export interface ResumeOptions extends ServiceOptions {
  output: PauseOutput;
}

export async function runResume(options: ResumeOptions): Promise<void> {
  const client = resolveService(options);
  const state = pauseStateOf(client, await client.call('DELETE', '/api/pause', { by: cliUser() }));
  print(
    state,
    options.output,
    `${client.url} is resumed: runs that waited on the pause go on, and runs take VMs down as they need to.`,
  );
}
