import { DEMO_FLEET } from '../../emulator/demo-fleet';
import type { ArmEmulator } from '../../emulator/server';
import { createArmFactory } from '../../shared/arm/clients';
import { assessFleet, complianceRows, discoverFleet } from '../../shared/arm/discovery';
import { admin, emulatorForTest, principalCredential, SUB } from '../support/arm';

const RULES = {
  exemptTag: 'accelnet-exempt',
  allowUnknownOs: false,
  allowDynamicPublicIp: false,
  allowAvailabilitySets: false,
};

describe('fleet discovery', () => {
  let em: ArmEmulator;
  beforeEach(async () => {
    em = await emulatorForTest();
  });
  afterEach(() => em.stop());

  const ports = (): ReturnType<ReturnType<typeof createArmFactory>> =>
    createArmFactory({
      endpoint: em.url,
      credential: principalCredential('scanner'),
      caPem: em.caPem,
    })(SUB);

  test('when the demo fleet is discovered, then every VM gets the decision its single-VM assessment gives', async () => {
    await admin(em, 'POST', '/_emulator/seed?events=false', DEMO_FLEET);
    const rows = complianceRows(
      assessFleet(await discoverFleet(ports(), { subscriptionId: SUB }), RULES),
    );
    const byName = new Map(rows.map((r) => [r.name, r]));
    expect(rows).toHaveLength(17);
    expect(byName.get('web-1')).toMatchObject({
      action: 'remediate',
      eligible: true,
      compliant: false,
      powerState: 'running',
      size: 'Standard_D4s_v5',
      location: 'westus2',
    });
    expect(byName.get('api-1')).toMatchObject({ action: 'compliant', compliant: true });
    expect(byName.get('batch')).toMatchObject({ action: 'remediate', powerState: 'deallocated' });
    expect(byName.get('tiny')?.reasons.map((r) => r.code)).toContain('size-not-supported');
    expect(byName.get('legacy')?.reasons.map((r) => r.code)).toContain('os-not-supported');
    expect(byName.get('cache')?.reasons.map((r) => r.code)).toContain('ephemeral-os-disk');
    expect(byName.get('payments')?.reasons.map((r) => r.code)).toContain('opted-out');
    expect(byName.get('edge')?.reasons.map((r) => r.code)).toContain('dynamic-public-ip');
    expect(byName.get('sql-1')?.reasons.map((r) => r.code)).toContain('availability-set');
    expect(byName.get('queue')).toMatchObject({ action: 'remediate', size: 'Standard_D4s_v3' });
    expect(byName.get('reports')?.reasons.map((r) => r.code)).toContain('mana-driver-missing');
    expect(byName.get('firewall')?.reasons.map((r) => r.code)).toContain('legacy-vm-nva');
  });

  test('when a resource group is discovered, then only its VMs are listed', async () => {
    await admin(em, 'POST', '/_emulator/seed?events=false', DEMO_FLEET);
    const snapshot = await discoverFleet(ports(), {
      subscriptionId: SUB,
      resourceGroup: 'rg-data',
    });
    expect(snapshot.vms.map((v) => v.name).sort()).toEqual(['sql-1', 'sql-2']);
  });

  test('when 120 VMs are discovered, then ARM reads grow with pages, not with VMs', async () => {
    const jammy = {
      publisher: 'Canonical',
      offer: '0001-com-ubuntu-server-jammy',
      sku: '22_04-lts-gen2',
    };
    await admin(em, 'POST', '/_emulator/seed?events=false', {
      subscriptionId: SUB,
      location: 'westus2',
      resourceGroups: [
        {
          name: 'rg-big',
          vms: [{ name: 'vm', count: 120, size: 'Standard_D2s_v5', osType: 'Linux', image: jammy }],
        },
      ],
    });
    const before = (await admin<{ operations: unknown[] }>(em, 'GET', '/_emulator/operations')).body
      .operations.length;
    const snapshot = await discoverFleet(ports(), { subscriptionId: SUB });
    const ops = (
      await admin<{ operations: { method: string; operation: string }[] }>(
        em,
        'GET',
        '/_emulator/operations',
      )
    ).body.operations.slice(before);
    expect(snapshot.vms).toHaveLength(120);
    // 3 VM pages + 3 NIC pages + public IPs + resource groups + SKUs (page size 50).
    expect(ops.filter((o) => o.method === 'GET').length).toBeLessThanOrEqual(10);
    expect(ops.filter((o) => o.operation === 'Microsoft.Compute/skus/read')).toHaveLength(1);
  });

  test('when VM ids are given, then only those are kept and unknown ones are reported missing', async () => {
    await admin(em, 'POST', '/_emulator/seed?events=false', DEMO_FLEET);
    const id = `/subscriptions/${SUB}/resourceGroups/rg-app/providers/Microsoft.Compute/virtualMachines/web-2`;
    const ghost = id.replace('web-2', 'ghost');
    const snapshot = await discoverFleet(ports(), {
      subscriptionId: SUB,
      vmIds: [id.toUpperCase().replace('/SUBSCRIPTIONS/', '/subscriptions/'), ghost],
    });
    expect(snapshot.vms.map((v) => v.name)).toEqual(['web-2']);
    expect(snapshot.missing).toEqual([ghost]);
  });
});
