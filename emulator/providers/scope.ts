import { resourceGroupNotFound } from '../arm/errors';
import { resourceId, same, validateName } from '../arm/ids';
import type { JsonObject } from '../arm/json';
import { page } from '../arm/paging';
import type { ArmResult } from '../arm/request';
import type { ArmServices } from '../arm/services';
import { type Collection, recordKind, type ResourceRecord, type Stored } from '../arm/store';
import { type ArmCall, type Route, route } from '../http/router';
import { typePaths } from './resource-type';

/**
 * Where a resource lives: in a resource group of a subscription. The group must exist for
 * anything in it to be read or written (404 ResourceGroupNotFound); lists are scoped to a
 * subscription or to a group.
 */
export interface ResourceGroup extends Stored {
  id: string;
  name: string;
  subscriptionId: string;
  location: string;
  tags: JsonObject;
  managedBy: string | undefined;
}

export const RESOURCE_GROUPS = recordKind<ResourceGroup>('Microsoft.Resources/resourceGroups');

/**
 * The subscriptions the emulator knows: those something was created or seeded in (a resource
 * group PUT makes its subscription known) or that the admin API registered. Any other answers
 * 404 SubscriptionNotFound, as Azure does for a subscription that does not exist.
 */
export interface Subscription extends Stored {
  id: string;
  subscriptionId: string;
  /** Its name in the portal and `az account list` (a seed spec's subscriptionName). */
  displayName: string | undefined;
}

export const SUBSCRIPTIONS = recordKind<Subscription>('Microsoft.Resources/subscriptions');

export function knowSubscription(
  arm: ArmServices,
  subscriptionId: string,
  displayName?: string,
): void {
  const subscriptions = arm.store.of(SUBSCRIPTIONS);
  const id = `/subscriptions/${subscriptionId}`;
  const known = subscriptions.get(id);
  if (!known || (displayName !== undefined && known.displayName !== displayName))
    subscriptions.set({ id, subscriptionId, displayName: displayName ?? known?.displayName });
}

export function knowsSubscription(arm: ArmServices, subscriptionId: string): boolean {
  return arm.store.of(SUBSCRIPTIONS).get(`/subscriptions/${subscriptionId}`) !== undefined;
}

/** The group a request names (404 ResourceGroupNotFound). */
export function requireGroup(arm: ArmServices, sub: string, name: string): ResourceGroup {
  const group = arm.store.of(RESOURCE_GROUPS).get(`/subscriptions/${sub}/resourceGroups/${name}`);
  if (!group) throw resourceGroupNotFound(name);
  return group;
}

/**
 * Where a PUT of a resource goes: its group must exist and its name follow Azure's rule for
 * its kind (ids.ts). The id is spelled with the group's stored name; `existing` is the
 * resource the PUT replaces, if any.
 */
export function putTarget<T extends Stored>(
  arm: ArmServices,
  collection: Collection<T>,
  type: string,
  nameRule: string,
  p: { sub: string; rg: string; name: string },
): { group: ResourceGroup; id: string; existing: T | undefined } {
  const group = requireGroup(arm, p.sub, p.rg);
  validateName(nameRule, p.name);
  const id = resourceId(p.sub, group.name, type, p.name);
  return { group, id, existing: collection.get(id) };
}

/** The resource a request names, once its group is known to exist. */
export function findInGroup<T extends Stored>(
  arm: ArmServices,
  collection: Collection<T>,
  type: string,
  p: { sub: string; rg: string; name: string },
): T | undefined {
  requireGroup(arm, p.sub, p.rg);
  return collection.get(resourceId(p.sub, p.rg, type, p.name));
}

/** A call on a list: by subscription, or by group when the path names one. */
export type ListCall = ArmCall<'sub'> & { readonly params: { readonly rg?: string } };

/** A type's two lists, in a subscription and in a group: one handler, ARM's `{type}/read`. */
export function listRoutes(type: string, list: (call: ListCall) => ArmResult): Route[] {
  const paths = typePaths(type);
  return [
    route('GET', paths.inSubscription, `${type}/read`, list),
    route('GET', paths.inGroup, `${type}/read`, list),
  ];
}

/** The records of a subscription (or of the group the path names) that `keep` keeps, paged. */
export function listInScope<T extends ResourceRecord>(
  arm: ArmServices,
  call: ListCall,
  records: Iterable<T>,
  toJson: (record: T) => unknown,
  keep: (record: T) => boolean = () => true,
): ArmResult {
  const { sub, rg } = call.params;
  if (rg !== undefined) requireGroup(arm, sub, rg);
  const items = [...records]
    .filter(
      (r) =>
        keep(r) && same(r.subscriptionId, sub) && (rg === undefined || same(r.resourceGroup, rg)),
    )
    .map(toJson);
  return page(items, call, arm.config().pageSize);
}
