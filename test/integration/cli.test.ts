/**
 * The `accelnet` CLI as a user runs it: the built bin in a child process.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
  buildOnce,
  cliEnv,
  type Exit,
  freshConfigDir,
  killChildren,
  type RunningEmulator,
  spawnCli,
  startEmulator,
  SUB,
} from '../support/cli';

let scratch = '';
let config = '';

beforeAll(() => {
  buildOnce();
  scratch = mkdtempSync(join(tmpdir(), 'accelnet-cli-'));
  // No accelnet start of the machine's is found: these commands run self-contained.
  config = freshConfigDir();
}, 120_000);

afterEach(killChildren);

afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
  rmSync(config, { recursive: true, force: true });
});

const cli = (args: string[]): { child: ChildProcess; exited: Promise<Exit> } =>
  spawnCli(args, cliEnv(config));

/** `accelnet emulator …` on a free port, once it serves. */
const startCli = (args: string[]): Promise<RunningEmulator> => startEmulator(args, cliEnv(config));

/** Bad arguments of a command: each exits 2 with one line on stderr naming the option. */
function itExitsTwoNaming(cases: [string[], string][]): void {
  it.each(cases)(
    'when run with %j, then it exits 2 with one line naming %s',
    async (args, name) => {
      const result = await cli(args).exited;
      expect(result.code).toBe(2);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr).toContain(name);
    },
  );
}

function get(
  url: string,
  options: { ca?: string; token?: string } = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.get(
      url,
      {
        ...(options.ca !== undefined ? { ca: options.ca } : { rejectUnauthorized: false }),
        headers: options.token !== undefined ? { Authorization: `Bearer ${options.token}` } : {},
        agent: false,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
  });
}

async function caOf(url: string): Promise<string> {
  const { status, body } = await get(`${url}/_emulator/ca.pem`);
  expect(status).toBe(200);
  return body;
}

describe('accelnet emulator', () => {
  it('when started, then it prints exactly one stdout line once it serves its CA and ARM over https, and SIGTERM stops it with status 0', async () => {
    const running = await startCli([]);

    const ca = await caOf(running.url);
    expect(ca).toContain('-----BEGIN CERTIFICATE-----');
    // The certificate it serves is signed by that CA, for 127.0.0.1.
    const verified = await get(`${running.url}/_emulator/ca.pem`, { ca });
    expect(verified).toEqual({ status: 200, body: ca });
    // Unseeded, it knows no subscription: the list is empty and one by id is not found.
    const subscriptions = await get(`${running.url}/subscriptions?api-version=2022-12-01`, {
      ca,
      token: 'cli-test',
    });
    expect(subscriptions.status).toBe(200);
    expect(JSON.parse(subscriptions.body)).toEqual({ value: [] });
    const groups = await get(
      `${running.url}/subscriptions/${SUB}/resourcegroups?api-version=2022-09-01`,
      { ca, token: 'cli-test' },
    );
    expect(groups.status).toBe(404);
    expect(JSON.parse(groups.body)).toMatchObject({ error: { code: 'SubscriptionNotFound' } });
    const anonymous = await get(
      `${running.url}/subscriptions/${SUB}/resourcegroups?api-version=2022-09-01`,
      { ca },
    );
    expect(anonymous.status).toBe(401);

    running.child.kill('SIGTERM');
    const exit = await running.exited;

    expect(exit.code).toBe(0);
    expect(exit.stdout).toBe(`ARM emulator listening on ${running.url}\n`);
  });

  it('when started with --seed demo, then it serves the 17 VMs of the demo fleet', async () => {
    const running = await startCli(['--seed', 'demo']);
    const ca = await caOf(running.url);

    const { status, body } = await get(`${running.url}/_emulator/vms`, { ca });

    expect(status).toBe(200);
    const { vms } = JSON.parse(body) as { vms: { id: string; powerState: string }[] };
    expect(vms).toHaveLength(17);
    expect(vms.every((vm) => vm.id.startsWith(`/subscriptions/${SUB}/resourceGroups/`))).toBe(true);
    const groups = await get(
      `${running.url}/subscriptions/${SUB}/resourcegroups?api-version=2022-09-01`,
      { ca, token: 'cli-test' },
    );
    const names = (JSON.parse(groups.body) as { value: { name: string }[] }).value.map(
      (g) => g.name,
    );
    expect(names.sort()).toEqual(['rg-app', 'rg-data']);
    running.child.kill('SIGTERM');
    expect((await running.exited).code).toBe(0);
  });
});

describe('accelnet bad arguments', () => {
  /** `accelnet emulator --port 0 --seed FILE`, the file written with the text as it runs. */
  const seeding = (name: string, text: string) => (): string[] => {
    const path = join(scratch, name);
    writeFileSync(path, text);
    return ['emulator', '--port', '0', '--seed', path];
  };

  it.each<{ label: string; name: string; args: () => string[] }>([
    {
      label: 'a port that is not a number',
      name: '--port',
      args: () => ['emulator', '--port', 'abc'],
    },
    { label: 'a port above 65535', name: '--port', args: () => ['emulator', '--port', '70000'] },
    {
      label: 'a negative time scale',
      name: '--time-scale',
      args: () => ['emulator', '--time-scale', '-1'],
    },
    { label: 'an unknown option', name: '--bogus', args: () => ['emulator', '--bogus'] },
    { label: 'an unknown command', name: 'frobnicate', args: () => ['frobnicate'] },
    {
      label: 'a seed file that does not exist',
      name: '--seed',
      args: () => ['emulator', '--port', '0', '--seed', '/nonexistent.json'],
    },
    {
      label: 'a seed file with invalid JSON',
      name: '--seed',
      args: seeding('broken.json', '{"subscriptionId": '),
    },
    {
      label: 'a seed file with an invalid fleet',
      name: '--seed',
      args: seeding(
        'invalid-fleet.json',
        JSON.stringify({ subscriptionId: 'not-a-guid', resourceGroups: [] }),
      ),
    },
    {
      label: 'a seed file with a VM size Azure does not have',
      name: '--seed',
      args: seeding(
        'unknown-size.json',
        JSON.stringify({
          subscriptionId: SUB,
          resourceGroups: [
            {
              name: 'rg-x',
              vms: [
                {
                  name: 'vm',
                  size: 'Standard_Bogus_v9',
                  image: { publisher: 'Canonical', offer: 'UbuntuServer', sku: '18.04-LTS' },
                },
              ],
            },
          ],
        }),
      ),
    },
  ])(
    'when given $label, then it prints one error line naming $name and exits 2',
    async ({ name, args }) => {
      const exit = await cli(args()).exited;

      expect(exit.code).toBe(2);
      expect(exit.stdout).toBe('');
      expect(exit.stderr.endsWith('\n')).toBe(true);
      const lines = exit.stderr.trimEnd().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^error: /);
      expect(lines[0]).toContain(name);
    },
  );
});

describe('accelnet scan', () => {
  it('when pointed at a running emulator, then it prints the compliance rows as JSON and changes nothing', async () => {
    const running = await startCli(['--seed', 'demo']);
    const scanned = await cli([
      'scan',
      '--subscription',
      SUB,
      '--output',
      'json',
      '--arm-endpoint',
      running.url,
    ]).exited;
    expect(scanned.code).toBe(0);
    const rows = JSON.parse(scanned.stdout) as {
      name: string;
      action: string;
      compliant: boolean;
      eligible: boolean;
      reasons: { code: string }[];
    }[];
    expect(rows).toHaveLength(17);
    expect(rows.find((r) => r.name === 'web-1')).toMatchObject({
      action: 'remediate',
      compliant: false,
      eligible: true,
    });
    expect(rows.find((r) => r.name === 'tiny')?.reasons.map((r) => r.code)).toContain(
      'size-not-supported',
    );
    const ops = JSON.parse((await get(`${running.url}/_emulator/operations`)).body) as {
      operations: { method: string }[];
    };
    expect(ops.operations.filter((o) => o.method !== 'GET')).toEqual([]);
    running.child.kill('SIGTERM');
    await running.exited;
  });

  it('when asked for CSV of one resource group, then it prints a header and one line per VM', async () => {
    const running = await startCli(['--seed', 'demo']);
    const scanned = await cli([
      'scan',
      '--subscription',
      SUB,
      '--resource-group',
      'rg-data',
      '--output',
      'csv',
      '--arm-endpoint',
      running.url,
    ]).exited;
    expect(scanned.code).toBe(0);
    const lines = scanned.stdout.trim().split('\n');
    expect(lines[0]).toBe(
      'vmId,name,resourceGroup,size,location,powerState,compliant,eligible,action,reasons,reason',
    );
    expect(lines[1]).toMatch(
      /^[^,]+,sql-1,rg-data,Standard_E8as_v4,.*,availability-set,"?sql-1 is in availability set sql-avset/,
    );
    expect(lines.slice(1).map((l) => l.split(',')[1])).toEqual(['sql-1', 'sql-2']);
    running.child.kill('SIGTERM');
    await running.exited;
  });

  itExitsTwoNaming([
    [['scan'], '--subscription'],
    [['scan', '--subscription', 'not/a-guid'], '--subscription'],
    [['scan', '--subscription', SUB, '--output', 'xml'], '--output'],
    [['scan', '--subscription', SUB, '--resource-group', 'bad/group'], '--resource-group'],
    [['scan', '--subscription', SUB, '--arm-endpoint', 'http://127.0.0.1:1'], '--arm-endpoint'],
  ]);
});

describe('accelnet start', () => {
  it('when started with the demo, then it remediates the demo fleet, prints the report, serves, and stops on SIGINT with status 0', async () => {
    const { child, exited } = cli([
      'start',
      '--port',
      '0',
      '--data-dir',
      join(scratch, 'start-demo'),
    ]);
    const output = await new Promise<string>((resolve, reject) => {
      let text = '';
      child.stdout?.on('data', (chunk: string) => {
        text += chunk;
        if (text.includes('Serving until Ctrl-C.')) resolve(text);
      });
      void exited.then((exit) => reject(new Error(`exited ${exit.code}: ${exit.stderr}`)));
    });
    expect(output).toMatch(/accelnet is serving on http:\/\/127\.0\.0\.1:\d+/);
    expect(output).toContain('17 VMs: 6 remediated, 2 already-compliant, 9 skipped');
    // web-1's size requires AN: fixed in place, no deallocation; queue's goes through the cycle.
    expect(output).toMatch(
      /web-1\s+rg-app\s+Standard_D4s_v5\s+remediated\s+running -> running\s+yes\s+0/,
    );
    expect(output).toMatch(
      /queue\s+rg-app\s+Standard_D4s_v3\s+remediated\s+running -> running\s+yes\s+1/,
    );
    expect(output).toMatch(/reports\s+rg-app\s+Standard_D4s_v3\s+skipped\s+mana-driver-missing/);
    expect(output).toMatch(/firewall\s+rg-app\s+Standard_D2s_v5\s+skipped\s+legacy-vm-nva/);
    expect(output).toMatch(/tiny\s+rg-app\s+Standard_B2s\s+skipped\s+size-not-supported/);
    child.kill('SIGINT');
    expect((await exited).code).toBe(0);
  }, 90_000);

  itExitsTwoNaming([
    [['start', '--demo', '--azure'], '--demo'],
    [['start', '--port', 'x'], '--port'],
    [['start', '--time-scale', 'fast'], '--time-scale'],
    [['start', '--arm-endpoint', 'ftp://x'], '--arm-endpoint'],
  ]);
});

describe('accelnet remediate', () => {
  const VM = (group: string, name: string, sub = SUB): string =>
    `/subscriptions/${sub}/resourceGroups/${group}/providers/Microsoft.Compute/virtualMachines/${name}`;
  const dataDir = (name: string): string => join(scratch, name);

  function putJson(url: string, body: unknown): Promise<number> {
    return new Promise((resolve, reject) => {
      const text = JSON.stringify(body);
      const req = https.request(
        url,
        {
          method: 'PUT',
          rejectUnauthorized: false,
          agent: false,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(text),
          },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      req.end(text);
    });
  }

  it('when run with --dry-run on the embedded emulator, then it says it runs self-contained, plans, changes nothing, prints each VM with its resource group and reason, and exits 0', async () => {
    const exit = await cli([
      'remediate',
      '--subscription',
      SUB,
      '--dry-run',
      '--data-dir',
      dataDir('remediate-dry'),
    ]).exited;

    expect(exit.code).toBe(0);
    expect(exit.stderr).toMatch(
      /^--data-dir given: a self-contained run: running self-contained on a local host over an embedded ARM emulator/m,
    );
    expect(exit.stdout).toMatch(
      /^Run bulk-[0-9a-f-]+ completed: 17 VMs: 2 already-compliant, 6 planned, 9 skipped$/m,
    );
    expect(exit.stdout).toMatch(/^NAME\s+RESOURCE GROUP\s+OUTCOME\s+POWER\s+REASON$/m);
    expect(exit.stdout).toMatch(/^web-1\s+rg-app\s+planned\s+running\s+\S/m);
    expect(exit.stdout).toMatch(
      /^tiny\s+rg-app\s+skipped\s+running\s+Standard_B2s does not support Accelerated Networking/m,
    );
    // Progress, one line per VM without a terminal, goes to stderr.
    expect(exit.stderr).toMatch(/^web-1\s+planned$/m);
    expect(exit.stdout).not.toContain('remediated');
  }, 60_000);

  it('when run on the demo fleet with --max-parallel 4 and --yes, then it remediates, lists every VM with its reason, and exits 0', async () => {
    const exit = await cli([
      'remediate',
      '--subscription',
      SUB,
      '--max-parallel',
      '4',
      '--yes',
      '--data-dir',
      dataDir('remediate-demo'),
    ]).exited;

    expect(exit.code).toBe(0);
    expect(exit.stdout).toContain('17 VMs: 6 remediated, 2 already-compliant, 9 skipped');
    // One log line per VM on stderr as its outcome becomes final (not a TTY).
    for (const name of ['web-1', 'web-2', 'web-3', 'worker', 'queue', 'batch']) {
      expect(exit.stderr).toMatch(new RegExp(`^${name}\\s+remediated$`, 'm'));
      expect(exit.stdout).toMatch(new RegExp(`^${name}\\s+rg-app\\s+remediated\\s`, 'm'));
    }
    expect(exit.stdout).toMatch(
      /^cache\s+rg-app\s+skipped\s+running\s+cache has an ephemeral OS disk/m,
    );
    expect(exit.stdout).toMatch(
      /^sql-1\s+rg-data\s+skipped\s+running\s+sql-1 is in availability set/m,
    );
  }, 60_000);

  it('when a fault makes a NIC write fail on a running emulator, then that VM is reported failed and it exits 1', async () => {
    const running = await startCli(['--seed', 'demo']);
    const status = await putJson(`${running.url}/_emulator/faults`, [
      {
        match: { operation: 'Microsoft.Network/networkInterfaces/write', pathPattern: 'queue' },
        probability: 1,
        kind: 'http',
        status: 400,
        code: 'InvalidRequestFormat',
      },
    ]);
    expect(status).toBe(200);

    const exit = await cli([
      'remediate',
      '--subscription',
      SUB,
      '--max-parallel',
      '4',
      '-y',
      '--arm-endpoint',
      running.url,
      '--data-dir',
      dataDir('remediate-fault'),
    ]).exited;

    expect(exit.code).toBe(1);
    expect(exit.stderr).not.toContain('embedded ARM emulator');
    expect(exit.stderr).toMatch(/^queue\s+failed\s+.*InvalidRequestFormat/m);
    expect(exit.stdout).toContain('17 VMs: 5 remediated, 2 already-compliant, 9 skipped, 1 failed');
    expect(exit.stdout).toMatch(/^queue\s+rg-app\s+failed\s+running\s+.*InvalidRequestFormat/m);
    // The failed VM (of a size that goes through the deallocate cycle) was brought back up.
    const { vms } = JSON.parse((await get(`${running.url}/_emulator/vms`)).body) as {
      vms: { id: string; powerState: string; deallocations: number }[];
    };
    expect(vms.find((v) => v.id.endsWith('/queue'))).toMatchObject({
      powerState: 'running',
      deallocations: 1,
    });
    running.child.kill('SIGTERM');
    await running.exited;
  }, 90_000);

  it('when approval is required without a TTY, then it prints the accelnet approve line, which approves, and the run remediates', async () => {
    const { child, exited } = cli([
      'remediate',
      '--subscription',
      SUB,
      '--vm',
      VM('rg-app', 'web-2'),
      '--approval',
      'required',
      '--data-dir',
      dataDir('remediate-approval'),
    ]);
    const line = await new Promise<string[]>((resolve, reject) => {
      let text = '';
      child.stderr?.on('data', (chunk: string) => {
        text += chunk;
        const m = /waits for a decision on 1 VM: `accelnet approve ([^`]+)`/.exec(text);
        if (m?.[1]) resolve(m[1].split(' '));
      });
      void exited.then((exit) => reject(new Error(`exited ${exit.code}: ${exit.stderr}`)));
    });
    expect(line).toEqual([
      expect.stringMatching(/^bulk-/),
      '--service',
      expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
      '--key',
      expect.any(String),
    ]);

    const approved = await cli(['approve', ...line]).exited;
    expect(approved.code).toBe(0);
    expect(approved.stdout).toMatch(/\sapproved$/m);
    const exit = await exited;

    expect(exit.code).toBe(0);
    expect(exit.stderr).toMatch(/^web-2\s+remediated$/m);
    expect(exit.stdout).toMatch(/: 1 VM: 1 remediated$/m);
  }, 60_000);

  it.each([
    [['remediate'], '--subscription'],
    [['remediate', '--subscription', SUB, '--max-parallel', '0'], '--max-parallel'],
    [['remediate', '--subscription', SUB, '--max-parallel', 'x'], '--max-parallel'],
    [['remediate', '--subscription', SUB, '--max-parallel', '501'], '--max-parallel'],
    [['remediate', '--subscription', SUB, '--approval', 'maybe'], '--approval'],
    [['remediate', '--subscription', SUB, '--vm', 'not-an-id'], '--vm'],
    [
      [
        'remediate',
        '--subscription',
        SUB,
        '--vm',
        VM('rg-app', 'web-1', '00000000-0000-0000-0000-000000000002'),
      ],
      '--vm',
    ],
    [
      [
        'remediate',
        '--subscription',
        SUB,
        '--resource-group',
        'rg-data',
        '--vm',
        VM('rg-app', 'web-1'),
      ],
      '--vm',
    ],
    [
      ['remediate', '--subscription', SUB, '--arm-endpoint', 'http://127.0.0.1:1'],
      '--arm-endpoint',
    ],
  ])('when run with %j, then it exits 2 with one line naming %s', async (args, name) => {
    const result = await cli(args).exited;
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^error: /);
    expect(lines[0]).toContain(name);
  });
});
