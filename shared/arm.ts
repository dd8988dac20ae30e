import { readFileSync } from 'node:fs';

import { ComputeManagementClient } from '@azure/arm-compute';
import { NetworkManagementClient } from '@azure/arm-network';
import { ResourceManagementClient } from '@azure/arm-resources';
import type { TokenCredential } from '@azure/core-auth';
import { type PipelinePolicy, tlsPolicy } from '@azure/core-rest-pipeline';

/**
 * The narrow slices of the Azure SDK clients that activities use: the ports. Tests and the
 * local host give activities the real clients pointed at the ARM emulator.
 */
export interface ComputePort {
  virtualMachines: Pick<
    ComputeManagementClient['virtualMachines'],
    'get' | 'powerOff' | 'deallocate' | 'start' | 'list' | 'listAll'
  >;
  resourceSkus: Pick<ComputeManagementClient['resourceSkus'], 'list'>;
  disks: Pick<ComputeManagementClient['disks'], 'get'>;
}

export interface NetworkPort {
  networkInterfaces: Pick<
    NetworkManagementClient['networkInterfaces'],
    'get' | 'beginCreateOrUpdate' | 'list' | 'listAll'
  >;
  publicIPAddresses: Pick<NetworkManagementClient['publicIPAddresses'], 'get' | 'list' | 'listAll'>;
}

export interface ResourcesPort {
  resourceGroups: Pick<ResourceManagementClient['resourceGroups'], 'get' | 'list'>;
}

export interface ArmPorts {
  compute: ComputePort;
  network: NetworkPort;
  resources: ResourcesPort;
}

/** Ports per subscription: the SDK clients are bound to one. */
export type ArmFactory = (subscriptionId: string) => ArmPorts;

export interface ArmConnection {
  endpoint: string;
  credential: TokenCredential;
  /** Extra CA to trust (the emulator's), as PEM text. */
  caPem?: string;
  /** Retry policy of the SDK pipeline (429 with Retry-After, 5xx, resets). */
  maxRetries?: number;
}

/** The composition root for ARM: one set of real clients per subscription, made once. */
export function createArmFactory(connection: ArmConnection): ArmFactory {
  const cache = new Map<string, ArmPorts>();
  const additionalPolicies: { policy: PipelinePolicy; position: 'perCall' }[] = connection.caPem
    ? [{ policy: tlsPolicy({ ca: connection.caPem }), position: 'perCall' }]
    : [];
  // Tokens for this ARM's own audience (a sovereign cloud's, not always management.azure.com).
  const scope = `${connection.endpoint.replace(/\/+$/, '')}/.default`;
  const options = {
    endpoint: connection.endpoint,
    credentialScopes: [scope],
    credentials: { scopes: [scope] },
    additionalPolicies,
    retryOptions: {
      maxRetries: connection.maxRetries ?? 6,
      retryDelayInMs: 200,
      maxRetryDelayInMs: 30_000,
    },
  };
  return (subscriptionId) => {
    const key = subscriptionId.toLowerCase();
    let ports = cache.get(key);
    if (!ports) {
      ports = {
        compute: new ComputeManagementClient(connection.credential, subscriptionId, options),
        network: new NetworkManagementClient(connection.credential, subscriptionId, options),
        resources: new ResourceManagementClient(connection.credential, subscriptionId, options),
      };
      cache.set(key, ports);
    }
    return ports;
  };
}

export function readCaFile(path: string): string | undefined {
  return path === '' ? undefined : readFileSync(path, 'utf8');
}
