import { invalidFilter } from '../../arm/errors';
import { route } from '../../http/router';
import { resourceSkus } from '../../skus';
import { type ResourceType, SUB } from '../resource-type';

const TYPE = 'Microsoft.Compute/skus';

/** The Resource SKUs list of the size catalog (emulator/skus.ts), `$filter=location eq '…'`. */
export const skus: ResourceType = {
  type: TYPE,
  routes: () => [
    route('GET', `${SUB}/providers/${TYPE}`, `${TYPE}/read`, ({ query }) => ({
      status: 200,
      body: { value: resourceSkus(locationFilter(query.get('$filter'))) },
    })),
  ],
};

function locationFilter(filter: string | null): string | undefined {
  if (!filter) return undefined;
  const m = /location\s+eq\s+'([^']+)'/i.exec(filter);
  if (!m?.[1]) throw invalidFilter(filter);
  return m[1];
}
