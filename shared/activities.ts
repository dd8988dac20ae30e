import type { VirtualMachine } from '@azure/arm-compute';
import type { NetworkInterface, PublicIPAddress } from '@azure/arm-network';

import type { ArmFactory, ArmPorts } from './arm';
import { AccelnetError, ensureError } from './errors';
import { parseVmId, type VmRef } from './events';
import { classicPollable, modularPollable, OperationTimer, TYPICAL_DURATIONS_MS } from './lro';
import type { NicFacts, PowerState, RuleSettings, SizeFacts, VmFacts } from './model';
import { decide } from './rules';
import type {
  AssessOutput,
  AuditInput,
  EnableInput,
  EnableOutput,
  PowerInput,
  PowerOutput,
  VerifyInput,
  VerifyOutput,
} from './workflow';

/** Where audit rows go (Azure Table storage in production). */
export interface AuditPort {
  record(row: AuditInput): Promise<void>;
}

/** Structured log lines: one JSON object per line. */
export type LogPort = (entry: Record<string, unknown>) => void;

export interface ActivityDeps {
  arm: ArmFactory;
  audit: AuditPort;
  log: LogPort;
  rules: RuleSettings;
  /** Shortest wait between polls of a long-running ARM operation. */
  pollIntervalMs: number;
  /** Shared operation timer (learned durations); one per process by default. */
  timer?: OperationTimer;
  /** ARM's clock against real time: 1 for Azure, the emulator's time scale locally. */
  armTimeScale?: number;
}

/** Each activity takes its input and, optionally, where this invocation logs (the Functions context). */
export interface Activities {
  assessVm(input: { vm: VmRef; runId: string }, log?: LogPort): Promise<AssessOutput>;
  powerOffVm(input: PowerInput, log?: LogPort): Promise<PowerOutput>;
  deallocateVm(input: PowerInput, log?: LogPort): Promise<PowerOutput>;
  enableAcceleratedNetworking(input: EnableInput, log?: LogPort): Promise<EnableOutput>;
  startVm(input: PowerInput, log?: LogPort): Promise<PowerOutput>;
  verifyVm(input: VerifyInput, log?: LogPort): Promise<VerifyOutput>;
  recordAudit(input: AuditInput, log?: LogPort): Promise<void>;
}

/**
 * The activities of the remediation, built from injected ports. Each one is idempotent (a
 * retry after a crash or a transient failure finds the VM already in the target state and
 * does nothing), logs what it did, and throws AccelnetError on failure.
 */
export function createActivities(deps: ActivityDeps): Activities {
  const skuCache = new Map<string, Promise<Map<string, SizeFacts>>>();

  /** The SKU catalog of a subscription and region, read once and cached (never per VM). */
  function sizes(subscriptionId: string, location: string): Promise<Map<string, SizeFacts>> {
    const key = `${subscriptionId.toLowerCase()}|${location.toLowerCase()}`;
    let cached = skuCache.get(key);
    if (!cached) {
      cached = readSizes(deps.arm(subscriptionId), location);
      cached.catch(() => skuCache.delete(key));
      skuCache.set(key, cached);
    }
    return cached;
  }

  const timer =
    deps.timer ??
    OperationTimer.withPriors(deps.pollIntervalMs, TYPICAL_DURATIONS_MS, deps.armTimeScale ?? 1);

  async function step<T>(
    name: string,
    input: { vm: VmRef; runId: string },
    log: LogPort,
    work: () => Promise<T>,
  ): Promise<T> {
    const started = Date.now();
    try {
      const result = await work();
      log({
        level: 'info',
        runId: input.runId,
        vmId: input.vm.id,
        step: name,
        result: 'ok',
        ms: Date.now() - started,
        output: result,
      });
      return result;
    } catch (error) {
      const e = ensureError(error);
      log({
        level: 'warn',
        runId: input.runId,
        vmId: input.vm.id,
        step: name,
        result: 'failed',
        ms: Date.now() - started,
        code: e.code,
        retryable: e.retryable,
        message: e.message,
      });
      // The orchestrator sees only the message of a failed activity: lead it with the code.
      throw e.message.startsWith(`${e.code}:`)
        ? e
        : new AccelnetError(e.code, `${e.code}: ${e.message}`, {
            retryable: e.retryable,
            ...(e.status !== undefined ? { status: e.status } : {}),
            cause: e,
          });
    }
  }

  /**
   * Waits while the VM is in `transitional` (an operation of an earlier attempt still runs)
   * until it reaches `target`; anything else rethrows the original conflict.
   */
  async function awaitState(
    ports: ArmPorts,
    vm: VmRef,
    target: PowerState,
    transitional: PowerState,
    conflict: unknown,
  ): Promise<PowerOutput> {
    const kind =
      target === 'deallocated' ? 'deallocate' : target === 'running' ? 'start' : 'powerOff';
    let wait = Math.max(deps.pollIntervalMs, (timer.expectedMs(kind) ?? deps.pollIntervalMs) * 0.1);
    for (let round = 0; round < 200; round += 1) {
      const state = await powerState(ports, vm);
      if (state === target) return { powerState: target, changed: false };
      if (state !== transitional) throw conflict;
      await new Promise((resolve) => setTimeout(resolve, wait));
      wait = Math.min(30_000, wait * 1.5);
    }
    throw conflict;
  }

  async function powerState(ports: ArmPorts, vm: VmRef): Promise<PowerState> {
    const got = await ports.compute.virtualMachines.get(vm.resourceGroup, vm.name, {
      expand: 'instanceView',
    });
    return powerStateOf(got.instanceView?.statuses);
  }

  return {
    assessVm: (input, log = deps.log) =>
      step('assess', input, log, async () => {
        const facts = await readVmFacts(deps.arm(input.vm.subscriptionId), input.vm);
        const table = await sizes(input.vm.subscriptionId, facts.location);
        const decision = decide(facts, table.get(facts.size.toLowerCase()), deps.rules);
        return { facts, decision };
      }),

    powerOffVm: (input, log = deps.log) =>
      step('powerOff', input, log, async () => {
        const ports = deps.arm(input.vm.subscriptionId);
        const started = performance.now();
        const poller = ports.compute.virtualMachines.powerOff(
          input.vm.resourceGroup,
          input.vm.name,
        );
        try {
          await poller.submitted();
        } catch (error) {
          // ARM refuses powerOff on a deallocated VM: a retry after deallocation started.
          const e = ensureError(error);
          if (e.code !== 'OperationNotAllowed') throw error;
          const state = await powerState(ports, input.vm);
          if (state === 'deallocated' || state === 'deallocating' || state === 'stopped')
            return { powerState: state, changed: false };
          if (state === 'stopping')
            return awaitState(ports, input.vm, 'stopped', 'stopping', error);
          throw error;
        }
        const changed = !poller.isDone;
        await timer.drive('powerOff', modularPollable(poller), started);
        return { powerState: 'stopped', changed };
      }),

    deallocateVm: (input, log = deps.log) =>
      step('deallocate', input, log, async () => {
        const ports = deps.arm(input.vm.subscriptionId);
        const started = performance.now();
        const poller = ports.compute.virtualMachines.deallocate(
          input.vm.resourceGroup,
          input.vm.name,
        );
        try {
          await poller.submitted();
        } catch (error) {
          // A previous attempt's deallocation is still running (a retry after a crash): wait for it.
          if (ensureError(error).code !== 'OperationNotAllowed') throw error;
          return awaitState(ports, input.vm, 'deallocated', 'deallocating', error);
        }
        const changed = !poller.isDone;
        await timer.drive('deallocate', modularPollable(poller), started);
        return { powerState: 'deallocated', changed };
      }),

    enableAcceleratedNetworking: (input, log = deps.log) =>
      step('enableNics', input, log, async () => {
        const ports = deps.arm(input.vm.subscriptionId);
        // The invariant that matters most: a NIC is changed only while its VM is deallocated.
        const before = await powerState(ports, input.vm);
        if (before !== 'deallocated') {
          throw new AccelnetError(
            'VmNotDeallocated',
            `VM ${input.vm.name} is ${before}; NICs are changed only while it is deallocated.`,
            { retryable: false },
          );
        }
        const nics: EnableOutput['nics'] = [];
        for (const nicId of input.nicIds) {
          const ref = parseResourceRef(nicId);
          const nic = await ports.network.networkInterfaces.get(ref.resourceGroup, ref.name);
          if (nic.enableAcceleratedNetworking === true) {
            nics.push({ id: nicId, changed: false });
            continue;
          }
          // Send the whole NIC back (a partial body drops IP configurations), guarded by its etag.
          const started = performance.now();
          const poller = await ports.network.networkInterfaces.beginCreateOrUpdate(
            ref.resourceGroup,
            ref.name,
            { ...nic, enableAcceleratedNetworking: true },
            {
              requestOptions: { customHeaders: nic.etag ? { 'If-Match': nic.etag } : {} },
            },
          );
          await timer.drive('nicUpdate', classicPollable(poller), started);
          const result = poller.getResult();
          if (result && result.enableAcceleratedNetworking !== true) {
            throw new AccelnetError(
              'NicNotUpdated',
              `NIC ${nicId} still has Accelerated Networking disabled after the update.`,
              { retryable: true },
            );
          }
          nics.push({ id: nicId, changed: true });
        }
        return { nics };
      }),

    startVm: (input, log = deps.log) =>
      step('start', input, log, async () => {
        const ports = deps.arm(input.vm.subscriptionId);
        const started = performance.now();
        const poller = ports.compute.virtualMachines.start(input.vm.resourceGroup, input.vm.name);
        try {
          await poller.submitted();
        } catch (error) {
          if (ensureError(error).code !== 'OperationNotAllowed') throw error;
          return awaitState(ports, input.vm, 'running', 'starting', error);
        }
        const changed = !poller.isDone;
        await timer.drive('start', modularPollable(poller), started);
        return { powerState: 'running', changed };
      }),

    verifyVm: (input, log = deps.log) =>
      step('verify', input, log, async () => {
        const ports = deps.arm(input.vm.subscriptionId);
        const got = await ports.compute.virtualMachines.get(input.vm.resourceGroup, input.vm.name, {
          expand: 'instanceView',
        });
        const state = powerStateOf(got.instanceView?.statuses);
        const problems: string[] = [];
        if (state !== input.expectedPowerState)
          problems.push(`VM is ${state}, expected ${input.expectedPowerState}`);
        const nics: VerifyOutput['nics'] = [];
        const confirmed = new Set((input.confirmedNicIds ?? []).map((id) => id.toLowerCase()));
        for (const ref of got.networkProfile?.networkInterfaces ?? []) {
          if (!ref.id) continue;
          if (confirmed.has(ref.id.toLowerCase())) {
            nics.push({ id: ref.id, enableAcceleratedNetworking: true });
            continue;
          }
          const parsed = parseResourceRef(ref.id);
          const nic = await ports.network.networkInterfaces.get(parsed.resourceGroup, parsed.name);
          const enabled = nic.enableAcceleratedNetworking === true;
          if (!enabled) problems.push(`NIC ${ref.id} does not have Accelerated Networking enabled`);
          nics.push({ id: nic.id ?? ref.id, enableAcceleratedNetworking: enabled });
        }
        return { ok: problems.length === 0, powerState: state, nics, problems };
      }),

    recordAudit: async (input, log = deps.log) => {
      log({ level: 'info', audit: true, ...input });
      await deps.audit.record(input);
    },
  };
}

export async function readSizes(
  ports: ArmPorts,
  location: string,
): Promise<Map<string, SizeFacts>> {
  const table = new Map<string, SizeFacts>();
  for await (const sku of ports.compute.resourceSkus.list({
    filter: `location eq '${location}'`,
  })) {
    if (sku.resourceType !== 'virtualMachines' || !sku.name) continue;
    const caps = new Map((sku.capabilities ?? []).map((c) => [c.name ?? '', c.value ?? '']));
    table.set(sku.name.toLowerCase(), {
      name: sku.name,
      acceleratedNetworking: caps.get('AcceleratedNetworkingEnabled')?.toLowerCase() === 'true',
      vCPUs: Number(caps.get('vCPUs') ?? 0),
      vCPUsPerCore: Number(caps.get('vCPUsPerCore') ?? 1),
      family: sku.family ?? '',
      hasTempDisk: Number(caps.get('MaxResourceVolumeMB') ?? 0) > 0,
    });
  }
  return table;
}

/** Everything the rules need about a VM: the VM with its instance view, its NICs, public IPs, group tags and OS disk. */
export async function readVmFacts(ports: ArmPorts, vm: VmRef): Promise<VmFacts> {
  const got = await ports.compute.virtualMachines.get(vm.resourceGroup, vm.name, {
    expand: 'instanceView',
  });
  const group = await ports.resources.resourceGroups.get(vm.resourceGroup);
  const nics = new Map<string, NetworkInterface>();
  const publicIps = new Map<string, PublicIPAddress>();
  for (const ref of got.networkProfile?.networkInterfaces ?? []) {
    if (!ref.id) continue;
    const id = parseResourceRef(ref.id);
    const nic = await ports.network.networkInterfaces.get(id.resourceGroup, id.name);
    nics.set(ref.id.toLowerCase(), nic);
    for (const config of nic.ipConfigurations ?? []) {
      const pipId = config.publicIPAddress?.id;
      if (!pipId) continue;
      const pipRef = parseResourceRef(pipId);
      publicIps.set(
        pipId.toLowerCase(),
        await ports.network.publicIPAddresses.get(pipRef.resourceGroup, pipRef.name),
      );
    }
  }
  let osDiskAcceleratedNetwork: boolean | undefined;
  const diskId = got.storageProfile?.osDisk?.managedDisk?.id;
  if (diskId) {
    try {
      const diskRef = parseResourceRef(diskId);
      const disk = await ports.compute.disks.get(diskRef.resourceGroup, diskRef.name);
      osDiskAcceleratedNetwork = disk.supportedCapabilities?.acceleratedNetwork;
    } catch (error) {
      if (ensureError(error).status !== 404) throw error;
    }
  }
  return toVmFacts(got, {
    nics,
    publicIps,
    resourceGroupTags: group.tags ?? {},
    osDiskAcceleratedNetwork,
    fallback: vm,
  });
}

export interface FactSources {
  /** NICs and public IPs by lower-cased id. */
  nics: Map<string, NetworkInterface>;
  publicIps: Map<string, PublicIPAddress>;
  resourceGroupTags: Record<string, string>;
  osDiskAcceleratedNetwork: boolean | undefined;
  fallback?: VmRef;
}

/** Maps a VM (with its instance view) and its related resources to the facts the rules read. */
export function toVmFacts(got: VirtualMachine, sources: FactSources): VmFacts {
  const ref = parseVmId(got.id ?? '') ?? sources.fallback;
  const nicFacts: NicFacts[] = [];
  for (const nicRef of got.networkProfile?.networkInterfaces ?? []) {
    if (!nicRef.id) continue;
    const nic = sources.nics.get(nicRef.id.toLowerCase());
    const publicIps: NicFacts['publicIps'] = [];
    for (const config of nic?.ipConfigurations ?? []) {
      const pipId = config.publicIPAddress?.id;
      if (!pipId) continue;
      const pip = sources.publicIps.get(pipId.toLowerCase());
      publicIps.push({
        id: pipId,
        allocationMethod: pip?.publicIPAllocationMethod === 'Dynamic' ? 'Dynamic' : 'Static',
      });
    }
    nicFacts.push({
      id: nic?.id ?? nicRef.id,
      enableAcceleratedNetworking: nic?.enableAcceleratedNetworking === true,
      publicIps,
    });
  }
  const osDisk = got.storageProfile?.osDisk;
  const image = got.storageProfile?.imageReference;
  return {
    id: got.id ?? ref?.id ?? '',
    name: got.name ?? ref?.name ?? '',
    subscriptionId: ref?.subscriptionId ?? '',
    resourceGroup: ref?.resourceGroup ?? '',
    location: (got.location ?? '').replace(/\s+/g, '').toLowerCase(),
    size: got.hardwareProfile?.vmSize ?? '',
    powerState: powerStateOf(got.instanceView?.statuses),
    provisioningState: got.provisioningState ?? 'Unknown',
    osType:
      osDisk?.osType === 'Windows' ? 'Windows' : osDisk?.osType === 'Linux' ? 'Linux' : undefined,
    image: image
      ? {
          ...(image.publisher ? { publisher: image.publisher } : {}),
          ...(image.offer ? { offer: image.offer } : {}),
          ...(image.sku ? { sku: image.sku } : {}),
          ...(image.version ? { version: image.version } : {}),
          ...(image.id ? { id: image.id } : {}),
        }
      : undefined,
    osName: got.instanceView?.osName,
    osVersion: got.instanceView?.osVersion,
    osDiskAcceleratedNetwork: sources.osDiskAcceleratedNetwork,
    ephemeralOsDisk: osDisk?.diffDiskSettings?.option?.toLowerCase() === 'local',
    availabilitySetId: got.availabilitySet?.id,
    scaleSetId: got.virtualMachineScaleSet?.id,
    tags: { ...(got.tags ?? {}) },
    resourceGroupTags: { ...sources.resourceGroupTags },
    nics: nicFacts,
  };
}

export function powerStateOf(statuses: { code?: string }[] | undefined): PowerState {
  const code = (statuses ?? [])
    .map((s) => s.code ?? '')
    .find((c) => c.toLowerCase().startsWith('powerstate/'));
  const state = code?.slice('PowerState/'.length).toLowerCase();
  const known: PowerState[] = [
    'starting',
    'running',
    'stopping',
    'stopped',
    'deallocating',
    'deallocated',
  ];
  return known.find((k) => k === state) ?? 'unknown';
}

/** resourceGroup and name of any resource id (NIC, public IP, disk). */
export function parseResourceRef(id: string): { resourceGroup: string; name: string } {
  const m = /\/resourceGroups\/([^/]+)\/providers\/[^/]+\/[^/]+\/([^/]+)$/i.exec(id);
  if (!m?.[1] || !m[2]) throw new AccelnetError('InvalidResourceId', `Not a resource id: ${id}`);
  return { resourceGroup: m[1], name: m[2] };
}
