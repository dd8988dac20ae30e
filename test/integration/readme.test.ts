/**
 * The README's commands, run exactly as printed. Every `sh` block of the README carries a
 * marker on the line before it:
 *
 * - `<!-- run in background -->`: a service (`npm start`, `accelnet emulator`), started in a
 *   shell of its own and left serving until its "listening on" or "Serving until Ctrl-C." line;
 * - `<!-- run -->`: commands run one after another in one shell (so a variable set by one is
 *   seen by the next), each to exit 0; a `# …` comment line right after a command is a line of
 *   its output, `…` standing for anything;
 * - `<!-- not run: why -->`: what cannot run here (Azure, CI itself), saying why.
 *
 * The commands run in the repository, with a home directory of their own (so `accelnet start`'s
 * service.json is this test's), and the services on the ports the README names.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { buildOnce, ROOT } from '../support/cli';

interface Block {
  marker: string;
  line: number;
  commands: Command[];
}

interface Command {
  text: string;
  /** The output lines the README shows under it (patterns, `…` for anything). */
  shows: string[];
}

const README = readFileSync(path.join(ROOT, 'README.md'), 'utf8');

/** The README's `sh` blocks with their markers, split into commands (continuations joined). */
function blocks(): Block[] {
  const lines = README.split('\n');
  const found: Block[] = [];
  for (let i = 0; i < lines.length; i += 1) {
    if (lines[i] !== '```sh') continue;
    let before = i - 1;
    while (before > 0 && lines[before] === '') before -= 1;
    const marker = /^<!-- (.+?) -->$/.exec(lines[before] ?? '')?.[1] ?? '';
    const body: string[] = [];
    let j = i + 1;
    for (; lines[j] !== '```'; j += 1) body.push(lines[j]!);
    const commands: Command[] = [];
    for (let k = 0; k < body.length; k += 1) {
      const line = body[k]!;
      if (line.startsWith('# ')) {
        commands.at(-1)?.shows.push(line.slice(2));
        continue;
      }
      let text = line;
      while (text.endsWith('\\') && k + 1 < body.length) {
        k += 1;
        text = `${text}\n${body[k]}`;
      }
      commands.push({ text, shows: [] });
    }
    found.push({ marker, line: i + 1, commands });
    i = j;
  }
  return found;
}

/** A README output line as a pattern over one line of the command's output. */
function pattern(shown: string): RegExp {
  const parts = shown.split('…').map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^\\s*${parts.join('.*')}\\s*$`);
}

const all = blocks();
const home = mkdtempSync(path.join(tmpdir(), 'accelnet-readme-'));
const env: NodeJS.ProcessEnv = { ...process.env, HOME: home };
for (const name of [
  'ACCELNET_SERVICE_URL',
  'ACCELNET_FUNCTION_KEY',
  'ACCELNET_ARM_ENDPOINT',
  'ACCELNET_CONFIG_DIR',
  'XDG_CONFIG_HOME',
  'AZURE_SUBSCRIPTION_ID',
  'ACCELNET_MODE',
])
  delete env[name];
const services: ChildProcess[] = [];

/** Starts a background block in its own shell; resolves once it says it serves. */
async function background(block: Block): Promise<void> {
  const child = spawn('bash', ['-c', block.commands.map((c) => c.text).join('\n')], {
    cwd: ROOT,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  services.push(child);
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`README line ${block.line} did not serve in 120 s:\n${out}`)),
      120_000,
    );
    const onData = (chunk: Buffer): void => {
      out += chunk.toString('utf8');
      if (/listening on|Serving until Ctrl-C/.test(out)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`README line ${block.line} exited (${String(code)}):\n${out}`));
    });
  });
}

afterAll(async () => {
  // Ctrl-C, as a person stops them; then whatever is left of their process groups.
  await Promise.all(
    services.map(async (child) => {
      if (child.exitCode !== null || child.pid === undefined) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      const signal = (name: NodeJS.Signals): void => {
        try {
          process.kill(-child.pid!, name);
        } catch {
          // gone
        }
      };
      signal('SIGINT');
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([exited, new Promise((resolve) => (timer = setTimeout(resolve, 20_000)))]);
      clearTimeout(timer);
      signal('SIGKILL');
      child.stdout?.destroy();
      child.stderr?.destroy();
    }),
  );
  rmSync(home, { recursive: true, force: true });
}, 60_000);

describe("the README's commands", () => {
  beforeAll(() => buildOnce());

  test('every sh block says whether the README test runs it, and why not when it does not', () => {
    const unmarked = all.filter((b) => !/^(run|run in background|not run: .+)$/.test(b.marker));
    expect(unmarked.map((b) => `README line ${b.line}`)).toEqual([]);
    expect(all.filter((b) => b.marker.startsWith('run')).length).toBeGreaterThanOrEqual(5);
  });

  test('when run as printed, in order, every command exits 0 and prints what the README shows', async () => {
    const ran: string[] = [];
    const marker = (i: number): string => `@@readme-command ${i}@@`;
    const script: string[] = ['set -o pipefail'];
    const commands: Command[] = [];
    for (const block of all) {
      if (block.marker === 'run in background') {
        // Run what came before, then start the service.
        if (script.length > 1) ran.push(...(await foreground(script, commands)));
        script.splice(1);
        commands.splice(0);
        await background(block);
      } else if (block.marker === 'run') {
        for (const command of block.commands) {
          const i = commands.push(command) - 1;
          // The status on a line of its own, also after output without a final newline.
          script.push(
            `echo '${marker(i)}'`,
            command.text,
            `__status=$?; echo; echo "@@exit $__status@@"`,
          );
        }
      }
    }
    if (script.length > 1) ran.push(...(await foreground(script, commands)));
    expect(ran.length).toBeGreaterThanOrEqual(10);
  }, 300_000);

  /** Runs the commands in one shell; checks each exit status and what it shows. */
  async function foreground(script: string[], commands: Command[]): Promise<string[]> {
    const result = await new Promise<{ stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn('bash', ['-c', script.join('\n')], { cwd: ROOT, env });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      const timer = setTimeout(() => child.kill('SIGKILL'), 240_000);
      child.once('error', reject);
      child.once('close', () => {
        clearTimeout(timer);
        resolve({ stdout, stderr });
      });
    });
    const sections = result.stdout.split(/^@@readme-command (\d+)@@$/m).slice(1);
    const ran: string[] = [];
    for (let s = 0; s < sections.length; s += 2) {
      const command = commands[Number(sections[s])]!;
      const output = sections[s + 1] ?? '';
      const status = /@@exit (\d+)@@\s*$/.exec(output)?.[1];
      const context = `${command.text}\n--- stdout:\n${output}\n--- stderr of the shell:\n${result.stderr}`;
      expect({ command: command.text, status, context }).toEqual({
        command: command.text,
        status: '0',
        context,
      });
      const lines = output.split('\n');
      for (const shown of command.shows) {
        const re = pattern(shown);
        expect({
          command: command.text,
          shown,
          found: lines.some((l) => re.test(l)),
          output,
        }).toEqual({
          command: command.text,
          shown,
          found: true,
          output,
        });
      }
      ran.push(command.text);
    }
    expect(ran).toEqual(commands.map((c) => c.text));
    return ran;
  }
});
