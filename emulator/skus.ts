/**
 * The emulator's VM sizes, and the Resource SKUs payload
 * (`GET /subscriptions/{id}/providers/Microsoft.Compute/skus`) built from them.
 *
 * The sizes are the catalog in emulator/data/vm-sizes.json (see vm-catalog.ts): every VM size
 * Azure offers in the emulated regions, with the capabilities the Resource SKUs API reports
 * and, per family, the source they came from. This module turns the catalog into what the
 * emulator serves: the sizes once, at load (a lookup by name is one Map read), and each
 * region's SKU list on its first request.
 */

import {
  CATALOG_REGIONS,
  CATALOG_SIZES,
  type CatalogSize,
  type CpuArchitecture,
} from './vm-catalog';

export interface VmSize {
  name: string;
  tier: 'Standard' | 'Basic';
  size: string;
  family: string;
  vCPUs: number;
  /** vCPUs the guest sees (below vCPUs on constrained-vCPU sizes). */
  vCPUsAvailable: number;
  memoryGB: number;
  vCPUsPerCore: number;
  cpuArchitectureType: CpuArchitecture;
  /** "V1", "V2" or "V1,V2". */
  hyperVGenerations: string;
  acceleratedNetworking: boolean;
  maxNetworkInterfaces: number;
  maxDataDiskCount: number;
  /**
   * Local storage a deallocation wipes, in MiB: the temp disk (MaxResourceVolumeMB) plus any
   * local NVMe disks (NvmeDiskSizeInMiB). 0 where the size has neither.
   */
  tempDiskMB: number;
  ephemeralOsDiskSupported: boolean;
  premiumIO: boolean;
  locations: readonly string[];
}

export const REGIONS: readonly string[] = CATALOG_REGIONS;

/** Everything a VM SKU object is built from: the public size plus the catalog record. */
interface SizeRecord {
  readonly vm: VmSize;
  readonly c: CatalogSize;
}

const RECORDS: readonly SizeRecord[] = CATALOG_SIZES.map((c) => ({
  c,
  vm: Object.freeze({
    name: c.name,
    tier: c.tier,
    size: c.size,
    family: c.family,
    vCPUs: c.vCPUs,
    vCPUsAvailable: c.vCPUsAvailable,
    memoryGB: c.memoryGB,
    vCPUsPerCore: c.vCPUsPerCore,
    cpuArchitectureType: c.cpuArchitectureType,
    hyperVGenerations: c.hyperVGenerations,
    acceleratedNetworking: c.acceleratedNetworkingEnabled,
    maxNetworkInterfaces: c.maxNetworkInterfaces,
    maxDataDiskCount: c.maxDataDiskCount,
    tempDiskMB: c.maxResourceVolumeMB + c.nvmeDiskSizeInMiB,
    ephemeralOsDiskSupported: c.ephemeralOSDiskSupported,
    premiumIO: c.premiumIO,
    locations: c.regions,
  }),
}));

export const VM_SIZES: readonly VmSize[] = Object.freeze(RECORDS.map((r) => r.vm));

const BY_NAME: ReadonlyMap<string, SizeRecord> = new Map(
  RECORDS.map((r) => [r.vm.name.toLowerCase(), r]),
);

/** Region names as callers may spell them ("West US 2", "WestUS2") reduced to Azure's form. */
function normalizeRegion(location: string): string {
  return location.replace(/\s+/g, '').toLowerCase();
}

/** Case-insensitive lookup by size name. */
export function findVmSize(name: string): VmSize | undefined {
  return BY_NAME.get(name.toLowerCase())?.vm;
}

/** Whether `name` is offered in `location` (both case-insensitive). */
export function isOfferedIn(name: string, location: string): boolean {
  const vm = findVmSize(name);
  return vm !== undefined && vm.locations.includes(normalizeRegion(location));
}

// ---------------------------------------------------------------------------------------------
// Resource SKUs payload, built once at module load.

type Sku = Record<string, unknown>;

const cap = (name: string, value: string | number | boolean): { name: string; value: string } => ({
  name,
  value: typeof value === 'boolean' ? (value ? 'True' : 'False') : String(value),
});

// Capabilities the catalog does not source (they do not bear on Accelerated Networking) are
// approximated per family, after the API captures named in vm-sizes.json (the 2020 eastus
// capture, karpenter's): the older non-premium families differ from the rest.
const NOT_PREMIUM_ERA = /^standard(A0_A7|Av2|Dv2|Dv3|Ev3|F|D|G)Family$/;
const CLOUD_SERVICES = /^standard(A0_A7|Av2|Dv2|Dv3|F|D)Family$/;

/** Every zone of the emulated regions; zonal sizes are not restricted per zone here. */
const ZONES: readonly string[] = Object.freeze(['1', '2', '3']);

function vmSku(r: SizeRecord, region: string): Sku {
  const { vm, c } = r;
  const gpuOrHpc = /^Standard_[NH]/.test(vm.name);
  const mSeries = /^Standard_M/.test(vm.name);
  const capabilities = [
    cap('MaxResourceVolumeMB', c.maxResourceVolumeMB),
    cap('OSVhdSizeMB', 1047552),
    cap('vCPUs', vm.vCPUs),
    cap('MemoryPreservingMaintenanceSupported', !gpuOrHpc && !mSeries),
    cap('HyperVGenerations', vm.hyperVGenerations),
    cap('MemoryGB', vm.memoryGB),
    cap('MaxDataDiskCount', vm.maxDataDiskCount),
    cap('CpuArchitectureType', vm.cpuArchitectureType),
    cap('LowPriorityCapable', vm.family !== 'standardBSFamily'),
    cap('PremiumIO', vm.premiumIO),
    cap('VMDeploymentTypes', CLOUD_SERVICES.test(vm.family) ? 'IaaS,PaaS' : 'IaaS'),
    cap('vCPUsAvailable', vm.vCPUsAvailable),
    ...(c.parentSize ? [cap('ParentSize', c.parentSize)] : []),
    cap('vCPUsPerCore', vm.vCPUsPerCore),
    ...(c.nvmeDiskSizeInMiB > 0 ? [cap('NvmeDiskSizeInMiB', c.nvmeDiskSizeInMiB)] : []),
    cap('EphemeralOSDiskSupported', vm.ephemeralOsDiskSupported),
    cap('EncryptionAtHostSupported', !NOT_PREMIUM_ERA.test(vm.family)),
    cap('CapacityReservationSupported', false),
    cap('AcceleratedNetworkingEnabled', vm.acceleratedNetworking),
    cap('RdmaEnabled', c.rdmaEnabled),
    cap('MaxNetworkInterfaces', vm.maxNetworkInterfaces),
  ];
  return {
    resourceType: 'virtualMachines',
    name: vm.name,
    tier: vm.tier,
    size: vm.size,
    family: vm.family,
    locations: [region],
    locationInfo: [
      {
        location: region,
        zones: [...ZONES],
        zoneDetails: vm.premiumIO
          ? [{ name: [...ZONES], capabilities: [cap('UltraSSDAvailable', true)] }]
          : [],
      },
    ],
    // Names and order as the API sends them.
    capabilities,
    restrictions: [],
  };
}

// Fault domains an availability set gets per region (Aligned = managed disks).
const FAULT_DOMAINS: Readonly<Record<string, number>> = {
  westus2: 2,
  eastus: 3,
  westeurope: 3,
  northeurope: 3,
  eastus2: 3,
  centralus: 3,
  uksouth: 2,
  southeastasia: 2,
};

function availabilitySetSku(name: 'Aligned' | 'Classic', region: string): Sku {
  const faultDomains = name === 'Aligned' ? (FAULT_DOMAINS[region] ?? 2) : 3;
  return {
    resourceType: 'availabilitySets',
    name,
    locations: [region],
    locationInfo: [{ location: region, zones: [], zoneDetails: [] }],
    capabilities: [cap('MaximumPlatformFaultDomainCount', faultDomains)],
    restrictions: [],
  };
}

// name, tier, size, MaxSizeGiB, MinSizeGiB, IOPS, MBps, MaxValueOfMaxShares
// prettier-ignore
const DISKS: readonly (readonly [string, string, string, number, number, number, number, number])[] = [
  ['Premium_LRS', 'Premium', 'P10', 128, 64, 500, 100, 3],
  ['StandardSSD_LRS', 'Standard', 'E10', 128, 64, 500, 60, 3],
  ['Standard_LRS', 'Standard', 'S10', 128, 64, 500, 60, 3],
];

function diskSkus(region: string): Sku[] {
  return DISKS.map(([name, tier, size, maxGiB, minGiB, iops, mbps, shares]) => ({
    resourceType: 'disks',
    name,
    tier,
    size,
    locations: [region],
    locationInfo: [{ location: region, zones: ['1', '2', '3'], zoneDetails: [] }],
    capabilities: [
      cap('MaxSizeGiB', maxGiB),
      cap('MinSizeGiB', minGiB),
      cap('MaxIOps', iops),
      cap('MinIOps', iops),
      cap('MaxBandwidthMBps', mbps),
      cap('MinBandwidthMBps', mbps),
      cap('MaxValueOfMaxShares', shares),
    ],
    restrictions: [],
  }));
}

function deepFreeze<V>(value: V): V {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

// Built on first use, per region: a few thousand objects per region that most emulator runs
// never list, so loading the module stays cheap.
const SKUS_BY_REGION = new Map<string, Sku[]>();
let allSkus: Sku[] | undefined;
const NO_SKUS: Sku[] = deepFreeze([]);

function regionSkus(region: string): Sku[] {
  let skus = SKUS_BY_REGION.get(region);
  if (skus === undefined) {
    skus = deepFreeze([
      availabilitySetSku('Aligned', region),
      availabilitySetSku('Classic', region),
      ...diskSkus(region),
      ...RECORDS.filter((r) => r.vm.locations.includes(region)).map((r) => vmSku(r, region)),
    ]);
    SKUS_BY_REGION.set(region, skus);
  }
  return skus;
}

/**
 * ResourceSku objects shaped like the `value` items Azure returns: VM sizes plus a few
 * availability set and disk SKUs. One object per SKU per region; `location` (case-insensitive)
 * restricts the list to one region, as `$filter=location eq '…'` does. Each array is built once
 * and frozen: callers must not modify them.
 */
export function resourceSkus(location?: string): Record<string, unknown>[] {
  if (location === undefined) {
    allSkus ??= deepFreeze(REGIONS.flatMap((region) => regionSkus(region)));
    return allSkus;
  }
  const region = normalizeRegion(location);
  return REGIONS.includes(region) ? regionSkus(region) : NO_SKUS;
}
