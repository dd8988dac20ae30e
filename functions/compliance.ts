import type { HttpRequest, HttpResponseInit } from '@azure/functions';

import { assessFleet, complianceRows, discoverFleet } from '../shared/arm/discovery';
import { isGuid, isResourceGroupName } from '../shared/http/requests';
import { errorResponse } from '../shared/http/route';
import type { Services } from './composition';
import { checkScope, scopeError } from './scope';

/**
 * GET /api/compliance?subscriptionId=ID[&resourceGroup=RG]: the rows of `accelnet scan --output
 * json`. A subscription or resource group that ARM does not know is ARM's 404
 * (SubscriptionNotFound, ResourceGroupNotFound), never an empty list.
 */
export function compliance(
  services: Pick<Services, 'arm' | 'rules'>,
): (request: HttpRequest) => Promise<HttpResponseInit> {
  return async (request: HttpRequest) => {
    const subscriptionId = request.query.get('subscriptionId') ?? '';
    const resourceGroup = request.query.get('resourceGroup') ?? undefined;
    if (!isGuid(subscriptionId))
      return errorResponse(
        400,
        'InvalidRequest',
        'subscriptionId: must be a subscription id (a GUID)',
      );
    if (resourceGroup !== undefined && !isResourceGroupName(resourceGroup))
      return errorResponse(400, 'InvalidRequest', 'resourceGroup: must be a resource group name');
    const { arm, rules } = services;
    const scope = { subscriptionId, ...(resourceGroup ? { resourceGroup } : {}) };
    const ports = arm(subscriptionId);
    const refused = await checkScope(ports, scope);
    if (refused) return refused;
    let snapshot;
    try {
      snapshot = await discoverFleet(ports, scope);
    } catch (error) {
      // The scope went away meanwhile, or ARM refused a list: the caller's error, not a 500.
      const answer = scopeError(error, scope);
      if (answer) return answer;
      throw error;
    }
    return { status: 200, jsonBody: complianceRows(assessFleet(snapshot, rules)) };
  };
}
