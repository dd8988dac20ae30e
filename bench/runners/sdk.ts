/** The real Azure SDK clients against an ARM emulator, as one principal (the token names it). */
import { ComputeManagementClient } from '@azure/arm-compute';
import { NetworkManagementClient } from '@azure/arm-network';
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import { tlsPolicy } from '@azure/core-rest-pipeline';

import { SUBSCRIPTION_ID } from '../twin/seed';

export interface Clients {
  compute: ComputeManagementClient;
  network: NetworkManagementClient;
}

/** The emulator authenticates nothing: the bearer token is the principal its log records. */
function credential(principal: string): TokenCredential {
  return {
    getToken: (): Promise<AccessToken> =>
      Promise.resolve({ token: principal, expiresOnTimestamp: Date.now() + 3_600_000 }),
  };
}

/** The clients as `createArmFactory` builds them, trusting the emulator's CA; the SDK's default retry policy. */
export function sdkClients(emulator: { url: string; caPem: string }, principal: string): Clients {
  const options = {
    endpoint: emulator.url,
    additionalPolicies: [
      { policy: tlsPolicy({ ca: emulator.caPem }), position: 'perCall' as const },
    ],
  };
  return {
    compute: new ComputeManagementClient(credential(principal), SUBSCRIPTION_ID, options),
    network: new NetworkManagementClient(credential(principal), SUBSCRIPTION_ID, options),
  };
}
