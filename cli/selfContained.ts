/**
 * A self-contained run: no accelnet service to act through, so this command runs the function
 * app itself, on a local Functions host for its lifetime (an embedded ARM emulator seeded with
 * the demo fleet, or --arm-endpoint, or --azure), and talks to it through the same HTTP API as
 * to a service. It holds its --data-dir while it runs: a second command on it is refused.
 */
import { createWriteStream, rmSync } from 'node:fs';
import path from 'node:path';

// Types only: the local host, the emulator and Entra ID's credential are loaded when a
// self-contained run starts, so that a command acting through a service starts quickly.
import type { LocalTwin } from '../host/local';
import { isLoopbackEndpoint } from '../shared/arm/endpoint';
import { lockDataDir, noteTakeover } from './dataDirLock';
import { ServiceClient } from './service';
import type { ArmAccess } from './subscriptions';
import { fetchEmulatorCa, principalToken } from './target';

export interface SelfContainedOptions {
  azure?: boolean;
  armEndpoint?: string;
  dataDir: string;
  timeScale: number;
}

export interface LocalService {
  client: ServiceClient;
  /** The ARM the local host talks to, for resolving a subscription name. */
  arm: ArmAccess;
  /** What it runs on, in words, for the one line that says so. */
  what: string;
  logFile: string;
  embedded: boolean;
  twin: LocalTwin;
}

/** Runs `body` against a local host started for it, and stops everything afterwards. */
export async function withLocalService<T>(
  options: SelfContainedOptions,
  body: (local: LocalService) => Promise<T>,
): Promise<T> {
  const [{ startLocal }, { seedFleet }, { DEMO_FLEET }, { DefaultAzureCredential }] =
    await Promise.all([
      import('../host/local'),
      import('../emulator/seed'),
      import('../emulator/demo-fleet'),
      import('@azure/identity'),
    ]);
  const lock = await lockDataDir(options.dataDir, 'remediate');
  noteTakeover(lock);
  const embedded = !options.azure && !options.armEndpoint;
  // The embedded emulator starts empty: runs persisted against an earlier one are void.
  if (embedded) rmSync(path.join(options.dataDir, 'durable'), { recursive: true, force: true });
  const logFile = path.join(options.dataDir, 'accelnet.log');
  const logStream = createWriteStream(logFile, { flags: 'a' });
  let twin: LocalTwin | undefined;
  try {
    // A loopback --arm-endpoint (e.g. `accelnet emulator`): startLocal trusts its CA and polls
    // on its clock, as for the embedded one.
    twin = await startLocal({
      port: 0,
      dataDir: options.dataDir,
      ...(options.azure ? { azure: true } : {}),
      ...(options.armEndpoint ? { armEndpoint: options.armEndpoint } : {}),
      timeScale: options.timeScale,
      settings: {},
      log: (line) => void logStream.write(`${line}\n`),
    });
    if (twin.emulator)
      seedFleet(twin.emulator.world, DEMO_FLEET, { baseUrl: twin.emulator.url, events: false });
    const endpoint = twin.armEndpoint;
    const loopback = isLoopbackEndpoint(endpoint);
    const arm: ArmAccess = {
      endpoint,
      credential: loopback ? principalToken('accelnet-cli') : new DefaultAzureCredential(),
      caPem: twin.emulator?.caPem ?? (loopback ? await fetchEmulatorCa(endpoint) : undefined),
    };
    const what = twin.emulator
      ? `an embedded ARM emulator at ${endpoint} (time scale ${options.timeScale}), seeded with the demo fleet (subscription ${DEMO_FLEET.subscriptionId})`
      : options.azure
        ? `Azure (${endpoint}) with DefaultAzureCredential`
        : `ARM at ${endpoint}`;
    return await body({
      client: new ServiceClient(twin.host.url, twin.functionKey),
      arm,
      what,
      logFile,
      embedded,
      twin,
    });
  } finally {
    await twin?.stop();
    await new Promise<void>((resolve) => logStream.end(() => resolve()));
    lock.release();
  }
}
