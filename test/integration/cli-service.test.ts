/**
 * The CLI against a running accelnet, as an operator uses it: `accelnet start` (the demo)
 * in one process, the other commands in others, finding it through the service.json it
 * writes. Their runs are the service's runs: in its API and on its dashboard.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import https from 'node:https';
import path from 'node:path';

import {
  buildOnce,
  cli,
  cliEnv,
  freshConfigDir,
  get,
  killChildren,
  type Service,
  startService,
  SUB,
} from '../support/cli';

const UNKNOWN_SUB = '00000000-0000-0000-0000-00000000dead';
const SUB2 = '00000000-0000-0000-0000-000000000002';
const IMAGE = {
  publisher: 'Canonical',
  offer: '0001-com-ubuntu-server-jammy',
  sku: '22_04-lts-gen2',
};

/** POST /_emulator/seed without events, on the emulator of a running accelnet start. */
function seed(arm: string, fleet: unknown): Promise<void> {
  const body = JSON.stringify(fleet);
  return new Promise((resolve, reject) => {
    const req = https.request(
      `${arm}/_emulator/seed?events=false`,
      {
        method: 'POST',
        rejectUnauthorized: false,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        res.resume();
        res.on('end', () =>
          res.statusCode === 200 || res.statusCode === 201
            ? resolve()
            : reject(new Error(`seed answered ${res.statusCode}`)),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

beforeAll(buildOnce, 120_000);
afterAll(killChildren);

describe('the CLI through a running accelnet start (found through its service.json)', () => {
  const config = freshConfigDir();
  const dataDir = path.join(config, 'data');
  const env = cliEnv(config);
  let service: Service;
  let key = '';

  beforeAll(async () => {
    service = await startService(['--data-dir', dataDir], env);
    key = /function key {4}(\S+) \(generated/.exec(service.stdout())?.[1] ?? '';
    // VMs the demo has not remediated, for a run that waits for approval (no events: the
    // demo's enforce mode would remediate them at once).
    const arm = /^ {2}ARM {13}embedded emulator (\S+)/m.exec(service.stdout())?.[1] ?? '';
    await seed(arm, {
      subscriptionId: SUB2,
      resourceGroups: [
        { name: 'rg-approve', vms: [{ name: 'vm', size: 'Standard_D4s_v5', image: IMAGE }] },
      ],
    });
  }, 120_000);
  afterAll(async () => {
    await service?.stop();
    rmSync(config, { recursive: true, force: true });
  });

  test('when it starts with a generated key, then it prints the key once with a curl line that works as printed, and writes the URL and key to service.json readable by its user alone', async () => {
    expect(key).toMatch(/^[\w-]{20,}$/);
    const out = service.stdout();
    const curl = /^ {2}try {13}(curl .*)$/m.exec(out)?.[1] ?? '';
    expect(curl).toContain(key);
    const answer = await new Promise<string>((resolve, reject) =>
      execFile('sh', ['-c', curl], { timeout: 30_000 }, (error, stdout) =>
        error ? reject(new Error(`${curl}: ${error.message}`)) : resolve(stdout),
      ),
    );
    expect(JSON.parse(answer)).toEqual({ pending: [] });
    const file = path.join(config, 'service.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(config).mode & 0o077).toBe(0);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({
      url: service.url,
      key,
      keySource: 'generated',
      pid: service.child.pid,
    });
    // Never logged.
    expect(readFileSync(path.join(dataDir, 'accelnet.log'), 'utf8')).not.toContain(key);
  });

  test('when scan runs after the demo, then it reads through the service and sees what the demo remediated', async () => {
    const exit = await cli(['scan', '-s', SUB, '-g', 'rg-app', '-n', 'web-1', '-o', 'json'], env);

    expect(exit.code).toBe(0);
    expect(exit.stderr).toBe(`Scanning through the accelnet service at ${service.url}.\n`);
    expect(JSON.parse(exit.stdout)).toEqual([
      expect.objectContaining({ name: 'web-1', compliant: true, action: 'compliant' }),
    ]);
  });

  test('when remediate runs a dry run, then the run is the service’s: its API lists it and its dashboard shows it', async () => {
    const exit = await cli(
      ['remediate', '-s', SUB, '-g', 'rg-app', '--dry-run', '-o', 'json'],
      env,
    );

    expect(exit.code).toBe(0);
    const run = JSON.parse(exit.stdout) as { id: string; status: string; vms: unknown[] };
    expect(run).toMatchObject({ id: expect.stringMatching(/^bulk-/), status: 'completed' });
    expect(exit.stderr).toContain(`Remediating through the accelnet service at ${service.url}.`);
    const api = await get(`${service.url}/api/remediations/${run.id}`, key);
    expect(api.status).toBe(200);
    expect(JSON.parse(api.body)).toMatchObject({ id: run.id, status: 'completed' });
    const dashboard = await get(`${service.url}/api/dashboard`, key);
    expect(dashboard.status).toBe(200);
    expect(dashboard.body).toContain(run.id);
  });

  test('when remediate runs with --no-wait, then it prints only the run id (--query id -o tsv), and status --watch follows it to the end', async () => {
    const started = await cli(
      ['remediate', '-s', SUB, '-g', 'rg-data', '-y', '--no-wait', '--query', 'id', '-o', 'tsv'],
      env,
    );
    expect(started.code).toBe(0);
    const id = started.stdout.trim();
    expect(id).toMatch(/^bulk-[0-9a-f-]{36}$/);
    expect(started.stderr).toContain(`accelnet status ${id} --watch`);

    const watched = await cli(['status', id, '--watch', '-o', 'json'], env);

    expect(watched.code).toBe(0);
    expect(JSON.parse(watched.stdout)).toMatchObject({ id, status: 'completed' });
    const shown = await cli(['status', id], env);
    expect(shown.stdout).toMatch(
      /^sql-1\s+rg-data\s+skipped\s+running\s+sql-1 is in availability set/m,
    );
    expect(shown.stdout).toMatch(new RegExp(`^Run ${id} completed: 2 VMs: 2 skipped$`, 'm'));
  });

  test('when a run waits for approval, then accelnet approve decides it and the run goes on', async () => {
    const started = await cli(
      [
        'remediate',
        '-s',
        SUB2,
        '-g',
        'rg-approve',
        '-n',
        'vm',
        '--approval',
        'required',
        '--no-wait',
        '-o',
        'json',
      ],
      env,
    );
    expect(started.code).toBe(0);
    const { id } = JSON.parse(started.stdout) as { id: string };

    let approved = await cli(['approve', id, '-o', 'json'], env);
    for (let i = 0; approved.code !== 0 && i < 50; i += 1) {
      // The run records its request once it has planned.
      await new Promise((resolve) => setTimeout(resolve, 200));
      approved = await cli(['approve', id, '-o', 'json'], env);
    }

    expect(approved.code).toBe(0);
    expect(JSON.parse(approved.stdout)).toEqual([
      expect.objectContaining({ runId: id, decision: 'approved' }),
    ]);
    const again = await cli(['approve', id], env);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^error: nothing waits for a decision under bulk-/);
    const watched = await cli(['status', id, '--watch', '-o', 'json'], env);
    expect(JSON.parse(watched.stdout)).toMatchObject({
      id,
      status: 'completed',
      summary: { remediated: 1 },
    });
  }, 90_000);

  test('when status lists the runs, then the runs the CLI started are there, the newest first (needs GET /api/remediations)', async () => {
    const started = await cli(
      ['remediate', '-s', SUB, '-g', 'rg-data', '--dry-run', '--query', 'id', '-o', 'tsv'],
      env,
    );
    const id = started.stdout.trim();

    const listed = await cli(['status', '--top', '5', '-o', 'json'], env);

    expect(listed.stderr).toBe('');
    expect(listed.code).toBe(0);
    const runs = JSON.parse(listed.stdout) as { id: string; status: string }[];
    expect(runs[0]).toMatchObject({ id, status: 'completed' });
    const ids = await cli(['status', '--query', '[].id', '-o', 'tsv'], env);
    expect(ids.stdout.split('\n')).toContain(id);
  });

  test('when the resource group does not exist, then scan and remediate fail at once naming it (404 ResourceGroupNotFound), exit 1 (remediate needs POST /api/remediations to answer 404)', async () => {
    for (const args of [
      ['scan', '-s', SUB, '-g', 'rg-nope'],
      ['remediate', '-s', SUB, '-g', 'rg-nope', '--dry-run'],
    ]) {
      const exit = await cli(args, env);
      expect({ args, code: exit.code }).toEqual({ args, code: 1 });
      expect(exit.stderr).toMatch(/^error: .*rg-nope.*ResourceGroupNotFound/m);
    }
  });

  test('when the subscription does not exist, then scan and remediate fail at once naming it (404 SubscriptionNotFound), exit 1 (needs the emulator to answer SubscriptionNotFound)', async () => {
    for (const args of [
      ['scan', '-s', UNKNOWN_SUB],
      ['remediate', '-s', UNKNOWN_SUB, '--dry-run'],
    ]) {
      const exit = await cli(args, env);
      expect({ args, code: exit.code }).toEqual({ args, code: 1 });
      expect(exit.stderr).toMatch(/^error: .*SubscriptionNotFound/m);
    }
  });

  test('when the service is given a subscription name, then it says the service takes ids, exit 2', async () => {
    const exit = await cli(['scan', '-s', 'My Subscription'], env);

    expect(exit.code).toBe(2);
    expect(exit.stderr).toMatch(
      /^error: --subscription: 'My Subscription' is a name, and the accelnet service at .* takes subscription ids/,
    );
  });

  test('when --service names it with another key, then the service refuses the key in one line, exit 1', async () => {
    const exit = await cli(['pause', '--show', '--service', service.url, '--key', 'wrong'], env);

    expect(exit.code).toBe(1);
    expect(exit.stderr.trim()).toBe(
      `error: the accelnet service at ${service.url} refused the function key (401): pass the key it runs with as --key or ACCELNET_FUNCTION_KEY (\`accelnet start\` prints it; in Azure it is the app's host key).`,
    );
  });

  test('when --service and --arm-endpoint are both given, then it says they exclude each other, exit 2', async () => {
    const exit = await cli(
      ['scan', '-s', SUB, '--service', service.url, '--arm-endpoint', 'https://127.0.0.1:1'],
      env,
    );

    expect(exit.code).toBe(2);
    expect(exit.stderr).toMatch(
      /^error: --arm-endpoint: it is for a self-contained run, but --service/,
    );
  });
});

describe('accelnet start with a key from the environment, and after it stops', () => {
  const config = freshConfigDir();
  afterAll(() => rmSync(config, { recursive: true, force: true }));

  test('when the key comes from ACCELNET_FUNCTION_KEY, then it is never printed, the curl line works with it, and service.json goes when the service stops', async () => {
    const secret = 'operator-chosen-key-7f3a9c';
    const env = cliEnv(config, { ACCELNET_FUNCTION_KEY: secret });
    const service = await startService(['--no-demo', '--data-dir', path.join(config, 'data')], env);
    try {
      expect(service.output()).not.toContain(secret);
      expect(service.stdout()).toMatch(
        /^ {2}function key {4}from ACCELNET_FUNCTION_KEY \(not shown\)$/m,
      );
      const curl = /^ {2}try {13}(curl .*)$/m.exec(service.stdout())?.[1] ?? '';
      const answer = await new Promise<string>((resolve, reject) =>
        execFile('sh', ['-c', curl], { env, timeout: 30_000 }, (error, stdout) =>
          error ? reject(new Error(`${curl}: ${error.message}`)) : resolve(stdout),
        ),
      );
      expect(JSON.parse(answer)).toEqual({ pending: [] });
      const paused = await cli(['pause', '--show', '-o', 'json'], cliEnv(config));
      expect(JSON.parse(paused.stdout)).toEqual({ paused: false });
    } finally {
      expect(await service.stop()).toBe(0);
    }
    expect(existsSync(path.join(config, 'service.json'))).toBe(false);

    const alone = await cli(['status'], cliEnv(config));
    expect(alone.code).toBe(2);
    expect(alone.stderr).toMatch(
      /^error: --service: no accelnet service is configured .* start one with `accelnet start`/,
    );
    const scanned = await cli(['scan', '-s', SUB, '-o', 'none'], cliEnv(config));
    expect(scanned.code).toBe(0);
    expect(scanned.stderr).toMatch(
      /^No accelnet service configured \(--service, ACCELNET_SERVICE_URL\) or running \(no .*service\.json\); reading ARM directly: an embedded ARM emulator/,
    );
    expect(scanned.stderr.trim().split('\n')).toHaveLength(1);
    const quiet = await cli(
      ['scan', '-s', SUB, '-o', 'none', '--only-show-errors'],
      cliEnv(config),
    );
    expect(quiet).toMatchObject({ code: 0, stdout: '', stderr: '' });
  }, 120_000);
});
