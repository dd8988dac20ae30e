/** What the benchmarks seed: single-NIC Ubuntu VMs in one resource group of one subscription. */

export const SUBSCRIPTION_ID = '00000000-0000-0000-0000-000000000001';
const LOCATION = 'westus2';
const JAMMY = {
  publisher: 'Canonical',
  offer: '0001-com-ubuntu-server-jammy',
  sku: '22_04-lts-gen2',
};

/** A group of alike VMs, named `<name>-1..<name>-<count>` (just `<name>` when there is one). */
export interface VmGroupSpec {
  name: string;
  count?: number;
  size: string;
  acceleratedNetworking: boolean;
  powerState: 'running' | 'deallocated';
  tags?: Record<string, string>;
}

/** The body of POST /_emulator/seed. */
export interface SeedBody {
  subscriptionId: string;
  location: string;
  resourceGroups: { name: string; vms: Record<string, unknown>[] }[];
}

export function seedBody(resourceGroup: string, groups: readonly VmGroupSpec[]): SeedBody {
  return {
    subscriptionId: SUBSCRIPTION_ID,
    location: LOCATION,
    resourceGroups: [
      {
        name: resourceGroup,
        vms: groups.map((g) => ({
          name: g.name,
          ...(g.count === undefined ? {} : { count: g.count }),
          size: g.size,
          osType: 'Linux',
          image: JAMMY,
          nics: 1,
          acceleratedNetworking: g.acceleratedNetworking,
          powerState: g.powerState,
          ...(g.tags ? { tags: g.tags } : {}),
        })),
      },
    ],
  };
}

/** The names the emulator gives a group's VMs. */
export function vmNames(group: Pick<VmGroupSpec, 'name' | 'count'>): string[] {
  const count = group.count ?? 1;
  if (count === 1) return [group.name];
  return Array.from({ length: count }, (_, i) => `${group.name}-${i + 1}`);
}
