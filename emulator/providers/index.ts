import { operationStatus } from '../lro/routes';
import { availabilitySets } from './compute/availability-sets';
import { disks } from './compute/disks';
import { skus } from './compute/resource-skus';
import { virtualMachines } from './compute/virtual-machines';
import { networkInterfaces } from './network/network-interfaces';
import { publicIpAddresses } from './network/public-ip-addresses';
import { virtualNetworks } from './network/virtual-networks';
import type { ResourceType } from './resource-type';
import { resourceGroups } from './resources/resource-groups';
import { subscriptions } from './resources/subscriptions';

/**
 * Every resource type the emulator serves, by resource provider. Adding one: write its
 * module (see resource-type.ts) and list it here.
 */
export const RESOURCE_TYPES: readonly ResourceType[] = [
  // Microsoft.Resources
  subscriptions,
  resourceGroups,
  // Microsoft.Compute
  virtualMachines,
  availabilitySets,
  disks,
  skus,
  // Microsoft.Network
  networkInterfaces,
  virtualNetworks,
  publicIpAddresses,
  // Operation status resources of both providers
  operationStatus,
];
