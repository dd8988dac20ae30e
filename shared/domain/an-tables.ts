/**
 * Tables about Accelerated Networking (AN) and MANA that the rules need, as data with their
 * sources: shared/data/accelerated-networking.json, typed and frozen, with lookups by family
 * name and by marketplace image. No decisions are made here; which table a rule consults, and
 * how it weighs an entry whose basis is "inferred", is the rule's business.
 *
 * Family names are spelled as the Resource SKUs API spells `family` ("standardDSv5Family",
 * "Standard NCASv3_T4 Family"); lookups ignore letter case.
 */

import file from '../data/accelerated-networking.json';

/** A page, issue or document a table entry rests on. */
export interface Citation {
  readonly repo?: string;
  readonly path?: string;
  readonly commit?: string;
  readonly msDate?: string | null;
  readonly url?: string | null;
  readonly issue?: number;
  readonly readOn?: string;
  readonly note?: string;
  /** For a family put together from sibling pages: how. */
  readonly inferred?: string;
  /** For a family whose values come from an API capture: the catalog source key. */
  readonly source?: string;
}

/**
 * sizePage: the family's size page says AN is required.
 * generalPurposeV5OrLater: a general-purpose (D) family of v5 or later with AN, which the
 * Jan 2026 docs change (source "factsFile") says to treat as required.
 */
export type AnRequiredBasis = 'sizePage' | 'generalPurposeV5OrLater';

export interface AnRequiredFamily {
  readonly family: string;
  readonly basis: AnRequiredBasis;
  /** What the size page says about AN. */
  readonly onPage: string;
  /** Keys of {@link AN_SOURCES}; "sizePage" means the entry's own `sizePage`. */
  readonly cites: readonly string[];
  readonly sizePage: Citation;
}

export interface ManaOnlyFamily {
  readonly family: string;
  /** stated: a source says so; inferred: same generation as the stated ones (see `why`). */
  readonly basis: 'stated' | 'inferred';
  readonly why: string;
  readonly cites: readonly string[];
  readonly sizePage: Citation;
}

export interface ManaEligibleFamily {
  /** As the MANA page names it ("Dsv5"). */
  readonly series: string;
  readonly family: string;
  readonly note?: string;
}

/**
 * builtIn: the image's kernel carries the MANA driver. kernelDependent: only with the kernel
 * named in `note`. mayNeedInstall: Windows; the driver may have to be installed.
 */
export type ManaDriver = 'builtIn' | 'kernelDependent' | 'mayNeedInstall';

export interface ManaImage {
  readonly os: 'Linux' | 'Windows';
  readonly distro: string;
  readonly versions: string;
  /** Compared without regard to letter case. */
  readonly publisher: string;
  /** Regular expressions (matched ignoring case) over the imageReference's offer and sku. */
  readonly offer: string;
  readonly sku: string | null;
  readonly driver: ManaDriver;
  readonly sources: readonly string[];
  readonly note?: string;
}

/** An image a source lists but others do not: kept out of {@link MANA_GUEST_IMAGES}. */
export interface ManaImageNotCounted extends Omit<ManaImage, 'driver'> {
  readonly note: string;
}

export interface GpuFamily {
  readonly family: string;
  /** AcceleratedNetworkingEnabled as the Resource SKUs API reports it (the catalog's value). */
  readonly apiAcceleratedNetworkingEnabled: boolean;
  readonly sizePageSays: 'Required' | 'Supported' | 'Not Supported' | null;
  readonly sizePage: Citation;
}

/** The parts of a VM's storageProfile.imageReference the image table matches. */
export interface ImageReference {
  readonly publisher?: string | undefined;
  readonly offer?: string | undefined;
  readonly sku?: string | undefined;
}

interface AnTablesFile {
  readOn: string;
  sources: Record<string, Citation>;
  anRequired: { quote: { source: string; text: string }; families: AnRequiredFamily[] };
  manaOnly: { families: ManaOnlyFamily[] };
  manaEligibleExisting: { source: string; quote: string; families: ManaEligibleFamily[] };
  manaGuestImages: {
    pciIds: { mana: string; mellanox: string };
    images: ManaImage[];
    notCounted: ManaImageNotCounted[];
  };
  gpuCapabilityWithoutAn: { source: string; quote: string; families: GpuFamily[] };
}

const data = file as unknown as AnTablesFile;

function deepFreeze<V>(value: V): V {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

deepFreeze(data);

/** The date the sources were read. */
export const AN_TABLES_READ_ON: string = data.readOn;

/** Sources the tables cite, by key (anOverview, anManage, manaExistingSizes, ...). */
export const AN_SOURCES: Readonly<Record<string, Citation>> = data.sources;

/** What the manage page says of sizes that require AN (source "anManage"). */
export const AN_REQUIRED_QUOTE: { readonly source: string; readonly text: string } =
  data.anRequired.quote;

/** Families on which Azure enables AN at runtime whatever the NIC flag. */
export const AN_REQUIRED_FAMILIES: readonly AnRequiredFamily[] = data.anRequired.families;

/** Families whose hosts have MANA NICs only. */
export const MANA_ONLY_FAMILIES: readonly ManaOnlyFamily[] = data.manaOnly.families;

/**
 * Existing families whose VMs may land on MANA hardware after a stop-deallocate and start or
 * a redeploy (source "manaExistingSizes").
 */
export const MANA_ELIGIBLE_EXISTING_FAMILIES: readonly ManaEligibleFamily[] =
  data.manaEligibleExisting.families;

/** Marketplace images whose guest carries the MANA driver. */
export const MANA_GUEST_IMAGES: readonly ManaImage[] = data.manaGuestImages.images;

/** Images one source lists and a newer one does not; not counted as carrying the driver. */
export const MANA_IMAGES_NOT_COUNTED: readonly ManaImageNotCounted[] =
  data.manaGuestImages.notCounted;

/** PCI ids in the guest: MANA "1414:00ba", Mellanox "15b3:*". */
export const PCI_IDS: { readonly mana: string; readonly mellanox: string } =
  data.manaGuestImages.pciIds;

/** NC and NV families, with what the API reports and their size pages say about AN. */
export const GPU_CAPABILITY_WITHOUT_AN: readonly GpuFamily[] = data.gpuCapabilityWithoutAn.families;

/** The overview's note on NC and NV sizes (source "anOverview"). */
export const GPU_NOTE: string = data.gpuCapabilityWithoutAn.quote;

function byFamily<T extends { readonly family: string }>(rows: readonly T[]): Map<string, T> {
  return new Map(rows.map((r) => [r.family.toLowerCase(), r]));
}

const REQUIRED = byFamily(AN_REQUIRED_FAMILIES);
const MANA_ONLY = byFamily(MANA_ONLY_FAMILIES);
const MANA_ELIGIBLE = byFamily(MANA_ELIGIBLE_EXISTING_FAMILIES);
const GPU = byFamily(GPU_CAPABILITY_WITHOUT_AN);

export function anRequiredFamily(family: string): AnRequiredFamily | undefined {
  return REQUIRED.get(family.toLowerCase());
}

export function manaOnlyFamily(family: string): ManaOnlyFamily | undefined {
  return MANA_ONLY.get(family.toLowerCase());
}

export function manaEligibleExistingFamily(family: string): ManaEligibleFamily | undefined {
  return MANA_ELIGIBLE.get(family.toLowerCase());
}

export function gpuFamily(family: string): GpuFamily | undefined {
  return GPU.get(family.toLowerCase());
}

const IMAGE_PATTERNS = MANA_GUEST_IMAGES.map((image) => ({
  image,
  publisher: image.publisher.toLowerCase(),
  offer: new RegExp(image.offer, 'i'),
  sku: image.sku === null ? undefined : new RegExp(image.sku, 'i'),
}));

/** The row of {@link MANA_GUEST_IMAGES} an image reference matches, if any. */
export function manaGuestImage(ref: ImageReference): ManaImage | undefined {
  const publisher = (ref.publisher ?? '').toLowerCase();
  const offer = ref.offer ?? '';
  const sku = ref.sku ?? '';
  return IMAGE_PATTERNS.find(
    (p) => p.publisher === publisher && p.offer.test(offer) && (!p.sku || p.sku.test(sku)),
  )?.image;
}
