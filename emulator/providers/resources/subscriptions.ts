import type { JsonObject } from '../../arm/json';
import { page } from '../../arm/paging';
import type { ArmServices } from '../../arm/services';
import { route } from '../../http/router';
import type { ResourceType } from '../resource-type';
import { type Subscription, SUBSCRIPTIONS } from '../scope';

const READ = 'Microsoft.Resources/subscriptions/read';

/**
 * Subscriptions: the list a signed-in principal sees (`GET /subscriptions`, what
 * `az account list` and a subscription given by name read) and one by id. Shape from
 * Microsoft.Resources/stable/2022-12-01/subscriptions.json (Subscriptions_List, _Get).
 */
export const subscriptions: ResourceType = {
  type: 'Microsoft.Resources/subscriptions',
  routes: (arm) => [
    route('GET', '/subscriptions', READ, (call) => {
      const items = [...arm.store.of(SUBSCRIPTIONS).values()].map((s) => subscriptionJson(arm, s));
      return page(items, call, arm.config().pageSize);
    }),
    route('GET', '/subscriptions/{sub}', READ, ({ params }) => {
      const known = arm.store.of(SUBSCRIPTIONS).get(`/subscriptions/${params.sub}`);
      // Unknown ones never get here: middleware/subscription.ts answers SubscriptionNotFound.
      return {
        status: 200,
        body: subscriptionJson(
          arm,
          known ?? {
            id: `/subscriptions/${params.sub}`,
            subscriptionId: params.sub,
            displayName: undefined,
          },
        ),
      };
    }),
  ],
};

function subscriptionJson(arm: ArmServices, s: Subscription): JsonObject {
  return {
    id: `/subscriptions/${s.subscriptionId}`,
    authorizationSource: 'RoleBased',
    managedByTenants: [],
    subscriptionId: s.subscriptionId,
    tenantId: arm.activity.tenantId,
    displayName: s.displayName ?? `Subscription ${s.subscriptionId.slice(0, 8)}`,
    state: 'Enabled',
    subscriptionPolicies: {
      locationPlacementId: 'Public_2014-09-01',
      quotaId: 'PayAsYouGo_2014-09-01',
      spendingLimit: 'Off',
    },
  };
}
