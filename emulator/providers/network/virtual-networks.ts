import { randomUUID } from 'node:crypto';

import { invalidAddressPrefix, notFound } from '../../arm/errors';
import { parseResourceId } from '../../arm/ids';
import {
  type ArmCall,
  type ArmResult,
  type ArmServices,
  arr,
  childJson,
  type ItemCall,
  type JsonObject,
  networkWriteDone,
  obj,
  putTracked,
  readRoutes,
  requireTracked,
  resourceId,
  type ResourceType,
  route,
  same,
  str,
  trackedKind,
  typePaths,
  validateName,
} from '../kit';
import { parseCidr } from './ip-addresses';

const TYPE = 'Microsoft.Network/virtualNetworks';
const paths = typePaths(TYPE);
const SUBNET = `${paths.item}/subnets/{subnet}` as const;

/** Virtual networks and their subnets: PUT, GET, list; address prefixes in CIDR notation. */
export const virtualNetworks: ResourceType = {
  type: TYPE,
  routes: (arm) => [
    route('PUT', paths.item, `${TYPE}/write`, (call) => putVirtualNetwork(arm, call)),
    route('PUT', SUBNET, `${TYPE}/subnets/write`, (call) => putSubnet(arm, call)),
    route('GET', SUBNET, `${TYPE}/subnets/read`, ({ params }) => {
      const vnet = requireTracked(arm, TYPE, params);
      const subnet = arr(vnet.properties.subnets)
        .map(obj)
        .find((s) => same(str(s.name) ?? '', params.subnet));
      if (!subnet) throw notFound(`Resource ${vnet.id}/subnets/${params.subnet} not found.`);
      return { status: 200, body: subnet };
    }),
    ...readRoutes(arm, TYPE),
  ],
};

/** The subnet a resource id names, if its virtual network has it. */
export function findSubnet(arm: ArmServices, id: string): JsonObject | undefined {
  const parsed = parseResourceId(id);
  if (!parsed?.child) return undefined;
  const { subscriptionId, resourceGroup, namespace, type, name } = parsed;
  const vnet = arm.store
    .of(trackedKind(TYPE))
    .get(resourceId(subscriptionId, resourceGroup, `${namespace}/${type}`, name));
  return arr(vnet?.properties.subnets)
    .map(obj)
    .find((s) => same(str(s.name) ?? '', parsed.child?.name ?? ''));
}

function putVirtualNetwork(arm: ArmServices, call: ItemCall): ArmResult {
  const { params: p, body } = call;
  const { resource, existing } = putTracked(arm, call, TYPE, 'network', (_existing, id) => {
    const properties = obj(body.properties);
    const prefixes = arr(obj(properties.addressSpace).addressPrefixes);
    if (prefixes.length === 0 || !prefixes.every((x) => typeof x === 'string' && parseCidr(x))) {
      throw invalidAddressPrefix(
        `Virtual network ${p.name} needs addressSpace.addressPrefixes in CIDR notation.`,
      );
    }
    // What Azure adds to a new virtual network (recording python-compute-vm-lifecycle.json).
    return {
      ...properties,
      subnets: arr(properties.subnets).map((s) => subnetJson(id, obj(s))),
      provisioningState: 'Succeeded',
      resourceGuid: randomUUID(),
      virtualNetworkPeerings: arr(properties.virtualNetworkPeerings),
      enableDdosProtection: properties.enableDdosProtection === true,
    };
  });
  return networkWriteDone(arm, resource, existing, call.req);
}

function putSubnet(arm: ArmServices, call: ArmCall<'sub' | 'rg' | 'name' | 'subnet'>): ArmResult {
  const { params: p, body, req } = call;
  const vnet = requireTracked(arm, TYPE, p);
  validateName('network', p.subnet);
  const subnet = subnetJson(vnet.id, { ...body, name: p.subnet });
  const subnets = arr(vnet.properties.subnets);
  const others = subnets.filter((s) => !same(str(obj(s).name) ?? '', p.subnet));
  vnet.properties.subnets = [...others, subnet];
  vnet.etag = `W/"${randomUUID()}"`;
  arm.activity.emit(req, 'Write', `${TYPE}/subnets/write`, {
    id: str(subnet.id) ?? '',
    subscriptionId: p.sub,
    resourceGroup: vnet.resourceGroup,
  });
  return {
    status: others.length !== subnets.length ? 200 : 201,
    body: subnet,
    headers: {
      'Azure-AsyncOperation': arm.operations.completed(
        'Microsoft.Network',
        vnet.location,
        req,
        p.sub,
      ),
    },
  };
}

function subnetJson(vnetId: string, body: JsonObject): JsonObject {
  const name = str(body.name);
  const props = obj(body.properties);
  const prefix = str(props.addressPrefix) ?? str(arr(props.addressPrefixes)[0]);
  if (!name || !prefix || !parseCidr(prefix)) {
    throw invalidAddressPrefix(
      `Subnet ${name ?? '(unnamed)'} needs properties.addressPrefix in CIDR notation.`,
    );
  }
  return childJson({ id: vnetId, type: TYPE }, 'subnets', name, {
    ...props,
    addressPrefix: prefix,
    provisioningState: 'Succeeded',
    delegations: arr(props.delegations),
    privateEndpointNetworkPolicies: 'Disabled',
    privateLinkServiceNetworkPolicies: 'Enabled',
  });
}
