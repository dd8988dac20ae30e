/**
 * The ARM emulator driven only through the real Azure SDK clients over HTTPS (plus the
 * admin API to observe state, and raw HTTPS where the SDK cannot send the bad input).
 */
import type { ImageReference, VirtualMachine } from '@azure/arm-compute';
import type { NetworkInterface } from '@azure/arm-network';

import type { ArmEmulator, OperationLogEntry } from '../../emulator/server';
import type { VmView } from '../../emulator/world';
import {
  admin,
  type ArmClients,
  armClients,
  armRequest,
  emulatorForTest,
  expectArmError,
  FAST,
  sdkSubnet,
  sdkVm,
  SUB,
  UBUNTU_2204,
  WINDOWS_SERVER_2022,
} from '../support/arm';

const RG = 'rg-sdk';
const LOCATION = 'westus2';
/**
 * A size with Accelerated Networking that does not require it (the flag decides) and that
 * Azure does not move to MANA (no draw at start): Dasv4.
 */
const FLAG_DECIDES = 'Standard_D4as_v4';
const LINUX = UBUNTU_2204;
const WINDOWS = WINDOWS_SERVER_2022;

interface VmOptions {
  size?: string;
  image?: ImageReference;
  nics?: string[];
  availabilitySetId?: string;
  ephemeral?: boolean;
}

/** One emulator, its SDK clients, and a resource group with a VNet and subnet made through them. */
class Fixture {
  subnetId = '';
  private readonly nicIds = new Map<string, string>();

  constructor(
    readonly em: ArmEmulator,
    readonly arm: ArmClients,
  ) {}

  static async start(): Promise<Fixture> {
    const em = await emulatorForTest();
    const fixture = new Fixture(em, armClients(em));
    current = fixture;
    fixture.subnetId = await sdkSubnet(fixture.arm, {
      rg: RG,
      location: LOCATION,
      vnet: 'vnet-sdk',
      subnetPrefix: '10.0.0.0/24',
    });
    return fixture;
  }

  async nic(
    name: string,
    options: { accelerated?: boolean; publicIpId?: string } = {},
  ): Promise<NetworkInterface> {
    const nic = await this.arm.network.networkInterfaces.beginCreateOrUpdateAndWait(
      RG,
      name,
      {
        location: LOCATION,
        enableAcceleratedNetworking: options.accelerated ?? false,
        ipConfigurations: [
          {
            name: 'ipconfig1',
            subnet: { id: this.subnetId },
            privateIPAllocationMethod: 'Dynamic',
            ...(options.publicIpId ? { publicIPAddress: { id: options.publicIpId } } : {}),
          },
        ],
      },
      FAST,
    );
    this.nicIds.set(name, nic.id ?? '');
    return nic;
  }

  /** Creates a VM with its own NIC `<name>-nic` unless NIC names are given. */
  async vm(name: string, options: VmOptions = {}): Promise<VirtualMachine> {
    const nicNames = options.nics ?? [`${name}-nic`];
    for (const nicName of nicNames) if (!this.nicIds.has(nicName)) await this.nic(nicName);
    return this.arm.compute.virtualMachines.createOrUpdate(
      RG,
      name,
      vmBody(name, { ...options, nicIds: nicNames.map((n) => this.nicIds.get(n) ?? '') }),
      FAST,
    );
  }

  /** Sets a NIC's enableAcceleratedNetworking with a full GET-modify-PUT, as a client would. */
  async flip(nicName: string, value = true): Promise<NetworkInterface> {
    const nic = await this.arm.network.networkInterfaces.get(RG, nicName);
    return this.arm.network.networkInterfaces.beginCreateOrUpdateAndWait(
      RG,
      nicName,
      { ...nic, enableAcceleratedNetworking: value },
      FAST,
    );
  }

  async powerState(vmName: string): Promise<string | undefined> {
    const view = await this.arm.compute.virtualMachines.instanceView(RG, vmName);
    return view.statuses?.find((s) => s.code?.startsWith('PowerState/'))?.code;
  }

  async view(vmName: string): Promise<VmView> {
    const { body } = await admin<{ vms: VmView[] }>(this.em, 'GET', '/_emulator/vms');
    const found = body.vms.find((v) => v.name === vmName);
    if (!found) throw new Error(`no VM ${vmName} in /_emulator/vms`);
    return found;
  }

  async operations(): Promise<OperationLogEntry[]> {
    const { body } = await admin<{ operations: OperationLogEntry[] }>(
      this.em,
      'GET',
      '/_emulator/operations',
    );
    return body.operations;
  }

  /** Slows the clock so that operations can be observed in flight. */
  async slow(timeScale = 0.05): Promise<void> {
    const latencies = { powerOff: 6, deallocate: 6, start: 6, restart: 6 };
    const { status } = await admin(this.em, 'PUT', '/_emulator/config', { timeScale, latencies });
    expect(status).toBe(200);
  }
}

function vmBody(name: string, options: VmOptions & { nicIds: string[] }): VirtualMachine {
  return {
    ...sdkVm(name, {
      location: LOCATION,
      nicIds: options.nicIds,
      size: options.size,
      image: options.image,
      osDisk: options.ephemeral
        ? { caching: 'ReadOnly', diffDiskSettings: { option: 'Local', placement: 'CacheDisk' } }
        : {},
    }),
    ...(options.availabilitySetId ? { availabilitySet: { id: options.availabilitySetId } } : {}),
  };
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

interface ArmErrorBody {
  error?: { code?: string; message?: string };
}

let current: Fixture | undefined;

afterEach(async () => {
  const fixture = current;
  current = undefined;
  await fixture?.em.stop();
});

describe('ARM emulator through the real Azure SDKs', () => {
  describe('resources', () => {
    it('when a VNet, NICs and Linux and Windows VMs are created through the SDK, then a GET with instanceView shows them running with their OS', async () => {
      const f = await Fixture.start();
      expect(f.subnetId).toMatch(/\/virtualNetworks\/vnet-sdk\/subnets\/default$/i);
      const subnet = await f.arm.network.subnets.get(RG, 'vnet-sdk', 'default');
      expect(subnet.addressPrefix).toBe('10.0.0.0/24');

      const linux = await f.vm('linux-1', { image: LINUX });
      const windows = await f.vm('windows-1', { image: WINDOWS, size: 'Standard_D2s_v5' });
      expect(linux.provisioningState).toBe('Succeeded');
      expect(windows.provisioningState).toBe('Succeeded');

      const linuxView = await f.arm.compute.virtualMachines.get(RG, 'linux-1', {
        expand: 'instanceView',
      });
      const codes = linuxView.instanceView?.statuses?.map((s) => s.code);
      expect(codes).toContain('PowerState/running');
      expect(codes).toContain('ProvisioningState/succeeded');
      expect(linuxView.instanceView?.osName).toBe('ubuntu');
      expect(linuxView.hardwareProfile?.vmSize).toBe('Standard_D4s_v5');

      const windowsView = await f.arm.compute.virtualMachines.get(RG, 'windows-1', {
        expand: 'instanceView',
      });
      expect(windowsView.instanceView?.statuses?.map((s) => s.code)).toContain(
        'PowerState/running',
      );
      expect(windowsView.instanceView?.osName).toMatch(/^Windows Server 2022/);
      expect(windowsView.storageProfile?.osDisk?.osType).toBe('Windows');

      const nic = await f.arm.network.networkInterfaces.get(RG, 'linux-1-nic');
      expect(nic.virtualMachine?.id?.toLowerCase()).toBe(linux.id?.toLowerCase());
      expect(nic.ipConfigurations?.[0]?.privateIPAddress).toMatch(/^10\.0\.0\.\d+$/);
    });

    it('when there are more VMs than a page holds, then the SDK iterators follow nextLink and yield every VM and NIC', async () => {
      const f = await Fixture.start();
      const config = await admin<{ pageSize: number }>(f.em, 'PUT', '/_emulator/config', {
        pageSize: 2,
      });
      expect(config.body.pageSize).toBe(2);
      const names = ['page-1', 'page-2', 'page-3', 'page-4', 'page-5'];
      for (const name of names) await f.vm(name);
      // A second group with one more VM: the subscription list must see both groups.
      await f.arm.resources.resourceGroups.createOrUpdate('rg-other', { location: LOCATION });
      const otherNic = await f.arm.network.networkInterfaces.beginCreateOrUpdateAndWait(
        'rg-other',
        'other-nic',
        {
          location: LOCATION,
          ipConfigurations: [{ name: 'ipconfig1', subnet: { id: f.subnetId } }],
        },
        FAST,
      );
      await f.arm.compute.virtualMachines.createOrUpdate(
        'rg-other',
        'other-vm',
        vmBody('other-vm', { nicIds: [otherNic.id ?? ''] }),
        FAST,
      );

      const before = (await f.operations()).length;
      const byGroup = await collect(f.arm.compute.virtualMachines.list(RG));
      expect(byGroup.map((vm) => vm.name).sort()).toEqual(names);
      const groupListGets = (await f.operations())
        .slice(before)
        .filter((op) => op.method === 'GET' && /\/virtualMachines$/i.test(op.path));
      expect(groupListGets.length).toBeGreaterThan(1);
      expect(groupListGets.every((op) => op.status === 200)).toBe(true);

      const mark = (await f.operations()).length;
      const all = await collect(f.arm.compute.virtualMachines.listAll());
      expect(all.map((vm) => vm.name).sort()).toEqual([...names, 'other-vm'].sort());
      const subscriptionListGets = (await f.operations())
        .slice(mark)
        .filter(
          (op) =>
            op.method === 'GET' &&
            /^\/subscriptions\/[^/]+\/providers\/Microsoft\.Compute\/virtualMachines$/i.test(
              op.path,
            ),
        );
      expect(subscriptionListGets.length).toBeGreaterThan(1);

      const nicsByGroup = await collect(f.arm.network.networkInterfaces.list(RG));
      expect(nicsByGroup.map((n) => n.name).sort()).toEqual(names.map((n) => `${n}-nic`));
      const allNics = await collect(f.arm.network.networkInterfaces.listAll());
      expect(allNics.map((n) => n.name).sort()).toEqual(
        [...names.map((n) => `${n}-nic`), 'other-nic'].sort(),
      );
      expect(allNics.every((n) => n.virtualMachine?.id !== undefined)).toBe(true);
    });
  });

  describe('power operations', () => {
    it('when powerOff, deallocate and start run through the SDK pollers, then the VM passes through each transitional state and ends in the requested one', async () => {
      const f = await Fixture.start();
      await f.vm('power-1');
      await f.slow();

      const powerOff = f.arm.compute.virtualMachines.powerOff(RG, 'power-1', FAST);
      const progress: string[] = [];
      powerOff.onProgress((state) => progress.push(state.status));
      await powerOff.submitted();
      expect(await f.powerState('power-1')).toBe('PowerState/stopping');
      await powerOff;
      expect(powerOff.isDone).toBe(true);
      expect(progress).toContain('running');
      expect(progress[progress.length - 1]).toBe('succeeded');
      expect(await f.powerState('power-1')).toBe('PowerState/stopped');
      expect((await f.view('power-1')).powerState).toBe('stopped');

      const deallocate = f.arm.compute.virtualMachines.deallocate(RG, 'power-1', FAST);
      await deallocate.submitted();
      expect(await f.powerState('power-1')).toBe('PowerState/deallocating');
      await deallocate;
      expect(await f.powerState('power-1')).toBe('PowerState/deallocated');
      expect((await f.view('power-1')).deallocations).toBe(1);

      const start = f.arm.compute.virtualMachines.start(RG, 'power-1', FAST);
      await start.submitted();
      expect(await f.powerState('power-1')).toBe('PowerState/starting');
      await start;
      const vm = await f.arm.compute.virtualMachines.get(RG, 'power-1', {
        expand: 'instanceView',
      });
      expect(vm.instanceView?.statuses?.map((s) => s.code)).toEqual([
        'ProvisioningState/succeeded',
        'PowerState/running',
      ]);
      expect(vm.provisioningState).toBe('Succeeded');
    });

    it('when a running VM is restarted, then it goes through starting back to running', async () => {
      const f = await Fixture.start();
      await f.vm('restart-1');
      await f.slow();
      const restart = f.arm.compute.virtualMachines.restart(RG, 'restart-1', FAST);
      await restart.submitted();
      expect(await f.powerState('restart-1')).toBe('PowerState/starting');
      await restart;
      expect(await f.powerState('restart-1')).toBe('PowerState/running');
    });

    it('when start is called on a running VM, then it succeeds without changing anything', async () => {
      const f = await Fixture.start();
      await f.vm('noop-1');
      await f.arm.compute.virtualMachines.start(RG, 'noop-1', FAST);
      expect(await f.powerState('noop-1')).toBe('PowerState/running');
      const view = await f.view('noop-1');
      expect(view.powerState).toBe('running');
      expect(view.deallocations).toBe(0);
    });
  });

  describe("Azure's rules", () => {
    it('when a second state-changing operation arrives while one runs, then it gets 409 OperationNotAllowed and the first completes', async () => {
      const f = await Fixture.start();
      await f.vm('busy-1');
      await f.slow();
      const deallocate = f.arm.compute.virtualMachines.deallocate(RG, 'busy-1', FAST);
      await deallocate.submitted();
      await expectArmError(
        f.arm.compute.virtualMachines.start(RG, 'busy-1', FAST),
        409,
        'OperationNotAllowed',
      );
      await expectArmError(
        f.arm.compute.virtualMachines.powerOff(RG, 'busy-1', FAST),
        409,
        'OperationNotAllowed',
      );
      await deallocate;
      expect(await f.powerState('busy-1')).toBe('PowerState/deallocated');
      // Once idle, the VM accepts operations again.
      await f.arm.compute.virtualMachines.start(RG, 'busy-1', FAST);
      expect(await f.powerState('busy-1')).toBe('PowerState/running');
    });

    it('when a NIC of a VM whose size lacks the capability is given Accelerated Networking, then the PUT gets 400 VMSizeIsNotPermittedToEnableAcceleratedNetworking', async () => {
      const f = await Fixture.start();
      await f.vm('small-1', { size: 'Standard_B2s' });
      await f.vm('small-2', { size: 'Standard_DS1_v2' });
      await f.arm.compute.virtualMachines.deallocate(RG, 'small-2', FAST);
      for (const vm of ['small-1', 'small-2']) {
        await expectArmError(
          f.flip(`${vm}-nic`),
          400,
          'VMSizeIsNotPermittedToEnableAcceleratedNetworking',
        );
        const nic = await f.arm.network.networkInterfaces.get(RG, `${vm}-nic`);
        expect(nic.enableAcceleratedNetworking).toBe(false);
      }
    });

    it('when a NIC PUT drops an IP configuration, then it gets 400 IpConfigDeleteNotSupported; with a stale If-Match etag, 412 PreconditionFailed', async () => {
      const f = await Fixture.start();
      const created = await f.arm.network.networkInterfaces.beginCreateOrUpdateAndWait(
        RG,
        'two-ips',
        {
          location: LOCATION,
          ipConfigurations: [
            { name: 'ipconfig1', subnet: { id: f.subnetId }, primary: true },
            { name: 'ipconfig2', subnet: { id: f.subnetId }, primary: false },
          ],
        },
        FAST,
      );
      expect(created.ipConfigurations).toHaveLength(2);

      await expectArmError(
        f.arm.network.networkInterfaces.beginCreateOrUpdateAndWait(
          RG,
          'two-ips',
          { ...created, ipConfigurations: created.ipConfigurations?.slice(0, 1) },
          FAST,
        ),
        400,
        'IpConfigDeleteNotSupported',
      );

      const staleEtag = created.etag ?? '';
      expect(staleEtag).not.toBe('');
      const updated = await f.arm.network.networkInterfaces.beginCreateOrUpdateAndWait(
        RG,
        'two-ips',
        { ...created, tags: { touched: 'yes' } },
        { ...FAST, requestOptions: { customHeaders: { 'If-Match': staleEtag } } },
      );
      expect(updated.etag).not.toBe(staleEtag);
      await expectArmError(
        f.arm.network.networkInterfaces.beginCreateOrUpdateAndWait(
          RG,
          'two-ips',
          { ...created, tags: { touched: 'again' } },
          { ...FAST, requestOptions: { customHeaders: { 'If-Match': staleEtag } } },
        ),
        412,
        'PreconditionFailed',
      );
      const after = await f.arm.network.networkInterfaces.get(RG, 'two-ips');
      expect(after.tags).toEqual({ touched: 'yes' });
      expect(after.ipConfigurations).toHaveLength(2);
    });

    it('when one VM of an availability set starts with Accelerated Networking while another runs without, then 400; when all are deallocated, flipped and started, then all run accelerated', async () => {
      const f = await Fixture.start();
      const avset = await f.arm.compute.availabilitySets.createOrUpdate(RG, 'avset-1', {
        location: LOCATION,
        platformFaultDomainCount: 2,
        platformUpdateDomainCount: 5,
        sku: { name: 'Aligned' },
      });
      const inSet = { availabilitySetId: avset.id ?? '', size: FLAG_DECIDES };
      const a = await f.vm('avset-a', inSet);
      const b = await f.vm('avset-b', inSet);
      const members = await f.arm.compute.availabilitySets.get(RG, 'avset-1');
      expect(members.virtualMachines?.map((v) => v.id?.toLowerCase()).sort()).toEqual(
        [a.id?.toLowerCase(), b.id?.toLowerCase()].sort(),
      );

      await f.arm.compute.virtualMachines.deallocate(RG, 'avset-a', FAST);
      await f.flip('avset-a-nic');
      await expectArmError(
        f.arm.compute.virtualMachines.start(RG, 'avset-a', FAST),
        400,
        'ExistingAvailabilitySetWasNotDeployedOnAcceleratedNetworkingEnabledCluster',
      );
      expect(await f.powerState('avset-a')).toBe('PowerState/deallocated');

      await f.arm.compute.virtualMachines.deallocate(RG, 'avset-b', FAST);
      await f.flip('avset-b-nic');
      await Promise.all([
        f.arm.compute.virtualMachines.start(RG, 'avset-a', FAST),
        f.arm.compute.virtualMachines.start(RG, 'avset-b', FAST),
      ]);
      for (const name of ['avset-a', 'avset-b']) {
        expect(await f.powerState(name)).toBe('PowerState/running');
        const view = await f.view(name);
        expect(view.availabilitySet?.toLowerCase()).toBe(avset.id?.toLowerCase());
        expect(view.nics).toEqual([
          expect.objectContaining({
            enableAcceleratedNetworking: true,
            acceleratedNetworkingEffective: true,
          }),
        ]);
      }
    });

    it('when a VM has an ephemeral OS disk, then deallocate gets 400 OperationNotAllowed and powerOff works', async () => {
      const f = await Fixture.start();
      const vm = await f.vm('ephemeral-1', { size: 'Standard_D4ds_v5', ephemeral: true });
      expect(vm.storageProfile?.osDisk?.diffDiskSettings?.option).toBe('Local');
      await expectArmError(
        f.arm.compute.virtualMachines.deallocate(RG, 'ephemeral-1', FAST),
        400,
        'OperationNotAllowed',
      );
      expect(await f.powerState('ephemeral-1')).toBe('PowerState/running');
      await f.arm.compute.virtualMachines.powerOff(RG, 'ephemeral-1', FAST);
      expect(await f.powerState('ephemeral-1')).toBe('PowerState/stopped');
      expect((await f.view('ephemeral-1')).deallocations).toBe(0);
    });

    it('when VMs are deallocated, then sizes with a temp disk have it wiped and a dynamic public IP is released and changes on start', async () => {
      const f = await Fixture.start();
      const pip = await f.arm.network.publicIPAddresses.beginCreateOrUpdateAndWait(
        RG,
        'pip-dyn',
        { location: LOCATION, sku: { name: 'Basic' }, publicIPAllocationMethod: 'Dynamic' },
        FAST,
      );
      await f.nic('temp-1-nic', { publicIpId: pip.id ?? '' });
      await f.vm('temp-1', { size: 'Standard_D4ds_v5' });
      await f.vm('notemp-1', { size: 'Standard_D4s_v5' });

      const first = (await f.arm.network.publicIPAddresses.get(RG, 'pip-dyn')).ipAddress;
      expect(first).toMatch(/^\d+\.\d+\.\d+\.\d+$/);

      await Promise.all([
        f.arm.compute.virtualMachines.deallocate(RG, 'temp-1', FAST),
        f.arm.compute.virtualMachines.deallocate(RG, 'notemp-1', FAST),
      ]);
      expect((await f.arm.network.publicIPAddresses.get(RG, 'pip-dyn')).ipAddress).toBeUndefined();
      expect((await f.view('temp-1')).tempDiskWipes).toBe(1);
      expect((await f.view('notemp-1')).tempDiskWipes).toBe(0);
      expect((await f.view('notemp-1')).deallocations).toBe(1);

      await f.arm.compute.virtualMachines.start(RG, 'temp-1', FAST);
      const second = (await f.arm.network.publicIPAddresses.get(RG, 'pip-dyn')).ipAddress;
      expect(second).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
      expect(second).not.toBe(first);
      expect((await f.view('temp-1')).publicIpChanges).toBe(1);
    });

    it('when a VM with an accelerated NIC is resized, then a size without the capability gets 400 and another capable size works', async () => {
      const f = await Fixture.start();
      await f.nic('resize-1-nic', { accelerated: true });
      await f.vm('resize-1', { size: 'Standard_D4s_v5' });
      await expectArmError(
        f.arm.compute.virtualMachines.update(
          RG,
          'resize-1',
          { hardwareProfile: { vmSize: 'Standard_B2s' } },
          FAST,
        ),
        400,
        'VMSizeIsNotPermittedToEnableAcceleratedNetworking',
      );
      expect(
        (await f.arm.compute.virtualMachines.get(RG, 'resize-1')).hardwareProfile?.vmSize,
      ).toBe('Standard_D4s_v5');

      const resized = await f.arm.compute.virtualMachines.update(
        RG,
        'resize-1',
        { hardwareProfile: { vmSize: 'Standard_D8s_v5' } },
        FAST,
      );
      expect(resized.hardwareProfile?.vmSize).toBe('Standard_D8s_v5');
      const got = await f.arm.compute.virtualMachines.get(RG, 'resize-1');
      expect(got.hardwareProfile?.vmSize).toBe('Standard_D8s_v5');
      expect(got.provisioningState).toBe('Succeeded');
      expect((await f.view('resize-1')).size).toBe('Standard_D8s_v5');
    });
  });

  describe('Accelerated Networking takes effect at allocation', () => {
    it('when a NIC is flipped on a running VM, then the flag shows at once but takes effect only after deallocate and start, not after powerOff and start', async () => {
      const f = await Fixture.start();
      await f.vm('flip-1', { size: FLAG_DECIDES });
      const flipped = await f.flip('flip-1-nic');
      expect(flipped.enableAcceleratedNetworking).toBe(true);
      expect(
        (await f.arm.network.networkInterfaces.get(RG, 'flip-1-nic')).enableAcceleratedNetworking,
      ).toBe(true);
      expect((await f.view('flip-1')).nics[0]?.acceleratedNetworkingEffective).toBe(false);

      await f.arm.compute.virtualMachines.powerOff(RG, 'flip-1', FAST);
      await f.arm.compute.virtualMachines.start(RG, 'flip-1', FAST);
      expect(await f.powerState('flip-1')).toBe('PowerState/running');
      expect((await f.view('flip-1')).nics[0]?.acceleratedNetworkingEffective).toBe(false);

      await f.arm.compute.virtualMachines.deallocate(RG, 'flip-1', FAST);
      await f.arm.compute.virtualMachines.start(RG, 'flip-1', FAST);
      expect(await f.powerState('flip-1')).toBe('PowerState/running');
      expect((await f.view('flip-1')).nics).toEqual([
        expect.objectContaining({
          enableAcceleratedNetworking: true,
          acceleratedNetworkingEffective: true,
        }),
      ]);
    });
  });

  describe('bad input', () => {
    it('when requests are malformed or unauthorised, then each gets its ARM error and the emulator keeps serving', async () => {
      const f = await Fixture.start();
      await f.vm('good-1');
      const vmPath = `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.Compute/virtualMachines`;
      const api = 'api-version=2024-11-01';

      const badJson = await armRequest<ArmErrorBody>(f.em, 'PUT', `${vmPath}/json-1?${api}`, {
        text: '{"location": ',
      });
      expect(badJson.status).toBe(400);
      expect(badJson.body.error?.code).toBe('InvalidRequestContent');

      await expectArmError(
        f.arm.compute.virtualMachines.get(RG, 'missing-vm'),
        404,
        'ResourceNotFound',
      );
      await expectArmError(
        f.arm.network.networkInterfaces.get(RG, 'missing-nic'),
        404,
        'ResourceNotFound',
      );
      await expectArmError(
        f.arm.compute.virtualMachines.get('rg-missing', 'good-1'),
        404,
        'ResourceGroupNotFound',
      );
      await expectArmError(
        f.arm.resources.resourceGroups.get('rg-missing'),
        404,
        'ResourceGroupNotFound',
      );

      const nicId = (await f.nic('spare-nic')).id ?? '';
      await expectArmError(
        f.arm.compute.virtualMachines.createOrUpdate(
          RG,
          'bad name!',
          vmBody('bad', { nicIds: [nicId] }),
          FAST,
        ),
        400,
        'InvalidResourceName',
      );
      await expectArmError(
        f.arm.compute.virtualMachines.createOrUpdate(
          RG,
          'unknown-size',
          vmBody('unknown-size', { nicIds: [nicId], size: 'Standard_Nonexistent_v9' }),
          FAST,
        ),
        400,
        'InvalidParameter',
      );

      const noToken = await armRequest<ArmErrorBody>(f.em, 'GET', `${vmPath}/good-1?${api}`, {
        principal: null,
      });
      expect(noToken.status).toBe(401);
      expect(noToken.body.error?.code).toBe('AuthenticationFailed');

      const noApiVersion = await armRequest<ArmErrorBody>(f.em, 'GET', `${vmPath}/good-1`, {
        apiVersion: null,
      });
      expect(noApiVersion.status).toBe(400);
      expect(noApiVersion.body.error?.code).toBe('MissingApiVersionParameter');

      // None of the bad requests created anything, and normal requests still work.
      const vms = await collect(f.arm.compute.virtualMachines.list(RG));
      expect(vms.map((vm) => vm.name)).toEqual(['good-1']);
      const good = await f.arm.compute.virtualMachines.get(RG, 'good-1', {
        expand: 'instanceView',
      });
      expect(good.instanceView?.statuses?.map((s) => s.code)).toContain('PowerState/running');
      const rawGood = await armRequest(f.em, 'GET', `${vmPath}/good-1?${api}`);
      expect(rawGood.status).toBe(200);
    });
  });
});
