import { randomUUID } from 'node:crypto';

import type { ArmActivity } from './arm/activity';
import { ArmError } from './arm/errors';
import { key, parseResourceId, resourceId, validateName } from './arm/ids';
import type { JsonObject } from './arm/json';
import { arr, isObject, mergePatch, obj, str } from './arm/json';
import type { ArmResult, RequestInfo } from './arm/request';
import type { EmulatorConfig, LatencyName } from './config';
import { type GuestOs, guestOsFromImage } from './os';
import { findVmSize, isOfferedIn, type VmSize } from './skus';

export type PowerState =
  'starting' | 'running' | 'stopping' | 'stopped' | 'deallocating' | 'deallocated';
type ProvisioningState = 'Creating' | 'Updating' | 'Succeeded' | 'Failed' | 'Deleting';

export type { ArmResult, RequestInfo } from './arm/request';

interface ResourceGroup {
  id: string;
  name: string;
  subscriptionId: string;
  location: string;
  tags: JsonObject;
  managedBy: string | undefined;
}

interface Vm {
  id: string;
  subscriptionId: string;
  resourceGroup: string;
  name: string;
  location: string;
  tags: JsonObject | undefined;
  zones: unknown;
  extra: JsonObject;
  properties: JsonObject;
  vmId: string;
  timeCreated: string;
  etag: number;
  powerState: PowerState;
  provisioningState: ProvisioningState;
  busy: { operation: string; operationId: string } | undefined;
  guestOs: GuestOs;
  osDiskKey: string;
  deallocations: number;
  tempDiskWipes: number;
  publicIpChanges: number;
  deleted: boolean;
  /** Every power state change, with the real time (ms since the epoch) it happened. */
  timeline: { powerState: PowerState; at: number }[];
}

interface Nic {
  id: string;
  subscriptionId: string;
  resourceGroup: string;
  name: string;
  location: string;
  tags: JsonObject | undefined;
  properties: JsonObject;
  etag: string;
  resourceGuid: string;
  macAddress: string;
  provisioningState: 'Updating' | 'Succeeded' | 'Failed';
  busyOperationId: string | undefined;
  /** The flag as it took effect at the VM's last allocation. */
  effective: boolean;
  vmKey: string | undefined;
}

interface PlainResource {
  id: string;
  subscriptionId: string;
  resourceGroup: string;
  name: string;
  location: string;
  type: string;
  tags: JsonObject | undefined;
  properties: JsonObject;
  sku: JsonObject | undefined;
  etag: string;
}

interface Operation {
  id: string;
  provider: 'Microsoft.Compute' | 'Microsoft.Network';
  location: string;
  status: 'InProgress' | 'Succeeded' | 'Failed';
  startTime: string;
  endTime: string | undefined;
  error: { code: string; message: string } | undefined;
  timer: NodeJS.Timeout | undefined;
  complete: (() => void) | undefined;
}

export interface VmView {
  id: string;
  name: string;
  resourceGroup: string;
  location: string;
  size: string;
  powerState: PowerState;
  provisioningState: ProvisioningState;
  availabilitySet?: string;
  nics: {
    id: string;
    enableAcceleratedNetworking: boolean;
    acceleratedNetworkingEffective: boolean;
  }[];
  deallocations: number;
  tempDiskWipes: number;
  publicIpChanges: number;
  timeline?: { powerState: PowerState; at: number }[];
}

export interface WorldOptions {
  config: () => EmulatorConfig;
  onActivity: (activity: ArmActivity) => void;
  tenantId?: string;
}

const COMPUTE_VM = 'Microsoft.Compute/virtualMachines';
const NETWORK_NIC = 'Microsoft.Network/networkInterfaces';
const ALLOCATED: readonly PowerState[] = ['starting', 'running', 'stopping', 'stopped'];
const OPERATION_LIMIT = 200_000;

/**
 * The emulated state of Azure for the resources accelnet touches, with the rules Azure
 * enforces on them. Handlers take parsed path parts and JSON bodies and answer ArmResults;
 * the HTTP server does auth, throttling, faults and logging around them.
 */
export class World {
  readonly tenantId: string;
  private readonly groups = new Map<string, ResourceGroup>();
  private readonly vms = new Map<string, Vm>();
  private readonly nics = new Map<string, Nic>();
  private readonly plain = new Map<string, PlainResource>();
  private readonly operations = new Map<string, Operation>();
  private ipCounter = 0;
  private eventsMuted = false;

  constructor(private readonly options: WorldOptions) {
    this.tenantId = options.tenantId ?? '72f988bf-86f1-41af-91ab-2d7cd011db47';
  }

  reset(): void {
    for (const op of this.operations.values()) if (op.timer) clearTimeout(op.timer);
    this.groups.clear();
    this.vms.clear();
    this.nics.clear();
    this.plain.clear();
    this.operations.clear();
    this.ipCounter = 0;
  }

  close(): void {
    for (const op of this.operations.values()) if (op.timer) clearTimeout(op.timer);
  }

  // ---------------------------------------------------------------- resource groups

  putResourceGroup(sub: string, name: string, body: JsonObject, req: RequestInfo): ArmResult {
    validateName('resourceGroup', name);
    const location = requireLocation(body);
    const id = `/subscriptions/${sub}/resourceGroups/${name}`;
    const existing = this.groups.get(key(id));
    if (existing && existing.location.toLowerCase() !== location.toLowerCase()) {
      throw new ArmError(
        409,
        'InvalidResourceGroupLocation',
        `Invalid resource group location '${location}'. The Resource group already exists in location '${existing.location}' in resource group '${existing.name}'. A resource group cannot change location.`,
      );
    }
    const group: ResourceGroup = {
      id: existing?.id ?? id,
      name: existing?.name ?? name,
      subscriptionId: sub,
      location: existing?.location ?? location,
      tags: obj(body.tags),
      managedBy: str(body.managedBy),
    };
    this.groups.set(key(id), group);
    this.emit(
      req,
      'Write',
      group.id,
      'Microsoft.Resources/subscriptions/resourceGroups/write',
      sub,
      group.name,
    );
    return { status: existing ? 200 : 201, body: groupJson(group) };
  }

  getResourceGroup(sub: string, name: string): ArmResult {
    return { status: 200, body: groupJson(this.group(sub, name)) };
  }

  listResourceGroups(sub: string, req: RequestInfo, skip: number): ArmResult {
    const items = [...this.groups.values()]
      .filter((g) => same(g.subscriptionId, sub))
      .map(groupJson);
    return this.page(items, req, skip);
  }

  private group(sub: string, name: string): ResourceGroup {
    const group = this.groups.get(key(`/subscriptions/${sub}/resourceGroups/${name}`));
    if (!group)
      throw new ArmError(
        404,
        'ResourceGroupNotFound',
        `Resource group '${name}' could not be found.`,
      );
    return group;
  }

  // ---------------------------------------------------------------- virtual machines

  putVm(sub: string, rg: string, name: string, body: JsonObject, req: RequestInfo): ArmResult {
    const group = this.group(sub, rg);
    validateName('virtualMachine', name);
    const id = resourceId(sub, group.name, COMPUTE_VM, name);
    const existing = this.vms.get(key(id));
    if (existing) {
      this.checkEtag(`"${existing.etag}"`, req, existing.id);
      return this.updateVm(existing, body, req, 'PUT');
    }
    if (req.ifMatch !== undefined) {
      throw new ArmError(
        412,
        'PreconditionFailed',
        `The specified precondition 'If-Match = ${req.ifMatch}' failed: the resource does not exist.`,
      );
    }
    const location = requireLocation(body);
    const properties = writableProperties(obj(body.properties));
    const size = this.checkSize(properties, location);
    const nicKeys = this.checkNics(properties, location, undefined);
    const avsetKey = this.checkAvailabilitySet(properties, location);
    this.checkAcceleratedNetworkingSize(size, nicKeys, name);

    const storage = obj(properties.storageProfile);
    const image = obj(storage.imageReference);
    const osDisk = obj(storage.osDisk);
    const guestOs = guestOsFromImage(image, str(osDisk.osType));
    const vm: Vm = {
      id,
      subscriptionId: sub,
      resourceGroup: group.name,
      name,
      location: normLocation(location),
      tags: isObject(body.tags) ? body.tags : undefined,
      zones: body.zones,
      extra: pick(body, ['plan', 'identity', 'extendedLocation']),
      properties: {},
      vmId: randomUUID(),
      timeCreated: new Date().toISOString(),
      etag: 1,
      powerState: 'starting',
      provisioningState: 'Creating',
      busy: undefined,
      guestOs,
      osDiskKey: '',
      deallocations: 0,
      tempDiskWipes: 0,
      publicIpChanges: 0,
      deleted: false,
      timeline: [{ powerState: 'starting', at: Date.now() }],
    };
    vm.properties = this.completeVmProperties(vm, properties);
    if (avsetKey) this.checkAvailabilitySetCluster(vm, avsetKey, nicKeys);

    this.vms.set(key(id), vm);
    for (const nicKey of nicKeys) {
      const nic = this.nics.get(nicKey);
      if (nic) nic.vmKey = key(id);
    }
    this.createOsDisk(vm);
    this.allocate(vm);
    const op = this.startOperation(vm, 'create', 'vmCreate', req, {
      succeed: () => {
        this.setPower(vm, 'running');
        vm.provisioningState = 'Succeeded';
        this.emit(req, 'Write', vm.id, `${COMPUTE_VM}/write`, sub, vm.resourceGroup);
      },
      fail: () => {
        this.release(vm);
        this.setPower(vm, 'deallocated');
        vm.provisioningState = 'Failed';
      },
    });
    return this.accepted(op, req, 201, this.vmJson(vm, false), vm);
  }

  patchVm(sub: string, rg: string, name: string, body: JsonObject, req: RequestInfo): ArmResult {
    const vm = this.vm(sub, rg, name);
    this.checkEtag(`"${vm.etag}"`, req, vm.id);
    const merged: JsonObject = mergePatch(
      { properties: vm.properties, tags: vm.tags ?? {} },
      {
        ...(isObject(body.properties) ? { properties: body.properties } : {}),
        ...(isObject(body.tags) ? { tags: body.tags } : {}),
      },
    );
    // PATCH replaces tags as a whole, as ARM does.
    if (isObject(body.tags)) merged.tags = body.tags;
    return this.updateVm(vm, merged, req, 'PATCH');
  }

  private updateVm(vm: Vm, body: JsonObject, req: RequestInfo, method: string): ArmResult {
    this.checkIdle(vm, 'update');
    const properties = writableProperties(obj(body.properties));
    const oldSize = str(obj(vm.properties.hardwareProfile).vmSize) ?? '';
    const newSize = str(obj(properties.hardwareProfile).vmSize) ?? oldSize;
    const size = this.checkSize(
      { ...properties, hardwareProfile: { ...obj(properties.hardwareProfile), vmSize: newSize } },
      vm.location,
    );
    const nicKeys = this.checkNics(properties, vm.location, key(vm.id));
    this.checkAcceleratedNetworkingSize(size, nicKeys, vm.name);
    if (body.location !== undefined && normLocation(str(body.location) ?? '') !== vm.location) {
      throw new ArmError(
        409,
        'PropertyChangeNotAllowed',
        "Changing property 'location' is not allowed.",
        { target: 'location' },
      );
    }

    const previous = { properties: vm.properties, tags: vm.tags };
    vm.properties = this.completeVmProperties(vm, properties);
    if (method === 'PUT' || body.tags !== undefined)
      vm.tags = isObject(body.tags) ? body.tags : vm.tags;
    vm.etag += 1;
    const resized = newSize.toLowerCase() !== oldSize.toLowerCase();
    const provisioningBefore = vm.provisioningState;
    vm.provisioningState = 'Updating';
    const op = this.startOperation(vm, 'update', resized ? 'vmUpdate' : 'vmUpdate', req, {
      succeed: () => {
        vm.provisioningState = 'Succeeded';
        this.emit(req, 'Write', vm.id, `${COMPUTE_VM}/write`, vm.subscriptionId, vm.resourceGroup);
      },
      fail: () => {
        vm.properties = previous.properties;
        vm.tags = previous.tags;
        vm.provisioningState = provisioningBefore === 'Failed' ? 'Failed' : 'Failed';
      },
    });
    return this.accepted(op, req, 200, this.vmJson(vm, false), vm);
  }

  getVm(sub: string, rg: string, name: string, expand: string | undefined): ArmResult {
    const vm = this.vm(sub, rg, name);
    return {
      status: 200,
      body: this.vmJson(
        vm,
        (expand ?? '').toLowerCase().includes('instanceview'),
        (expand ?? '').toLowerCase().includes('userdata'),
      ),
    };
  }

  vmInstanceView(sub: string, rg: string, name: string): ArmResult {
    return { status: 200, body: this.instanceView(this.vm(sub, rg, name)) };
  }

  listVms(
    sub: string,
    rg: string | undefined,
    req: RequestInfo,
    skip: number,
    withStatus: boolean,
  ): ArmResult {
    if (rg !== undefined) this.group(sub, rg);
    const items = [...this.vms.values()]
      .filter(
        (vm) =>
          !vm.deleted &&
          same(vm.subscriptionId, sub) &&
          (rg === undefined || same(vm.resourceGroup, rg)),
      )
      .map((vm) => this.vmJson(vm, withStatus));
    return this.page(items, req, skip);
  }

  deleteVm(sub: string, rg: string, name: string, req: RequestInfo): ArmResult {
    this.group(sub, rg);
    const vm = this.vms.get(key(resourceId(sub, rg, COMPUTE_VM, name)));
    if (!vm || vm.deleted) return { status: 204 };
    this.checkIdle(vm, 'delete');
    const before = { power: vm.powerState, provisioning: vm.provisioningState };
    vm.provisioningState = 'Deleting';
    const op = this.startOperation(vm, 'delete', 'vmDelete', req, {
      succeed: () => {
        this.release(vm);
        vm.deleted = true;
        this.vms.delete(key(vm.id));
        for (const nic of this.nics.values()) if (nic.vmKey === key(vm.id)) nic.vmKey = undefined;
        for (const resource of this.plain.values()) {
          if (resource.type === 'Microsoft.Compute/availabilitySets') {
            resource.properties.virtualMachines = arr(resource.properties.virtualMachines).filter(
              (ref) => !same(str(obj(ref).id) ?? '', vm.id),
            );
          }
        }
        const disk = this.plain.get(vm.osDiskKey);
        if (disk) {
          if (
            str(obj(obj(vm.properties.storageProfile).osDisk).deleteOption)?.toLowerCase() ===
            'delete'
          )
            this.plain.delete(vm.osDiskKey);
          else disk.properties.diskState = 'Unattached';
        }
        this.emit(
          req,
          'Delete',
          vm.id,
          `${COMPUTE_VM}/delete`,
          vm.subscriptionId,
          vm.resourceGroup,
        );
      },
      fail: () => {
        this.setPower(vm, before.power);
        vm.provisioningState = 'Failed';
      },
    });
    return this.accepted(op, req, 202, undefined, vm);
  }

  vmAction(
    sub: string,
    rg: string,
    name: string,
    action: string,
    req: RequestInfo,
    query: URLSearchParams,
  ): ArmResult {
    const vm = this.vm(sub, rg, name);
    const operationName = `${COMPUTE_VM}/${action}/action`;
    switch (action.toLowerCase()) {
      case 'poweroff': {
        this.checkIdle(vm, 'powerOff');
        if (vm.powerState === 'deallocated' || vm.powerState === 'deallocating') {
          throw new ArmError(
            409,
            'OperationNotAllowed',
            `Operation 'powerOff' is not allowed on VM '${vm.name}' since the VM is either deallocated or marked to be deallocated.`,
          );
        }
        if (vm.powerState === 'stopped') return this.noopAction(vm, req, operationName);
        const skipShutdown = (query.get('skipShutdown') ?? '').toLowerCase() === 'true';
        return this.powerTransition(
          vm,
          req,
          'powerOff',
          'stopping',
          'stopped',
          operationName,
          skipShutdown ? 0.5 : 1,
        );
      }
      case 'deallocate': {
        this.checkIdle(vm, 'deallocate');
        if (isEphemeral(vm)) {
          throw new ArmError(
            400,
            'OperationNotAllowed',
            `Operation 'deallocate' is not supported for VMs or VM Scale Set instances using an ephemeral OS disk.`,
          );
        }
        if (vm.powerState === 'deallocated') return this.noopAction(vm, req, operationName);
        return this.powerTransition(
          vm,
          req,
          'deallocate',
          'deallocating',
          'deallocated',
          operationName,
          1,
        );
      }
      case 'start': {
        this.checkIdle(vm, 'start');
        if (vm.powerState === 'running') return this.noopAction(vm, req, operationName);
        if (vm.powerState === 'deallocated') {
          const nicKeys = this.vmNicKeys(vm);
          const avset = str(obj(vm.properties.availabilitySet).id);
          if (avset) this.checkAvailabilitySetCluster(vm, key(avset), nicKeys);
        }
        return this.powerTransition(vm, req, 'start', 'starting', 'running', operationName, 1);
      }
      case 'restart': {
        this.checkIdle(vm, 'restart');
        if (vm.powerState !== 'running') {
          throw new ArmError(
            409,
            'OperationNotAllowed',
            `Operation 'restart' is not allowed on VM '${vm.name}' since the VM is not running. Start the VM instead.`,
          );
        }
        return this.powerTransition(vm, req, 'restart', 'starting', 'running', operationName, 1);
      }
      default:
        throw new ArmError(
          404,
          'InvalidResourceType',
          `The resource type 'virtualMachines/${action}' could not be found in the namespace 'Microsoft.Compute' for api version '${req.apiVersion}'.`,
        );
    }
  }

  private powerTransition(
    vm: Vm,
    req: RequestInfo,
    operation: 'powerOff' | 'deallocate' | 'start' | 'restart',
    during: PowerState,
    after: PowerState,
    operationName: string,
    factor: number,
  ): ArmResult {
    const before = { power: vm.powerState, provisioning: vm.provisioningState };
    const fromDeallocated = vm.powerState === 'deallocated';
    this.setPower(vm, during);
    vm.provisioningState = 'Updating';
    if (operation === 'deallocate') this.release(vm);
    // The VM is placed on hardware when the start is accepted: NIC flags take effect then.
    if (operation === 'start' && fromDeallocated) this.allocate(vm);
    const op = this.startOperation(vm, operation, operation, req, {
      factor,
      succeed: () => {
        this.setPower(vm, after);
        vm.provisioningState = 'Succeeded';
        if (operation === 'deallocate') {
          vm.deallocations += 1;
          if (sizeOf(vm)?.tempDiskMB) vm.tempDiskWipes += 1;
        }
        this.emit(req, 'Action', vm.id, operationName, vm.subscriptionId, vm.resourceGroup);
      },
      fail: () => {
        // The operation did not happen: the VM is back where it was (a failed start from
        // deallocated leaves it deallocated), and Azure marks its provisioning Failed.
        this.setPower(vm, before.power);
        vm.provisioningState = 'Failed';
        if (operation === 'deallocate' && ALLOCATED.includes(before.power))
          this.allocate(vm, false);
        if (operation === 'start' && fromDeallocated) this.release(vm);
      },
    });
    return this.accepted(op, req, 202, undefined, vm);
  }

  private setPower(vm: Vm, state: PowerState): void {
    if (vm.powerState === state) return;
    vm.powerState = state;
    vm.timeline.push({ powerState: state, at: Date.now() });
  }

  private noopAction(vm: Vm, req: RequestInfo, operationName: string): ArmResult {
    this.emit(req, 'Action', vm.id, operationName, vm.subscriptionId, vm.resourceGroup);
    return { status: 200 };
  }

  /** At allocation the VM lands on hardware: NIC flags take effect, dynamic IPs are assigned. */
  private allocate(vm: Vm, applyNics = true): void {
    for (const nicKey of this.vmNicKeys(vm)) {
      const nic = this.nics.get(nicKey);
      if (!nic) continue;
      if (applyNics) nic.effective = nic.properties.enableAcceleratedNetworking === true;
      for (const ipKey of this.nicPublicIps(nic)) {
        const pip = this.plain.get(ipKey);
        if (!pip || str(pip.properties.ipAddress)) continue;
        const previous = str(pip.properties.lastAddress);
        const address = this.nextPublicIp();
        pip.properties.ipAddress = address;
        if (previous !== undefined && previous !== address) vm.publicIpChanges += 1;
      }
    }
  }

  /** Deallocation releases dynamic public IP addresses. */
  private release(vm: Vm): void {
    for (const nicKey of this.vmNicKeys(vm)) {
      const nic = this.nics.get(nicKey);
      if (!nic) continue;
      for (const ipKey of this.nicPublicIps(nic)) {
        const pip = this.plain.get(ipKey);
        if (!pip || str(pip.properties.publicIPAllocationMethod)?.toLowerCase() !== 'dynamic')
          continue;
        const address = str(pip.properties.ipAddress);
        if (address !== undefined) pip.properties.lastAddress = address;
        delete pip.properties.ipAddress;
      }
    }
  }

  private vm(sub: string, rg: string, name: string): Vm {
    this.group(sub, rg);
    const vm = this.vms.get(key(resourceId(sub, rg, COMPUTE_VM, name)));
    if (!vm || vm.deleted) {
      throw new ArmError(
        404,
        'ResourceNotFound',
        `The Resource '${COMPUTE_VM}/${name}' under resource group '${rg}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
      );
    }
    return vm;
  }

  private checkIdle(vm: Vm, operation: string): void {
    if (vm.busy) {
      throw new ArmError(
        409,
        'OperationNotAllowed',
        `Operation '${operation}' is not allowed on VM '${vm.name}' since the VM is marked for '${vm.busy.operation}'. Retry after the operation completes.`,
      );
    }
  }

  private checkSize(properties: JsonObject, location: string): VmSize {
    const name = str(obj(properties.hardwareProfile).vmSize);
    if (!name) {
      throw new ArmError(
        400,
        'InvalidParameter',
        "Required parameter 'hardwareProfile.vmSize' is missing (null).",
        { target: 'vmSize' },
      );
    }
    const size = findVmSize(name);
    if (!size) {
      throw new ArmError(
        400,
        'InvalidParameter',
        `The value ${name} provided for the VM size is not valid. The valid sizes in the current region are listed by the Resource SKUs API.`,
        { target: 'vmSize' },
      );
    }
    if (!isOfferedIn(size.name, location)) {
      throw new ArmError(
        409,
        'SkuNotAvailable',
        `The requested VM size for resource 'Following SKUs have failed for Capacity Restrictions: ${size.name}' is currently not available in location '${normLocation(location)}'. Please try another size or deploy to a different location or different zone. See https://aka.ms/azureskunotavailable for details.`,
      );
    }
    return size;
  }

  private checkNics(properties: JsonObject, location: string, vmKey: string | undefined): string[] {
    const refs = arr(obj(properties.networkProfile).networkInterfaces);
    if (refs.length === 0) {
      throw new ArmError(
        400,
        'InvalidParameter',
        'At least one network interface is required in networkProfile.networkInterfaces.',
        { target: 'networkProfile' },
      );
    }
    return refs.map((ref) => {
      const id = str(obj(ref).id) ?? '';
      const nic = this.nics.get(key(id));
      if (!nic) {
        throw new ArmError(
          400,
          'InvalidResourceReference',
          `Resource ${id} referenced by resource ${vmKey ?? 'the virtual machine'} was not found. Please make sure that the referenced resource exists, and that both resources are in the same region.`,
        );
      }
      if (normLocation(nic.location) !== normLocation(location)) {
        throw new ArmError(
          400,
          'InvalidParameter',
          `Network interface ${nic.id} is in location '${nic.location}', not in the VM's location '${location}'.`,
          { target: 'networkProfile' },
        );
      }
      if (nic.vmKey !== undefined && nic.vmKey !== vmKey) {
        throw new ArmError(
          400,
          'NicInUse',
          `Network interface ${nic.id} is used by existing resource ${this.vms.get(nic.vmKey)?.id ?? nic.vmKey}. A network interface can be attached to one virtual machine only.`,
        );
      }
      return key(nic.id);
    });
  }

  private checkAvailabilitySet(properties: JsonObject, location: string): string | undefined {
    const id = str(obj(properties.availabilitySet).id);
    if (id === undefined) return undefined;
    const avset = this.plain.get(key(id));
    if (!avset || avset.type !== 'Microsoft.Compute/availabilitySets') {
      throw new ArmError(
        404,
        'NotFound',
        `The entity was not found in this Azure location. Availability set ${id} does not exist.`,
        { target: 'availabilitySet' },
      );
    }
    if (normLocation(avset.location) !== normLocation(location)) {
      throw new ArmError(
        400,
        'InvalidParameter',
        `Availability set ${avset.id} is in location '${avset.location}'.`,
        { target: 'availabilitySet' },
      );
    }
    return key(avset.id);
  }

  /** Rules 2 and 7: a NIC with the flag needs a size with the capability. */
  private checkAcceleratedNetworkingSize(size: VmSize, nicKeys: string[], vmName: string): void {
    if (size.acceleratedNetworking) return;
    for (const nicKey of nicKeys) {
      const nic = this.nics.get(nicKey);
      if (nic?.properties.enableAcceleratedNetworking === true)
        throw anSizeError(size.name, nic.id, vmName);
    }
  }

  /** Rule 4: an availability set lives on one cluster; AN VMs need an AN cluster. */
  private checkAvailabilitySetCluster(vm: Vm, avsetKey: string, nicKeys: string[]): void {
    const accelerated = nicKeys.some(
      (k) => this.nics.get(k)?.properties.enableAcceleratedNetworking === true,
    );
    if (!accelerated) return;
    const avset = this.plain.get(avsetKey);
    for (const other of this.vms.values()) {
      if (other === vm || other.deleted || !ALLOCATED.includes(other.powerState)) continue;
      if (!same(str(obj(other.properties.availabilitySet).id) ?? '', avset?.id ?? '')) continue;
      const otherAccelerated = this.vmNicKeys(other).some(
        (k) => this.nics.get(k)?.effective === true,
      );
      if (!otherAccelerated) {
        throw new ArmError(
          400,
          'ExistingAvailabilitySetWasNotDeployedOnAcceleratedNetworkingEnabledCluster',
          `Cannot start or create VM '${vm.name}' with Accelerated Networking in availability set '${avset?.name ?? ''}': the set was deployed on a cluster without Accelerated Networking and VM '${other.name}' of the set is allocated without it. Deallocate every VM of the availability set, enable Accelerated Networking on their network interfaces, then start them.`,
        );
      }
    }
  }

  private completeVmProperties(vm: Vm, properties: JsonObject): JsonObject {
    const storage = obj(properties.storageProfile);
    const osDisk = obj(storage.osDisk);
    const image = obj(storage.imageReference);
    const diskName = str(osDisk.name) ?? `${vm.name}_OsDisk_1_${vm.vmId.replace(/-/g, '')}`;
    const diskId = resourceId(
      vm.subscriptionId,
      vm.resourceGroup,
      'Microsoft.Compute/disks',
      diskName,
    );
    vm.osDiskKey = key(diskId);
    const osType = str(osDisk.osType) ?? vm.guestOs.osType;
    const osProfile = obj(properties.osProfile);
    const { adminPassword: _omit, customData: _omitToo, ...visibleOsProfile } = osProfile;
    const completed: JsonObject = {
      ...properties,
      hardwareProfile: { ...obj(properties.hardwareProfile) },
      storageProfile: {
        ...storage,
        ...(Object.keys(image).length > 0
          ? {
              imageReference: {
                ...image,
                ...(str(image.id) === undefined
                  ? {
                      version: str(image.version) ?? 'latest',
                      exactVersion: str(image.exactVersion) ?? '1.0.0',
                    }
                  : {}),
              },
            }
          : {}),
        osDisk: {
          ...osDisk,
          osType,
          name: diskName,
          createOption: str(osDisk.createOption) ?? 'FromImage',
          caching: str(osDisk.caching) ?? 'ReadWrite',
          managedDisk: {
            storageAccountType: 'Premium_LRS',
            ...obj(osDisk.managedDisk),
            id: diskId,
          },
          deleteOption: str(osDisk.deleteOption) ?? 'Detach',
          diskSizeGB:
            typeof osDisk.diskSizeGB === 'number'
              ? osDisk.diskSizeGB
              : osType === 'Windows'
                ? 127
                : 30,
        },
        dataDisks: arr(storage.dataDisks).map((d) =>
          this.completeDataDisk(
            vm,
            obj(d),
            str(obj(osDisk.managedDisk).storageAccountType) ?? 'Premium_LRS',
          ),
        ),
        diskControllerType: str(storage.diskControllerType) ?? 'SCSI',
      },
      ...(Object.keys(osProfile).length > 0
        ? {
            osProfile: {
              computerName: vm.name.slice(0, osType === 'Windows' ? 15 : 64),
              ...visibleOsProfile,
              ...(osType === 'Windows'
                ? {
                    windowsConfiguration: {
                      provisionVMAgent: true,
                      enableAutomaticUpdates: true,
                      ...obj(osProfile.windowsConfiguration),
                    },
                  }
                : {
                    linuxConfiguration: {
                      disablePasswordAuthentication: false,
                      provisionVMAgent: true,
                      ...obj(osProfile.linuxConfiguration),
                    },
                  }),
              secrets: arr(osProfile.secrets),
              allowExtensionOperations: osProfile.allowExtensionOperations ?? true,
              requireGuestProvisionSignal: osProfile.requireGuestProvisionSignal ?? true,
            },
          }
        : {}),
      networkProfile: {
        ...obj(properties.networkProfile),
        networkInterfaces: arr(obj(properties.networkProfile).networkInterfaces).map(
          (ref, index) => ({
            ...obj(ref),
            ...(isObject(obj(ref).properties) || index === 0
              ? { properties: { primary: index === 0, ...obj(obj(ref).properties) } }
              : {}),
          }),
        ),
      },
    };
    return completed;
  }

  /**
   * Azure fills in a data disk's name, caching, managed disk (type and id) and delete option
   * (x-ms-examples VirtualMachine_Get, VirtualMachine_Update_DetachDataDiskUsingToBeDetachedProperty).
   */
  private completeDataDisk(vm: Vm, disk: JsonObject, osStorageType: string): JsonObject {
    const managed = obj(disk.managedDisk);
    const lun = typeof disk.lun === 'number' ? disk.lun : 0;
    const attachedId = str(managed.id);
    const name =
      str(disk.name) ??
      attachedId?.split('/').pop() ??
      `${vm.name}_disk${lun + 2}_${vm.vmId.replace(/-/g, '')}`;
    const known = attachedId ? this.plain.get(key(attachedId)) : undefined;
    const size =
      typeof disk.diskSizeGB === 'number' ? disk.diskSizeGB : known?.properties.diskSizeGB;
    return {
      ...disk,
      lun,
      name,
      createOption: str(disk.createOption) ?? 'Empty',
      caching: str(disk.caching) ?? 'None',
      managedDisk: {
        storageAccountType: str(known?.sku?.name) ?? osStorageType,
        ...managed,
        id:
          attachedId ??
          resourceId(vm.subscriptionId, vm.resourceGroup, 'Microsoft.Compute/disks', name),
      },
      deleteOption: str(disk.deleteOption) ?? 'Detach',
      ...(typeof size === 'number' ? { diskSizeGB: size } : {}),
    };
  }

  private createOsDisk(vm: Vm): void {
    const osDisk = obj(obj(obj(vm.properties).storageProfile).osDisk);
    const image = obj(obj(obj(vm.properties).storageProfile).imageReference);
    // Marketplace images of supported OSes declare Accelerated Networking support.
    const supportsAn = true;
    const id = str(obj(osDisk.managedDisk).id) ?? '';
    this.plain.set(key(id), {
      id,
      subscriptionId: vm.subscriptionId,
      resourceGroup: vm.resourceGroup,
      name: str(osDisk.name) ?? '',
      location: vm.location,
      type: 'Microsoft.Compute/disks',
      tags: undefined,
      sku: {
        name: str(obj(osDisk.managedDisk).storageAccountType) ?? 'Premium_LRS',
        tier: 'Premium',
      },
      etag: '',
      properties: {
        osType: osDisk.osType,
        hyperVGeneration: 'V2',
        supportedCapabilities: { acceleratedNetwork: supportsAn, architecture: 'x64' },
        creationData: {
          createOption: 'FromImage',
          ...(Object.keys(image).length > 0
            ? { imageReference: { id: imageId(vm.location, image) } }
            : {}),
        },
        diskSizeGB: osDisk.diskSizeGB,
        diskState: 'Attached',
        timeCreated: vm.timeCreated,
        provisioningState: 'Succeeded',
      },
    });
  }

  private vmNicKeys(vm: Vm): string[] {
    return arr(obj(vm.properties.networkProfile).networkInterfaces).map((ref) =>
      key(str(obj(ref).id) ?? ''),
    );
  }

  private nicPublicIps(nic: Nic): string[] {
    return arr(nic.properties.ipConfigurations)
      .map((c) => str(obj(obj(obj(c).properties).publicIPAddress).id))
      .filter((id): id is string => id !== undefined)
      .map(key);
  }

  private vmJson(vm: Vm, withInstanceView: boolean, withUserData = false): JsonObject {
    const { userData, ...properties } = vm.properties;
    return {
      name: vm.name,
      id: vm.id,
      type: COMPUTE_VM,
      location: vm.location,
      ...(vm.tags ? { tags: vm.tags } : {}),
      ...(vm.zones !== undefined ? { zones: vm.zones } : {}),
      ...vm.extra,
      etag: `"${vm.etag}"`,
      properties: {
        vmId: vm.vmId,
        ...properties,
        ...(withUserData && userData !== undefined ? { userData } : {}),
        provisioningState: vm.provisioningState,
        timeCreated: vm.timeCreated,
        ...(withInstanceView ? { instanceView: this.instanceView(vm) } : {}),
      },
    };
  }

  private instanceView(vm: Vm): JsonObject {
    const time = new Date().toISOString();
    const provisioning = vm.provisioningState.toLowerCase();
    const agentUp = vm.powerState === 'running';
    const osDisk = obj(obj(vm.properties.storageProfile).osDisk);
    const dataDisks = arr(obj(vm.properties.storageProfile).dataDisks).map(obj);
    const bootDiagnostics = obj(obj(vm.properties.diagnosticsProfile).bootDiagnostics);
    const storageUri = str(bootDiagnostics.storageUri)?.replace(/\/+$/, '');
    const blobs = `bootdiagnostics-${vm.name.toLowerCase().slice(0, 9)}-${vm.vmId}`;
    return {
      ...(ALLOCATED.includes(vm.powerState)
        ? { platformUpdateDomain: 0, platformFaultDomain: 0 }
        : {}),
      computerName: str(obj(vm.properties.osProfile).computerName) ?? vm.name,
      ...(agentUp ? { osName: vm.guestOs.osName, osVersion: vm.guestOs.osVersion } : {}),
      vmAgent: agentUp
        ? {
            vmAgentVersion: vm.guestOs.osType === 'Windows' ? '2.7.41491.1102' : '2.11.1.12',
            statuses: [
              {
                code: 'ProvisioningState/succeeded',
                level: 'Info',
                displayStatus: 'Ready',
                message: 'GuestAgent is running and processing the extensions.',
                time,
              },
            ],
            extensionHandlers: [],
          }
        : {
            vmAgentVersion: 'Unknown',
            statuses: [
              {
                code: 'ProvisioningState/Unavailable',
                level: 'Warning',
                displayStatus: 'Not Ready',
                message: 'VM status blob is found but not yet populated.',
                time,
              },
            ],
          },
      disks: [str(osDisk.name) ?? '', ...dataDisks.map((d) => str(d.name) ?? '')].map((name) => ({
        name,
        statuses: [
          {
            code: 'ProvisioningState/succeeded',
            level: 'Info',
            displayStatus: 'Provisioning succeeded',
            time: vm.timeCreated,
          },
        ],
      })),
      // Boot diagnostics into the customer's storage account: the blobs' URIs (managed
      // storage has none; the retrieveBootDiagnosticsData action gives SAS URIs instead).
      ...(bootDiagnostics.enabled === true
        ? {
            bootDiagnostics: storageUri
              ? {
                  consoleScreenshotBlobUri: `${storageUri}/${blobs}/${vm.name}.${vm.vmId}.screenshot.bmp`,
                  serialConsoleLogBlobUri: `${storageUri}/${blobs}/${vm.name}.${vm.vmId}.serialconsole.log`,
                }
              : {},
          }
        : {}),
      hyperVGeneration: 'V2',
      isVMInStandbyPool: false,
      statuses: [
        {
          code: `ProvisioningState/${provisioning}`,
          level: vm.provisioningState === 'Failed' ? 'Error' : 'Info',
          displayStatus: `Provisioning ${provisioning}`,
          ...(vm.provisioningState === 'Succeeded' ? { time } : {}),
        },
        {
          code: `PowerState/${vm.powerState}`,
          level: 'Info',
          displayStatus: `VM ${vm.powerState}`,
        },
      ],
    };
  }

  // ---------------------------------------------------------------- network interfaces

  putNic(sub: string, rg: string, name: string, body: JsonObject, req: RequestInfo): ArmResult {
    const group = this.group(sub, rg);
    validateName('network', name);
    const id = resourceId(sub, group.name, NETWORK_NIC, name);
    const existing = this.nics.get(key(id));
    if (existing) this.checkEtag(existing.etag, req, existing.id);
    else if (req.ifMatch !== undefined) {
      throw new ArmError(
        412,
        'PreconditionFailed',
        `Precondition failed: the network interface ${id} does not exist.`,
      );
    }
    if (existing?.busyOperationId !== undefined) {
      throw new ArmError(
        429,
        'RetryableErrorDueToAnotherOperation',
        `Operation on network interface ${existing.name} was not performed because another operation is in progress on the resource. Retry the operation.`,
        { headers: { 'Retry-After': '1' } },
      );
    }
    const location = existing?.location ?? requireLocation(body, 'Network');
    const properties = obj(body.properties);
    const flag = properties.enableAcceleratedNetworking;
    if (flag !== undefined && typeof flag !== 'boolean') {
      throw new ArmError(
        400,
        'InvalidRequestFormat',
        `Cannot parse the request. Property 'enableAcceleratedNetworking' must be a boolean.`,
      );
    }
    const configs = arr(properties.ipConfigurations);
    if (existing) {
      const names = new Set(configs.map((c) => (str(obj(c).name) ?? '').toLowerCase()));
      for (const old of arr(existing.properties.ipConfigurations)) {
        const oldName = str(obj(old).name) ?? '';
        if (!names.has(oldName.toLowerCase())) {
          throw new ArmError(
            400,
            'IpConfigDeleteNotSupported',
            `IP Configuration ${oldName} is in use by Network Interface ${existing.id} and cannot be deleted. Deletion and renaming of primary IP Configuration is not supported. Send the whole network interface, with every IP configuration, on PUT.`,
          );
        }
      }
    }
    if (configs.length === 0) {
      throw new ArmError(
        400,
        'NetworkInterfaceMustHaveAtLeastOneIpConfiguration',
        `Network interface ${id} must have at least one IP configuration.`,
      );
    }
    // An IP configuration without a subnet is placed in the first one's subnet, as the
    // NetworkInterfaceCreate x-ms-example shows (ipconfig2 sends none, gets ipconfig1's).
    const firstSubnet = obj(obj(obj(configs[0]).properties).subnet);
    const ipConfigurations = configs.map((c, index) => {
      const props = obj(obj(c).properties);
      return this.ipConfiguration(
        id,
        props.subnet === undefined && index > 0
          ? { ...obj(c), properties: { ...props, subnet: firstSubnet } }
          : obj(c),
        index,
        existing,
      );
    });
    if (
      existing?.vmKey !== undefined &&
      flag === true &&
      existing.properties.enableAcceleratedNetworking !== true
    ) {
      const vm = this.vms.get(existing.vmKey);
      const size = vm ? sizeOf(vm) : undefined;
      if (vm && size && !size.acceleratedNetworking)
        throw anSizeError(size.name, existing.id, vm.name);
    }

    const nic: Nic = existing ?? {
      id,
      subscriptionId: sub,
      resourceGroup: group.name,
      name,
      location: normLocation(location),
      tags: undefined,
      properties: {},
      etag: '',
      resourceGuid: randomUUID(),
      macAddress: macAddress(),
      provisioningState: 'Succeeded',
      busyOperationId: undefined,
      effective: false,
      vmKey: undefined,
    };
    const wasFlagged = nic.properties.enableAcceleratedNetworking === true;
    const previous = {
      properties: nic.properties,
      tags: nic.tags,
      etag: nic.etag,
      effective: nic.effective,
    };
    const {
      virtualMachine: _vm,
      macAddress: _mac,
      provisioningState: _ps,
      resourceGuid: _rg,
      ...writable
    } = properties;
    nic.properties = { ...writable, enableAcceleratedNetworking: flag === true, ipConfigurations };
    nic.tags = isObject(body.tags) ? body.tags : undefined;
    nic.etag = `W/"${randomUUID()}"`;
    if (flag !== true) nic.effective = false;
    else if (!wasFlagged && nic.vmKey === undefined) nic.effective = true;
    nic.provisioningState = 'Updating';
    this.nics.set(key(id), nic);

    const op = this.startNetworkOperation(nic.location, req, {
      latency: 'nicUpdate',
      succeed: () => {
        nic.provisioningState = 'Succeeded';
        nic.busyOperationId = undefined;
        this.emit(req, 'Write', nic.id, `${NETWORK_NIC}/write`, sub, nic.resourceGroup);
      },
      fail: () => {
        nic.properties = previous.properties;
        nic.tags = previous.tags;
        nic.etag = previous.etag;
        nic.effective = previous.effective;
        nic.provisioningState = 'Failed';
        nic.busyOperationId = undefined;
        if (!existing) this.nics.delete(key(id));
      },
    });
    nic.busyOperationId = op.id;
    return this.accepted(op, req, existing ? 200 : 201, this.nicJson(nic), undefined);
  }

  private ipConfiguration(
    nicId: string,
    config: JsonObject,
    index: number,
    existing: Nic | undefined,
  ): JsonObject {
    const name = str(config.name);
    if (!name)
      throw new ArmError(
        400,
        'InvalidRequestFormat',
        `Cannot parse the request. ipConfigurations[${index}].name is required.`,
      );
    const props = obj(config.properties);
    const subnetId = str(obj(props.subnet).id);
    if (!subnetId || !this.subnet(subnetId)) {
      throw new ArmError(
        400,
        'InvalidResourceReference',
        `Resource ${subnetId ?? '(none)'} referenced by resource ${nicId} was not found. Please make sure that the referenced resource exists, and that both resources are in the same region.`,
      );
    }
    const pipId = str(obj(props.publicIPAddress).id);
    if (
      pipId !== undefined &&
      this.plain.get(key(pipId))?.type !== 'Microsoft.Network/publicIPAddresses'
    ) {
      throw new ArmError(
        400,
        'InvalidResourceReference',
        `Resource ${pipId} referenced by resource ${nicId} was not found. Please make sure that the referenced resource exists, and that both resources are in the same region.`,
      );
    }
    const old = arr(existing?.properties.ipConfigurations)
      .map(obj)
      .find((c) => same(str(c.name) ?? '', name));
    const method = str(props.privateIPAllocationMethod) ?? 'Dynamic';
    const privateIPAddress =
      (method === 'Static' ? str(props.privateIPAddress) : undefined) ??
      str(obj(old?.properties).privateIPAddress) ??
      this.nextPrivateIp(subnetId);
    const { provisioningState: _ps, ...rest } = props;
    return {
      name,
      id: `${nicId}/ipConfigurations/${name}`,
      etag: `W/"${randomUUID()}"`,
      type: `${NETWORK_NIC}/ipConfigurations`,
      properties: {
        ...rest,
        provisioningState: 'Succeeded',
        privateIPAddress,
        privateIPAllocationMethod: method,
        subnet: { id: subnetId },
        ...(pipId !== undefined ? { publicIPAddress: { id: pipId } } : {}),
        primary: typeof props.primary === 'boolean' ? props.primary : index === 0,
        privateIPAddressVersion: str(props.privateIPAddressVersion) ?? 'IPv4',
      },
    };
  }

  getNic(sub: string, rg: string, name: string): ArmResult {
    return { status: 200, body: this.nicJson(this.nic(sub, rg, name)) };
  }

  listNics(sub: string, rg: string | undefined, req: RequestInfo, skip: number): ArmResult {
    if (rg !== undefined) this.group(sub, rg);
    const items = [...this.nics.values()]
      .filter(
        (nic) => same(nic.subscriptionId, sub) && (rg === undefined || same(nic.resourceGroup, rg)),
      )
      .map((nic) => this.nicJson(nic));
    return this.page(items, req, skip);
  }

  deleteNic(sub: string, rg: string, name: string, req: RequestInfo): ArmResult {
    this.group(sub, rg);
    const nic = this.nics.get(key(resourceId(sub, rg, NETWORK_NIC, name)));
    if (!nic) return { status: 204 };
    if (nic.vmKey !== undefined) {
      throw new ArmError(
        400,
        'NicInUse',
        `Network Interface ${nic.id} is used by existing resource ${this.vms.get(nic.vmKey)?.id ?? ''}. In order to delete the network interface, it must be dissociated from the resource. To learn more, see aka.ms/deletenic.`,
      );
    }
    this.nics.delete(key(nic.id));
    this.emit(req, 'Delete', nic.id, `${NETWORK_NIC}/delete`, sub, nic.resourceGroup);
    return { status: 200 };
  }

  private nic(sub: string, rg: string, name: string): Nic {
    this.group(sub, rg);
    const nic = this.nics.get(key(resourceId(sub, rg, NETWORK_NIC, name)));
    if (!nic) {
      throw new ArmError(
        404,
        'ResourceNotFound',
        `The Resource '${NETWORK_NIC}/${name}' under resource group '${rg}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
      );
    }
    return nic;
  }

  private nicJson(nic: Nic): JsonObject {
    const vm = nic.vmKey ? this.vms.get(nic.vmKey) : undefined;
    const allocated = vm !== undefined && ALLOCATED.includes(vm.powerState);
    const primaryIndex = vm ? this.vmNicKeys(vm).indexOf(key(nic.id)) : -1;
    return {
      name: nic.name,
      id: nic.id,
      etag: nic.etag,
      type: NETWORK_NIC,
      location: nic.location,
      ...(nic.tags ? { tags: nic.tags } : {}),
      kind: 'Regular',
      properties: {
        ...nic.properties,
        provisioningState: nic.provisioningState,
        resourceGuid: nic.resourceGuid,
        dnsSettings: {
          dnsServers: [],
          appliedDnsServers: [],
          internalDomainNameSuffix: `${nic.resourceGuid.slice(0, 8)}.xx.internal.cloudapp.net`,
          ...obj(nic.properties.dnsSettings),
        },
        ...(allocated ? { macAddress: nic.macAddress } : {}),
        enableAcceleratedNetworking: nic.properties.enableAcceleratedNetworking === true,
        disableTcpStateTracking: nic.properties.disableTcpStateTracking === true,
        enableIPForwarding: nic.properties.enableIPForwarding === true,
        vnetEncryptionSupported: false,
        hostedWorkloads: [],
        tapConfigurations: [],
        nicType: 'Standard',
        auxiliaryMode: 'None',
        auxiliarySku: 'None',
        ...(vm ? { primary: primaryIndex === 0, virtualMachine: { id: vm.id } } : {}),
      },
    };
  }

  // ---------------------------------------------------------------- network and compute plain resources

  putVirtualNetwork(
    sub: string,
    rg: string,
    name: string,
    body: JsonObject,
    req: RequestInfo,
  ): ArmResult {
    const group = this.group(sub, rg);
    validateName('network', name);
    const location = requireLocation(body, 'Network');
    const id = resourceId(sub, group.name, 'Microsoft.Network/virtualNetworks', name);
    const properties = obj(body.properties);
    const prefixes = arr(obj(properties.addressSpace).addressPrefixes);
    if (prefixes.length === 0 || !prefixes.every((p) => typeof p === 'string' && parseCidr(p))) {
      throw new ArmError(
        400,
        'InvalidAddressPrefix',
        `Virtual network ${name} needs addressSpace.addressPrefixes in CIDR notation.`,
      );
    }
    const existing = this.plain.get(key(id));
    const subnets = arr(properties.subnets).map((s) => this.subnetJson(id, obj(s)));
    const resource = this.putPlain(existing, {
      id,
      sub,
      rg: group.name,
      name,
      location,
      type: 'Microsoft.Network/virtualNetworks',
      body,
      properties: {
        ...properties,
        subnets,
        provisioningState: 'Succeeded',
        resourceGuid: randomUUID(),
      },
    });
    return this.finishPlainWrite(
      resource,
      existing,
      req,
      'Microsoft.Network/virtualNetworks/write',
    );
  }

  putSubnet(
    sub: string,
    rg: string,
    vnetName: string,
    name: string,
    body: JsonObject,
    req: RequestInfo,
  ): ArmResult {
    const vnet = this.plainOf(sub, rg, 'Microsoft.Network/virtualNetworks', vnetName);
    validateName('network', name);
    const subnet = this.subnetJson(vnet.id, { ...body, name });
    const others = arr(vnet.properties.subnets).filter((s) => !same(str(obj(s).name) ?? '', name));
    const existed = others.length !== arr(vnet.properties.subnets).length;
    vnet.properties.subnets = [...others, subnet];
    vnet.etag = `W/"${randomUUID()}"`;
    this.emit(
      req,
      'Write',
      str(subnet.id) ?? '',
      'Microsoft.Network/virtualNetworks/subnets/write',
      sub,
      vnet.resourceGroup,
    );
    return {
      status: existed ? 200 : 201,
      body: subnet,
      headers: {
        'Azure-AsyncOperation': this.doneOperationUrl('Microsoft.Network', vnet.location, req, sub),
      },
    };
  }

  getSubnet(sub: string, rg: string, vnetName: string, name: string): ArmResult {
    const vnet = this.plainOf(sub, rg, 'Microsoft.Network/virtualNetworks', vnetName);
    const subnet = arr(vnet.properties.subnets)
      .map(obj)
      .find((s) => same(str(s.name) ?? '', name));
    if (!subnet)
      throw new ArmError(404, 'NotFound', `Resource ${vnet.id}/subnets/${name} not found.`);
    return { status: 200, body: subnet };
  }

  private subnetJson(vnetId: string, body: JsonObject): JsonObject {
    const name = str(body.name);
    const props = obj(body.properties);
    const prefix = str(props.addressPrefix) ?? str(arr(props.addressPrefixes)[0]);
    if (!name || !prefix || !parseCidr(prefix)) {
      throw new ArmError(
        400,
        'InvalidAddressPrefix',
        `Subnet ${name ?? '(unnamed)'} needs properties.addressPrefix in CIDR notation.`,
      );
    }
    return {
      name,
      id: `${vnetId}/subnets/${name}`,
      etag: `W/"${randomUUID()}"`,
      type: 'Microsoft.Network/virtualNetworks/subnets',
      properties: {
        ...props,
        addressPrefix: prefix,
        provisioningState: 'Succeeded',
        privateEndpointNetworkPolicies: 'Disabled',
        privateLinkServiceNetworkPolicies: 'Enabled',
      },
    };
  }

  private subnet(id: string): JsonObject | undefined {
    const parsed = parseResourceId(id);
    if (!parsed?.child) return undefined;
    const vnet = this.plain.get(
      key(
        resourceId(
          parsed.subscriptionId,
          parsed.resourceGroup,
          `${parsed.namespace}/${parsed.type}`,
          parsed.name,
        ),
      ),
    );
    return arr(vnet?.properties.subnets)
      .map(obj)
      .find((s) => same(str(s.name) ?? '', parsed.child?.name ?? ''));
  }

  putPublicIp(
    sub: string,
    rg: string,
    name: string,
    body: JsonObject,
    req: RequestInfo,
  ): ArmResult {
    const group = this.group(sub, rg);
    validateName('network', name);
    const location = requireLocation(body, 'Network');
    const id = resourceId(sub, group.name, 'Microsoft.Network/publicIPAddresses', name);
    const properties = obj(body.properties);
    const sku = obj(body.sku);
    const skuName = str(sku.name) ?? 'Standard';
    const method =
      str(properties.publicIPAllocationMethod) ?? (skuName === 'Standard' ? 'Static' : 'Dynamic');
    if (!['static', 'dynamic'].includes(method.toLowerCase())) {
      throw new ArmError(
        400,
        'InvalidRequestFormat',
        `publicIPAllocationMethod must be Static or Dynamic, not '${method}'.`,
      );
    }
    if (skuName.toLowerCase() === 'standard' && method.toLowerCase() === 'dynamic') {
      throw new ArmError(
        400,
        'StandardSkuPublicIPAddressesMustBeStatic',
        `Standard sku publicIp /subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.Network/publicIPAddresses/${name} must have AllocationMethod set to Static.`,
      );
    }
    const existing = this.plain.get(key(id));
    const address =
      str(existing?.properties.ipAddress) ??
      (method.toLowerCase() === 'static' ? this.nextPublicIp() : undefined);
    const resource = this.putPlain(existing, {
      id,
      sub,
      rg: group.name,
      name,
      location,
      type: 'Microsoft.Network/publicIPAddresses',
      body,
      properties: {
        ...properties,
        publicIPAllocationMethod: method,
        publicIPAddressVersion: 'IPv4',
        idleTimeoutInMinutes: 4,
        ipTags: [],
        provisioningState: 'Succeeded',
        resourceGuid: randomUUID(),
        ...(address ? { ipAddress: address } : {}),
      },
    });
    resource.sku = { name: skuName, tier: 'Regional' };
    return this.finishPlainWrite(
      resource,
      existing,
      req,
      'Microsoft.Network/publicIPAddresses/write',
    );
  }

  putAvailabilitySet(
    sub: string,
    rg: string,
    name: string,
    body: JsonObject,
    req: RequestInfo,
  ): ArmResult {
    const group = this.group(sub, rg);
    validateName('availabilitySet', name);
    const location = requireLocation(body);
    const id = resourceId(sub, group.name, 'Microsoft.Compute/availabilitySets', name);
    const existing = this.plain.get(key(id));
    const properties = obj(body.properties);
    const resource = this.putPlain(existing, {
      id,
      sub,
      rg: group.name,
      name,
      location,
      type: 'Microsoft.Compute/availabilitySets',
      body,
      properties: {
        platformUpdateDomainCount: 5,
        platformFaultDomainCount: 2,
        ...properties,
        virtualMachines: existing ? existing.properties.virtualMachines : [],
      },
    });
    resource.sku = { name: str(obj(body.sku).name) ?? 'Aligned' };
    this.emit(
      req,
      'Write',
      resource.id,
      'Microsoft.Compute/availabilitySets/write',
      sub,
      resource.resourceGroup,
    );
    return { status: 200, body: plainJson(resource, this.avsetMembers(resource)) };
  }

  getPlain(sub: string, rg: string, type: string, name: string): ArmResult {
    const resource = this.plainOf(sub, rg, type, name);
    return {
      status: 200,
      body: plainJson(
        resource,
        type === 'Microsoft.Compute/availabilitySets' ? this.avsetMembers(resource) : undefined,
      ),
    };
  }

  listPlain(
    sub: string,
    rg: string | undefined,
    type: string,
    req: RequestInfo,
    skip: number,
  ): ArmResult {
    if (rg !== undefined) this.group(sub, rg);
    const items = [...this.plain.values()]
      .filter(
        (r) =>
          same(r.type, type) &&
          same(r.subscriptionId, sub) &&
          (rg === undefined || same(r.resourceGroup, rg)),
      )
      .map((r) =>
        plainJson(
          r,
          type === 'Microsoft.Compute/availabilitySets' ? this.avsetMembers(r) : undefined,
        ),
      );
    return this.page(items, req, skip);
  }

  private avsetMembers(avset: PlainResource): JsonObject[] {
    return [...this.vms.values()]
      .filter(
        (vm) => !vm.deleted && same(str(obj(vm.properties.availabilitySet).id) ?? '', avset.id),
      )
      .map((vm) => ({ id: vm.id }));
  }

  private plainOf(sub: string, rg: string, type: string, name: string): PlainResource {
    this.group(sub, rg);
    const resource = this.plain.get(key(resourceId(sub, rg, type, name)));
    if (!resource || !same(resource.type, type)) {
      throw new ArmError(
        404,
        'ResourceNotFound',
        `The Resource '${type}/${name}' under resource group '${rg}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
      );
    }
    return resource;
  }

  private putPlain(
    existing: PlainResource | undefined,
    spec: {
      id: string;
      sub: string;
      rg: string;
      name: string;
      location: string;
      type: string;
      body: JsonObject;
      properties: JsonObject;
    },
  ): PlainResource {
    const resource: PlainResource = {
      id: existing?.id ?? spec.id,
      subscriptionId: spec.sub,
      resourceGroup: spec.rg,
      name: existing?.name ?? spec.name,
      location: normLocation(existing?.location ?? spec.location),
      type: spec.type,
      tags: isObject(spec.body.tags) ? spec.body.tags : undefined,
      sku: isObject(spec.body.sku) ? spec.body.sku : undefined,
      etag: `W/"${randomUUID()}"`,
      properties: spec.properties,
    };
    this.plain.set(key(resource.id), resource);
    return resource;
  }

  private finishPlainWrite(
    resource: PlainResource,
    existing: PlainResource | undefined,
    req: RequestInfo,
    operationName: string,
  ): ArmResult {
    this.emit(
      req,
      'Write',
      resource.id,
      operationName,
      resource.subscriptionId,
      resource.resourceGroup,
    );
    return {
      status: existing ? 200 : 201,
      body: plainJson(resource, undefined),
      headers: {
        'Azure-AsyncOperation': this.doneOperationUrl(
          'Microsoft.Network',
          resource.location,
          req,
          resource.subscriptionId,
        ),
      },
    };
  }

  // ---------------------------------------------------------------- long-running operations

  private startOperation(
    vm: Vm,
    operation: string,
    latency: LatencyName,
    req: RequestInfo,
    handlers: { succeed: () => void; fail: () => void; factor?: number },
  ): Operation {
    const op = this.newOperation('Microsoft.Compute', vm.location);
    vm.busy = { operation, operationId: op.id };
    this.schedule(
      op,
      latency,
      handlers.factor ?? 1,
      req,
      () => {
        vm.busy = undefined;
        handlers.succeed();
      },
      () => {
        vm.busy = undefined;
        handlers.fail();
      },
    );
    return op;
  }

  private startNetworkOperation(
    location: string,
    req: RequestInfo,
    handlers: { latency: LatencyName; succeed: () => void; fail: () => void },
  ): Operation {
    const op = this.newOperation('Microsoft.Network', location);
    this.schedule(op, handlers.latency, 1, req, handlers.succeed, handlers.fail);
    return op;
  }

  private newOperation(provider: Operation['provider'], location: string): Operation {
    if (this.operations.size >= OPERATION_LIMIT) {
      for (const [id, old] of this.operations) {
        if (old.status !== 'InProgress') this.operations.delete(id);
        if (this.operations.size < OPERATION_LIMIT / 2) break;
      }
    }
    const op: Operation = {
      id: randomUUID(),
      provider,
      location,
      status: 'InProgress',
      startTime: new Date().toISOString(),
      endTime: undefined,
      error: undefined,
      timer: undefined,
      complete: undefined,
    };
    this.operations.set(op.id, op);
    return op;
  }

  private schedule(
    op: Operation,
    latency: LatencyName,
    factor: number,
    req: RequestInfo,
    succeed: () => void,
    fail: () => void,
  ): void {
    const { timeScale, latencies } = this.options.config();
    const ms = latencies[latency] * factor * timeScale * 1000;
    const failure = req.lroFailure;
    if (failure) req.lroFailureScheduled = true;
    op.complete = () => {
      op.timer = undefined;
      op.complete = undefined;
      op.endTime = new Date().toISOString();
      if (failure) {
        op.status = 'Failed';
        op.error = failure;
        fail();
      } else {
        op.status = 'Succeeded';
        succeed();
      }
    };
    const complete = op.complete;
    op.timer = setTimeout(complete, ms);
  }

  private accepted(
    op: Operation,
    req: RequestInfo,
    status: number,
    body: unknown,
    vm: Vm | undefined,
  ): ArmResult {
    const { timeScale, latencies } = this.options.config();
    const headers: Record<string, string> = {
      'Azure-AsyncOperation': this.operationUrl(op, req, false),
      'x-ms-request-id': op.id,
    };
    if (op.provider === 'Microsoft.Compute') {
      // Compute sends Location (the monitor URL, answering an empty 200) only with 202s
      // (POST actions, DELETE). A 200/201 PUT or PATCH carries Azure-AsyncOperation alone,
      // so SDKs read the resource itself from the request URL when the operation is done.
      if (status === 202) headers.Location = this.operationUrl(op, req, true);
      headers['Azure-AsyncNotification'] = 'Enabled';
    }
    const hint = Math.floor(Math.min(10, vm ? latencies.start : latencies.nicUpdate) * timeScale);
    if (hint >= 1) headers['Retry-After'] = String(hint);
    return { status, ...(body !== undefined ? { body } : {}), headers };
  }

  private operationUrl(op: Operation, req: RequestInfo, monitor: boolean): string {
    const sub = /\/subscriptions\/([^/]+)/i.exec(new URL(req.url).pathname)?.[1] ?? '';
    if (op.provider === 'Microsoft.Compute') {
      return `${req.baseUrl}/subscriptions/${sub}/providers/Microsoft.Compute/locations/${op.location}/operations/${op.id}?p=${op.id}&api-version=${req.apiVersion}${monitor ? '&monitor=true' : ''}`;
    }
    const kind = monitor ? 'operationResults' : 'operations';
    return `${req.baseUrl}/subscriptions/${sub}/providers/Microsoft.Network/locations/${op.location}/${kind}/${op.id}?api-version=${req.apiVersion}`;
  }

  private doneOperationUrl(
    provider: Operation['provider'],
    location: string,
    req: RequestInfo,
    sub: string,
  ): string {
    const op = this.newOperation(provider, location);
    op.status = 'Succeeded';
    op.endTime = op.startTime;
    return `${req.baseUrl}/subscriptions/${sub}/providers/${provider}/locations/${location}/operations/${op.id}?api-version=${req.apiVersion}`;
  }

  /** GET of an Azure-AsyncOperation URL (status) or a Location URL (result). */
  getOperation(provider: string, id: string, result: boolean, req: RequestInfo): ArmResult {
    const op = this.operations.get(id.toLowerCase()) ?? this.operations.get(id);
    if (!op || !same(op.provider, provider)) {
      throw new ArmError(404, 'NotFound', `The operation '${id}' was not found.`);
    }
    const { timeScale } = this.options.config();
    const retry: Record<string, string> =
      Math.floor(10 * timeScale) >= 1 ? { 'Retry-After': String(Math.floor(10 * timeScale)) } : {};
    if (result) {
      if (op.status === 'InProgress')
        return { status: 202, headers: { Location: req.url, ...retry } };
      if (op.status === 'Failed' && op.error)
        throw new ArmError(failureStatus(op.error.code), op.error.code, op.error.message);
      return { status: op.provider === 'Microsoft.Compute' ? 200 : 204 };
    }
    const body: JsonObject =
      op.provider === 'Microsoft.Compute'
        ? {
            startTime: op.startTime,
            ...(op.endTime ? { endTime: op.endTime } : {}),
            status: op.status,
            name: op.id,
            ...(op.error ? { error: op.error } : {}),
          }
        : { status: op.status, ...(op.error ? { error: op.error } : {}) };
    return { status: 200, body, headers: op.status === 'InProgress' ? retry : {} };
  }

  // ---------------------------------------------------------------- shared helpers

  private checkEtag(current: string, req: RequestInfo, id: string): void {
    if (req.ifNoneMatch === '*') {
      throw new ArmError(
        412,
        'PreconditionFailed',
        `The resource ${id} already exists and If-None-Match is '*'.`,
      );
    }
    if (req.ifMatch === undefined || req.ifMatch === '*') return;
    if (normEtag(req.ifMatch) !== normEtag(current)) {
      throw new ArmError(
        412,
        'PreconditionFailed',
        `Precondition failed: the etag ${req.ifMatch} in If-Match does not match the current etag ${current} of ${id}. Read the resource again and retry.`,
      );
    }
  }

  private page(items: unknown[], req: RequestInfo, skip: number): ArmResult {
    const { pageSize } = this.options.config();
    const value = items.slice(skip, skip + pageSize);
    const body: JsonObject = { value };
    if (skip + pageSize < items.length) {
      const next = new URL(req.url);
      next.searchParams.set('$skiptoken', String(skip + pageSize));
      body.nextLink = `${req.baseUrl}${next.pathname}${next.search}`;
    }
    return { status: 200, body };
  }

  private nextPrivateIp(subnetId: string): string {
    const prefix = str(obj(this.subnet(subnetId)?.properties).addressPrefix) ?? '10.0.0.0/24';
    const base = parseCidr(prefix) ?? [10, 0, 0, 0];
    this.ipCounter += 1;
    const n = this.ipCounter + 3;
    return `${base[0]}.${base[1]}.${(base[2] ?? 0) + Math.floor(n / 250)}.${(n % 250) + 4}`;
  }

  private nextPublicIp(): string {
    this.ipCounter += 1;
    const n = this.ipCounter;
    return `20.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
  }

  /** Seeding without events: the fleet appears as if it had always been there. */
  muteEvents(muted: boolean): void {
    this.eventsMuted = muted;
  }

  private emit(
    req: RequestInfo,
    kind: ArmActivity['kind'],
    id: string,
    operationName: string,
    sub: string,
    rg: string,
  ): void {
    if (this.eventsMuted) return;
    this.options.onActivity({
      kind,
      resourceId: id,
      operationName,
      principalId: req.principal,
      subscriptionId: sub,
      resourceGroup: rg,
      tenantId: this.tenantId,
      httpMethod: req.method,
      url: req.url,
      clientIpAddress: req.clientIp,
      correlationId: req.correlationId,
      clientRequestId: req.clientRequestId,
      time: new Date(),
    });
  }

  // ---------------------------------------------------------------- admin views

  vmViews(withTimeline = false): VmView[] {
    return [...this.vms.values()]
      .filter((vm) => !vm.deleted)
      .map((vm) => {
        const avset = str(obj(vm.properties.availabilitySet).id);
        return {
          id: vm.id,
          name: vm.name,
          resourceGroup: vm.resourceGroup,
          location: vm.location,
          size: str(obj(vm.properties.hardwareProfile).vmSize) ?? '',
          powerState: vm.powerState,
          provisioningState: vm.provisioningState,
          ...(avset ? { availabilitySet: avset } : {}),
          nics: this.vmNicKeys(vm).map((k) => {
            const nic = this.nics.get(k);
            return {
              id: nic?.id ?? k,
              enableAcceleratedNetworking: nic?.properties.enableAcceleratedNetworking === true,
              acceleratedNetworkingEffective:
                nic?.effective === true && ALLOCATED.includes(vm.powerState),
            };
          }),
          deallocations: vm.deallocations,
          tempDiskWipes: vm.tempDiskWipes,
          publicIpChanges: vm.publicIpChanges,
          ...(withTimeline ? { timeline: vm.timeline } : {}),
        };
      });
  }

  /** The power state of the VM a NIC is attached to, for the operation log. */
  nicVmPowerState(sub: string, rg: string, name: string): PowerState | undefined {
    const nic = this.nics.get(key(resourceId(sub, rg, NETWORK_NIC, name)));
    const vm = nic?.vmKey ? this.vms.get(nic.vmKey) : undefined;
    return vm?.powerState;
  }

  /** Settles the guest OS a seeded VM reports, for fleets whose images are custom. */
  setGuestOs(vmId: string, os: Partial<GuestOs>): void {
    const vm = this.vms.get(key(vmId));
    if (vm) vm.guestOs = { ...vm.guestOs, ...os };
  }

  /** For seeded fleets: what the OS disk's image declares about Accelerated Networking. */
  setOsDiskAcceleratedNetwork(vmId: string, supported: boolean): void {
    const vm = this.vms.get(key(vmId));
    const disk = vm ? this.plain.get(vm.osDiskKey) : undefined;
    if (disk)
      disk.properties.supportedCapabilities = {
        ...obj(disk.properties.supportedCapabilities),
        acceleratedNetwork: supported,
      };
  }

  /** Completes every operation in flight now, as if its time had passed (seeding). */
  settle(): void {
    for (const op of this.operations.values()) {
      if (op.timer && op.complete) {
        clearTimeout(op.timer);
        op.timer = undefined;
        op.complete();
      }
    }
  }

  /** Zeroes the per-VM counters (after seeding). */
  resetCounters(): void {
    for (const vm of this.vms.values()) {
      vm.deallocations = 0;
      vm.tempDiskWipes = 0;
      vm.publicIpChanges = 0;
      vm.timeline = [{ powerState: vm.powerState, at: Date.now() }];
    }
  }
}

function groupJson(group: ResourceGroup): JsonObject {
  return {
    id: group.id,
    name: group.name,
    type: 'Microsoft.Resources/resourceGroups',
    location: group.location,
    ...(Object.keys(group.tags).length > 0 ? { tags: group.tags } : {}),
    ...(group.managedBy ? { managedBy: group.managedBy } : {}),
    properties: { provisioningState: 'Succeeded' },
  };
}

function plainJson(resource: PlainResource, members: JsonObject[] | undefined): JsonObject {
  return {
    name: resource.name,
    id: resource.id,
    ...(resource.type.startsWith('Microsoft.Network') ? { etag: resource.etag } : {}),
    type: resource.type,
    location: resource.location,
    ...(resource.tags ? { tags: resource.tags } : {}),
    ...(resource.sku ? { sku: resource.sku } : {}),
    properties: {
      ...withoutInternal(resource.properties),
      ...(members ? { virtualMachines: members } : {}),
    },
  };
}

function withoutInternal(properties: JsonObject): JsonObject {
  const { lastAddress: _internal, ...rest } = properties;
  return rest;
}

function writableProperties(properties: JsonObject): JsonObject {
  const {
    vmId: _a,
    provisioningState: _b,
    timeCreated: _c,
    instanceView: _d,
    ...rest
  } = properties;
  return rest;
}

function pick(body: JsonObject, keys: string[]): JsonObject {
  const out: JsonObject = {};
  for (const k of keys) if (body[k] !== undefined) out[k] = body[k];
  return out;
}

function requireLocation(body: JsonObject, rp: 'Compute' | 'Network' = 'Compute'): string {
  const location = str(body.location);
  if (!location) {
    throw new ArmError(
      400,
      rp === 'Network' ? 'LocationRequired' : 'LocationRequired',
      'The location property is required for this definition.',
    );
  }
  return location;
}

function normLocation(location: string): string {
  return location.replace(/\s+/g, '').toLowerCase();
}

function same(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

function normEtag(etag: string): string {
  return etag.trim().replace(/^W\//, '').replace(/^"|"$/g, '');
}

function isEphemeral(vm: Vm): boolean {
  const option = str(
    obj(obj(obj(obj(vm.properties.storageProfile).osDisk)).diffDiskSettings).option,
  );
  return option?.toLowerCase() === 'local';
}

function sizeOf(vm: Vm): VmSize | undefined {
  return findVmSize(str(obj(vm.properties.hardwareProfile).vmSize) ?? '');
}

function anSizeError(size: string, nicId: string, vmName: string): ArmError {
  return new ArmError(
    400,
    'VMSizeIsNotPermittedToEnableAcceleratedNetworking',
    `Virtual Machine size ${size} is not in the allowed list of VM sizes for accelerated networking to be enabled on Network Interface ${nicId} of virtual machine ${vmName}. Use a size whose AcceleratedNetworkingEnabled capability is True (Resource SKUs API).`,
  );
}

function failureStatus(code: string): number {
  if (
    code === 'AllocationFailed' ||
    code === 'OverconstrainedAllocationRequest' ||
    code === 'ZonalAllocationFailed'
  )
    return 409;
  return 500;
}

function parseCidr(cidr: string): number[] | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
  if (!m) return undefined;
  const parts = m.slice(1, 5).map(Number);
  return parts.every((p) => p <= 255) ? parts : undefined;
}

function macAddress(): string {
  const bytes = [
    0x00,
    0x0d,
    0x3a,
    ...Array.from({ length: 3 }, () => Math.floor(Math.random() * 256)),
  ];
  return bytes.map((b) => b.toString(16).padStart(2, '0').toUpperCase()).join('-');
}

function imageId(location: string, image: JsonObject): string {
  if (str(image.id)) return str(image.id) ?? '';
  return `/Subscriptions/00000000-0000-0000-0000-000000000000/Providers/Microsoft.Compute/Locations/${location}/Publishers/${str(image.publisher) ?? ''}/ArtifactTypes/VMImage/Offers/${str(image.offer) ?? ''}/Skus/${str(image.sku) ?? ''}/Versions/${str(image.version) ?? 'latest'}`;
}
