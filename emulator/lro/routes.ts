import { route } from '../http/router';
import { type ResourceType, SUB } from '../providers/resource-type';

/**
 * The operation status resources: Compute's (`?monitor=true` is the Location URL, the result)
 * and Network's operations and operationResults.
 */
export const operationStatus: ResourceType = {
  type: 'Microsoft.{Compute,Network}/locations/operations',
  routes: (arm) => [
    route(
      'GET',
      `${SUB}/providers/Microsoft.Compute/locations/{location}/operations/{id}`,
      'Microsoft.Compute/locations/operations/read',
      ({ params, req, query }) =>
        arm.operations.status('Microsoft.Compute', params.id, query.get('monitor') === 'true', req),
    ),
    route(
      'GET',
      `${SUB}/providers/Microsoft.Network/locations/{location}/operations/{id}`,
      'Microsoft.Network/locations/operations/read',
      ({ params, req }) => arm.operations.status('Microsoft.Network', params.id, false, req),
    ),
    route(
      'GET',
      `${SUB}/providers/Microsoft.Network/locations/{location}/operationResults/{id}`,
      'Microsoft.Network/locations/operationResults/read',
      ({ params, req }) => arm.operations.status('Microsoft.Network', params.id, true, req),
    ),
  ],
};
