/**
 * The `accelnet` command: one module per command under commands/, the options they share in
 * options.ts, output formats in output.ts, which service to talk to in connect.ts. Bad
 * arguments print one line (commander's "Did you mean …?" kept) and exit 2; other failures
 * print one line and exit 1.
 */
import { Command } from 'commander';

import { registerApprove } from './commands/approve';
import { registerEmulator } from './commands/emulator';
import { registerPause } from './commands/pause';
import { registerRemediate } from './commands/remediate';
import { registerResume } from './commands/resume';
import { registerScan } from './commands/scan';
import { registerStart } from './commands/start';
import { registerStatus } from './commands/status';
import { explain } from './errors';
import { examples } from './options';
import { version } from './version';

export { EXIT_USAGE } from './errors';

export function buildProgram(): Command {
  const program = new Command('accelnet')
    .description(
      'Brings Accelerated Networking to every Azure VM that can have it, safely, at fleet scale.',
    )
    .version(version(), '--version', 'show the version of accelnet')
    .showHelpAfterError(false)
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(`${oneLineError(text)}\n`) });
  for (const register of [
    registerStart,
    registerEmulator,
    registerScan,
    registerRemediate,
    registerStatus,
    registerApprove,
    registerPause,
    registerResume,
  ])
    register(program);
  program.addHelpText(
    'after',
    examples([
      ['The demo, then serve (prints the service URL and its key):', 'accelnet start'],
      [
        'Through the running service: scan, remediate, watch:',
        'accelnet scan -s 00000000-0000-0000-0000-000000000001',
      ],
      ['', 'accelnet remediate -s 00000000-0000-0000-0000-000000000001 -g rg-app'],
      ['', 'accelnet status'],
      ['Help on a command:', 'accelnet remediate --help'],
    ]),
  );
  return program;
}

/** Commander's error, with its hint ("(Did you mean …?)"), on one line. */
function oneLineError(text: string): string {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .join(' ');
}

/** Runs the CLI: bad arguments print one line and exit 2; other failures exit 1. */
export async function runProgram(program: Command, argv: string[]): Promise<void> {
  try {
    await program.parseAsync(argv);
  } catch (error) {
    const { line, exit } = explain(error);
    if (line !== '') process.stderr.write(`${line}\n`);
    process.exitCode = exit;
  }
}
