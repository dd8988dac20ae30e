/**
 * The VM size catalog (emulator/data/vm-sizes.json) as typed, frozen records: every VM size
 * Azure offers in the emulated regions, with the capabilities the Resource SKUs API reports
 * for it and the source each value came from.
 *
 * The JSON holds, per family, the values its sizes share and the size page (or API capture)
 * they came from; per size a row `[name, vCPUs, memoryGB, maxResourceVolumeMB,
 * maxDataDiskCount, maxNetworkInterfaces, extras?]` where `extras` holds what differs from the
 * family (and a `note` wherever a value was inferred). This module resolves rows against their
 * family once, at load.
 */

import file from './data/vm-sizes.json';

export type CpuArchitecture = 'x64' | 'Arm64';

/** Where a size's vCPUs, memory, disks and NICs came from. */
export type ValuesFrom = 'docs' | 'api2020' | 'derived';

/** What Microsoft's size page says about Accelerated Networking for the family (null: not read). */
export type AnOnPage = 'Required' | 'Supported' | 'Not Supported' | null;

/** A size page (repo/path/commit/msDate/url), an inferred origin, or a catalog source key. */
export interface SourceRef {
  readonly repo?: string;
  readonly path?: string;
  readonly commit?: string;
  readonly msDate?: string | null;
  readonly url?: string | null;
  readonly readOn?: string;
  /** How the family was put together when no page for it was read. */
  readonly inferred?: string;
  /** A key of {@link CATALOG_SOURCES} (e.g. "api2020") when no size page was transcribed. */
  readonly source?: string;
}

export interface CatalogSource {
  readonly what: string;
  readonly repo?: string;
  readonly path?: string;
  readonly commit?: string;
  readonly date?: string;
  readonly readOn?: string;
  readonly files?: Readonly<Record<string, string>>;
}

/** One VM size, every capability resolved. */
export interface CatalogSize {
  /** "Standard_D4s_v5" */
  readonly name: string;
  readonly tier: 'Standard';
  /** "D4s_v5" */
  readonly size: string;
  /** As the SKUs API spells `family`: "standardDSv5Family", "Standard NCASv3_T4 Family". */
  readonly family: string;
  readonly vCPUs: number;
  /** vCPUs the guest sees; below vCPUs on constrained-vCPU sizes (Standard_M8-2ms: 2 of 8). */
  readonly vCPUsAvailable: number;
  readonly vCPUsPerCore: number;
  readonly memoryGB: number;
  /** Temp (resource) disk in MiB, as the API's MaxResourceVolumeMB; 0 where none. */
  readonly maxResourceVolumeMB: number;
  /** Local NVMe disks in MiB, as the API's NvmeDiskSizeInMiB; 0 where none. */
  readonly nvmeDiskSizeInMiB: number;
  readonly maxDataDiskCount: number;
  readonly maxNetworkInterfaces: number;
  /** The AcceleratedNetworkingEnabled capability as the API reports it. */
  readonly acceleratedNetworkingEnabled: boolean;
  readonly rdmaEnabled: boolean;
  readonly cpuArchitectureType: CpuArchitecture;
  /** "V1", "V2" or "V1,V2". */
  readonly hyperVGenerations: string;
  readonly premiumIO: boolean;
  readonly ephemeralOSDiskSupported: boolean;
  /** Regions (of {@link CATALOG_REGIONS}) where the size is offered. */
  readonly regions: readonly string[];
  readonly valuesFrom: ValuesFrom;
  /** The full size of a constrained-vCPU size (the API's ParentSize capability). */
  readonly parentSize: string | undefined;
  /** The newer live API capture whose values override the other sources, if any. */
  readonly apiCapture: string | undefined;
  /** Why a value of this size was inferred or corrected, if one was. */
  readonly note: string | undefined;
}

export interface CatalogFamily {
  readonly family: string;
  readonly source: SourceRef;
  readonly acceleratedNetworkingOnPage: AnOnPage;
  readonly cpuArchitectureType: CpuArchitecture;
  readonly vCPUsPerCore: number;
  /** Set where vCPUsPerCore is not from an API capture: why it is what it is. */
  readonly vCPUsPerCoreNote: string | undefined;
  readonly hyperVGenerations: string;
  readonly premiumIO: boolean;
  readonly ephemeralOSDiskSupported: boolean;
  readonly acceleratedNetworkingEnabled: boolean;
  readonly notes: readonly string[];
  readonly sizes: readonly CatalogSize[];
}

export interface ExcludedFamily {
  readonly sizes: readonly string[];
  readonly reason: string;
}

// --- the file's shape --------------------------------------------------------------------------

interface SizeExtras {
  vCPUsAvailable?: number;
  nvmeDiskSizeInMiB?: number;
  acceleratedNetworkingEnabled?: boolean;
  rdmaEnabled?: boolean;
  hyperVGenerations?: string;
  premiumIO?: boolean;
  ephemeralOSDiskSupported?: boolean;
  vCPUsPerCore?: number;
  valuesFrom?: ValuesFrom;
  derivedFrom?: string;
  apiCapture?: string;
  note?: string;
  regions?: string[];
}

type SizeRow = [string, number, number, number, number, number, SizeExtras?];

interface FamilyEntry {
  family: string;
  source: SourceRef;
  acceleratedNetworkingOnPage: AnOnPage;
  cpuArchitectureType: CpuArchitecture;
  vCPUsPerCore: number;
  vCPUsPerCoreNote?: string;
  hyperVGenerations: string;
  premiumIO: boolean;
  ephemeralOSDiskSupported: boolean;
  acceleratedNetworkingEnabled: boolean;
  notes?: string[];
  valuesFrom: ValuesFrom;
  regions: string[];
  sizes: SizeRow[];
}

interface CatalogFile {
  readOn: string;
  regions: string[];
  sources: Record<string, CatalogSource>;
  excluded: Record<string, ExcludedFamily>;
  families: FamilyEntry[];
}

const data = file as unknown as CatalogFile;

/** "Standard_M8-2ms" -> "Standard_M8ms", "Standard_HB120-16rs_v3" -> "Standard_HB120rs_v3". */
function constrainedParent(name: string): string | undefined {
  const m = /^Standard_([A-Z]+)(\d+)-\d+(.*)$/.exec(name);
  return m ? `Standard_${m[1]}${m[2]}${m[3]}` : undefined;
}

function resolveSize(f: FamilyEntry, row: SizeRow): CatalogSize {
  const [name, vCPUs, memoryGB, maxResourceVolumeMB, maxDataDiskCount, maxNetworkInterfaces] = row;
  const x: SizeExtras = row[6] ?? {};
  return Object.freeze({
    name,
    tier: 'Standard' as const,
    size: name.slice(name.indexOf('_') + 1),
    family: f.family,
    vCPUs,
    vCPUsAvailable: x.vCPUsAvailable ?? vCPUs,
    vCPUsPerCore: x.vCPUsPerCore ?? f.vCPUsPerCore,
    memoryGB,
    maxResourceVolumeMB,
    nvmeDiskSizeInMiB: x.nvmeDiskSizeInMiB ?? 0,
    maxDataDiskCount,
    maxNetworkInterfaces,
    acceleratedNetworkingEnabled: x.acceleratedNetworkingEnabled ?? f.acceleratedNetworkingEnabled,
    rdmaEnabled: x.rdmaEnabled ?? false,
    cpuArchitectureType: f.cpuArchitectureType,
    hyperVGenerations: x.hyperVGenerations ?? f.hyperVGenerations,
    premiumIO: x.premiumIO ?? f.premiumIO,
    ephemeralOSDiskSupported: x.ephemeralOSDiskSupported ?? f.ephemeralOSDiskSupported,
    regions: Object.freeze([...(x.regions ?? f.regions)]),
    valuesFrom: x.valuesFrom ?? f.valuesFrom,
    parentSize: x.derivedFrom ?? constrainedParent(name),
    apiCapture: x.apiCapture,
    note: x.note,
  });
}

/** Regions the catalog covers (the emulated ones). */
export const CATALOG_REGIONS: readonly string[] = Object.freeze([...data.regions]);

/** The date the sources were read. */
export const CATALOG_READ_ON: string = data.readOn;

/** Sources the whole catalog draws on, by key (knownSkus, prices, api2020, apiFakes). */
export const CATALOG_SOURCES: Readonly<Record<string, CatalogSource>> = Object.freeze(data.sources);

/** Families the live API lists but the catalog leaves out for want of a source, with the sizes. */
export const CATALOG_EXCLUDED: Readonly<Record<string, ExcludedFamily>> = Object.freeze(
  data.excluded,
);

export const CATALOG_FAMILIES: readonly CatalogFamily[] = Object.freeze(
  data.families.map((f) =>
    Object.freeze({
      family: f.family,
      source: Object.freeze(f.source),
      acceleratedNetworkingOnPage: f.acceleratedNetworkingOnPage,
      cpuArchitectureType: f.cpuArchitectureType,
      vCPUsPerCore: f.vCPUsPerCore,
      vCPUsPerCoreNote: f.vCPUsPerCoreNote,
      hyperVGenerations: f.hyperVGenerations,
      premiumIO: f.premiumIO,
      ephemeralOSDiskSupported: f.ephemeralOSDiskSupported,
      acceleratedNetworkingEnabled: f.acceleratedNetworkingEnabled,
      notes: Object.freeze([...(f.notes ?? [])]),
      sizes: Object.freeze(f.sizes.map((row) => resolveSize(f, row))),
    }),
  ),
);

/** Every size of the catalog, family by family. */
export const CATALOG_SIZES: readonly CatalogSize[] = Object.freeze(
  CATALOG_FAMILIES.flatMap((f) => f.sizes),
);

const SIZE_BY_NAME: ReadonlyMap<string, CatalogSize> = new Map(
  CATALOG_SIZES.map((s) => [s.name.toLowerCase(), s]),
);

const FAMILY_BY_NAME: ReadonlyMap<string, CatalogFamily> = new Map(
  CATALOG_FAMILIES.map((f) => [f.family.toLowerCase(), f]),
);

/** A size by name, in any letter case ("standard_d4s_v5"). */
export function catalogSize(name: string): CatalogSize | undefined {
  return SIZE_BY_NAME.get(name.toLowerCase());
}

/** A family by its SKUs API name, in any letter case ("standardDSv5Family"). */
export function catalogFamily(family: string): CatalogFamily | undefined {
  return FAMILY_BY_NAME.get(family.toLowerCase());
}
