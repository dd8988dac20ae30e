import { readFile } from 'node:fs/promises';
import https from 'node:https';

import type { AccessToken, TokenCredential } from '@azure/core-auth';
import { InvalidArgumentError } from 'commander';

// Types only: the emulator, the Azure SDK clients and Entra ID's credential are loaded when a
// command reaches ARM, so that every other command starts in a fraction of the time.
import type { ArmEmulator } from '../emulator/server';
import type { ArmFactory } from '../shared/arm/clients';
import { isLoopbackEndpoint } from '../shared/arm/endpoint';
import { loadCliSettings } from '../shared/platform/config';

export const PUBLIC_ARM = 'https://management.azure.com';

export interface TargetOptions {
  armEndpoint?: string;
  azure?: boolean;
  caFile?: string;
}

export interface ArmTarget {
  endpoint: string;
  arm: ArmFactory;
  /** The bearer tokens it sends (the emulator's principal, or Entra ID). */
  credential: TokenCredential;
  /** PEM of the CA to trust, when the endpoint is the emulator. */
  caPem: string | undefined;
  /** The embedded emulator, when this command started one. */
  emulator: ArmEmulator | undefined;
  close(): Promise<void>;
}

export function parseResourceGroup(value: string): string {
  if (
    value.length === 0 ||
    value.length > 90 ||
    !/^[-\w._()]+$/.test(value) ||
    value.endsWith('.')
  ) {
    throw new InvalidArgumentError(
      'must be a resource group name (1-90 letters, digits, -, _, ., (, )).',
    );
  }
  return value;
}

export function parseEndpoint(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError('must be an https URL.');
  }
  if (url.protocol !== 'https:')
    throw new InvalidArgumentError(
      'must be an https URL (the Azure SDK sends tokens only over https).',
    );
  return value.replace(/\/+$/, '');
}

/** A token whose text is the caller's principal id: what the emulator expects. */
export function principalToken(principal: string): TokenCredential {
  return {
    getToken: (): Promise<AccessToken> =>
      Promise.resolve({ token: principal, expiresOnTimestamp: Date.now() + 3_600_000 }),
  };
}

/**
 * Where ARM is: --azure (Azure, DefaultAzureCredential), --arm-endpoint / ACCELNET_ARM_ENDPOINT
 * (another ARM, e.g. a running `accelnet emulator`), or else an embedded emulator seeded with
 * the demo fleet.
 */
export async function resolveTarget(
  options: TargetOptions,
  principal: string,
  note: (what: string) => void,
): Promise<ArmTarget> {
  const endpoint = options.azure
    ? PUBLIC_ARM
    : (options.armEndpoint ?? loadCliSettings().armEndpoint);
  if (endpoint !== undefined && endpoint !== '')
    note(
      options.azure ? `Azure (${PUBLIC_ARM}) with DefaultAzureCredential` : `ARM at ${endpoint}`,
    );
  const { createArmFactory } = await import('../shared/arm/clients');
  if (endpoint !== undefined && endpoint !== '') {
    const url = parseEndpoint(endpoint);
    const caPem = options.caFile
      ? await readFile(options.caFile, 'utf8')
      : isLoopbackEndpoint(url)
        ? await fetchEmulatorCa(url)
        : undefined;
    // Any ARM but an emulator on this machine (the public cloud, a sovereign one) takes Entra ID tokens.
    const credential = isLoopbackEndpoint(url)
      ? principalToken(principal)
      : new (await import('@azure/identity')).DefaultAzureCredential();
    return {
      endpoint: url,
      caPem,
      credential,
      emulator: undefined,
      arm: createArmFactory({ endpoint: url, credential, ...(caPem ? { caPem } : {}) }),
      close: () => Promise.resolve(),
    };
  }
  const [{ startEmulator }, { seedFleet }, { DEMO_FLEET }] = await Promise.all([
    import('../emulator/server'),
    import('../emulator/seed'),
    import('../emulator/demo-fleet'),
  ]);
  const emulator = await startEmulator({ timeScale: 0.01 });
  seedFleet(emulator.world, DEMO_FLEET, { baseUrl: emulator.url, events: false });
  note(
    `an embedded ARM emulator at ${emulator.url}, seeded with the demo fleet (subscription ${DEMO_FLEET.subscriptionId})`,
  );
  const credential = principalToken(principal);
  return {
    endpoint: emulator.url,
    caPem: emulator.caPem,
    credential,
    emulator,
    arm: createArmFactory({ endpoint: emulator.url, credential, caPem: emulator.caPem }),
    close: () => emulator.stop(),
  };
}

/** The emulator serves its CA; on loopback only, it is fetched before it can be verified. */
export function fetchEmulatorCa(endpoint: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const req = https.get(
      `${endpoint}/_emulator/ca.pem`,
      { rejectUnauthorized: false, timeout: 5000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve(res.statusCode === 200 && text.includes('BEGIN CERTIFICATE') ? text : undefined);
        });
      },
    );
    req.on('error', () => resolve(undefined));
    req.on('timeout', () => req.destroy());
  });
}
