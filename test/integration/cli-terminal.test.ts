/**
 * The CLI on a real terminal (tmux): `remediate` shows the plan and asks before it takes VMs
 * down, takes no for an answer, stops at Ctrl-C, asks for a run's approval, and shows its
 * progress as a bar. Against a running service (the local twin), given by the environment.
 */
import { rmSync } from 'node:fs';

import { seedFleet } from '../../emulator/seed';
import { buildOnce, cliEnv, freshConfigDir, MAIN, ROOT } from '../support/cli';
import { hasTmux, Terminal } from '../support/terminal';
import { useLocalTwin } from '../support/twin';

const SUB2 = '00000000-0000-0000-0000-000000000002';
const IMAGE = {
  publisher: 'Canonical',
  offer: '0001-com-ubuntu-server-jammy',
  sku: '22_04-lts-gen2',
};

beforeAll(() => {
  buildOnce();
  if (!hasTmux())
    throw new Error('tmux is needed for the terminal tests: .ci/install-tmux installs it');
}, 120_000);

describe('accelnet remediate on a terminal', () => {
  const local = useLocalTwin();
  const config = freshConfigDir();
  const terminals: Terminal[] = [];
  let env: NodeJS.ProcessEnv;

  beforeAll(() => {
    seedFleet(
      local.em.world,
      {
        subscriptionId: SUB2,
        resourceGroups: ['rg-confirm', 'rg-approve', 'rg-stop'].map((name) => ({
          name,
          // Dsv3: remediated through the deallocate cycle (a Dsv5 VM would be fixed in place).
          vms: [{ name: 'vm', count: 2, size: 'Standard_D4s_v3', image: IMAGE }],
        })),
      },
      { baseUrl: local.em.url, events: false },
    );
    env = cliEnv(config, {
      ACCELNET_SERVICE_URL: local.twin.host.url,
      ACCELNET_FUNCTION_KEY: local.twin.functionKey,
    });
  });
  afterEach(() => {
    for (const t of terminals.splice(0)) t.close();
  });
  afterAll(() => rmSync(config, { recursive: true, force: true }));

  const open = (...args: string[]): Terminal => {
    const t = Terminal.open([process.execPath, MAIN, ...args], env, ROOT);
    terminals.push(t);
    return t;
  };
  const deallocations = (group: string): number =>
    local.em.world
      .vmViews()
      .filter((v) => v.id.toLowerCase().includes(`/resourcegroups/${group}/`))
      .reduce((n, v) => n + v.deallocations, 0);

  test('when the person answers no, then nothing is started and no VM goes down', async () => {
    const t = open('remediate', '-s', SUB2, '-g', 'rg-confirm');

    const asked = await t.waitFor(/Remediate 2 VMs\? \[y\/N\] $/m);
    expect(asked).toMatch(/^The plan: remediate 2 VMs\. Each is deallocated \(2 of them running/m);
    expect(asked).toMatch(/^vm-1\s+rg-confirm\s+Standard_D4s_v3\s+running$/m);
    t.send('n', 'Enter');

    expect(await t.exitStatus()).toBe(0);
    expect(t.screen()).toMatch(/^Nothing was started\.$/m);
    expect(deallocations('rg-confirm')).toBe(0);
  });

  test('when the person presses Ctrl-C at the question, then nothing is started and it exits 130', async () => {
    const t = open('remediate', '-s', SUB2, '-g', 'rg-stop');

    await t.waitFor(/Remediate 2 VMs\? \[y\/N\] $/m);
    t.send('C-c');

    expect(await t.exitStatus()).toBe(130);
    expect(t.screen()).toMatch(/^Interrupted: nothing was started\.$/m);
    expect(deallocations('rg-stop')).toBe(0);
  });

  test('when the person answers yes, then the run remediates with a progress bar and ends with each VM and the counts', async () => {
    const t = open('remediate', '-s', SUB2, '-g', 'rg-confirm');

    await t.waitFor(/Remediate 2 VMs\? \[y\/N\] $/m);
    t.send('y', 'Enter');

    expect(await t.exitStatus()).toBe(0);
    const screen = t.screen();
    // The bar as cli-progress draws it, left at its end.
    expect(screen).toMatch(/^ [█░]+ 2\/2 VMs \| 2 remediated\s*$/m);
    expect(screen).toMatch(
      /^vm-1\s+rg-confirm\s+remediated\s+running\s+Deallocated, Accelerated Networking set/m,
    );
    expect(screen).toMatch(/^Run bulk-[0-9a-f-]+ completed: 2 VMs: 2 remediated$/m);
    expect(deallocations('rg-confirm')).toBe(2);
  });

  test('when the run waits for approval, then the person is shown the plan and asked, and yes remediates', async () => {
    const t = open('remediate', '-s', SUB2, '-g', 'rg-approve', '--approval', 'required');

    const asked = await t.waitFor(/Approve the plan for 2 VMs\? \[y\/N\] $/m);
    expect(asked).toMatch(/Run bulk-[0-9a-f-]+ waits for approval\. The plan: remediate 2 VMs/);
    expect(asked).toMatch(/^ {2}vm-2\s+rg-approve\s+running$/m);
    t.send('y', 'Enter');

    expect(await t.exitStatus()).toBe(0);
    expect(t.screen()).toMatch(/^Approved: remediating\.$/m);
    expect(t.screen()).toMatch(/^Run bulk-[0-9a-f-]+ completed: 2 VMs: 2 remediated$/m);
    expect(deallocations('rg-approve')).toBe(2);
  });
});
