/**
 * End to end: the function app under the local host, with the ARM emulator and Azurite,
 * driven by VM writes made through the real Azure SDK clients.
 */
import { vmId } from '../support/arm';
import { eventWebhook, vmWriteEvent } from '../support/events';
import { withEmulatorConfig } from '../support/faults';
import { request } from '../support/http';
import { poll } from '../support/poll';
import {
  outcomeFinal,
  REMEDIATION_STEPS,
  vmRun,
  vmRunUntil,
  type VmRunView,
} from '../support/runs';
import { createVm, JAMMY as JAMMY_IMAGE, seedGroup } from '../support/seed';
import { useLocalTwin } from '../support/twin';
import { findVm, inGroup, opsSince, writesOf } from '../support/views';

const JAMMY = { ...JAMMY_IMAGE, version: 'latest' };

describe('event-driven remediation end to end', () => {
  const local = useLocalTwin({ ACCELNET_MODE: 'enforce' });

  const view = (id: string) => findVm(local.em, id);
  const ops = () => opsSince(local.em);
  const run = (id: string) => vmRun(local.host, id);
  const settled = (id: string, timeoutMs = 30_000): Promise<VmRunView> =>
    vmRunUntil(local.host, id, outcomeFinal, { timeoutMs });

  test('when a VM is created without Accelerated Networking, then it is remediated: NIC effective, running, one deallocation, steps in order', async () => {
    const id = await createVm(local.em, 'rg-e2e', 'web-new');
    const outcome = await settled(id);
    expect(outcome).toMatchObject({
      outcome: 'remediated',
      originalPowerState: 'running',
      finalPowerState: 'running',
    });
    expect(outcome.steps.map((s) => s.name)).toEqual(REMEDIATION_STEPS);
    const vm = await view(id);
    expect(vm).toMatchObject({ powerState: 'running', deallocations: 1 });
    expect(
      vm?.nics.every((n) => n.enableAcceleratedNetworking && n.acceleratedNetworkingEffective),
    ).toBe(true);
    const writes = writesOf(await ops()).map((o) => o.operation);
    expect(writes).toEqual([
      'Microsoft.Compute/virtualMachines/deallocate/action',
      'Microsoft.Network/networkInterfaces/write',
      'Microsoft.Compute/virtualMachines/start/action',
    ]);
  });

  test('when 20 duplicate events arrive for one VM, then there is one run and one deallocation', async () => {
    await seedGroup(local.em, 'rg-dup', [{ name: 'burst', image: JAMMY }], { events: false });
    const id = vmId('rg-dup', 'burst');
    const event = vmWriteEvent(id, { id: 'evt-burst', rg: 'rg-dup', principal: 'app-team' });
    const url = `${local.twin.host.url}${eventWebhook(local.twin.functionKey)}`;
    const answers = await Promise.all(
      Array.from({ length: 20 }, () =>
        request(url, 'POST', [event], { 'aeg-event-type': 'Notification' }),
      ),
    );
    expect(answers.every((a) => a.status >= 200 && a.status < 300)).toBe(true);
    expect((await settled(id)).outcome).toBe('remediated');
    expect((await view(id))?.deallocations).toBe(1);
    const runs = local.twin.host.taskHub
      .list()
      .filter((i) => i.name === 'remediateVm' && (i.input ?? '').includes('/rg-dup/'));
    expect(runs).toHaveLength(1);
  });

  test.each([
    [
      'an unsupported size',
      { name: 'tiny', size: 'Standard_B2s', image: JAMMY },
      'size-not-supported',
    ],
    [
      'an unsupported OS',
      {
        name: 'legacy',
        size: 'Standard_D4s_v3',
        image: { publisher: 'OpenLogic', offer: 'CentOS', sku: '7.3' },
      },
      'os-not-supported',
    ],
    [
      'an ephemeral OS disk',
      { name: 'cache', size: 'Standard_D4ds_v4', image: JAMMY, ephemeralOsDisk: true },
      'ephemeral-os-disk',
    ],
    [
      'the opt-out tag',
      {
        name: 'payments',
        size: 'Standard_D4s_v5',
        image: JAMMY,
        tags: { 'accelnet-exempt': 'true' },
      },
      'opted-out',
    ],
  ])(
    'when a VM with %s is written, then it is skipped and never touched',
    async (_what, spec, code) => {
      const rg = `rg-skip-${spec.name}`;
      const [id] = await seedGroup(local.em, rg, [spec]);
      const outcome = await settled(id!);
      expect(outcome.outcome).toBe('skipped');
      expect(outcome.reasons.map((r) => r.code)).toContain(code);
      const touched = writesOf(await ops()).filter(inGroup(rg));
      expect(touched).toEqual([]);
      expect((await view(id!))?.deallocations).toBe(0);
    },
  );

  test('when the host stops mid-run and a new host starts over the same data dir, then the run finishes', async () => {
    await withEmulatorConfig(local.em, { latencies: { deallocate: 150 } }, async () => {
      await seedGroup(local.em, 'rg-crash', [{ name: 'phoenix', image: JAMMY }]);
      const id = vmId('rg-crash', 'phoenix');
      await poll(
        'the run to reach deallocation',
        () => view(id),
        (vm) => vm?.powerState === 'deallocating',
        {
          timeoutMs: 20_000,
          intervalMs: 20,
        },
      );
      await local.twin.restartHost();
      const outcome = await settled(id);
      expect(outcome.outcome).toBe('remediated');
      const vm = await view(id);
      expect(vm).toMatchObject({ powerState: 'running', deallocations: 1 });
      expect(vm?.nics.every((n) => n.acceleratedNetworkingEffective)).toBe(true);
    });
  });

  test('when a VM id is not a VM id or has no run, then the status route says so', async () => {
    expect((await run('/subscriptions/x/resourceGroups/../../etc')).status).toBe(400);
    expect((await run(vmId('rg-none', 'ghost'))).status).toBe(404);
    const noKey = await request(
      `${local.twin.host.url}/api/vms/${encodeURIComponent(vmId('rg-e2e', 'web-new'))}/remediation`,
    );
    expect(noKey.status).toBe(401);
  });
});
