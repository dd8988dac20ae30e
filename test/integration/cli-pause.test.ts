/**
 * `accelnet pause` and `accelnet resume` as an operator runs them: the built bin in a child
 * process, against a running local twin (its host's URL and function key).
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

import { freePort } from '../../host/storage';
import { cliEnv, freshConfigDir } from '../support/cli';
import { request } from '../support/http';
import { useLocalTwin } from '../support/twin';

const ROOT = join(__dirname, '../..');
const MAIN = join(ROOT, 'dist/cli/main.js');
const CONFIG = freshConfigDir();

interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
}

beforeAll(() => {
  // `npm test` builds first; a bare `jest` run builds the CLI once here.
  if (!existsSync(MAIN))
    execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
}, 120_000);

/** The CLI with only the given service settings in its environment. */
function accelnet(args: string[], env: Record<string, string> = {}): Promise<Exit> {
  // A configuration directory of its own: no \`accelnet start\` of the machine's is found.
  const base = cliEnv(CONFIG);
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [MAIN, ...args],
      { cwd: ROOT, env: { ...base, ...env }, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

describe('accelnet pause and resume against a running service', () => {
  const local = useLocalTwin();
  const flags = (): string[] => ['--service', local.twin.host.url, '--key', local.twin.functionKey];
  const state = async (): Promise<unknown> =>
    JSON.parse(
      (
        await request(
          `${local.twin.host.url}/api/pause?code=${encodeURIComponent(local.twin.functionKey)}`,
        )
      ).body,
    ) as unknown;

  afterEach(async () => {
    await request(
      `${local.twin.host.url}/api/pause?code=${encodeURIComponent(local.twin.functionKey)}`,
      'DELETE',
    );
  });

  test('when paused with --reason, then the service is paused with that reason and the CLI user, and the CLI shows it', async () => {
    const exit = await accelnet(['pause', '--reason', 'quarterly patching', ...flags()]);

    expect(exit.code).toBe(0);
    const stored = (await state()) as { since: string; by: string };
    expect(stored).toEqual({
      paused: true,
      reason: 'quarterly patching',
      since: expect.any(String),
      by: expect.stringMatching(/^accelnet-cli/) as unknown,
    });
    expect(exit.stdout.split('\n')[0]).toMatch(/^PAUSED\s+SINCE\s+BY\s+REASON$/);
    expect(exit.stdout).toMatch(
      new RegExp(
        `^yes\\s+${stored.since.replace(/\./g, '\\.')}\\s+\\S+\\s+quarterly patching$`,
        'm',
      ),
    );
    expect(exit.stderr).toContain(`${local.twin.host.url} is paused (since ${stored.since}`);
    expect(exit.stderr).toContain('no run of any kind takes another VM down');
  });

  test('when the service and key come from ACCELNET_SERVICE_URL and ACCELNET_FUNCTION_KEY, then pause, pause --show and resume act on it', async () => {
    const env = {
      ACCELNET_SERVICE_URL: local.twin.host.url,
      ACCELNET_FUNCTION_KEY: local.twin.functionKey,
    };

    const paused = await accelnet(['pause', '-o', 'json'], env);
    const shown = await accelnet(['pause', '--show', '--output', 'json'], env);

    expect(paused.code).toBe(0);
    expect(JSON.parse(paused.stdout)).toEqual(await state());
    expect(shown.code).toBe(0);
    expect(JSON.parse(shown.stdout)).toEqual(await state());
    expect(await state()).toMatchObject({ paused: true });

    const resumed = await accelnet(['resume', '-o', 'none'], env);

    expect(resumed).toMatchObject({ code: 0, stdout: '', stderr: '' });
    expect(await state()).toEqual({ paused: false });
    const after = await accelnet(['pause', '--show'], env);
    expect(after.stdout).toMatch(/^no\s*$/m);
    expect(after.stderr).toContain('is not paused');
  });

  test('when paused twice from the CLI, then the second keeps the first since', async () => {
    const first = await accelnet(['pause', '-o', 'json', ...flags()]);
    const second = await accelnet(['pause', '--reason', 'more', '-o', 'json', ...flags()]);

    const a = JSON.parse(first.stdout) as { since: string };
    expect(JSON.parse(second.stdout)).toMatchObject({ since: a.since, reason: 'more' });
  });

  test.each([
    [
      'an empty reason',
      ['pause', '--reason', ''],
      {},
      /^error: option '--reason <text>' argument '' is invalid\. must not be empty\.$/,
    ],
    [
      'a reason over 500 characters',
      ['pause', '--reason', 'x'.repeat(501)],
      {},
      /--reason.*at most 500 characters/,
    ],
    [
      '--show with --reason',
      ['pause', '--show', '--reason', 'x'],
      {},
      /^error: --show: .*drop --reason/,
    ],
    [
      'an ftp service URL',
      ['pause', '--service', 'ftp://host'],
      {},
      /^error: option '--service <url>' argument 'ftp:\/\/host' is invalid\. must be an http or https URL\.$/,
    ],
    [
      'plain http to another host',
      ['pause', '--service', 'http://accelnet.example.com'],
      {},
      /--service.*must be https/,
    ],
    [
      'a service URL with a query',
      ['pause', '--service', 'https://a.example.com/?code=k'],
      {},
      /--service.*without credentials, query or fragment/,
    ],
    ['an unknown output format', ['pause', '-o', 'yaml'], {}, /--output.*yaml.*invalid/],
    ['a reason given to resume', ['resume', '--reason', 'x'], {}, /unknown option '--reason'/],
    ['an empty --key', ['resume', '--key', ' '], {}, /--key.*must not be empty/],
    ['no key at all', ['pause'], { noKey: true }, /^error: --key: .*ACCELNET_FUNCTION_KEY/],
    [
      'a bad ACCELNET_SERVICE_URL',
      ['pause', '--show'],
      { ACCELNET_SERVICE_URL: 'not a url' },
      /^error: ACCELNET_SERVICE_URL: /,
    ],
  ])(
    'when given %s, then it prints one line naming the argument, exits 2 and changes nothing',
    async (_, args, extra, message) => {
      const { noKey, ...env } = extra as Record<string, string> & { noKey?: boolean };
      const exit = await accelnet(args, {
        ...(noKey ? {} : { ACCELNET_FUNCTION_KEY: local.twin.functionKey }),
        ACCELNET_SERVICE_URL: local.twin.host.url,
        ...env,
      });

      expect(exit.code).toBe(2);
      expect(exit.stdout).toBe('');
      expect(exit.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(exit.stderr.trimEnd()).toMatch(message);
      expect(await state()).toEqual({ paused: false });
    },
  );

  test('when nothing listens at the service URL, then it says so in one line naming the URL and what to try, and exits 1', async () => {
    // A port that was free a moment ago: nothing listens there.
    const url = `http://127.0.0.1:${await freePort()}`;

    for (const args of [['pause', '--reason', 'x'], ['pause', '--show'], ['resume']]) {
      const exit = await accelnet([...args, '--service', url, '--key', 'k']);

      expect(exit.code).toBe(1);
      const lines = exit.stderr.trimEnd().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toBe(
        `error: cannot reach the accelnet service at ${url}: nothing accepts connections there (connection refused). Is it running? Start one with \`accelnet start\`, or point --service (or ACCELNET_SERVICE_URL) at the running service.`,
      );
      expect(exit.stderr).not.toMatch(/ECONNREFUSED|fetch failed|at .*\.js:\d+/);
    }
  });

  test('when the key is wrong, then it says the service refused the key and how to pass it, exits 1 and changes nothing', async () => {
    const exit = await accelnet(['pause', '--service', local.twin.host.url, '--key', 'wrong']);

    expect(exit.code).toBe(1);
    expect(exit.stderr.trimEnd()).toBe(
      `error: the accelnet service at ${local.twin.host.url} refused the function key (401): pass the key it runs with as --key or ACCELNET_FUNCTION_KEY (\`accelnet start\` prints it; in Azure it is the app's host key).`,
    );
    expect(await state()).toEqual({ paused: false });
  });
});
