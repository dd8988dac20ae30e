import type { ResourceSku } from '@azure/arm-compute';

import { resourceSkus } from '../../emulator/skus';
import type { ArmPorts } from '../../shared/arm/clients';
import { readSizes } from '../../shared/arm/facts';

/** Ports whose Resource SKUs list answers what the emulator answers for a region (its data is Azure's). */
function portsListing(skus: Record<string, unknown>[]): ArmPorts {
  const compute = {
    resourceSkus: {
      // The SDK's pager is an async iterable; readSizes only iterates it.
      list: () => ({
        [Symbol.asyncIterator]: () => {
          const items = (skus as ResourceSku[])[Symbol.iterator]();
          return { next: () => Promise.resolve(items.next()) };
        },
      }),
    },
  };
  return { compute } as unknown as ArmPorts;
}

describe('readSizes', () => {
  it('reads the AN capability, family and vCPUs of every VM size in the region', async () => {
    const sizes = await readSizes(portsListing(resourceSkus('westeurope')), 'westeurope');
    const d4v3 = sizes.get('standard_d2s_v3');
    expect(d4v3).toMatchObject({
      name: 'Standard_D2s_v3',
      acceleratedNetworking: true,
      vCPUs: 2,
      family: 'standardDSv3Family',
    });
  });

  it.each([
    ['Standard_D2s_v3', true], // a temp disk (MaxResourceVolumeMB 16384)
    ['Standard_D4ds_v6', true], // local NVMe only (MaxResourceVolumeMB 0, NvmeDiskSizeInMiB > 0)
    ['Standard_D4s_v6', false], // neither
  ])('%s: deallocation wipes local storage: %s', async (name, wiped) => {
    const sizes = await readSizes(portsListing(resourceSkus('westeurope')), 'westeurope');
    expect(sizes.get(name.toLowerCase())?.hasTempDisk).toBe(wiped);
  });

  it('ignores SKUs that are not VM sizes', async () => {
    const sizes = await readSizes(
      portsListing([
        { resourceType: 'disks', name: 'Premium_LRS', capabilities: [] },
        ...resourceSkus('westeurope').filter((sku) => sku.name === 'Standard_D2s_v3'),
      ]),
      'westeurope',
    );
    expect(sizes.has('premium_lrs')).toBe(false);
    expect([...sizes.keys()]).toEqual(['standard_d2s_v3']);
  });
});
