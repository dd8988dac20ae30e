/**
 * The local twin as a benchmark runs it: the Functions host running the compiled app, Azurite,
 * and either the embedded ARM emulator or one in its own process; in a data directory of its
 * own, with the app's last log lines kept for a failure message, stopped once whoever asks.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';

import { type LocalTwin, startLocal } from '../../host/local';
import { EmulatorAdmin } from './emulator-admin';

export interface BenchTwinOptions {
  /** Prefix of its data directory (made for it, removed when it stops). */
  dataDirPrefix: string;
  /** ARM's time scale: of the embedded emulator, or of `emulator`. */
  timeScale: number;
  /** An ARM emulator running elsewhere: the twin embeds none and is told how to reach it. */
  emulator?: { url: string; caFile: string };
  /** App settings over process.env. */
  settings: Record<string, string>;
  /** How many of the app's log lines to keep. */
  logLines: number;
  /** Stops the twin at once (the caller's hard time bound). */
  signal?: AbortSignal;
  log: (line: string) => void;
}

export interface BenchTwin {
  local: LocalTwin;
  /** The app's last log lines. */
  appLog: string[];
  /** Keep-alive agent for requests to the host. */
  hostAgent: http.Agent;
  /** A route on the host (`/api/...`), with the function key. */
  hostUrl(route: string): string;
  /** Stops the host, Azurite and an embedded emulator, once; removes the data directory. */
  stop(): Promise<void>;
}

/** The settings `startLocal` gives the app for its embedded emulator, for one elsewhere. */
function emulatorSettings(emulator: { caFile: string }, timeScale: number): Record<string, string> {
  return {
    ACCELNET_ARM_CA_FILE: emulator.caFile,
    // The app scales its poll floor and retry waits by the time scale itself.
    ACCELNET_ARM_TIME_SCALE: String(timeScale),
  };
}

export async function startBenchTwin(options: BenchTwinOptions): Promise<BenchTwin> {
  const dataDir = mkdtempSync(options.dataDirPrefix);
  const appLog: string[] = [];
  let local: LocalTwin;
  try {
    local = await startLocal({
      port: 0,
      dataDir,
      ...(options.emulator
        ? { armEndpoint: options.emulator.url }
        : { timeScale: options.timeScale }),
      settings: {
        ...options.settings,
        ...(options.emulator ? emulatorSettings(options.emulator, options.timeScale) : {}),
      },
      log: (line) => {
        appLog.push(line);
        if (appLog.length > options.logLines) appLog.shift();
      },
    });
  } catch (error) {
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  const hostAgent = new http.Agent({ keepAlive: true });
  let stopping: Promise<void> | undefined;
  const onAbort = (): void => {
    twin
      .stop()
      .catch((error: unknown) => options.log(`stopping the twin failed: ${String(error)}`));
  };
  const twin: BenchTwin = {
    local,
    appLog,
    hostAgent,
    hostUrl: (route) =>
      `${local.host.url}${route}${route.includes('?') ? '&' : '?'}code=${encodeURIComponent(local.functionKey)}`,
    stop: () => {
      stopping ??= (async () => {
        options.signal?.removeEventListener('abort', onAbort);
        hostAgent.destroy();
        try {
          await local.stop();
        } finally {
          rmSync(dataDir, { recursive: true, force: true });
        }
      })();
      return stopping;
    },
  };
  if (options.signal?.aborted) {
    await twin.stop();
    throw new Error('stopped: out of time');
  }
  options.signal?.addEventListener('abort', onAbort, { once: true });
  return twin;
}

/** The admin API of the twin's embedded emulator. */
export function embeddedAdmin(twin: BenchTwin, timeoutMs: number): EmulatorAdmin {
  const emulator = twin.local.emulator;
  if (!emulator) throw new Error('the local twin has no embedded emulator');
  return new EmulatorAdmin(twin.local.armEndpoint, emulator.caPem, timeoutMs);
}
