/**
 * A host process killed (SIGKILL) in the middle of a remediation, and a new one started over
 * the same data directory: the run finishes, and the VM is deallocated once.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import type { ArmEmulator } from '../../emulator/server';
import { freePort, type LocalStorage, startAzurite } from '../../host/storage';
import { admin, emulatorForTest, SUB } from '../support/arm';

const ROOT = path.join(__dirname, '../..');
const MAIN = path.join(ROOT, 'dist/cli/main.js');
const KEY = 'crash-test-key';

interface VmView {
  id: string;
  powerState: string;
  deallocations: number;
  nics: { acceleratedNetworkingEffective: boolean }[];
}

describe('a killed host', () => {
  let em: ArmEmulator;
  let storage: LocalStorage;
  let dataDir: string;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    if (!existsSync(MAIN))
      execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
    em = await emulatorForTest({ timeScale: 0.01 });
    storage = await startAzurite();
    dataDir = mkdtempSync(path.join(tmpdir(), 'accelnet-crash-'));
  }, 60_000);
  afterAll(async () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    await em.stop();
    await storage.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** `accelnet start --no-demo` against the test's emulator and Azurite; resolves once it serves. */
  async function startHost(port: number): Promise<ChildProcess> {
    const child = spawn(
      process.execPath,
      [
        MAIN,
        'start',
        '--no-demo',
        '--port',
        String(port),
        '--data-dir',
        dataDir,
        '--arm-endpoint',
        em.url,
      ],
      {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: {
          ...process.env,
          ACCELNET_MODE: 'enforce',
          ACCELNET_FUNCTION_KEY: KEY,
          AzureWebJobsStorage: storage.connectionString,
          ACCELNET_ARM_TIME_SCALE: '0.01',
        },
      },
    );
    children.push(child);
    await new Promise<void>((resolve, reject) => {
      let out = '';
      child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
        out += chunk;
        if (out.includes('Serving until Ctrl-C.')) resolve();
      });
      child.on('exit', (code) =>
        reject(new Error(`the host exited (${String(code)}) before serving: ${out}`)),
      );
    });
    return child;
  }

  const view = async (id: string): Promise<VmView | undefined> =>
    (await admin<{ vms: VmView[] }>(em, 'GET', '/_emulator/vms')).body.vms.find(
      (v) => v.id.toLowerCase() === id.toLowerCase(),
    );

  test('when the host is killed while a VM is deallocating, then a new host over the same data dir finishes the run', async () => {
    const port = await freePort();
    const first = await startHost(port);
    await admin(em, 'PUT', '/_emulator/eventgrid/subscriptions/accelnet-crash', {
      endpointUrl: `http://127.0.0.1:${port}/runtime/webhooks/eventgrid?functionName=vmWriteEvents&code=${KEY}`,
      schema: 'EventGridSchema',
    });
    await admin(em, 'PUT', '/_emulator/config', { latencies: { deallocate: 200 } });
    const seeded = await admin<{ vms: { id: string }[] }>(em, 'POST', '/_emulator/seed', {
      subscriptionId: SUB,
      resourceGroups: [
        {
          name: 'rg-crash',
          vms: [
            {
              name: 'phoenix',
              size: 'Standard_D4s_v5',
              image: {
                publisher: 'Canonical',
                offer: '0001-com-ubuntu-server-jammy',
                sku: '22_04-lts-gen2',
              },
            },
          ],
        },
      ],
    });
    const id = seeded.body.vms[0]?.id ?? '';

    const deadline = Date.now() + 30_000;
    while ((await view(id))?.powerState !== 'deallocating') {
      if (Date.now() > deadline) throw new Error('the run never reached deallocation');
      await new Promise((r) => setTimeout(r, 20));
    }
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));

    const second = await startHost(port);
    const until = Date.now() + 40_000;
    let vm = await view(id);
    while (!(
      vm?.powerState === 'running' && vm.nics.every((n) => n.acceleratedNetworkingEffective)
    )) {
      if (Date.now() > until) throw new Error(`the run did not finish: ${JSON.stringify(vm)}`);
      await new Promise((r) => setTimeout(r, 50));
      vm = await view(id);
    }
    expect(vm.deallocations).toBe(1);
    // The VM is back; the run finishes with its verify step and outcome.
    let outcome: { outcome?: string; finalPowerState?: string } = {};
    while (outcome.outcome === undefined || outcome.outcome === 'in-progress') {
      if (Date.now() > until) throw new Error(`the run did not end: ${JSON.stringify(outcome)}`);
      const res = await fetch(
        `http://127.0.0.1:${port}/api/vms/${encodeURIComponent(id)}/remediation?code=${KEY}`,
      );
      outcome = (await res.json()) as typeof outcome;
      if (outcome.outcome === 'in-progress') await new Promise((r) => setTimeout(r, 50));
    }
    expect(outcome).toMatchObject({ outcome: 'remediated', finalPowerState: 'running' });
    second.kill('SIGTERM');
    await new Promise((r) => second.once('exit', r));
  }, 120_000);
});
