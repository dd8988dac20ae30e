import { type ImageReference, manaGuestImage } from '../../../../shared/domain/an-tables';
import file from '../../../data/guest-drivers.json';
import type { GuestOs } from './guest-os';

/** The Accelerated Networking drivers a guest carries: Mellanox (mlx4/mlx5) and MANA. */
export interface GuestDrivers {
  mellanox: boolean;
  mana: boolean;
}

interface MellanoxRow {
  /** A regular expression over the osName the guest agent reports. */
  osName: string;
  /** The oldest osVersion with the driver ("0": every version). */
  minVersion: string;
  /** Other versions that have it. */
  also?: string[];
}

interface GuestDriversFile {
  mellanox: MellanoxRow[];
  manaDriver: { builtIn: boolean; kernelDependent: boolean; mayNeedInstall: boolean };
  otherImages: GuestDrivers;
}

const data = file as unknown as GuestDriversFile;
const MELLANOX = data.mellanox.map((row) => ({ ...row, pattern: new RegExp(row.osName, 'i') }));

/** '22.04' -> [22, 4]; '10.0.19045.5011' -> [10, 0, 19045, 5011]; parts that are not numbers end it. */
function version(text: string): number[] {
  const parts: number[] = [];
  for (const part of text.split('.')) {
    if (!/^\d+$/.test(part)) break;
    parts.push(Number(part));
  }
  return parts;
}

function atLeast(v: number[], min: number[]): boolean {
  for (const [i, wanted] of min.entries()) {
    const part = v[i] ?? 0;
    if (part !== wanted) return part > wanted;
  }
  return true;
}

/**
 * The drivers of a guest made from `image`, as data/guest-drivers.json derives them: Mellanox
 * from the overview page's supported operating systems (matched on what the guest agent
 * reports), MANA from shared/data's table of images that carry its driver.
 */
export function guestDriversFromImage(image: ImageReference, os: GuestOs): GuestDrivers {
  const row = MELLANOX.find((r) => r.pattern.test(os.osName));
  const mana = manaGuestImage(image);
  const other = { mellanox: data.otherImages.mellanox, mana: data.otherImages.mana };
  if (!row && !mana) return other;
  const v = version(os.osVersion);
  const mellanox = row
    ? atLeast(v, version(row.minVersion)) ||
      (row.also ?? []).some((also) => atLeast(v, version(also)) && atLeast(version(also), v))
    : other.mellanox;
  return { mellanox, mana: mana ? data.manaDriver[mana.driver] : false };
}
