import { ArmError } from './arm/errors';
import type { ArmResult } from './arm/request';
import { type Route,route } from './http/router';
import { resourceSkus } from './skus';
import type { World } from './world';

const SUB = '/subscriptions/{sub}';
const RG = `${SUB}/resourceGroups/{rg}` as const;

function skip(q: URLSearchParams): number {
  return Math.max(0, Number.parseInt(q.get('$skiptoken') ?? '0', 10) || 0);
}

/** The ARM routes the emulator serves, each with its operation name. */
export function armRoutes(w: World): Route[] {
  const VM = `${RG}/providers/Microsoft.Compute/virtualMachines/{name}` as const;
  const NIC = `${RG}/providers/Microsoft.Network/networkInterfaces/{name}` as const;
  const VNET = `${RG}/providers/Microsoft.Network/virtualNetworks/{name}` as const;
  const PIP = `${RG}/providers/Microsoft.Network/publicIPAddresses/{name}` as const;
  const AVSET = `${RG}/providers/Microsoft.Compute/availabilitySets/{name}` as const;
  const DISK = `${RG}/providers/Microsoft.Compute/disks/{name}` as const;
  const plainList = (type: string): Route[] => [
    route('GET', `${SUB}/providers/${type}`, `${type}/read`, ({ params: p, req, query }) =>
      w.listPlain(p.sub, undefined, type, req, skip(query)),
    ),
    route('GET', `${RG}/providers/${type}`, `${type}/read`, ({ params: p, req, query }) =>
      w.listPlain(p.sub, p.rg, type, req, skip(query)),
    ),
  ];
  const getPlain =
    (type: string) =>
    ({ params: p }: { params: { sub: string; rg: string; name: string } }): ArmResult =>
      w.getPlain(p.sub, p.rg, type, p.name);
  return [
    route(
      'GET',
      `${SUB}/resourcegroups`,
      'Microsoft.Resources/subscriptions/resourceGroups/read',
      ({ params: p, req, query }) => w.listResourceGroups(p.sub, req, skip(query)),
    ),
    route(
      'PUT',
      RG,
      'Microsoft.Resources/subscriptions/resourceGroups/write',
      ({ params: p, req, body }) => w.putResourceGroup(p.sub, p.rg, body, req),
    ),
    route('GET', RG, 'Microsoft.Resources/subscriptions/resourceGroups/read', ({ params: p }) =>
      w.getResourceGroup(p.sub, p.rg),
    ),
    route(
      'GET',
      `${SUB}/providers/Microsoft.Compute/skus`,
      'Microsoft.Compute/skus/read',
      ({ query }) => ({
        status: 200,
        body: { value: resourceSkus(locationFilter(query.get('$filter'))) },
      }),
    ),
    route(
      'GET',
      `${SUB}/providers/Microsoft.Compute/locations/{location}/operations/{id}`,
      'Microsoft.Compute/locations/operations/read',
      ({ params: p, req, query }) =>
        w.getOperation('Microsoft.Compute', p.id, query.get('monitor') === 'true', req),
    ),
    route(
      'GET',
      `${SUB}/providers/Microsoft.Network/locations/{location}/operations/{id}`,
      'Microsoft.Network/locations/operations/read',
      ({ params: p, req }) => w.getOperation('Microsoft.Network', p.id, false, req),
    ),
    route(
      'GET',
      `${SUB}/providers/Microsoft.Network/locations/{location}/operationResults/{id}`,
      'Microsoft.Network/locations/operationResults/read',
      ({ params: p, req }) => w.getOperation('Microsoft.Network', p.id, true, req),
    ),
    route(
      'GET',
      `${SUB}/providers/Microsoft.Compute/virtualMachines`,
      'Microsoft.Compute/virtualMachines/read',
      ({ params: p, req, query }) =>
        w.listVms(p.sub, undefined, req, skip(query), wantsStatus(query)),
    ),
    route(
      'GET',
      `${RG}/providers/Microsoft.Compute/virtualMachines`,
      'Microsoft.Compute/virtualMachines/read',
      ({ params: p, req, query }) => w.listVms(p.sub, p.rg, req, skip(query), wantsStatus(query)),
    ),
    route('PUT', VM, 'Microsoft.Compute/virtualMachines/write', ({ params: p, req, body }) =>
      w.putVm(p.sub, p.rg, p.name, body, req),
    ),
    route('PATCH', VM, 'Microsoft.Compute/virtualMachines/write', ({ params: p, req, body }) =>
      w.patchVm(p.sub, p.rg, p.name, body, req),
    ),
    route('GET', VM, 'Microsoft.Compute/virtualMachines/read', ({ params: p, query }) =>
      w.getVm(p.sub, p.rg, p.name, query.get('$expand') ?? undefined),
    ),
    route('DELETE', VM, 'Microsoft.Compute/virtualMachines/delete', ({ params: p, req }) =>
      w.deleteVm(p.sub, p.rg, p.name, req),
    ),
    route(
      'GET',
      `${VM}/instanceView`,
      'Microsoft.Compute/virtualMachines/instanceView/read',
      ({ params: p }) => w.vmInstanceView(p.sub, p.rg, p.name),
    ),
    ...['powerOff', 'deallocate', 'start', 'restart'].map((action) =>
      route(
        'POST',
        `${VM}/${action}`,
        `Microsoft.Compute/virtualMachines/${action}/action`,
        ({ params: p, req, query }) => w.vmAction(p.sub, p.rg, p.name, action, req, query),
      ),
    ),
    route(
      'GET',
      `${SUB}/providers/Microsoft.Network/networkInterfaces`,
      'Microsoft.Network/networkInterfaces/read',
      ({ params: p, req, query }) => w.listNics(p.sub, undefined, req, skip(query)),
    ),
    route(
      'GET',
      `${RG}/providers/Microsoft.Network/networkInterfaces`,
      'Microsoft.Network/networkInterfaces/read',
      ({ params: p, req, query }) => w.listNics(p.sub, p.rg, req, skip(query)),
    ),
    route(
      'PUT',
      NIC,
      'Microsoft.Network/networkInterfaces/write',
      ({ params: p, req, body }) => w.putNic(p.sub, p.rg, p.name, body, req),
      (p): Record<string, string> => {
        const state = w.nicVmPowerState(p.sub, p.rg, p.name);
        return state ? { vmPowerState: state } : {};
      },
    ),
    route('GET', NIC, 'Microsoft.Network/networkInterfaces/read', ({ params: p }) =>
      w.getNic(p.sub, p.rg, p.name),
    ),
    route('DELETE', NIC, 'Microsoft.Network/networkInterfaces/delete', ({ params: p, req }) =>
      w.deleteNic(p.sub, p.rg, p.name, req),
    ),
    route('PUT', VNET, 'Microsoft.Network/virtualNetworks/write', ({ params: p, req, body }) =>
      w.putVirtualNetwork(p.sub, p.rg, p.name, body, req),
    ),
    route(
      'GET',
      VNET,
      'Microsoft.Network/virtualNetworks/read',
      getPlain('Microsoft.Network/virtualNetworks'),
    ),
    route(
      'PUT',
      `${VNET}/subnets/{subnet}`,
      'Microsoft.Network/virtualNetworks/subnets/write',
      ({ params: p, req, body }) => w.putSubnet(p.sub, p.rg, p.name, p.subnet, body, req),
    ),
    route(
      'GET',
      `${VNET}/subnets/{subnet}`,
      'Microsoft.Network/virtualNetworks/subnets/read',
      ({ params: p }) => w.getSubnet(p.sub, p.rg, p.name, p.subnet),
    ),
    ...plainList('Microsoft.Network/virtualNetworks'),
    route('PUT', PIP, 'Microsoft.Network/publicIPAddresses/write', ({ params: p, req, body }) =>
      w.putPublicIp(p.sub, p.rg, p.name, body, req),
    ),
    route(
      'GET',
      PIP,
      'Microsoft.Network/publicIPAddresses/read',
      getPlain('Microsoft.Network/publicIPAddresses'),
    ),
    ...plainList('Microsoft.Network/publicIPAddresses'),
    route('PUT', AVSET, 'Microsoft.Compute/availabilitySets/write', ({ params: p, req, body }) =>
      w.putAvailabilitySet(p.sub, p.rg, p.name, body, req),
    ),
    route(
      'GET',
      AVSET,
      'Microsoft.Compute/availabilitySets/read',
      getPlain('Microsoft.Compute/availabilitySets'),
    ),
    ...plainList('Microsoft.Compute/availabilitySets'),
    route('GET', DISK, 'Microsoft.Compute/disks/read', getPlain('Microsoft.Compute/disks')),
  ];
}

function wantsStatus(q: URLSearchParams): boolean {
  return (
    q.get('statusOnly') === 'true' || (q.get('$expand') ?? '').toLowerCase() === 'instanceview'
  );
}

function locationFilter(filter: string | null): string | undefined {
  if (!filter) return undefined;
  const m = /location\s+eq\s+'([^']+)'/i.exec(filter);
  if (!m?.[1])
    throw new ArmError(
      400,
      'InvalidFilter',
      `The $filter '${filter}' is not supported. Supported: location eq '<location>'.`,
    );
  return m[1];
}
