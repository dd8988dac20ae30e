/**
 * The size catalog as the real Azure SDK sees it: the Resource SKUs list of a region, a VM made
 * from Azure's own REST example read back with its size, a VM of every family a region offers,
 * and the errors Azure gives for a size that is retired or not offered in the region.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

import type { ResourceSku, VirtualMachine } from '@azure/arm-compute';

import type { ArmEmulator } from '../../emulator/server';
import { CATALOG_FAMILIES, catalogSize } from '../../emulator/vm-catalog';
import {
  type ArmClients,
  armClients,
  armRequest,
  emulatorForTest,
  expectArmError,
  FAST,
  sdkSubnet,
  sdkVm,
  SUB,
} from '../support/arm';

const RG = 'myResourceGroup';
/** The REST example says westus, which is not one of the emulated regions. */
const LOCATION = 'westus2';
const EXAMPLE = path.join(
  __dirname,
  '../fixtures/arm-examples/VirtualMachine_Create_WithPasswordAuthentication.json',
);
const COMPUTE_API = '2025-04-01';

let em: ArmEmulator;
let arm: ArmClients;
let subnetId = '';

beforeAll(async () => {
  em = await emulatorForTest();
  arm = armClients(em);
  subnetId = await sdkSubnet(arm, {
    rg: RG,
    location: LOCATION,
    vnet: 'vnet',
    subnetPrefix: '10.0.0.0/20',
  });
});

afterAll(async () => {
  await em.stop();
});

async function nic(name: string): Promise<string> {
  const created = await arm.network.networkInterfaces.beginCreateOrUpdateAndWait(
    RG,
    name,
    { location: LOCATION, ipConfigurations: [{ name: 'ipconfig1', subnet: { id: subnetId } }] },
    FAST,
  );
  return created.id ?? '';
}

function vmBody(name: string, size: string, nicId: string): VirtualMachine {
  return sdkVm(name, { location: LOCATION, size, nicIds: [nicId] });
}

function caps(sku: ResourceSku): Map<string, string> {
  return new Map((sku.capabilities ?? []).map((c) => [c.name ?? '', c.value ?? '']));
}

/** The smallest size of each family that `region` offers. */
function onePerFamily(region: string): string[] {
  return CATALOG_FAMILIES.flatMap((f) => {
    const offered = f.sizes.filter((s) => s.regions.includes(region));
    return offered.length > 0 ? [offered[0]!.name] : [];
  });
}

describe('the VM size catalog through the real SDK', () => {
  it("when the region's SKUs are listed with $filter, then every catalog size offered there comes back with its capabilities", async () => {
    const skus: ResourceSku[] = [];
    for await (const sku of arm.compute.resourceSkus.list({
      filter: `location eq '${LOCATION}'`,
    })) {
      skus.push(sku);
    }
    const vms = skus.filter((s) => s.resourceType === 'virtualMachines');
    const expected = CATALOG_FAMILIES.flatMap((f) => f.sizes)
      .filter((s) => s.regions.includes(LOCATION))
      .map((s) => s.name)
      .sort();
    expect(vms.map((s) => s.name ?? '').sort()).toEqual(expected);
    expect(vms.every((s) => s.locations?.[0] === LOCATION)).toBe(true);

    const d4 = vms.find((s) => s.name === 'Standard_D4s_v5');
    expect(d4?.family).toBe('standardDSv5Family');
    expect(Object.fromEntries(caps(d4!))).toMatchObject({
      vCPUs: '4',
      vCPUsAvailable: '4',
      vCPUsPerCore: '2',
      MemoryGB: '16',
      MaxResourceVolumeMB: '0',
      MaxDataDiskCount: '8',
      MaxNetworkInterfaces: '2',
      AcceleratedNetworkingEnabled: 'True',
      CpuArchitectureType: 'x64',
      HyperVGenerations: 'V1,V2',
      PremiumIO: 'True',
    });
    const arm64 = caps(vms.find((s) => s.name === 'Standard_D2ps_v6')!);
    expect([arm64.get('CpuArchitectureType'), arm64.get('HyperVGenerations')]).toEqual([
      'Arm64',
      'V2',
    ]);
    const constrained = caps(vms.find((s) => s.name === 'Standard_E4-2s_v5')!);
    expect([constrained.get('vCPUs'), constrained.get('vCPUsAvailable')]).toEqual(['4', '2']);
    expect(constrained.get('ParentSize')).toBe('Standard_E4s_v5');
    const nvme = caps(vms.find((s) => s.name === 'Standard_D2ds_v6')!);
    expect([nvme.get('MaxResourceVolumeMB'), nvme.get('NvmeDiskSizeInMiB')]).toEqual([
      '0',
      String(110 * 1024),
    ]);
    // Offered elsewhere only.
    expect(vms.some((s) => s.name === 'Standard_HB120rs_v3')).toBe(false);
  });

  it("when Azure's REST example VM is PUT, then the SDK reads it back with its size", async () => {
    const example = JSON.parse(readFileSync(EXAMPLE, 'utf8')) as {
      parameters: { vmName: string; parameters: Record<string, unknown> };
    };
    const nicId = await nic('example-nic');
    const text = JSON.stringify(example.parameters.parameters)
      .replaceAll('{subscription-id}', SUB)
      .replaceAll(
        `/resourceGroups/myResourceGroup/providers/Microsoft.Network/networkInterfaces/{existing-nic-name}`,
        nicId.slice(nicId.indexOf('/resourceGroups/')),
      )
      .replaceAll('{your-username}', 'azureuser')
      .replaceAll('{your-password}', 'P@ssw0rd-1234');
    const body = JSON.parse(text) as { location: string; properties: Record<string, unknown> };
    expect(body.location).toBe('westus');
    body.location = LOCATION;
    const size = (body.properties.hardwareProfile as { vmSize: string }).vmSize;
    expect(size).toBe('Standard_D1_v2');

    const name = example.parameters.vmName;
    const vmPath = `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.Compute/virtualMachines/${name}?api-version=${COMPUTE_API}`;
    const put = await armRequest(em, 'PUT', vmPath, { body, principal: 'test' });
    expect([200, 201]).toContain(put.status);

    const got = await arm.compute.virtualMachines.get(RG, name);
    expect(got.hardwareProfile?.vmSize).toBe(size);
    expect(got.location).toBe(LOCATION);
    expect(got.networkProfile?.networkInterfaces?.[0]?.id).toBe(nicId);
    expect(catalogSize(size)?.acceleratedNetworkingEnabled).toBe(false);
  });

  it('when a VM of one size of every family offered in the region is created, then each is accepted and reads back with its size', async () => {
    const sizes = onePerFamily(LOCATION);
    expect(sizes.length).toBeGreaterThan(120);
    const failed: string[] = [];
    const batch = 8;
    for (let i = 0; i < sizes.length; i += batch) {
      await Promise.all(
        sizes.slice(i, i + batch).map(async (size, j) => {
          const name = `fam-${i + j}`;
          try {
            const nicId = await nic(`${name}-nic`);
            const vm = await arm.compute.virtualMachines.createOrUpdate(
              RG,
              name,
              vmBody(name, size, nicId),
              FAST,
            );
            const got = await arm.compute.virtualMachines.get(RG, name);
            if (vm.hardwareProfile?.vmSize !== size || got.hardwareProfile?.vmSize !== size)
              failed.push(`${size}: read back ${got.hardwareProfile?.vmSize}`);
          } catch (error) {
            failed.push(`${size}: ${error instanceof Error ? error.message : String(error)}`);
          }
        }),
      );
    }
    expect(failed).toEqual([]);
  });

  it('when a size is retired, or is not offered in the region, then the create fails as Azure fails it', async () => {
    const nicId = await nic('refused-nic');
    // HBv3 is offered in eastus, westeurope and uksouth, not westus2.
    expect(catalogSize('Standard_HB120rs_v3')?.regions).not.toContain(LOCATION);
    const refusals: [name: string, size: string, status: number, code: string][] = [
      // NV (v1) was retired in 2023: the size no longer exists.
      ['retired', 'Standard_NV6', 400, 'InvalidParameter'],
      ['elsewhere', 'Standard_HB120rs_v3', 409, 'SkuNotAvailable'],
    ];
    for (const [name, size, status, code] of refusals) {
      await expectArmError(
        arm.compute.virtualMachines.createOrUpdate(RG, name, vmBody(name, size, nicId), FAST),
        status,
        code,
      );
    }
  });
});
