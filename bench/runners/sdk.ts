/** The real Azure SDK clients against an ARM emulator, as one principal (the token names it). */
import { ComputeManagementClient } from '@azure/arm-compute';
import { NetworkManagementClient } from '@azure/arm-network';
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import { type PipelinePolicy, tlsPolicy } from '@azure/core-rest-pipeline';

import { SUBSCRIPTION_ID } from '../twin/seed';

export interface Clients {
  compute: ComputeManagementClient;
  network: NetworkManagementClient;
}

export interface ClientExtras {
  /** More per-retry policies (e.g. a request counter). */
  perRetry?: PipelinePolicy[];
  retryOptions?: { maxRetries: number; retryDelayInMs: number; maxRetryDelayInMs: number };
}

/** The emulator authenticates nothing: the bearer token is the principal its log records. */
function credential(principal: string): TokenCredential {
  return {
    getToken: (): Promise<AccessToken> =>
      Promise.resolve({ token: principal, expiresOnTimestamp: Date.now() + 3_600_000 }),
  };
}

/**
 * The clients as `createArmFactory` builds them, trusting the emulator's CA; with the SDK's
 * default retry policy unless `extras` says otherwise.
 */
export function sdkClients(
  emulator: { url: string; caPem: string },
  principal: string,
  extras: ClientExtras = {},
): Clients {
  const options = {
    endpoint: emulator.url,
    additionalPolicies: [
      { policy: tlsPolicy({ ca: emulator.caPem }), position: 'perCall' as const },
      ...(extras.perRetry ?? []).map((policy) => ({ policy, position: 'perRetry' as const })),
    ],
    ...(extras.retryOptions ? { retryOptions: extras.retryOptions } : {}),
  };
  return {
    compute: new ComputeManagementClient(credential(principal), SUBSCRIPTION_ID, options),
    network: new NetworkManagementClient(credential(principal), SUBSCRIPTION_ID, options),
  };
}
