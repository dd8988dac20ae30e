import type { VirtualMachine } from '@azure/arm-compute';
import type { NetworkInterface, PublicIPAddress } from '@azure/arm-network';

import { downtimeEstimateSeconds } from '../domain/approvals';
import type {
  Decision,
  RemediationMethod,
  RuleSettings,
  SizeFacts,
  VmFacts,
} from '../domain/model';
import { decide } from '../domain/rules';
import { ensureError } from '../platform/errors';
import type { ArmPorts } from './clients';
import { parseResourceRef, readSizes, toVmFacts } from './facts';

export interface Scope {
  subscriptionId: string;
  resourceGroup?: string;
  /** Only these VMs (ids, case-insensitive); all VMs of the scope otherwise. */
  vmIds?: string[];
}

export interface FleetSnapshot {
  vms: VmFacts[];
  /** Size facts per region (lower-case), then per size (lower-case). */
  sizes: Map<string, Map<string, SizeFacts>>;
  /** Requested VM ids that do not exist in the scope. */
  missing: string[];
}

export interface ComplianceRow {
  vmId: string;
  name: string;
  size: string;
  location: string;
  powerState: string;
  compliant: boolean;
  eligible: boolean;
  action: Decision['action'];
  /** How it would be remediated (remediate only): in place, or through a deallocation. */
  method?: RemediationMethod;
  /** The downtime a remediation would cost it, in seconds (Azure's typical durations). */
  downtimeSeconds?: number;
  reasons: { code: string; message: string }[];
}

/**
 * Reads a whole scope with few ARM calls: VMs with their power state, NICs, public IPs and
 * resource groups as paged lists, and the SKU catalog once per region. Reads grow with pages,
 * not with VMs; only resources outside the scope (a NIC in another group) are read one by one.
 */
export async function discoverFleet(ports: ArmPorts, scope: Scope): Promise<FleetSnapshot> {
  const rg = scope.resourceGroup;
  const [vms, nicList, pipList, groups] = await Promise.all([
    collect<VirtualMachine>(
      rg
        ? ports.compute.virtualMachines.list(rg, { expand: 'instanceView' })
        : ports.compute.virtualMachines.listAll({ statusOnly: 'true' }),
    ),
    collect<NetworkInterface>(
      rg ? ports.network.networkInterfaces.list(rg) : ports.network.networkInterfaces.listAll(),
    ),
    collect<PublicIPAddress>(
      rg ? ports.network.publicIPAddresses.list(rg) : ports.network.publicIPAddresses.listAll(),
    ),
    collect<{ name?: string; tags?: Record<string, string> }>(
      ports.resources.resourceGroups.list(),
    ),
  ]);
  const nics = new Map(nicList.filter((n) => n.id).map((n) => [(n.id ?? '').toLowerCase(), n]));
  const publicIps = new Map(
    pipList.filter((p) => p.id).map((p) => [(p.id ?? '').toLowerCase(), p]),
  );
  const groupTags = new Map(groups.map((g) => [(g.name ?? '').toLowerCase(), g.tags ?? {}]));

  const wanted = scope.vmIds ? new Set(scope.vmIds.map((id) => id.toLowerCase())) : undefined;
  const selected = wanted ? vms.filter((vm) => wanted.has((vm.id ?? '').toLowerCase())) : vms;
  const found = new Set(selected.map((vm) => (vm.id ?? '').toLowerCase()));
  const missing = scope.vmIds?.filter((id) => !found.has(id.toLowerCase())) ?? [];

  const facts: VmFacts[] = [];
  for (const vm of selected) {
    await fillOutOfScope(ports, vm, nics, publicIps);
    const osDiskAcceleratedNetwork = vm.storageProfile?.imageReference?.id
      ? await diskCapability(ports, vm)
      : undefined;
    const group = /\/resourceGroups\/([^/]+)\//i.exec(vm.id ?? '')?.[1] ?? '';
    facts.push(
      toVmFacts(vm, {
        nics,
        publicIps,
        resourceGroupTags: groupTags.get(group.toLowerCase()) ?? {},
        osDiskAcceleratedNetwork,
      }),
    );
  }

  const sizes = new Map<string, Map<string, SizeFacts>>();
  for (const location of new Set(facts.map((f) => f.location))) {
    sizes.set(location, await readSizes(ports, location));
  }
  return { vms: facts, sizes, missing };
}

/** The decision for every VM of a snapshot. */
export function assessFleet(
  snapshot: FleetSnapshot,
  rules: RuleSettings,
): { facts: VmFacts; decision: Decision }[] {
  return snapshot.vms.map((facts) => ({
    facts,
    decision: decide(
      facts,
      snapshot.sizes.get(facts.location)?.get(facts.size.toLowerCase()),
      rules,
    ),
  }));
}

export function complianceRows(
  assessed: { facts: VmFacts; decision: Decision }[],
): ComplianceRow[] {
  return assessed.map(({ facts, decision }) => ({
    vmId: facts.id,
    name: facts.name,
    size: facts.size,
    location: facts.location,
    powerState: facts.powerState,
    compliant: decision.compliant,
    eligible: decision.eligible,
    action: decision.action,
    ...(decision.action === 'remediate' && decision.method !== undefined
      ? {
          method: decision.method,
          downtimeSeconds: downtimeEstimateSeconds({ powerState: facts.powerState, decision }),
        }
      : {}),
    reasons: decision.reasons.map((r) => ({ code: r.code, message: r.message })),
  }));
}

async function collect<T>(pages: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of pages) items.push(item);
  return items;
}

async function fillOutOfScope(
  ports: ArmPorts,
  vm: VirtualMachine,
  nics: Map<string, NetworkInterface>,
  publicIps: Map<string, PublicIPAddress>,
): Promise<void> {
  for (const ref of vm.networkProfile?.networkInterfaces ?? []) {
    const id = ref.id?.toLowerCase();
    if (!id || nics.has(id)) continue;
    const parsed = parseResourceRef(ref.id ?? '');
    nics.set(id, await ports.network.networkInterfaces.get(parsed.resourceGroup, parsed.name));
  }
  for (const ref of vm.networkProfile?.networkInterfaces ?? []) {
    for (const config of nics.get(ref.id?.toLowerCase() ?? '')?.ipConfigurations ?? []) {
      const pipId = config.publicIPAddress?.id;
      if (!pipId || publicIps.has(pipId.toLowerCase())) continue;
      const parsed = parseResourceRef(pipId);
      publicIps.set(
        pipId.toLowerCase(),
        await ports.network.publicIPAddresses.get(parsed.resourceGroup, parsed.name),
      );
    }
  }
}

/** Custom images only: whether the OS disk's image declares Accelerated Networking support. */
async function diskCapability(ports: ArmPorts, vm: VirtualMachine): Promise<boolean | undefined> {
  const diskId = vm.storageProfile?.osDisk?.managedDisk?.id;
  if (!diskId) return undefined;
  try {
    const parsed = parseResourceRef(diskId);
    return (await ports.compute.disks.get(parsed.resourceGroup, parsed.name)).supportedCapabilities
      ?.acceleratedNetwork;
  } catch (error) {
    if (ensureError(error).status === 404) return undefined;
    throw error;
  }
}
