import { randomUUID } from 'node:crypto';

import { invalidRequestFormat, standardSkuMustBeStatic } from '../../arm/errors';
import {
  type ArmResult,
  type ArmServices,
  type ItemCall,
  networkWriteDone,
  obj,
  putTracked,
  readRoutes,
  resourceId,
  type ResourceType,
  route,
  str,
  trackedKind,
  typePaths,
} from '../kit';
import { nextPublicIp } from './ip-addresses';

export const PUBLIC_IP_ADDRESSES_TYPE = 'Microsoft.Network/publicIPAddresses';
const TYPE = PUBLIC_IP_ADDRESSES_TYPE;
const paths = typePaths(TYPE);

/**
 * Public IP addresses: PUT (a Standard SKU address is Static), GET, list. A static address is
 * assigned at creation; a dynamic one while its VM is allocated (rule 6: deallocation
 * releases it, and the next start assigns another).
 */
export const publicIpAddresses: ResourceType = {
  type: TYPE,
  routes: (arm) => [
    route('PUT', paths.item, `${TYPE}/write`, (call) => putPublicIp(arm, call)),
    ...readRoutes(arm, TYPE),
  ],
};

/** Gives the address an address if it has none; true when it differs from its last one. */
export function assignAddress(arm: ArmServices, id: string): boolean {
  const pip = arm.store.of(trackedKind(TYPE)).get(id);
  if (!pip || str(pip.properties.ipAddress)) return false;
  const previous = str(pip.properties.lastAddress);
  const address = nextPublicIp(arm);
  pip.properties.ipAddress = address;
  return previous !== undefined && previous !== address;
}

/** Releases a dynamic address (remembering it, to tell whether the next one differs). */
export function releaseDynamicAddress(arm: ArmServices, id: string): void {
  const pip = arm.store.of(trackedKind(TYPE)).get(id);
  if (!pip || str(pip.properties.publicIPAllocationMethod)?.toLowerCase() !== 'dynamic') return;
  const address = str(pip.properties.ipAddress);
  if (address !== undefined) pip.properties.lastAddress = address;
  delete pip.properties.ipAddress;
}

function putPublicIp(arm: ArmServices, call: ItemCall): ArmResult {
  const { params: p, body } = call;
  const skuName = str(obj(body.sku).name) ?? 'Standard';
  const { resource, existing } = putTracked(arm, call, TYPE, 'network', (existing) => {
    const properties = obj(body.properties);
    const method =
      str(properties.publicIPAllocationMethod) ?? (skuName === 'Standard' ? 'Static' : 'Dynamic');
    if (!['static', 'dynamic'].includes(method.toLowerCase())) {
      throw invalidRequestFormat(
        `publicIPAllocationMethod must be Static or Dynamic, not '${method}'.`,
      );
    }
    if (skuName.toLowerCase() === 'standard' && method.toLowerCase() === 'dynamic') {
      throw standardSkuMustBeStatic(resourceId(p.sub, p.rg, TYPE, p.name));
    }
    const address =
      str(existing?.properties.ipAddress) ??
      (method.toLowerCase() === 'static' ? nextPublicIp(arm) : undefined);
    return {
      ...properties,
      publicIPAllocationMethod: method,
      publicIPAddressVersion: 'IPv4',
      idleTimeoutInMinutes: 4,
      ipTags: [],
      provisioningState: 'Succeeded',
      resourceGuid: randomUUID(),
      ...(address ? { ipAddress: address } : {}),
    };
  });
  resource.sku = { name: skuName, tier: 'Regional' };
  return networkWriteDone(arm, resource, existing, call.req);
}
