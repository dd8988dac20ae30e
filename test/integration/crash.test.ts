/**
 * A host process killed (SIGKILL) in the middle of a remediation, and a new one started over
 * the same data directory: the run finishes, and the VM is deallocated once.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import type { ArmEmulator } from '../../emulator/server';
import { freePort, type LocalStorage, startAzurite } from '../../host/storage';
import { admin, emulatorForTest } from '../support/arm';
import { eventWebhook } from '../support/events';
import { ensureBuilt, type HostProcess, startHostProcess } from '../support/hostProcess';
import { poll } from '../support/poll';
import { vmRunUntil } from '../support/runs';
import { seedGroup } from '../support/seed';
import { findVm } from '../support/views';

const KEY = 'crash-test-key';

describe('a killed host', () => {
  let em: ArmEmulator;
  let storage: LocalStorage;
  let dataDir: string;
  const hosts: HostProcess[] = [];

  beforeAll(async () => {
    ensureBuilt();
    em = await emulatorForTest({ timeScale: 0.01 });
    storage = await startAzurite();
    dataDir = mkdtempSync(path.join(tmpdir(), 'accelnet-crash-'));
  }, 60_000);
  afterAll(async () => {
    for (const host of hosts) await host.kill('SIGKILL');
    await em.stop();
    await storage.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** `accelnet start --no-demo` against the test's emulator and Azurite; resolves once it serves. */
  async function startHost(port: number): Promise<HostProcess> {
    const host = await startHostProcess({
      port,
      dataDir,
      armEndpoint: em.url,
      storage: storage.connectionString,
      functionKey: KEY,
    });
    hosts.push(host);
    return host;
  }

  const view = (id: string) => findVm(em, id);

  test('when the host is killed while a VM is deallocating, then a new host over the same data dir finishes the run', async () => {
    const port = await freePort();
    const first = await startHost(port);
    await admin(em, 'PUT', '/_emulator/eventgrid/subscriptions/accelnet-crash', {
      endpointUrl: `http://127.0.0.1:${port}${eventWebhook(KEY)}`,
      schema: 'EventGridSchema',
    });
    await admin(em, 'PUT', '/_emulator/config', { latencies: { deallocate: 200 } });
    const [id = ''] = await seedGroup(em, 'rg-crash', [{ name: 'phoenix' }]);

    await poll(
      'the run to reach deallocation',
      () => view(id),
      (vm) => vm?.powerState === 'deallocating',
      { timeoutMs: 30_000, intervalMs: 20 },
    );
    await first.kill('SIGKILL');

    const second = await startHost(port);
    const until = Date.now() + 40_000;
    const vm = await poll(
      'the run to finish',
      () => view(id),
      (v) => v?.powerState === 'running' && v.nics.every((n) => n.acceleratedNetworkingEffective),
      { timeoutMs: 40_000 },
    );
    expect(vm?.deallocations).toBe(1);
    // The VM is back; the run finishes with its verify step and outcome.
    const outcome = await vmRunUntil(
      { url: second.url, key: KEY },
      id,
      (run) => run.outcome !== 'in-progress',
      { timeoutMs: Math.max(0, until - Date.now()) },
    );
    expect(outcome).toMatchObject({ outcome: 'remediated', finalPowerState: 'running' });
    await second.kill('SIGTERM');
  }, 120_000);
});
