/**
 * One remediation per VM at a time: every run that may take a VM down holds the VM's Durable
 * Entity (name `vm`, key from the VM id) in a critical section while it reads the VM's facts
 * again and acts on them. Keys are the same whoever computes them (orchestrators included, so no
 * Node crypto): FNV-1a over the lower-cased id, two 64-bit lanes, 32 hex digits. A collision
 * would only make two VMs wait for each other, never act on one at once.
 */
export const VM_ENTITY = 'vm';

const PRIME = 0x100000001b3n;
const MASK = 0xffffffffffffffffn;

function fnv1a64(text: string, basis: bigint): bigint {
  let hash = basis;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= BigInt(byte);
    hash = (hash * PRIME) & MASK;
  }
  return hash;
}

/** The entity key of a VM's lock. */
export function vmLockKey(vmId: string): string {
  const id = vmId.toLowerCase();
  const a = fnv1a64(id, 0xcbf29ce484222325n);
  const b = fnv1a64(`accelnet:${id}`, 0x84222325cbf29ce4n);
  return `${a.toString(16).padStart(16, '0')}${b.toString(16).padStart(16, '0')}`;
}
