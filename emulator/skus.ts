/**
 * The emulator's catalog of real Azure VM sizes, and the Resource SKUs payload
 * (`GET /subscriptions/{id}/providers/Microsoft.Compute/skus`) built from it.
 *
 * Values are what Azure's Resource SKUs API reports for each size. Sources, per family, are
 * named next to the family's traits below:
 * - "API 2023-26": karpenter-provider-azure `pkg/fake/zz_generated.sku.*.go`, generated from the
 *   live API (eastus, southcentralus, westcentralus; Dec 2023 to Apr 2026).
 * - "API 2023": Azure/skewer `testdata/eastus.json` (live eastus response, Jul 2023).
 * - "API 2020": aks-engine `pkg/helpers/azure_skus_const.go` (generated list of
 *   AcceleratedNetworkingEnabled per size, 2020).
 * - "docs": the size series page of MicrosoftDocs/azure-compute-docs (vCPUs, memory, temp disk,
 *   data disks, NICs, feature support), used where no API capture was found.
 * Size-level exceptions to a family's source are commented on the size's row.
 */

export interface VmSize {
  name: string;
  tier: 'Standard' | 'Basic';
  size: string;
  family: string;
  vCPUs: number;
  memoryGB: number;
  vCPUsPerCore: number;
  acceleratedNetworking: boolean;
  maxNetworkInterfaces: number;
  tempDiskMB: number;
  ephemeralOsDiskSupported: boolean;
  locations: readonly string[];
}

export const REGIONS: readonly string[] = Object.freeze([
  'westus2',
  'eastus',
  'westeurope',
  'northeurope',
  'eastus2',
  'centralus',
  'uksouth',
  'southeastasia',
]);

/** Capabilities shared by every size of a family (as the API reports them per size). */
interface FamilyTraits {
  vCPUsPerCore: number;
  premiumIO: boolean;
  ephemeralOsDisk: boolean;
  hyperVGenerations: string;
  lowPriority: boolean;
  encryptionAtHost: boolean;
  memoryPreserving: boolean;
  deploymentTypes: string;
}

const fam = (
  vCPUsPerCore: number,
  premiumIO: boolean,
  ephemeralOsDisk: boolean,
  hyperVGenerations: string,
  lowPriority: boolean,
  encryptionAtHost: boolean,
  memoryPreserving: boolean,
  deploymentTypes: string,
): FamilyTraits => ({
  vCPUsPerCore,
  premiumIO,
  ephemeralOsDisk,
  hyperVGenerations,
  lowPriority,
  encryptionAtHost,
  memoryPreserving,
  deploymentTypes,
});

const T = true;
const F = false;
const IP = 'IaaS,PaaS';

// prettier-ignore
const FAMILIES: Readonly<Record<string, FamilyTraits>> = {
  standardA0_A7Family: fam(1, F, F, 'V1', F, F, T, IP), // API 2023-26 (Standard_A0)
  standardAv2Family: fam(1, F, F, 'V1', T, F, T, IP), // docs av2-series; AN False: API 2020
  standardBSFamily: fam(1, T, T, 'V1,V2', F, T, T, 'IaaS'), // API 2023-26 (B1s, B20ms); AN per size: API 2020
  standardBsv2Family: fam(2, T, F, 'V1,V2', F, T, T, 'IaaS'), // docs bsv2-series (AN Supported)
  standardDv2Family: fam(1, F, F, 'V1', T, F, T, IP), // API 2023-26 (D2_v2); AN per size: API 2020
  standardDSv2Family: fam(1, T, T, 'V1,V2', T, T, T, 'IaaS'), // API 2023-26 (DS2_v2); AN per size: API 2020
  standardDv3Family: fam(2, F, F, 'V1', T, F, T, IP), // API 2023-26 (D2_v3)
  standardDSv3Family: fam(2, T, T, 'V1,V2', T, T, T, 'IaaS'), // API 2023-26 (D2s_v3, D4s_v3, D64s_v3)
  standardDSv4Family: fam(2, T, F, 'V1,V2', T, T, T, 'IaaS'), // docs dsv4-series
  standardDSv5Family: fam(2, T, F, 'V1,V2', T, T, T, 'IaaS'), // docs dsv5-series; traits as API 2023-26 D2_v5
  standardDDSv5Family: fam(2, T, T, 'V1,V2', T, T, T, 'IaaS'), // docs ddsv5-series; traits as API 2023-26 E4d_v5
  standardDASv5Family: fam(2, T, F, 'V1,V2', T, T, T, 'IaaS'), // docs dasv5-series
  standardDADSv5Family: fam(2, T, T, 'V1,V2', T, T, T, 'IaaS'), // docs dadsv5-series
  standardESv3Family: fam(2, T, T, 'V1,V2', T, T, T, 'IaaS'), // docs esv3-series; AN per size: API 2020
  standardESv5Family: fam(2, T, F, 'V1,V2', T, T, T, 'IaaS'), // docs esv5-series
  standardEDSv5Family: fam(2, T, T, 'V1,V2', T, T, T, 'IaaS'), // docs edsv5-series; traits as API 2023-26 E4d_v5
  standardFFamily: fam(1, F, F, 'V1', T, F, T, IP), // docs f-series; AN per size: API 2020
  standardFSv2Family: fam(2, T, T, 'V1,V2', T, T, T, 'IaaS'), // API 2023-26 (F16s_v2); docs fsv2-series
  standardMSFamily: fam(2, T, T, 'V1,V2', T, T, F, 'IaaS'), // API 2023-26 (M8-2ms); AN True: API 2020
  standardNCSv3Family: fam(1, T, T, 'V1,V2', T, T, F, 'IaaS'), // API 2023-26 (NC6s_v3)
  'Standard NCASv3_T4 Family': fam(1, T, T, 'V1,V2', T, T, F, 'IaaS'), // API 2023-26 (NC16as_T4_v3); docs
  StandardNCADSA100v4Family: fam(1, T, T, 'V2', T, T, F, 'IaaS'), // API 2023-26 (NC24ads_A100_v4)
  standardNVFamily: fam(1, F, F, 'V1', T, F, F, 'IaaS'), // API 2023 (NV6, retired 2023-08-31)
  standardNVSv3Family: fam(2, T, T, 'V1,V2', T, T, F, 'IaaS'), // docs nvv3-series; AN False: API 2020
  StandardNVADSA10v5Family: fam(2, T, T, 'V1,V2', T, T, F, 'IaaS'), // docs nvadsa10v5-series (AN Supported)
};

// Where a size is offered. Most sizes are everywhere; M-series and GPU sizes are not.
const ALL = REGIONS;
const NO_CUS = REGIONS.filter((r) => r !== 'centralus');
const M_REGIONS = ['westus2', 'eastus', 'westeurope', 'northeurope', 'eastus2', 'uksouth'];
const M_LARGE = ['westus2', 'eastus', 'westeurope', 'eastus2'];
const A100 = ['westus2', 'eastus', 'westeurope', 'eastus2', 'southeastasia'];
const A10 = ['westus2', 'eastus', 'westeurope', 'northeurope', 'eastus2', 'southeastasia'];
const NV_RETIRED = ['eastus', 'westeurope'];

/**
 * name, family, vCPUs, MemoryGB, MaxResourceVolumeMB, MaxDataDiskCount, MaxNetworkInterfaces,
 * AcceleratedNetworkingEnabled, regions, zones (digits; default "123"), vCPUsAvailable (default vCPUs).
 */
type Row = readonly [
  string,
  string,
  number,
  number,
  number,
  number,
  number,
  boolean,
  readonly string[],
  string?,
  number?,
];

// prettier-ignore
const ROWS: readonly Row[] = [
  ['Standard_A0', 'standardA0_A7Family', 1, 0.75, 20480, 1, 2, F, ALL],
  ['Standard_A1_v2', 'standardAv2Family', 1, 2, 10240, 2, 2, F, ALL],
  ['Standard_A2_v2', 'standardAv2Family', 2, 4, 20480, 4, 2, F, ALL],
  ['Standard_A4_v2', 'standardAv2Family', 4, 8, 40960, 8, 4, F, ALL],
  ['Standard_B1s', 'standardBSFamily', 1, 1, 4096, 2, 2, F, ALL],
  ['Standard_B1ms', 'standardBSFamily', 1, 2, 4096, 2, 2, F, ALL],
  ['Standard_B2s', 'standardBSFamily', 2, 4, 8192, 4, 3, F, ALL],
  ['Standard_B2ms', 'standardBSFamily', 2, 8, 16384, 4, 3, F, ALL],
  ['Standard_B4ms', 'standardBSFamily', 4, 16, 32768, 8, 4, F, ALL],
  ['Standard_B8ms', 'standardBSFamily', 8, 32, 65536, 16, 4, F, ALL],
  ['Standard_B12ms', 'standardBSFamily', 12, 48, 98304, 16, 6, T, ALL], // AN True: API 2020
  ['Standard_B2s_v2', 'standardBsv2Family', 2, 8, 0, 4, 2, T, ALL],
  ['Standard_B4s_v2', 'standardBsv2Family', 4, 16, 0, 8, 2, T, ALL],
  ['Standard_D1_v2', 'standardDv2Family', 1, 3.5, 51200, 4, 2, F, ALL],
  ['Standard_D2_v2', 'standardDv2Family', 2, 7, 102400, 8, 2, T, ALL],
  ['Standard_D3_v2', 'standardDv2Family', 4, 14, 204800, 16, 4, T, ALL],
  ['Standard_D4_v2', 'standardDv2Family', 8, 28, 409600, 32, 8, T, ALL],
  ['Standard_DS1_v2', 'standardDSv2Family', 1, 3.5, 7168, 4, 2, F, ALL],
  ['Standard_DS2_v2', 'standardDSv2Family', 2, 7, 14336, 8, 2, T, ALL],
  ['Standard_DS3_v2', 'standardDSv2Family', 4, 14, 28672, 16, 4, T, ALL],
  ['Standard_D2_v3', 'standardDv3Family', 2, 8, 51200, 4, 2, T, ALL],
  ['Standard_D4_v3', 'standardDv3Family', 4, 16, 102400, 8, 2, T, ALL],
  ['Standard_D2s_v3', 'standardDSv3Family', 2, 8, 16384, 4, 2, T, ALL], // True since ~2021 (API 2020 had False)
  ['Standard_D4s_v3', 'standardDSv3Family', 4, 16, 32768, 8, 2, T, ALL],
  ['Standard_D8s_v3', 'standardDSv3Family', 8, 32, 65536, 16, 4, T, ALL],
  ['Standard_D16s_v3', 'standardDSv3Family', 16, 64, 131072, 32, 8, T, ALL],
  ['Standard_D2s_v4', 'standardDSv4Family', 2, 8, 0, 4, 2, T, ALL],
  ['Standard_D4s_v4', 'standardDSv4Family', 4, 16, 0, 8, 2, T, ALL],
  ['Standard_D2s_v5', 'standardDSv5Family', 2, 8, 0, 4, 2, T, ALL],
  ['Standard_D4s_v5', 'standardDSv5Family', 4, 16, 0, 8, 2, T, ALL],
  ['Standard_D8s_v5', 'standardDSv5Family', 8, 32, 0, 16, 4, T, ALL],
  ['Standard_D16s_v5', 'standardDSv5Family', 16, 64, 0, 32, 8, T, ALL],
  ['Standard_D32s_v5', 'standardDSv5Family', 32, 128, 0, 32, 8, T, ALL],
  ['Standard_D2ds_v5', 'standardDDSv5Family', 2, 8, 76800, 4, 2, T, ALL],
  ['Standard_D4ds_v5', 'standardDDSv5Family', 4, 16, 153600, 8, 2, T, ALL],
  ['Standard_D2as_v5', 'standardDASv5Family', 2, 8, 0, 4, 2, T, ALL],
  ['Standard_D4as_v5', 'standardDASv5Family', 4, 16, 0, 8, 2, T, ALL],
  ['Standard_D2ads_v5', 'standardDADSv5Family', 2, 8, 76800, 4, 2, T, ALL],
  ['Standard_E2s_v3', 'standardESv3Family', 2, 16, 32768, 4, 2, T, ALL], // unconfirmed: API 2020 False; docs Supported
  ['Standard_E4s_v3', 'standardESv3Family', 4, 32, 65536, 8, 2, T, ALL],
  ['Standard_E8s_v3', 'standardESv3Family', 8, 64, 131072, 16, 4, T, ALL],
  ['Standard_E2s_v5', 'standardESv5Family', 2, 16, 0, 4, 2, T, ALL],
  ['Standard_E4s_v5', 'standardESv5Family', 4, 32, 0, 8, 2, T, ALL],
  ['Standard_E8s_v5', 'standardESv5Family', 8, 64, 0, 16, 4, T, ALL],
  ['Standard_E16s_v5', 'standardESv5Family', 16, 128, 0, 32, 8, T, ALL],
  ['Standard_E2ds_v5', 'standardEDSv5Family', 2, 16, 76800, 4, 2, T, ALL],
  ['Standard_E4ds_v5', 'standardEDSv5Family', 4, 32, 153600, 8, 2, T, ALL],
  ['Standard_F1', 'standardFFamily', 1, 2, 16384, 4, 2, F, ALL],
  ['Standard_F2', 'standardFFamily', 2, 4, 32768, 8, 2, T, ALL],
  ['Standard_F4', 'standardFFamily', 4, 8, 65536, 16, 4, T, ALL],
  ['Standard_F2s_v2', 'standardFSv2Family', 2, 4, 16384, 4, 2, T, ALL], // unconfirmed: API 2020 False; docs Supported
  ['Standard_F4s_v2', 'standardFSv2Family', 4, 8, 32768, 8, 2, T, ALL],
  ['Standard_F8s_v2', 'standardFSv2Family', 8, 16, 65536, 16, 4, T, ALL],
  ['Standard_F16s_v2', 'standardFSv2Family', 16, 32, 131072, 32, 4, T, ALL],
  ['Standard_M8ms', 'standardMSFamily', 8, 218.75, 262144, 8, 2, T, M_REGIONS],
  ['Standard_M8-2ms', 'standardMSFamily', 8, 218.75, 262144, 8, 2, T, M_REGIONS, '13', 2], // constrained: 2 of 8 vCPUs
  ['Standard_M16ms', 'standardMSFamily', 16, 437.5, 524288, 16, 4, T, M_REGIONS],
  ['Standard_M32ts', 'standardMSFamily', 32, 192, 1048576, 32, 8, T, M_LARGE],
  ['Standard_M32ls', 'standardMSFamily', 32, 256, 1048576, 32, 8, T, M_LARGE],
  ['Standard_NC6s_v3', 'standardNCSv3Family', 6, 112, 753664, 12, 4, T, NO_CUS, '23'], // True since ~2021 (API 2020 had False)
  ['Standard_NC4as_T4_v3', 'Standard NCASv3_T4 Family', 4, 28, 180224, 8, 2, T, NO_CUS],
  ['Standard_NC8as_T4_v3', 'Standard NCASv3_T4 Family', 8, 56, 360448, 16, 4, T, NO_CUS],
  ['Standard_NC24ads_A100_v4', 'StandardNCADSA100v4Family', 24, 220, 65536, 8, 2, T, A100, '13'],
  ['Standard_NV6', 'standardNVFamily', 6, 56, 389120, 24, 2, F, NV_RETIRED, '23'],
  ['Standard_NV12s_v3', 'standardNVSv3Family', 12, 112, 327680, 12, 4, F, NO_CUS],
  ['Standard_NV6ads_A10_v5', 'StandardNVADSA10v5Family', 6, 55, 184320, 4, 1, T, A10],
  ['Standard_NV12ads_A10_v5', 'StandardNVADSA10v5Family', 12, 110, 368640, 4, 2, T, A10],
];

/** Everything a VM SKU object is built from: the public size plus its family traits. */
interface SizeRecord {
  readonly vm: VmSize;
  readonly traits: FamilyTraits;
  readonly maxDataDisks: number;
  readonly vCPUsAvailable: number;
  readonly zones: readonly string[];
}

function traitsOf(family: string): FamilyTraits {
  const traits = FAMILIES[family];
  if (traits === undefined) throw new Error(`skus: no traits for family ${family}`);
  return traits;
}

const RECORDS: readonly SizeRecord[] = ROWS.map(
  ([name, family, vCPUs, memoryGB, tempMB, dataDisks, nics, an, where, zones, available]) => {
    const traits = traitsOf(family);
    const vm: VmSize = Object.freeze({
      name,
      tier: 'Standard' as const,
      size: name.slice(name.indexOf('_') + 1),
      family,
      vCPUs,
      memoryGB,
      vCPUsPerCore: traits.vCPUsPerCore,
      acceleratedNetworking: an,
      maxNetworkInterfaces: nics,
      tempDiskMB: tempMB,
      ephemeralOsDiskSupported: traits.ephemeralOsDisk,
      locations: Object.freeze(REGIONS.filter((r) => where.includes(r))),
    });
    return {
      vm,
      traits,
      maxDataDisks: dataDisks,
      vCPUsAvailable: available ?? vCPUs,
      zones: (zones ?? '123').split(''),
    };
  },
);

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

function vmSku(r: SizeRecord, region: string): Sku {
  const { vm, traits } = r;
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
        zones: [...r.zones],
        zoneDetails: traits.premiumIO
          ? [{ name: [...r.zones], capabilities: [cap('UltraSSDAvailable', true)] }]
          : [],
      },
    ],
    // Names and order as the API sends them.
    capabilities: [
      cap('MaxResourceVolumeMB', vm.tempDiskMB),
      cap('OSVhdSizeMB', 1047552),
      cap('vCPUs', vm.vCPUs),
      cap('MemoryPreservingMaintenanceSupported', traits.memoryPreserving),
      cap('HyperVGenerations', traits.hyperVGenerations),
      cap('MemoryGB', vm.memoryGB),
      cap('MaxDataDiskCount', r.maxDataDisks),
      cap('CpuArchitectureType', 'x64'),
      cap('LowPriorityCapable', traits.lowPriority),
      cap('PremiumIO', traits.premiumIO),
      cap('VMDeploymentTypes', traits.deploymentTypes),
      cap('vCPUsAvailable', r.vCPUsAvailable),
      cap('vCPUsPerCore', vm.vCPUsPerCore),
      cap('EphemeralOSDiskSupported', vm.ephemeralOsDiskSupported),
      cap('EncryptionAtHostSupported', traits.encryptionAtHost),
      cap('CapacityReservationSupported', false),
      cap('AcceleratedNetworkingEnabled', vm.acceleratedNetworking),
      cap('RdmaEnabled', false),
      cap('MaxNetworkInterfaces', vm.maxNetworkInterfaces),
    ],
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

const SKUS_BY_REGION: ReadonlyMap<string, Sku[]> = new Map(
  REGIONS.map((region) => [
    region,
    deepFreeze([
      availabilitySetSku('Aligned', region),
      availabilitySetSku('Classic', region),
      ...diskSkus(region),
      ...RECORDS.filter((r) => r.vm.locations.includes(region)).map((r) => vmSku(r, region)),
    ]),
  ]),
);

const ALL_SKUS: Sku[] = deepFreeze([...SKUS_BY_REGION.values()].flat());
const NO_SKUS: Sku[] = deepFreeze([]);

/**
 * ResourceSku objects shaped like the `value` items Azure returns: VM sizes plus a few
 * availability set and disk SKUs. One object per SKU per region; `location` (case-insensitive)
 * restricts the list to one region, as `$filter=location eq '…'` does. The arrays are built once
 * and frozen: callers must not modify them.
 */
export function resourceSkus(location?: string): Record<string, unknown>[] {
  if (location === undefined) return ALL_SKUS;
  return SKUS_BY_REGION.get(normalizeRegion(location)) ?? NO_SKUS;
}
