/**
 * Local hosts over the host's test app for the tests that hold the host to Azure
 * (test/integration/host-*.test.ts): start them, start and wait for instances, read their
 * logs, and durable-functions' own numbering of history events.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import type { HistoryEvent } from '../../host/durable/history';
import type { InstanceRecord } from '../../host/durable/taskHub';
import { type HostOptions, type RunningHost, startHost } from '../../host/server';
import { HistoryEventType } from './durable';
import { poll, sleep } from './poll';

export { HistoryEventType, sleep };

export const TEST_APP = path.resolve(__dirname, '../fixtures/host-app/index.ts');
export const KEY = 'parity-key';

export interface LogLine {
  level: string;
  component: string;
  msg: string;
  [field: string]: unknown;
}

/** Waits until `ok` holds, or fails naming `what`. */
export async function until(what: string, ok: () => boolean, ms = 10_000): Promise<void> {
  await poll(
    what,
    () => Promise.resolve(ok()),
    (held) => held,
    { timeoutMs: ms, intervalMs: 10 },
  );
}

/** The instance once it has completed, failed or been terminated. */
export async function done(host: RunningHost, id: string, ms = 15_000): Promise<InstanceRecord> {
  const rec = await host.taskHub.waitForCompletion(id, ms);
  if (!rec) throw new Error(`no instance ${id}`);
  return rec;
}

/** Starts an orchestration by name, its input as JSON. */
export function start(host: RunningHost, name: string, input?: unknown): string {
  return host.taskHub.startNew(name, {
    ...(input === undefined ? {} : { input: JSON.stringify(input) }),
  });
}

/** An Event Grid event of type `x` for the test app's `onEvent` trigger. */
export const appEvent = (id: string, subject: string): Record<string, unknown> => ({
  id,
  subject,
  eventType: 'x',
  data: {},
  eventTime: new Date().toISOString(),
  dataVersion: '1',
});

/** The OrchestratorStarted of the episode an event belongs to. */
export function episodeOf(history: HistoryEvent[], event: HistoryEvent): HistoryEvent | undefined {
  const at = history.indexOf(event);
  return history.slice(0, at).findLast((e) => e.EventType === HistoryEventType.OrchestratorStarted);
}

/**
 * Hosts of the test app, each over its own data directory unless given one, their log lines
 * kept; `stop()` stops them all and removes the directories.
 */
export function localHosts(): {
  logs: LogLine[];
  host(options?: Partial<HostOptions>): Promise<RunningHost>;
  dataDir(): string;
  stop(): Promise<void>;
} {
  const dirs: string[] = [];
  const hosts: RunningHost[] = [];
  const logs: LogLine[] = [];
  const dataDir = (): string => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'accelnet-host-'));
    dirs.push(dir);
    return dir;
  };
  return {
    logs,
    dataDir,
    async host(options = {}) {
      const running = await startHost({
        entry: TEST_APP,
        port: 0,
        functionKey: KEY,
        log: (l) => logs.push(JSON.parse(l) as LogLine),
        ...options,
        dataDir: options.dataDir ?? dataDir(),
      });
      hosts.push(running);
      return running;
    },
    async stop() {
      for (const h of hosts) await h.stop();
      for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
    },
  };
}
