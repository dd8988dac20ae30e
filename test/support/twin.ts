import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import type { ArmEmulator } from '../../emulator/server';
import { type LocalTwin, startLocal } from '../../host/local';
import type { HostTarget } from './http';

export interface TwinHandle {
  /** The running twin (throws before it started). */
  readonly twin: LocalTwin;
  /** Its embedded ARM emulator. */
  readonly em: ArmEmulator;
  /** Its host of the app: URL and function key. */
  readonly host: HostTarget;
}

export interface TwinOptions {
  /** Every log line of the twin (JSON). */
  log?: (line: string) => void;
}

/**
 * The local twin for the tests of one `describe`: the ARM emulator at time scale 0.01,
 * Azurite and the local host running the app with `settings` (or what the function answers,
 * read when the twin starts), started before the tests in a fresh data dir and stopped after
 * them.
 */
export function useLocalTwin(
  settings: Record<string, string> | (() => Record<string, string>) = {},
  options: TwinOptions = {},
): TwinHandle {
  let twin: LocalTwin | undefined;
  let dataDir: string | undefined;
  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'accelnet-test-'));
    twin = await startLocal({
      port: 0,
      dataDir,
      timeScale: 0.01,
      settings: typeof settings === 'function' ? settings() : settings,
      ...(options.log ? { log: options.log } : {}),
    });
  }, 60_000);
  afterAll(async () => {
    await twin?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });
  const handle: TwinHandle = {
    get twin(): LocalTwin {
      if (!twin) throw new Error('the local twin did not start');
      return twin;
    },
    get em(): ArmEmulator {
      const em = twin?.emulator;
      if (!em) throw new Error('the local twin has no emulator');
      return em;
    },
    get host(): HostTarget {
      return { url: handle.twin.host.url, key: handle.twin.functionKey };
    },
  };
  return handle;
}
