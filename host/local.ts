import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import path from 'node:path';

import { type ArmEmulator, startEmulator } from '../emulator/server';
import { isLoopbackEndpoint } from '../shared/arm/clients';
import { loadSettings } from '../shared/platform/config';
import type { LogSink } from './log';
import { type RunningHost, startHost } from './server';
import { type LocalStorage, startAzurite } from './storage';

export const EVENT_FUNCTION = 'vmWriteEvents';
export const PUBLIC_ARM = 'https://management.azure.com';

export interface LocalOptions {
  /** Host port on 127.0.0.1 (0 = free). */
  port: number;
  /** Durable state, logs and the emulator's CA go here. */
  dataDir: string;
  /** Another ARM endpoint (no embedded emulator, no Event Grid subscription). */
  armEndpoint?: string;
  /** Azure itself: https://management.azure.com with DefaultAzureCredential. */
  azure?: boolean;
  /** Time scale of the embedded emulator. */
  timeScale?: number;
  /** Settings for the app, over process.env (e.g. ACCELNET_MODE for the demo). */
  settings?: Record<string, string>;
  log?: LogSink;
  /** The app entry; default: the package's `main`. */
  entry?: string;
}

export interface LocalTwin {
  host: RunningHost;
  emulator: ArmEmulator | undefined;
  storage: LocalStorage | undefined;
  functionKey: string;
  armEndpoint: string;
  /** Restart the host alone over the same data dir (what a crash and restart does). */
  restartHost(): Promise<RunningHost>;
  stop(): Promise<void>;
}

/**
 * The local twin of Azure for the function app: the embedded ARM emulator (unless another
 * endpoint is given), Azurite for Table storage (unless storage is configured), and the local
 * Functions host running the app's own registrations, subscribed to the emulator's Event Grid.
 */
export async function startLocal(options: LocalOptions): Promise<LocalTwin> {
  mkdirSync(options.dataDir, { recursive: true });
  const env: Record<string, string> = { ...options.settings };
  let emulator: ArmEmulator | undefined;
  let storage: LocalStorage | undefined;
  const cleanup = async (): Promise<void> => {
    await emulator?.stop();
    await storage?.stop();
  };
  try {
    let armEndpoint = options.azure ? PUBLIC_ARM : (options.armEndpoint ?? '');
    if (armEndpoint === '') {
      emulator = await startEmulator({ timeScale: options.timeScale ?? 0.01 });
      armEndpoint = emulator.url;
      const caFile = path.join(options.dataDir, 'emulator-ca.pem');
      writeFileSync(caFile, emulator.caPem);
      env.ACCELNET_ARM_CA_FILE = caFile;
      // The emulator runs on a scaled clock; the service's polls and retries follow it.
      env.ACCELNET_ARM_TIME_SCALE ??= String(options.timeScale ?? 0.01);
    } else if (!options.azure)
      Object.assign(
        env,
        await emulatorSettings(armEndpoint, options.dataDir, { ...stringEnv(process.env), ...env }),
      );
    env.ACCELNET_ARM_ENDPOINT = armEndpoint;
    env.ACCELNET_SELF_PRINCIPAL_ID ??= process.env.ACCELNET_SELF_PRINCIPAL_ID || 'accelnet';
    const configured = env.AzureWebJobsStorage ?? process.env.AzureWebJobsStorage;
    if (!configured || configured === 'UseDevelopmentStorage=true') {
      storage = await startAzurite();
      env.AzureWebJobsStorage = storage.connectionString;
    }
    const functionKey =
      env.ACCELNET_FUNCTION_KEY ??
      process.env.ACCELNET_FUNCTION_KEY ??
      randomBytes(24).toString('base64url');
    env.ACCELNET_FUNCTION_KEY = functionKey;
    // Approval links are signed; a twin without a configured secret makes its own.
    env.ACCELNET_APPROVAL_SECRET ??=
      process.env.ACCELNET_APPROVAL_SECRET || randomBytes(32).toString('base64url');
    // Fail fast, naming the setting, before anything is served.
    const appSettings = { ...stringEnv(process.env), ...env };
    loadSettings(appSettings);

    const entry = options.entry ?? defaultEntry();
    const startOne = (port: number): Promise<RunningHost> =>
      startHost({
        entry,
        port,
        dataDir: path.join(options.dataDir, 'durable'),
        functionKey,
        appSettings,
        ...(options.log ? { log: options.log } : {}),
      });
    let host = await startOne(options.port);

    if (emulator) {
      await emulator.eventGrid.put('accelnet-local', {
        endpointUrl: `${host.url}/runtime/webhooks/eventgrid?functionName=${EVENT_FUNCTION}&code=${encodeURIComponent(functionKey)}`,
        schema: 'EventGridSchema',
        includedEventTypes: ['Microsoft.Resources.ResourceWriteSuccess'],
        maxEventsPerBatch: 10,
      });
    }
    return {
      get host() {
        return host;
      },
      emulator,
      storage,
      functionKey,
      armEndpoint,
      restartHost: async () => {
        const port = Number(new URL(host.url).port);
        await host.stop();
        host = await startOne(port);
        return host;
      },
      stop: async () => {
        await host.stop();
        await cleanup();
      },
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}

/** The app's entry: the package's `main` (compiled), or its TypeScript source under ts-jest. */
function defaultEntry(): string {
  const compiled = path.join(__dirname, '../functions/index.js');
  if (existsSync(compiled)) return compiled;
  return path.join(__dirname, '../functions/index.ts');
}

function stringEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined) out[key] = value;
  return out;
}

/**
 * Settings for the app against an ARM emulator running elsewhere on this machine (e.g.
 * `accelnet emulator`): trust its CA and poll on its clock, as for the embedded one. Nothing
 * for other endpoints, and nothing that is already set.
 */
export async function emulatorSettings(
  endpoint: string,
  dataDir: string,
  current: Record<string, string>,
): Promise<Record<string, string>> {
  if (!isLoopbackEndpoint(endpoint)) return {};
  const settings: Record<string, string> = {};
  const ca = await loopbackGet(`${endpoint}/_emulator/ca.pem`);
  if (ca?.includes('BEGIN CERTIFICATE') && !current.ACCELNET_ARM_CA_FILE) {
    const caFile = path.join(dataDir, 'arm-endpoint-ca.pem');
    writeFileSync(caFile, ca);
    settings.ACCELNET_ARM_CA_FILE = caFile;
  }
  let scale: unknown;
  try {
    scale = (
      JSON.parse((await loopbackGet(`${endpoint}/_emulator/config`)) ?? '{}') as {
        timeScale?: unknown;
      }
    ).timeScale;
  } catch {
    scale = undefined;
  }
  if (typeof scale === 'number' && Number.isFinite(scale) && scale >= 0 && scale <= 100) {
    // The app scales its poll floor and retry waits by this (shared/platform/config.ts).
    if (!current.ACCELNET_ARM_TIME_SCALE) settings.ACCELNET_ARM_TIME_SCALE = String(scale);
  }
  return settings;
}

/** GET on a loopback HTTPS endpoint before its CA is known (the emulator serves its CA). */
export function loopbackGet(url: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const req = https.get(url, { rejectUnauthorized: false, timeout: 5000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve(res.statusCode === 200 ? Buffer.concat(chunks).toString('utf8') : undefined),
      );
    });
    req.on('error', () => resolve(undefined));
    req.on('timeout', () => req.destroy());
  });
}
