/**
 * MANA-era hardware and guests in the emulator: which NIC hardware a VM runs on (v6 on MANA,
 * sizes Azure may move to MANA landing there after a deallocation and start, with a seeded,
 * configurable chance), which drivers its guest carries, and when Accelerated Networking (AN)
 * is therefore in effect (shared/design/accelerated-networking-facts.md, "The 2026 fleet").
 * Observed through /_emulator/vms; driven through the seed, the admin API and the real SDK.
 */
import type { ArmEmulator } from '../../emulator/server';
import type { VmView } from '../../emulator/world';
import {
  admin,
  armClients,
  armRequest,
  emulatorForTest,
  FAST,
  SUB,
  UBUNTU_2204,
  WINDOWS_SERVER_2022,
} from '../support/arm';

const JAMMY = UBUNTU_2204;
const FOCAL = {
  publisher: 'Canonical',
  offer: '0001-com-ubuntu-server-focal',
  sku: '20_04-lts-gen2',
};
const WS2022 = WINDOWS_SERVER_2022;
const CENTOS73 = { publisher: 'OpenLogic', offer: 'CentOS', sku: '7.3' };

type VmSpec = Record<string, unknown> & { name: string };

let em: ArmEmulator;

beforeEach(async () => {
  em = await emulatorForTest();
});

afterEach(async () => {
  await em.stop();
});

/** Seeds VMs (Ubuntu 22.04 on Standard_D4s_v3, one NIC, running, unless the spec says). */
async function seed(rg: string, vms: VmSpec[]): Promise<{ status: number; body: unknown }> {
  return admin(em, 'POST', '/_emulator/seed?events=false', {
    subscriptionId: SUB,
    resourceGroups: [
      {
        name: rg,
        vms: vms.map((vm) => ({ size: 'Standard_D4s_v3', image: JAMMY, ...vm })),
      },
    ],
  });
}

async function views(): Promise<Map<string, VmView>> {
  const { body } = await admin<{ vms: VmView[] }>(em, 'GET', '/_emulator/vms');
  return new Map(body.vms.map((vm) => [vm.name, vm]));
}

async function view(name: string): Promise<VmView> {
  const found = (await views()).get(name);
  if (!found) throw new Error(`no VM ${name}`);
  return found;
}

/** What /_emulator/vms says of a VM's hardware, guest and AN. */
async function state(
  name: string,
): Promise<[string, { mellanox: boolean; mana: boolean }, boolean]> {
  const vm = await view(name);
  return [vm.nicHardware, vm.guest, vm.nics.every((n) => n.acceleratedNetworkingEffective)];
}

/** Deallocates and starts a VM through the SDK, as accelnet does. */
async function cycle(rg: string, name: string): Promise<void> {
  const { compute } = armClients(em);
  await compute.virtualMachines.beginDeallocateAndWait(rg, name, FAST);
  await compute.virtualMachines.beginStartAndWait(rg, name, FAST);
}

async function setMana(mana: Record<string, unknown>): Promise<void> {
  expect((await admin(em, 'PUT', '/_emulator/config', { mana })).status).toBe(200);
}

describe('hardware, guests and AN effectiveness', () => {
  it('when a fleet is seeded, then each VM shows its hardware, its guest drivers, and AN in effect only where hardware, driver and flag or size allow', async () => {
    expect(
      (
        await seed('rg-mix', [
          { name: 'v6-jammy', size: 'Standard_D4s_v6' },
          { name: 'v6-focal', size: 'Standard_D4s_v6', image: FOCAL },
          { name: 'v5-off', size: 'Standard_D4s_v5' },
          { name: 'v5-off-deallocated', size: 'Standard_D4s_v5', powerState: 'deallocated' },
          { name: 'v3-off' },
          { name: 'v3-on', acceleratedNetworking: true },
          { name: 'v3-centos', image: CENTOS73, acceleratedNetworking: true },
          {
            name: 'win-mana',
            image: WS2022,
            osType: 'Windows',
            acceleratedNetworking: true,
            nicHardware: 'mana',
          },
          {
            name: 'win-mana-driver',
            image: WS2022,
            osType: 'Windows',
            acceleratedNetworking: true,
            nicHardware: 'mana',
            guest: { mana: true },
          },
        ])
      ).status,
    ).toBe(201);

    const both = { mellanox: true, mana: true };
    const mellanoxOnly = { mellanox: true, mana: false };
    expect(await state('v6-jammy')).toEqual(['mana', both, true]);
    // Ubuntu 20.04 has no MANA driver: the v6 VM falls back to the synthetic path.
    expect(await state('v6-focal')).toEqual(['mana', mellanoxOnly, false]);
    // Dsv5 requires AN: Azure enables it at runtime whatever the flag.
    expect(await state('v5-off')).toEqual(['mellanox', both, true]);
    expect(await state('v5-off-deallocated')).toEqual(['mellanox', both, false]);
    expect(await state('v3-off')).toEqual(['mellanox', both, false]);
    expect(await state('v3-on')).toEqual(['mellanox', both, true]);
    // CentOS 7.3 predates the supported list: no Mellanox driver.
    expect(await state('v3-centos')).toEqual(['mellanox', { mellanox: false, mana: false }, false]);
    expect(await state('win-mana')).toEqual(['mana', mellanoxOnly, false]);
    expect(await state('win-mana-driver')).toEqual(['mana', both, true]);
  });

  it('when landingProbability is 1, then a deallocate and start lands a MANA-eligible VM on MANA and a Windows guest without the driver loses AN; a stop and start keeps the hardware', async () => {
    await seed('rg-land', [
      { name: 'win', image: WS2022, osType: 'Windows', acceleratedNetworking: true },
      { name: 'linux', acceleratedNetworking: true },
      { name: 'not-eligible', size: 'Standard_D4as_v4', acceleratedNetworking: true },
    ]);
    await setMana({ landingProbability: 1 });
    for (const name of ['win', 'linux', 'not-eligible']) await cycle('rg-land', name);
    expect(await state('win')).toEqual(['mana', { mellanox: true, mana: false }, false]);
    expect(await state('linux')).toEqual(['mana', { mellanox: true, mana: true }, true]);
    expect(await state('not-eligible')).toEqual(['mellanox', { mellanox: true, mana: true }, true]);

    await setMana({ landingProbability: 0 });
    const { compute } = armClients(em);
    await compute.virtualMachines.beginPowerOffAndWait('rg-land', 'win', FAST);
    await compute.virtualMachines.beginStartAndWait('rg-land', 'win', FAST);
    expect((await view('win')).nicHardware).toBe('mana');
    await cycle('rg-land', 'win');
    expect(await state('win')).toEqual(['mellanox', { mellanox: true, mana: false }, true]);
  });

  it('when mana.seed is set, then the landings of a run repeat after a reset with the same seed; with no seed of its own they follow the fault seed', async () => {
    const names = Array.from({ length: 8 }, (_, i) => `vm-${i + 1}`);
    const run = async (): Promise<string[]> => {
      await seed('rg-seed', [{ name: 'vm', count: names.length }]);
      for (const name of names) await cycle('rg-seed', name);
      const all = await views();
      return names.map((name) => all.get(name)?.nicHardware ?? '?');
    };

    await setMana({ seed: 42 });
    const first = await run();
    expect(new Set(first)).toEqual(new Set(['mana', 'mellanox']));
    await admin(em, 'POST', '/_emulator/reset');
    await setMana({ seed: 42 });
    expect(await run()).toEqual(first);

    await admin(em, 'POST', '/_emulator/reset');
    await setMana({ seed: null });
    expect((await admin(em, 'PUT', '/_emulator/faults', { seed: 7, faults: [] })).status).toBe(200);
    const byFaultSeed = await run();
    await admin(em, 'POST', '/_emulator/reset');
    await admin(em, 'PUT', '/_emulator/faults', { seed: 7, faults: [] });
    expect(await run()).toEqual(byFaultSeed);
  });

  it('when the NIC flag is set on a running VM of a size that requires AN, then it takes effect at once and stays after a resize to a size that does not', async () => {
    await seed('rg-req', [
      { name: 'flipped', size: 'Standard_D4s_v5' },
      { name: 'unflipped', size: 'Standard_D4s_v5' },
    ]);
    const { compute, network } = armClients(em);
    const nic = await network.networkInterfaces.get('rg-req', 'flipped-nic');
    await network.networkInterfaces.beginCreateOrUpdateAndWait(
      'rg-req',
      'flipped-nic',
      { ...nic, enableAcceleratedNetworking: true },
      FAST,
    );
    for (const name of ['flipped', 'unflipped']) {
      await compute.virtualMachines.beginUpdateAndWait(
        'rg-req',
        name,
        { hardwareProfile: { vmSize: 'Standard_D4as_v4' } },
        FAST,
      );
    }
    const flipped = await view('flipped');
    expect([flipped.powerState, flipped.deallocations, flipped.nics[0]]).toEqual([
      'running',
      0,
      expect.objectContaining({
        enableAcceleratedNetworking: true,
        acceleratedNetworkingEffective: true,
      }),
    ]);
    expect((await view('unflipped')).nics[0]?.acceleratedNetworkingEffective).toBe(false);
  });

  it('when a running VM is resized to a v6 size, then it moves to MANA, where a guest without the driver loses AN', async () => {
    await seed('rg-v6', [{ name: 'focal', size: 'Standard_D4s_v5', image: FOCAL }]);
    expect(await state('focal')).toEqual(['mellanox', { mellanox: true, mana: false }, true]);
    await armClients(em).compute.virtualMachines.beginUpdateAndWait(
      'rg-v6',
      'focal',
      { hardwareProfile: { vmSize: 'Standard_D4s_v6' } },
      FAST,
    );
    expect(await state('focal')).toEqual(['mana', { mellanox: true, mana: false }, false]);
  });
});

describe('config, seed spec and what ARM shows', () => {
  it('when the config is read, then mana has its defaults; a bad landingProbability is refused naming the field', async () => {
    const { body } = await admin<{ mana: unknown }>(em, 'GET', '/_emulator/config');
    expect(body.mana).toEqual({ landingProbability: 0.5, seed: null });
    const bad = await admin<{ error: { code: string; message: string } }>(
      em,
      'PUT',
      '/_emulator/config',
      {
        mana: { landingProbability: 1.5 },
      },
    );
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('InvalidConfig');
    expect(bad.body.error.message).toContain('mana.landingProbability');
  });

  it.each([
    [
      { name: 'a', size: 'Standard_D4s_v6', nicHardware: 'mellanox' },
      'nicHardware: size Standard_D4s_v6 runs on MANA only',
    ],
    [
      { name: 'b', size: 'Standard_B2s', nicHardware: 'mana' },
      'nicHardware: size Standard_B2s runs on Mellanox only',
    ],
    [{ name: 'c', guest: { mana: 'yes' } }, 'guest.mana'],
    [{ name: 'd', guest: { mana: true, rdma: true } }, 'guest'],
    [{ name: 'e', nicHardware: 'broadcom' }, 'nicHardware'],
  ])('when the seed spec has %o, then it is refused naming %s', async (vm, named) => {
    const reply = await seed('rg-bad', [vm]);
    expect(reply.status).toBe(400);
    expect(reply.body).toMatchObject({ error: { code: 'InvalidFleetSpec' } });
    expect(JSON.stringify(reply.body)).toContain(named);
  });

  it('when a VM on MANA is read through ARM, then neither the VM, its instance view nor its NIC names its hardware or drivers', async () => {
    await seed('rg-arm', [{ name: 'v6', size: 'Standard_D4s_v6', acceleratedNetworking: true }]);
    const base = `/subscriptions/${SUB}/resourceGroups/rg-arm/providers`;
    const replies = await Promise.all([
      armRequest(em, 'GET', `${base}/Microsoft.Compute/virtualMachines/v6?$expand=instanceView`),
      armRequest(em, 'GET', `${base}/Microsoft.Compute/virtualMachines/v6/instanceView`),
      armRequest(em, 'GET', `${base}/Microsoft.Network/networkInterfaces/v6-nic`, {
        apiVersion: '2025-05-01',
      }),
    ]);
    for (const reply of replies) {
      expect(reply.status).toBe(200);
      const keys = JSON.stringify(reply.body).match(/"[^"]+":/g) ?? [];
      expect(keys.filter((k) => /^"(nicHardware|guest|mana|mellanox)":$/i.test(k))).toEqual([]);
      expect(JSON.stringify(reply.body)).not.toMatch(/"(mana|mellanox)"/i);
    }
  });
});
