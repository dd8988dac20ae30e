import type { ArmServices } from '../../arm/services';

/**
 * The addresses the emulator hands out: private ones from a subnet's prefix, public ones
 * from 20.0.0.0/8. Both draw on one counter, so no two addresses repeat until a reset.
 */
export function nextPrivateIp(arm: ArmServices, subnetPrefix: string | undefined): string {
  const base = parseCidr(subnetPrefix ?? '10.0.0.0/24') ?? [10, 0, 0, 0];
  const n = arm.store.next('ip-address') + 3;
  return `${base[0]}.${base[1]}.${(base[2] ?? 0) + Math.floor(n / 250)}.${(n % 250) + 4}`;
}

export function nextPublicIp(arm: ArmServices): string {
  const n = arm.store.next('ip-address');
  return `20.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
}

/** The four octets of an IPv4 CIDR block; undefined when it is not one. */
export function parseCidr(cidr: string): number[] | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
  if (!m) return undefined;
  const parts = m.slice(1, 5).map(Number);
  return parts.every((p) => p <= 255) ? parts : undefined;
}
