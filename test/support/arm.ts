import type { IncomingHttpHeaders } from 'node:http';
import https from 'node:https';
import { inspect } from 'node:util';

import {
  ComputeManagementClient,
  type ImageReference,
  type OSDisk,
  type VirtualMachine,
} from '@azure/arm-compute';
import { NetworkManagementClient } from '@azure/arm-network';
import { ResourceManagementClient } from '@azure/arm-resources';
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import { isRestError, tlsPolicy } from '@azure/core-rest-pipeline';

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

/**
 * A resource group with a virtual network (10.0.0.0/16) and its one subnet `default`, made
 * through the SDK; the subnet's id.
 */
export async function sdkSubnet(
  arm: ArmClients,
  at: { rg: string; location: string; vnet: string; subnetPrefix: string },
): Promise<string> {
  await arm.resources.resourceGroups.createOrUpdate(at.rg, { location: at.location });
  const vnet = await arm.network.virtualNetworks.beginCreateOrUpdateAndWait(
    at.rg,
    at.vnet,
    {
      location: at.location,
      addressSpace: { addressPrefixes: ['10.0.0.0/16'] },
      subnets: [{ name: 'default', addressPrefix: at.subnetPrefix }],
    },
    FAST,
  );
  return vnet.subnets?.[0]?.id ?? '';
}

/** What the emulator answered: status, headers, and the body parsed as JSON (its text if not JSON). */
export interface ArmReply<T = unknown> {
  status: number;
  headers: IncomingHttpHeaders;
  body: T;
}

/** One HTTPS request to the emulator, trusting its CA; `payload` is sent as is. */
function send<T>(
  emulator: ArmEmulator,
  method: string,
  url: URL,
  headers: Record<string, string | number>,
  payload: string | undefined,
  fresh = false,
): Promise<ArmReply<T>> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      url,
      {
        method,
        ca: emulator.caPem,
        headers: {
          ...headers,
          ...(payload !== undefined
            ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) }
            : {}),
        },
        // A fresh connection per request: a reset must not poison a pooled socket.
        ...(fresh ? { agent: false } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown = undefined;
          if (text) {
            try {
              body = JSON.parse(text);
            } catch {
              body = text;
            }
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: body as T });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** Calls the emulator's admin API. */
export async function admin<T = unknown>(
  emulator: ArmEmulator,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const { status, body: answer } = await send<T>(
    emulator,
    method,
    new URL(path, emulator.url),
    {},
    payload,
  );
  return { status, body: answer };
}

export interface ArmRequestOptions {
  /** A JSON body. */
  body?: unknown;
  /** A body sent as is (malformed JSON, for instance). */
  text?: string;
  /** The bearer token's text (the caller's principal id); null sends no Authorization. */
  principal?: string | null;
  /** Added to the path when it has none (default 2025-04-01); null sends none. */
  apiVersion?: string | null;
  headers?: Record<string, string>;
  /** A fresh connection, not one from the keep-alive pool. */
  fresh?: boolean;
}

/** One ARM request over raw HTTPS, for the wire itself or input the SDK will not send. */
export function armRequest<T = unknown>(
  emulator: ArmEmulator,
  method: string,
  path: string,
  options: ArmRequestOptions = {},
): Promise<ArmReply<T>> {
  const url = new URL(path, emulator.url);
  const apiVersion = options.apiVersion === undefined ? '2025-04-01' : options.apiVersion;
  if (apiVersion !== null && !url.searchParams.has('api-version')) {
    url.searchParams.set('api-version', apiVersion);
  }
  const principal = options.principal === undefined ? 'test-principal' : options.principal;
  const headers: Record<string, string> = {
    ...(principal !== null ? { Authorization: `Bearer ${principal}` } : {}),
    ...options.headers,
  };
  const payload =
    options.text ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
  return send<T>(emulator, method, url, headers, payload, options.fresh);
}

/** Awaits a call that must fail, and checks the HTTP status and ARM error code the SDK saw. */
export async function expectArmError(
  call: Promise<unknown>,
  status: number,
  code: string,
): Promise<void> {
  let caught: unknown;
  try {
    await call;
  } catch (error) {
    caught = error;
  }
  if (caught === undefined) throw new Error(`expected ${status} ${code}, but the call succeeded`);
  if (!isRestError(caught)) throw new Error(`expected a RestError, got ${inspect(caught)}`);
  expect({ status: caught.statusCode, code: caught.code }).toEqual({ status, code });
}

/** The resource id of a VM in the test subscription. */
export const vmId = (rg: string, name: string, sub = SUB): string =>
  `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.Compute/virtualMachines/${name}`;

/** Ubuntu 22.04 LTS (Gen2), as the portal offers it. */
export const UBUNTU_2204: ImageReference = {
  publisher: 'Canonical',
  offer: '0001-com-ubuntu-server-jammy',
  sku: '22_04-lts-gen2',
  version: 'latest',
};

/** Windows Server 2022 Datacenter: Azure Edition. */
export const WINDOWS_SERVER_2022: ImageReference = {
  publisher: 'MicrosoftWindowsServer',
  offer: 'WindowsServer',
  sku: '2022-datacenter-azure-edition',
  version: 'latest',
};

export interface SdkVmOptions {
  location: string;
  /** The first is the primary NIC. */
  nicIds: string[];
  size?: string;
  image?: ImageReference;
  /** Merged into the storage profile's osDisk. */
  osDisk?: Partial<OSDisk>;
}

/** A VM body for the SDK's createOrUpdate: size (default D4s_v5), image (Ubuntu 22.04), NICs. */
export function sdkVm(name: string, options: SdkVmOptions): VirtualMachine {
  return {
    location: options.location,
    hardwareProfile: { vmSize: options.size ?? 'Standard_D4s_v5' },
    storageProfile: {
      imageReference: options.image ?? UBUNTU_2204,
      osDisk: { createOption: 'FromImage', ...options.osDisk },
    },
    osProfile: { computerName: name, adminUsername: 'azureuser', adminPassword: 'P@ssw0rd-1234' },
    networkProfile: {
      networkInterfaces: options.nicIds.map((id, index) => ({ id, primary: index === 0 })),
    },
  };
}
