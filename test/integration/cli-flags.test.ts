/**
 * The Azure CLI's conventions on accelnet's commands: -o table|json|jsonc|tsv|csv|none and
 * --query (JMESPath) on real output, --version, examples in every --help, -s/-g/-n, -y off a
 * terminal, --no-wait without a service, and bad arguments: one line naming the argument,
 * exit status 2, commander's hints kept.
 */
import { rmSync } from 'node:fs';

import {
  buildOnce,
  cli,
  cliEnv,
  type Exit,
  freshConfigDir,
  killChildren,
  startEmulator,
  SUB,
} from '../support/cli';

const COMMANDS = ['start', 'emulator', 'scan', 'remediate', 'status', 'approve', 'pause', 'resume'];
const config = freshConfigDir();
const env = cliEnv(config);
let arm = '';
let stopEmulator: () => Promise<Exit>;

beforeAll(async () => {
  buildOnce();
  const emulator = await startEmulator(['--seed', 'demo'], env);
  arm = emulator.url;
  stopEmulator = () => {
    emulator.child.kill('SIGTERM');
    return emulator.exited;
  };
}, 120_000);

afterAll(async () => {
  await stopEmulator?.();
  killChildren();
  rmSync(config, { recursive: true, force: true });
});

const scan = (...args: string[]): Promise<Exit> =>
  cli(['scan', '-s', SUB, '--arm-endpoint', arm, '--only-show-errors', ...args], env);

describe('output formats and --query on real output (scan of the demo fleet)', () => {
  test('when -o json, then the rows of GET /api/compliance; --query reshapes them', async () => {
    const json = await scan('-g', 'rg-app', '-o', 'json');
    const rows = JSON.parse(json.stdout) as { name: string; action: string }[];
    expect(rows).toHaveLength(15);

    const names = await scan('--query', "[?action=='remediate'].name", '-o', 'json');

    expect(JSON.parse(names.stdout)).toEqual([
      'web-1',
      'web-2',
      'web-3',
      'worker',
      'queue',
      'batch',
    ]);
    expect(names.stderr).toBe('');
  });

  test('when -o tsv, then values only, tab-separated, no header, as az prints them', async () => {
    const exit = await scan(
      '--query',
      "[?action=='remediate'].[name, size, compliant]",
      '-o',
      'tsv',
    );

    expect(exit.stdout).toBe(
      [
        'web-1\tStandard_D4s_v5\tfalse',
        'web-2\tStandard_D4s_v5\tfalse',
        'web-3\tStandard_D4s_v5\tfalse',
        'worker\tStandard_E4s_v5\tfalse',
        'queue\tStandard_D4s_v3\tfalse',
        'batch\tStandard_F4s_v2\tfalse',
        '',
      ].join('\n'),
    );
    const one = await scan('-g', 'rg-app', '-n', 'tiny', '--query', '[0].name', '-o', 'tsv');
    expect(one.stdout).toBe('tiny\n');
    // Objects: their values in order; a nested list prints its length.
    const rows = await scan('-g', 'rg-data', '-o', 'tsv');
    expect(rows.stdout.split('\n')[0]?.split('\t')).toEqual([
      expect.stringMatching(/\/virtualMachines\/sql-1$/),
      'sql-1',
      'Standard_E8as_v4',
      'westus2',
      'running',
      'false',
      'true',
      'skip',
      '1',
    ]);
  });

  test('when -o table or csv, then the resource group and the reason in words are there', async () => {
    const table = await scan('-g', 'rg-app');
    expect(table.stdout).toMatch(
      /^NAME\s+RESOURCE GROUP\s+SIZE\s+POWER\s+COMPLIANT\s+ACTION\s+REASON$/m,
    );
    expect(table.stdout).toMatch(
      /^edge\s+rg-app\s+Standard_D2s_v4\s+running\s+no\s+skip\s+edge has a dynamic public IP/m,
    );
    expect(table.stdout).toMatch(/^15 VMs: /m);

    const csv = await scan('-g', 'rg-app', '-n', 'edge', '-o', 'csv');
    const [header, row] = csv.stdout.trim().split('\n');
    expect(header).toBe(
      'vmId,name,resourceGroup,size,location,powerState,compliant,eligible,action,reasons,reason',
    );
    expect(row).toMatch(
      /,edge,rg-app,Standard_D2s_v4,westus2,running,false,true,skip,dynamic-public-ip,"?edge has a dynamic public IP/,
    );
  });

  test('when --query with -o table, then a table of the fields it picks, headers from their names', async () => {
    const exit = await scan('-g', 'rg-data', '--query', '[].{Name:name, Size:size}');

    expect(exit.stdout).toBe(
      [
        'Name   Size',
        '-----  ----------------',
        'sql-1  Standard_E8as_v4',
        'sql-2  Standard_E8as_v4',
        '',
      ].join('\n'),
    );
  });

  test('when -o jsonc, then JSON in colour (without colour under NO_COLOR); -o none prints nothing', async () => {
    const colour = await scan('-g', 'rg-data', '--query', '[0].name', '-o', 'jsonc');
    expect(colour.stdout).toBe('\u001b[32m"sql-1"\u001b[0m\n');
    const plain = await cli(
      [
        'scan',
        '-s',
        SUB,
        '--arm-endpoint',
        arm,
        '-g',
        'rg-data',
        '--query',
        '[0].name',
        '-o',
        'jsonc',
      ],
      cliEnv(config, { NO_COLOR: '1' }),
    );
    expect(plain.stdout).toBe('"sql-1"\n');
    const none = await scan('-o', 'none');
    expect(none).toMatchObject({ code: 0, stdout: '', stderr: '' });
  });

  test('when the subscription comes from AZURE_SUBSCRIPTION_ID, then -s may be left out', async () => {
    const exit = await cli(
      ['scan', '--arm-endpoint', arm, '-g', 'rg-data', '--query', 'length(@)', '-o', 'tsv'],
      cliEnv(config, { AZURE_SUBSCRIPTION_ID: SUB }),
    );

    expect(exit.stdout).toBe('2\n');
  });

  test('when the subscription is given by name, then it is resolved through ARM’s subscription list (needs the emulator to list subscriptions)', async () => {
    const exit = await cli(
      [
        'scan',
        '-s',
        'accelnet-demo',
        '--only-show-errors',
        '--arm-endpoint',
        arm,
        '-g',
        'rg-data',
        '--query',
        'length(@)',
        '-o',
        'tsv',
      ],
      env,
    );

    expect(exit.stderr).toBe('');
    expect(exit.stdout).toBe('2\n');
  });

  test('when the subscription or resource group does not exist, then one line names it, exit 1 (the subscription needs the emulator to answer SubscriptionNotFound)', async () => {
    const group = await scan('-g', 'rg-nope');
    expect(group.code).toBe(1);
    expect(group.stderr).toMatch(
      /^error: Resource group 'rg-nope' could not be found\. \(404 ResourceGroupNotFound from ARM at https:\/\/127\.0\.0\.1:\d+\): check the name/,
    );

    const sub = await cli(
      ['scan', '-s', '00000000-0000-0000-0000-00000000dead', '--arm-endpoint', arm],
      env,
    );
    expect(sub.code).toBe(1);
    expect(sub.stderr).toMatch(/^error: .*\(404 SubscriptionNotFound from ARM at /m);
  });

  test('when ARM cannot be reached, then it says what was unreachable and what to try, no raw ECONNREFUSED', async () => {
    const exit = await cli(['scan', '-s', SUB, '--arm-endpoint', 'https://127.0.0.1:1'], env);

    expect(exit.code).toBe(1);
    expect(exit.stderr.trim().split('\n').pop()).toBe(
      'error: cannot reach ARM at https://127.0.0.1:1: nothing accepts connections there (connection refused). Is the emulator running (`accelnet emulator --port N`)? Or check --arm-endpoint (ACCELNET_ARM_ENDPOINT).',
    );
    expect(exit.stderr).not.toContain('ECONNREFUSED');
  });
});

describe('--version and --help', () => {
  test('when --version, then the package version alone', async () => {
    const exit = await cli(['--version'], env);

    expect(exit).toMatchObject({ code: 0, stdout: '0.1.0\n', stderr: '' });
  });

  test.each(COMMANDS)(
    'when %s --help, then it has examples and -o, --query and --only-show-errors',
    async (command) => {
      const exit = await cli([command, '--help'], env);

      expect(exit.code).toBe(0);
      expect(exit.stdout).toMatch(/^Examples:\n {2}\S.*\n {4}\$ accelnet /m);
      for (const option of ['-o, --output <format>', '--query <jmespath>', '--only-show-errors'])
        expect(exit.stdout).toContain(option);
    },
  );
});

describe('bad arguments: one line naming the argument, exit 2, nothing started', () => {
  test.each<[string, string[], RegExp]>([
    [
      'a misspelt option keeps the hint',
      ['scan', '--subscriptoin', SUB],
      /^error: unknown option '--subscriptoin' \(Did you mean --subscription\?\)$/,
    ],
    [
      'a misspelt command keeps the hint',
      ['remediat'],
      /^error: unknown command 'remediat' \(Did you mean remediate\?\)$/,
    ],
    ['an unknown output format', ['status', '-o', 'yaml'], /--output.*'yaml' is invalid/],
    [
      'a query that does not parse',
      ['scan', '-s', SUB, '--query', '[?'],
      /--query.*not a valid JMESPath expression/,
    ],
    ['no subscription', ['scan'], /^error: --subscription: give the subscription id or name/],
    [
      'a name without its group',
      ['scan', '-s', SUB, '-n', 'web-1'],
      /^error: --name: give the VM's resource group/,
    ],
    [
      'a bad VM name',
      ['remediate', '-s', SUB, '-g', 'rg', '-n', 'bad/name', '-y'],
      /-n, --name <vm>.*must be a VM name/,
    ],
    [
      'remediate without --yes and no terminal',
      ['remediate', '-s', SUB, '--arm-endpoint', 'https://127.0.0.1:1'],
      /^error: --yes: remediate deallocates VMs .* confirm with -y\/--yes, or see the plan with --dry-run\.$/,
    ],
    [
      '--no-wait without a service',
      ['remediate', '-s', SUB, '-y', '--no-wait', '--data-dir', '/tmp/x'],
      /^error: --no-wait: it needs a running accelnet/,
    ],
    [
      '--azure with --arm-endpoint',
      ['scan', '-s', SUB, '--azure', '--arm-endpoint', 'https://127.0.0.1:1'],
      /^error: --azure: give either --azure or --arm-endpoint/,
    ],
    ['a run id that is none', ['status', 'run-1'], /argument 'run-id'.*must be a bulk run id/],
    ['--top out of range', ['status', '--top', '0'], /--top.*from 1 to 100/],
    ['--watch without a run', ['status', '--watch'], /^error: --watch: give the run id/],
    [
      'approve without an id',
      ['approve'],
      /^error: missing required argument 'run-or-instance-id'$/,
    ],
    [
      'a service and no key',
      ['status', '--service', 'http://127.0.0.1:1'],
      /^error: --key: the service's function key is needed/,
    ],
    [
      'a status without any service',
      ['status'],
      /^error: --service: no accelnet service is configured/,
    ],
  ])('when %s', async (_what, args, message) => {
    const exit = await cli(args, env);

    expect(exit.code).toBe(2);
    expect(exit.stdout).toBe('');
    const lines = exit.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
  });
});
