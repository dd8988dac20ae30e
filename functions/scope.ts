import type { HttpResponseInit } from '@azure/functions';

import type { ArmPorts } from '../shared/arm/clients';
import { errorResponse } from '../shared/http/route';
import { ensureError } from '../shared/platform/errors';

/** What a request names in ARM: a subscription, and maybe a resource group of it. */
export interface ScopeRef {
  subscriptionId: string;
  resourceGroup?: string;
}

/**
 * ARM's answers that settle whether a scope can be worked on, passed to the caller as they
 * are: 404 `SubscriptionNotFound` or `ResourceGroupNotFound`, 400 `InvalidSubscriptionId`, and
 * 401/403 when accelnet's own identity may not read the scope (then 403: the caller's request
 * was fine, the service cannot act on it).
 */
const DEFINITE: ReadonlySet<number> = new Set([400, 401, 403, 404]);

/**
 * Asks ARM whether the scope exists before anything starts, with one read: the resource group
 * (GET; ARM answers 404 ResourceGroupNotFound, or SubscriptionNotFound when the subscription
 * is unknown), or else the first page of the subscription's resource groups (404
 * SubscriptionNotFound). Returns the error response to send, or undefined when the scope is
 * there, or when ARM could not say (a throttled or failing read is not a verdict: the run's
 * own reads retry, and fail with the cause if it lasts).
 */
export async function checkScope(
  arm: Pick<ArmPorts, 'resources'>,
  scope: ScopeRef,
): Promise<HttpResponseInit | undefined> {
  try {
    if (scope.resourceGroup !== undefined)
      await arm.resources.resourceGroups.get(scope.resourceGroup);
    else await arm.resources.resourceGroups.list().next();
    return undefined;
  } catch (error) {
    return scopeError(error, scope);
  }
}

/**
 * The response for ARM's definite refusal of a scope (see checkScope), or undefined for any
 * other failure. ARM's code is kept; its message is prefixed with what was asked.
 */
export function scopeError(error: unknown, scope: ScopeRef): HttpResponseInit | undefined {
  const e = ensureError(error);
  if (e.status === undefined || !DEFINITE.has(e.status)) return undefined;
  const where =
    scope.resourceGroup !== undefined
      ? `resource group '${scope.resourceGroup}' of subscription ${scope.subscriptionId}`
      : `subscription ${scope.subscriptionId}`;
  const status = e.status === 401 ? 403 : e.status;
  const what =
    e.status === 404
      ? `No ${where}`
      : e.status === 400
        ? `ARM refused the ${where}`
        : `accelnet's identity may not read the ${where}`;
  return errorResponse(status, e.code, `${what}: ARM answered ${e.status} ${e.code}: ${e.message}`);
}
