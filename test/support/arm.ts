import { ComputeManagementClient } from '@azure/arm-compute';
import { NetworkManagementClient } from '@azure/arm-network';
import { ResourceManagementClient } from '@azure/arm-resources';
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import { tlsPolicy } from '@azure/core-rest-pipeline';

import { type ArmEmulator, type EmulatorOptions, startEmulator } from '../../emulator/server';

export const SUB = '00000000-0000-0000-0000-000000000001';

/** A credential whose token text is the principal id, as the emulator reads it. */
export function principalCredential(principal: string): TokenCredential {
  return {
    getToken: (): Promise<AccessToken> =>
      Promise.resolve({ token: principal, expiresOnTimestamp: Date.now() + 3_600_000 }),
  };
}

export interface ArmClients {
  compute: ComputeManagementClient;
  network: NetworkManagementClient;
  resources: ResourceManagementClient;
}

/** The real Azure SDK clients, pointed at the emulator and trusting its CA. */
export function armClients(
  emulator: ArmEmulator,
  principal = 'test-principal',
  subscriptionId = SUB,
): ArmClients {
  const credential = principalCredential(principal);
  const additionalPolicies = [
    { policy: tlsPolicy({ ca: emulator.caPem }), position: 'perCall' as const },
  ];
  const options = {
    endpoint: emulator.url,
    additionalPolicies,
    retryOptions: { maxRetries: 6, retryDelayInMs: 5, maxRetryDelayInMs: 200 },
  };
  return {
    compute: new ComputeManagementClient(credential, subscriptionId, options),
    network: new NetworkManagementClient(credential, subscriptionId, options),
    resources: new ResourceManagementClient(credential, subscriptionId, options),
  };
}

export async function emulatorForTest(options: EmulatorOptions = {}): Promise<ArmEmulator> {
  return startEmulator({ timeScale: 0.001, ...options });
}

/** Poll faster than the SDK default of 2 s: the emulator runs on a scaled clock. */
export const FAST = { updateIntervalInMs: 5 } as const;

/** Calls the emulator's admin API. */
export async function admin<T = unknown>(
  emulator: ArmEmulator,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  const https = await import('node:https');
  return new Promise((resolve, reject) => {
    const url = new URL(path, emulator.url);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = https.request(
      url,
      {
        method,
        ca: emulator.caPem,
        headers: payload
          ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }
          : {},
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({
            status: res.statusCode ?? 0,
            body: (text ? JSON.parse(text) : undefined) as T,
          });
        });
      },
    );
    req.on('error', reject);
    if (payload) req.write(payload);
    req.end();
  });
}

/** The resource id of a VM in the test subscription. */
export const vmId = (rg: string, name: string, sub = SUB): string =>
  `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.Compute/virtualMachines/${name}`;
