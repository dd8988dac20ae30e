import { readFileSync } from 'fs';
import path from 'path';

import {
  findVmSize,
  isOfferedIn,
  REGIONS,
  resourceSkus,
  VM_SIZES,
  type VmSize,
} from '../../emulator/skus';

const REFERENCE = path.join(
  __dirname,
  '../fixtures/arm-examples/ListAvailableResourceSkusForARegion.json',
);

interface Capability {
  name: string;
  value: string;
}

function referenceVmItems(): Record<string, unknown>[] {
  const doc = JSON.parse(readFileSync(REFERENCE, 'utf8')) as {
    responses: { '200': { body: { value: Record<string, unknown>[] } } };
  };
  return doc.responses['200'].body.value.filter((v) => v.resourceType === 'virtualMachines');
}

/** Every key path in a JSON value; array elements collapse to `[]`. */
function keyPaths(value: unknown, prefix = '', out = new Set<string>()): Set<string> {
  if (Array.isArray(value)) {
    for (const item of value) keyPaths(item, `${prefix}[]`, out);
  } else if (typeof value === 'object' && value !== null) {
    for (const [key, inner] of Object.entries(value)) {
      const p = prefix === '' ? key : `${prefix}.${key}`;
      out.add(p);
      keyPaths(inner, p, out);
    }
  }
  return out;
}

function capabilities(sku: Record<string, unknown>): Map<string, string> {
  return new Map((sku.capabilities as Capability[]).map((c) => [c.name, c.value]));
}

function vmSku(location: string, name: string): Record<string, unknown> {
  const sku = resourceSkus(location).find(
    (s) => s.resourceType === 'virtualMachines' && s.name === name,
  );
  if (sku === undefined) throw new Error(`${name} not listed in ${location}`);
  return sku;
}

function size(name: string): VmSize {
  const vm = findVmSize(name);
  if (vm === undefined) throw new Error(`${name} missing from the catalog`);
  return vm;
}

describe('VM size catalog', () => {
  it('when the catalog is loaded, then it holds the real fleet: over a thousand sizes of every series', () => {
    expect(VM_SIZES.length).toBeGreaterThan(1000);
    const series = new Set(VM_SIZES.map((v) => /^(NC|NV|ND|HB|HC|HX|[A-Z])/.exec(v.size)?.[1]));
    for (const s of ['A', 'B', 'D', 'E', 'F', 'G', 'L', 'M', 'NC', 'ND', 'NV', 'HB', 'HC', 'HX'])
      expect(series).toContain(s);
  });

  it('when the catalog is loaded, then every name is unique and consistent with tier and size', () => {
    const names = VM_SIZES.map((v) => v.name.toLowerCase());
    expect(new Set(names).size).toBe(names.length);
    // Collected rather than asserted one by one: over a thousand sizes.
    const wrong = VM_SIZES.filter(
      (vm) =>
        vm.name !== `${vm.tier}_${vm.size}` ||
        (vm.vCPUsPerCore !== 1 && vm.vCPUsPerCore !== 2) ||
        vm.locations.length === 0 ||
        vm.locations.some((loc) => !REGIONS.includes(loc)),
    );
    expect(wrong.map((vm) => vm.name)).toEqual([]);
  });

  it('when a size is looked up in any letter case, then the same size is found', () => {
    expect(findVmSize('standard_d4s_v5')).toBe(findVmSize('Standard_D4s_v5'));
    expect(findVmSize('STANDARD_NC4AS_T4_V3')?.name).toBe('Standard_NC4as_T4_v3');
    expect(findVmSize('Standard_D4s_v99')).toBeUndefined();
  });

  it('when known sizes are read, then they carry the values Azure reports', () => {
    expect(size('Standard_D4s_v5')).toMatchObject({
      family: 'standardDSv5Family',
      vCPUs: 4,
      memoryGB: 16,
      vCPUsPerCore: 2,
      acceleratedNetworking: true,
      tempDiskMB: 0,
      ephemeralOsDiskSupported: false,
    });
    expect(size('Standard_DS1_v2')).toMatchObject({ vCPUs: 1, acceleratedNetworking: false });
    expect(size('Standard_D1_v2').acceleratedNetworking).toBe(false);
    expect(size('Standard_D2_v2')).toMatchObject({ vCPUsPerCore: 1, acceleratedNetworking: true });
    // The live API has reported True for D2s_v3 since about 2021 (it was False in 2020).
    expect(size('Standard_D2s_v3')).toMatchObject({ vCPUsPerCore: 2, acceleratedNetworking: true });
    expect(size('Standard_D4s_v3').acceleratedNetworking).toBe(true);
    expect(size('Standard_D2s_v5').acceleratedNetworking).toBe(true);
    expect(size('Standard_F2s_v2').acceleratedNetworking).toBe(true);
    for (const b of ['Standard_B1s', 'Standard_B2s', 'Standard_B2ms', 'Standard_B4ms']) {
      expect(size(b).acceleratedNetworking).toBe(false);
    }
    expect(size('Standard_B2s_v2').acceleratedNetworking).toBe(true);
    expect(size('Standard_A1_v2').acceleratedNetworking).toBe(false);
    expect(size('Standard_A2_v2').acceleratedNetworking).toBe(false);
    expect(size('Standard_M8ms').acceleratedNetworking).toBe(true);
    expect(size('Standard_NC4as_T4_v3').acceleratedNetworking).toBe(true);
    expect(size('Standard_NV12s_v3').acceleratedNetworking).toBe(false);
    expect(size('Standard_D2ds_v5').tempDiskMB).toBe(76800);
    // Local NVMe counts as storage a deallocation wipes: 4 x 1760 GiB on D128ds_v6.
    expect(size('Standard_D128ds_v6').tempDiskMB).toBe(7208960);
    // Retired sizes are not offered: NV (v1) retired in 2023, A0-A7 in 2024.
    expect(findVmSize('Standard_NV6')).toBeUndefined();
    expect(findVmSize('Standard_A0')).toBeUndefined();
  });

  it('when regions are compared, then HPC and some GPU sizes are missing from some of them', () => {
    expect(isOfferedIn('Standard_D4s_v5', 'westus2')).toBe(true);
    expect(isOfferedIn('standard_d4s_v5', 'WestUS2')).toBe(true);
    expect(isOfferedIn('Standard_M32ts', 'eastus')).toBe(true);
    expect(isOfferedIn('Standard_HB120rs_v3', 'eastus')).toBe(true);
    expect(isOfferedIn('Standard_HB120rs_v3', 'westus2')).toBe(false);
    expect(isOfferedIn('Standard_NV12s_v3', 'eastus')).toBe(true);
    expect(isOfferedIn('Standard_NV12s_v3', 'centralus')).toBe(false);
    expect(isOfferedIn('Standard_D4s_v5', 'mars')).toBe(false);
    expect(isOfferedIn('Standard_Nope', 'eastus')).toBe(false);

    const vmNames = (region: string): string[] =>
      resourceSkus(region)
        .filter((s) => s.resourceType === 'virtualMachines')
        .map((s) => s.name as string);
    const counts = new Set(REGIONS.map((r) => vmNames(r).length));
    expect(counts.size).toBeGreaterThan(1);
    expect(vmNames('eastus')).toContain('Standard_NV12s_v3');
    expect(vmNames('centralus')).not.toContain('Standard_NV12s_v3');
  });
});

describe('resourceSkus', () => {
  it("when westus2's VM items are compared with the reference payload, then they have every key it has", () => {
    const reference = referenceVmItems();
    expect(reference.length).toBeGreaterThan(0);
    const wanted = new Set(reference.flatMap((item) => [...keyPaths(item)]));
    const ours = resourceSkus('westus2').filter((s) => s.resourceType === 'virtualMachines');
    expect(ours.length).toBeGreaterThan(30);

    const have = new Set(ours.flatMap((item) => [...keyPaths(item)]));
    for (const p of wanted) expect(have).toContain(p);

    const topLevel = Object.keys(reference[0]!);
    const wrong = ours.filter((item) => {
      const info = item.locationInfo as Record<string, unknown>[];
      return (
        topLevel.some((key) => !(key in item)) ||
        (item.restrictions as unknown[]).length !== 0 ||
        JSON.stringify(item.locations) !== '["westus2"]' ||
        info.length !== 1 ||
        Object.keys(info[0]!).sort().join() !== 'location,zoneDetails,zones' ||
        (item.capabilities as Capability[]).some((c) => typeof c.value !== 'string')
      );
    });
    expect(wrong.map((item) => item.name)).toEqual([]);
  });

  it('when a VM item is read, then its capabilities carry Azure names, order and string values', () => {
    const names = (vmSku('westus2', 'Standard_D4s_v5').capabilities as Capability[]).map(
      (c) => c.name,
    );
    const expected = [
      'MaxResourceVolumeMB',
      'OSVhdSizeMB',
      'vCPUs',
      'MemoryPreservingMaintenanceSupported',
      'HyperVGenerations',
      'MemoryGB',
      'MaxDataDiskCount',
      'CpuArchitectureType',
      'LowPriorityCapable',
      'PremiumIO',
      'VMDeploymentTypes',
      'vCPUsAvailable',
      'vCPUsPerCore',
      'EphemeralOSDiskSupported',
      'EncryptionAtHostSupported',
      'AcceleratedNetworkingEnabled',
      'RdmaEnabled',
      'MaxNetworkInterfaces',
    ];
    expect(names.filter((n) => expected.includes(n))).toEqual(expected);

    const d4 = capabilities(vmSku('westus2', 'Standard_D4s_v5'));
    expect(d4.get('AcceleratedNetworkingEnabled')).toBe('True');
    expect(d4.get('vCPUs')).toBe('4');
    expect(d4.get('MaxResourceVolumeMB')).toBe('0');
    expect(
      capabilities(vmSku('eastus', 'Standard_DS1_v2')).get('AcceleratedNetworkingEnabled'),
    ).toBe('False');
    expect(capabilities(vmSku('eastus', 'Standard_B2s')).get('AcceleratedNetworkingEnabled')).toBe(
      'False',
    );
    expect(capabilities(vmSku('eastus', 'Standard_DS1_v2')).get('MemoryGB')).toBe('3.5');
    const m = capabilities(vmSku('eastus', 'Standard_M8-2ms'));
    expect([m.get('vCPUs'), m.get('vCPUsAvailable')]).toEqual(['8', '2']);
  });

  it('when zones are listed, then every zone is listed and Ultra SSD details follow PremiumIO', () => {
    const d4 = vmSku('eastus', 'Standard_D4s_v5');
    expect(d4.locationInfo).toEqual([
      {
        location: 'eastus',
        zones: ['1', '2', '3'],
        zoneDetails: [
          {
            name: ['1', '2', '3'],
            capabilities: [{ name: 'UltraSSDAvailable', value: 'True' }],
          },
        ],
      },
    ]);
    const d2v2 = vmSku('eastus', 'Standard_D2_v2');
    expect(d2v2.locationInfo).toEqual([
      { location: 'eastus', zones: ['1', '2', '3'], zoneDetails: [] },
    ]);
    const nc = vmSku('eastus', 'Standard_NC6s_v3');
    expect((nc.locationInfo as { zones: string[] }[])[0]!.zones).toEqual(['1', '2', '3']);
  });

  it('when non-VM resource types are listed, then disks and availability sets are present', () => {
    const items = resourceSkus('eastus');
    const byType = (t: string): string[] =>
      items.filter((s) => s.resourceType === t).map((s) => s.name as string);
    expect(byType('availabilitySets').sort()).toEqual(['Aligned', 'Classic']);
    expect(byType('disks')).toEqual(
      expect.arrayContaining(['Premium_LRS', 'StandardSSD_LRS', 'Standard_LRS']),
    );
  });

  it('when no location is given, then there is one object per size per region', () => {
    const all = resourceSkus().filter((s) => s.resourceType === 'virtualMachines');
    const expected = VM_SIZES.reduce((n, v) => n + v.locations.length, 0);
    expect(all).toHaveLength(expected);
    const d4 = all.filter((s) => s.name === 'Standard_D4s_v5').map((s) => s.locations);
    expect(d4).toEqual(REGIONS.map((r) => [r]));
  });

  it('when the same region is asked for twice in any spelling, then the same frozen array is returned', () => {
    const a = resourceSkus('westus2');
    expect(resourceSkus('WestUS2')).toBe(a);
    expect(resourceSkus('West US 2')).toBe(a);
    expect(resourceSkus()).toBe(resourceSkus());
    expect(Object.isFrozen(a)).toBe(true);
    expect(Object.isFrozen(a[0])).toBe(true);
    expect(resourceSkus('nowhere')).toEqual([]);
  });
});
