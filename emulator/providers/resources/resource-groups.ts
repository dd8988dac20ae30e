import { invalidResourceGroupLocation } from '../../arm/errors';
import { same, validateName } from '../../arm/ids';
import { type JsonObject, obj, str } from '../../arm/json';
import { requireLocation } from '../../arm/location';
import { page } from '../../arm/paging';
import type { ArmResult, RequestInfo } from '../../arm/request';
import type { ArmServices } from '../../arm/services';
import { route } from '../../http/router';
import { type ResourceType, RG, SUB } from '../resource-type';
import { knowSubscription, requireGroup, RESOURCE_GROUPS, type ResourceGroup } from '../scope';

const READ = 'Microsoft.Resources/subscriptions/resourceGroups/read';
const WRITE = 'Microsoft.Resources/subscriptions/resourceGroups/write';

/**
 * Resource groups: PUT (a group cannot change location), GET, list. A PUT is how a
 * subscription the emulator has never seen comes to exist (seeding goes through it too).
 */
export const resourceGroups: ResourceType = {
  type: 'Microsoft.Resources/resourceGroups',
  routes: (arm) => [
    route('GET', `${SUB}/resourcegroups`, READ, (call) => {
      const groups = [...arm.store.of(RESOURCE_GROUPS).values()];
      const items = groups.filter((g) => same(g.subscriptionId, call.params.sub)).map(groupJson);
      return page(items, call, arm.config().pageSize);
    }),
    {
      ...route('PUT', RG, WRITE, ({ params, body, req }) =>
        putResourceGroup(arm, params.sub, params.rg, body, req),
      ),
      opensSubscription: true,
    },
    route('GET', RG, READ, ({ params }) => ({
      status: 200,
      body: groupJson(requireGroup(arm, params.sub, params.rg)),
    })),
  ],
};

function putResourceGroup(
  arm: ArmServices,
  sub: string,
  name: string,
  body: JsonObject,
  req: RequestInfo,
): ArmResult {
  validateName('resourceGroup', name);
  const location = requireLocation(body);
  const id = `/subscriptions/${sub}/resourceGroups/${name}`;
  const groups = arm.store.of(RESOURCE_GROUPS);
  const existing = groups.get(id);
  if (existing && existing.location.toLowerCase() !== location.toLowerCase()) {
    throw invalidResourceGroupLocation(location, existing.location, existing.name);
  }
  knowSubscription(arm, sub);
  const group = groups.set({
    id: existing?.id ?? id,
    name: existing?.name ?? name,
    subscriptionId: sub,
    location: existing?.location ?? location,
    tags: obj(body.tags),
    managedBy: str(body.managedBy),
  });
  arm.activity.emit(req, 'Write', WRITE, {
    id: group.id,
    subscriptionId: sub,
    resourceGroup: group.name,
  });
  return { status: existing ? 200 : 201, body: groupJson(group) };
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
