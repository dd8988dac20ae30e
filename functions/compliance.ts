import type { HttpRequest, HttpResponseInit } from '@azure/functions';

import { assessFleet, complianceRows, discoverFleet } from '../shared/arm/discovery';
import { isGuid, isResourceGroupName } from '../shared/http/requests';
import { errorResponse } from '../shared/http/route';
import { ensureError } from '../shared/platform/errors';
import type { Services } from './composition';

/** GET /api/compliance?subscriptionId=ID[&resourceGroup=RG]: the rows of `accelnet scan --output json`. */
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
    let snapshot;
    try {
      snapshot = await discoverFleet(arm(subscriptionId), {
        subscriptionId,
        ...(resourceGroup ? { resourceGroup } : {}),
      });
    } catch (error) {
      // A resource group (or subscription) that does not exist is the caller's 404, not a 500.
      const e = ensureError(error);
      if (e.status === 404) return errorResponse(404, e.code, e.message);
      throw error;
    }
    return { status: 200, jsonBody: complianceRows(assessFleet(snapshot, rules)) };
  };
}
