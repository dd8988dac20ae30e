import { nicInUse, resourceNotFound } from '../../../arm/errors';
import { VIRTUAL_MACHINES } from '../../compute/virtual-machines/model';
import {
  type ArmResult,
  type ArmServices,
  findInGroup,
  type ItemCall,
  type ListCall,
  listInScope,
  listRoutes,
  type Params,
  resourceId,
  type ResourceType,
  route,
  typePaths,
} from '../../kit';
import { NETWORK_INTERFACES, NETWORK_INTERFACES_TYPE, type Nic } from './model';
import { nicJson } from './views';
import { putNic } from './write';

const TYPE = NETWORK_INTERFACES_TYPE;
const paths = typePaths(TYPE);

/**
 * Network interfaces: PUT, GET, DELETE, lists. A PUT is a long-running operation (429
 * RetryableErrorDueToAnotherOperation while one runs) with If-Match etags (rule 3). Rule 2:
 * the Accelerated Networking flag needs a VM size with the capability; on a running VM it
 * takes effect only when the VM is next allocated (see virtual-machines/placement.ts).
 */
export const networkInterfaces: ResourceType = {
  type: TYPE,
  routes: (arm) => [
    route(
      'PUT',
      paths.item,
      `${TYPE}/write`,
      (call) => putNic(arm, call),
      (params): Record<string, string> => {
        const state = attachedVm(arm, params)?.powerState;
        return state ? { vmPowerState: state } : {};
      },
    ),
    route('GET', paths.item, `${TYPE}/read`, ({ params }) => ({
      status: 200,
      body: nicJson(arm, requireNic(arm, params)),
    })),
    route('DELETE', paths.item, `${TYPE}/delete`, (call) => deleteNic(arm, call)),
    ...listRoutes(TYPE, (call) => listNics(arm, call)),
  ],
};

function requireNic(arm: ArmServices, p: Params<'sub' | 'rg' | 'name'>): Nic {
  const nic = findInGroup(arm, arm.store.of(NETWORK_INTERFACES), TYPE, p);
  if (!nic) throw resourceNotFound(TYPE, p.name, p.rg);
  return nic;
}

/** The VM the NIC a request names is attached to, if any (for the operation log). */
function attachedVm(arm: ArmServices, p: Params<'sub' | 'rg' | 'name'>) {
  const nic = arm.store.of(NETWORK_INTERFACES).get(resourceId(p.sub, p.rg, TYPE, p.name));
  return nic?.vmKey ? arm.store.of(VIRTUAL_MACHINES).get(nic.vmKey) : undefined;
}

function listNics(arm: ArmServices, call: ListCall): ArmResult {
  const nics = arm.store.of(NETWORK_INTERFACES).values();
  return listInScope(arm, call, nics, (nic) => nicJson(arm, nic));
}

function deleteNic(arm: ArmServices, { params: p, req }: ItemCall): ArmResult {
  const nics = arm.store.of(NETWORK_INTERFACES);
  const nic = findInGroup(arm, nics, TYPE, p);
  if (!nic) return { status: 204 };
  if (nic.vmKey !== undefined) {
    throw nicInUse(nic.id, arm.store.of(VIRTUAL_MACHINES).get(nic.vmKey)?.id ?? '');
  }
  nics.delete(nic.id);
  arm.activity.emit(req, 'Delete', `${TYPE}/delete`, {
    id: nic.id,
    subscriptionId: p.sub,
    resourceGroup: nic.resourceGroup,
  });
  // Azure answers 200 with the operation's status and result URLs, which SDKs poll
  // (recording dotnet-nic-accelerated-networking.json).
  const operation = arm.operations.completed('Microsoft.Network', nic.location, req, p.sub);
  return {
    status: 200,
    headers: {
      'Azure-AsyncOperation': operation,
      Location: operation.replace('/operations/', '/operationResults/'),
    },
  };
}
