/**
 * End to end: the function app under the local host, with the ARM emulator and Azurite,
 * driven by VM writes made through the real Azure SDK clients.
 */
import { EVENT_FUNCTION } from '../../host/local';
import { admin, armClients, FAST, SUB, vmId } from '../support/arm';
import { request } from '../support/http';
import { useLocalTwin } from '../support/twin';

const JAMMY = {
  publisher: 'Canonical',
  offer: '0001-com-ubuntu-server-jammy',
  sku: '22_04-lts-gen2',
  version: 'latest',
};

interface VmView {
  id: string;
  powerState: string;
  deallocations: number;
  nics: { enableAcceleratedNetworking: boolean; acceleratedNetworkingEffective: boolean }[];
}
interface Op {
  principal: string;
  method: string;
  path: string;
  operation: string;
  status: number;
}
interface RunView {
  outcome: string;
  reason?: string;
  reasons: { code: string }[];
  originalPowerState: string;
  finalPowerState: string;
  steps: { name: string }[];
}

describe('event-driven remediation end to end', () => {
  const local = useLocalTwin({ ACCELNET_MODE: 'enforce' });

  const vms = async (): Promise<VmView[]> =>
    (await admin<{ vms: VmView[] }>(local.em, 'GET', '/_emulator/vms')).body.vms;
  const view = async (id: string): Promise<VmView | undefined> =>
    (await vms()).find((v) => v.id.toLowerCase() === id.toLowerCase());
  const ops = async (): Promise<Op[]> =>
    (await admin<{ operations: Op[] }>(local.em, 'GET', '/_emulator/operations')).body.operations;

  async function run(id: string): Promise<{ status: number; view?: RunView }> {
    const res = await request(
      `${local.twin.host.url}/api/vms/${encodeURIComponent(id)}/remediation?code=${encodeURIComponent(local.twin.functionKey)}`,
    );
    return {
      status: res.status,
      ...(res.status === 200 ? { view: JSON.parse(res.body) as RunView } : {}),
    };
  }
  async function settled(id: string, timeoutMs = 30_000): Promise<RunView> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const got = await run(id);
      if (got.view && !['in-progress', 'pending-approval'].includes(got.view.outcome))
        return got.view;
      if (Date.now() > deadline) throw new Error(`no outcome for ${id}: ${JSON.stringify(got)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async function createVm(rg: string, name: string, size = 'Standard_D4s_v5'): Promise<string> {
    const { compute, network, resources } = armClients(local.em, 'app-team');
    await resources.resourceGroups.createOrUpdate(rg, { location: 'westus2' });
    const vnet = await network.virtualNetworks.beginCreateOrUpdateAndWait(
      rg,
      `${rg}-vnet`,
      {
        location: 'westus2',
        addressSpace: { addressPrefixes: ['10.1.0.0/16'] },
        subnets: [{ name: 'default', addressPrefix: '10.1.0.0/16' }],
      },
      FAST,
    );
    const nic = await network.networkInterfaces.beginCreateOrUpdateAndWait(
      rg,
      `${name}-nic`,
      {
        location: 'westus2',
        ipConfigurations: [{ name: 'ipconfig1', subnet: { id: vnet.subnets?.[0]?.id ?? '' } }],
      },
      FAST,
    );
    await compute.virtualMachines.createOrUpdate(
      rg,
      name,
      {
        location: 'westus2',
        hardwareProfile: { vmSize: size },
        storageProfile: {
          imageReference: JAMMY,
          osDisk: { createOption: 'FromImage', osType: 'Linux' },
        },
        osProfile: {
          computerName: name,
          adminUsername: 'azureuser',
          adminPassword: 'Secret-Passw0rd!',
        },
        networkProfile: { networkInterfaces: [{ id: nic.id ?? '' }] },
      },
      FAST,
    );
    return vmId(rg, name);
  }

  test('when a VM is created without Accelerated Networking, then it is remediated: NIC effective, running, one deallocation, steps in order', async () => {
    const id = await createVm('rg-e2e', 'web-new');
    const outcome = await settled(id);
    expect(outcome).toMatchObject({
      outcome: 'remediated',
      originalPowerState: 'running',
      finalPowerState: 'running',
    });
    expect(outcome.steps.map((s) => s.name)).toEqual([
      'assess',
      'prepare',
      'deallocate',
      'enableNics',
      'start',
      'verify',
    ]);
    const vm = await view(id);
    expect(vm).toMatchObject({ powerState: 'running', deallocations: 1 });
    expect(
      vm?.nics.every((n) => n.enableAcceleratedNetworking && n.acceleratedNetworkingEffective),
    ).toBe(true);
    const writes = (await ops())
      .filter((o) => o.principal === 'accelnet' && o.method !== 'GET')
      .map((o) => o.operation);
    expect(writes).toEqual([
      'Microsoft.Compute/virtualMachines/deallocate/action',
      'Microsoft.Network/networkInterfaces/write',
      'Microsoft.Compute/virtualMachines/start/action',
    ]);
  });

  test('when 20 duplicate events arrive for one VM, then there is one run and one deallocation', async () => {
    await admin(local.em, 'POST', '/_emulator/seed?events=false', {
      subscriptionId: SUB,
      resourceGroups: [
        { name: 'rg-dup', vms: [{ name: 'burst', size: 'Standard_D4s_v5', image: JAMMY }] },
      ],
    });
    const id = vmId('rg-dup', 'burst');
    const event = {
      id: 'evt-burst',
      topic: `/subscriptions/${SUB}/resourceGroups/rg-dup`,
      subject: id,
      eventType: 'Microsoft.Resources.ResourceWriteSuccess',
      eventTime: new Date().toISOString(),
      dataVersion: '2',
      metadataVersion: '1',
      data: {
        operationName: 'Microsoft.Compute/virtualMachines/write',
        resourceUri: id,
        subscriptionId: SUB,
        status: 'Succeeded',
        authorization: { evidence: { principalId: 'app-team' } },
      },
    };
    const url = `${local.twin.host.url}/runtime/webhooks/eventgrid?functionName=${EVENT_FUNCTION}&code=${encodeURIComponent(local.twin.functionKey)}`;
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
      { name: 'cache', size: 'Standard_D4ds_v5', image: JAMMY, ephemeralOsDisk: true },
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
      await admin(local.em, 'POST', '/_emulator/seed', {
        subscriptionId: SUB,
        resourceGroups: [{ name: rg, vms: [spec] }],
      });
      const id = vmId(rg, spec.name);
      const outcome = await settled(id);
      expect(outcome.outcome).toBe('skipped');
      expect(outcome.reasons.map((r) => r.code)).toContain(code);
      const touched = (await ops()).filter(
        (o) =>
          o.principal === 'accelnet' &&
          o.method !== 'GET' &&
          o.path.toLowerCase().includes(`/resourcegroups/${rg.toLowerCase()}/`),
      );
      expect(touched).toEqual([]);
      expect((await view(id))?.deallocations).toBe(0);
    },
  );

  test('when the host stops mid-run and a new host starts over the same data dir, then the run finishes', async () => {
    await admin(local.em, 'PUT', '/_emulator/config', { latencies: { deallocate: 150 } });
    try {
      await admin(local.em, 'POST', '/_emulator/seed', {
        subscriptionId: SUB,
        resourceGroups: [
          { name: 'rg-crash', vms: [{ name: 'phoenix', size: 'Standard_D4s_v5', image: JAMMY }] },
        ],
      });
      const id = vmId('rg-crash', 'phoenix');
      const deadline = Date.now() + 20_000;
      while ((await view(id))?.powerState !== 'deallocating') {
        if (Date.now() > deadline) throw new Error('the run never reached deallocation');
        await new Promise((r) => setTimeout(r, 20));
      }
      await local.twin.restartHost();
      const outcome = await settled(id);
      expect(outcome.outcome).toBe('remediated');
      const vm = await view(id);
      expect(vm).toMatchObject({ powerState: 'running', deallocations: 1 });
      expect(vm?.nics.every((n) => n.acceleratedNetworkingEffective)).toBe(true);
    } finally {
      await admin(local.em, 'PUT', '/_emulator/config', { latencies: { deallocate: 29.6 } });
    }
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
