/**
 * Part 2, crashes: the host process is SIGKILLed at seeded random points of a bulk run and
 * started again over the same data directory. The run completes, the invariants hold, and no
 * VM is deallocated twice.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import type { ArmEmulator } from '../../emulator/server';
import { freePort, type LocalStorage, startAzurite } from '../../host/storage';
import { emulatorForTest, SUB } from '../support/arm';
import { ensureBuilt, type HostProcess, startHostProcess } from '../support/hostProcess';
import { sleep } from '../support/poll';
import { runToEnd, type RunView, startBulk } from '../support/runs';
import { seedFleet } from '../support/seed';
import { lastSeq, type Op, opsSince, vmsIn, type VmView, writesOf } from '../support/views';
import { PartFigures } from './support/figures';
import { eligibleInMixed, invariantViolations, mixedFleet, setRunFigures } from './support/fleet';
import { SEED, seededRandom, sized } from './support/scale';

const VMS = sized(200, 30);
const KILLS = sized(5, 2);
const MAX_PARALLEL = sized(20, 10);
const RG = 'rg-crash';
const KEY = 'reliability-crash-key';

describe('reliability: host crashes during a bulk run', () => {
  const figures = new PartFigures('2-crashes', 'Part 2: host SIGKILLed during a bulk run');
  let em: ArmEmulator;
  let storage: LocalStorage;
  let dataDir: string;
  let host: HostProcess | undefined;
  let before: VmView[];
  let after: VmView[];
  let run: RunView;
  let ops: Op[];
  const killedAt: string[] = [];

  beforeAll(
    async () => {
      ensureBuilt();
      em = await emulatorForTest({ timeScale: 0.01 });
      storage = await startAzurite();
      dataDir = mkdtempSync(path.join(tmpdir(), 'accelnet-rel-crash-'));
      const port = await freePort();
      const start = (): Promise<HostProcess> =>
        startHostProcess({
          port,
          dataDir,
          armEndpoint: em.url,
          storage: storage.connectionString,
          functionKey: KEY,
        });

      await seedFleet(em, mixedFleet(RG, VMS), { events: false });
      before = await vmsIn(em, RG);
      // Writes the run will make: deallocate, NIC PUT and start per running VM; a NIC PUT per
      // deallocated one. Kill points are drawn over the first 90% of them.
      const expectedWrites =
        3 * before.filter((v) => eligibleInMixed(v.name) && v.powerState === 'running').length +
        before.filter((v) => eligibleInMixed(v.name) && v.powerState !== 'running').length;
      const random = seededRandom(SEED + 2);
      const points = Array.from({ length: KILLS }, () =>
        Math.floor(random() * expectedWrites * 0.9),
      ).sort((a, b) => a - b);

      const since = await lastSeq(em);
      const writes = async (): Promise<number> => writesOf(await opsSince(em, since)).length;
      const began = Date.now();
      host = await start();
      const { id } = await startBulk(
        { url: host.url, key: KEY },
        { subscriptionId: SUB, resourceGroup: RG, maxParallel: MAX_PARALLEL },
      );
      let restartMs = 0;
      for (const point of points) {
        while ((await writes()) < point) await sleep(10);
        await host.kill('SIGKILL');
        // What each host printed stays beside its data, for ACCELNET_RELIABILITY_KEEP=1.
        writeFileSync(path.join(dataDir, `host-${killedAt.length + 1}.log`), host.output());
        const vms = await vmsIn(em, RG);
        const moving = vms.filter(
          (v) => !['running', 'deallocated', 'stopped'].includes(v.powerState),
        );
        killedAt.push(`${await writes()} writes (${moving.length} VMs mid-transition)`);
        const t0 = Date.now();
        host = await start();
        restartMs = Math.max(restartMs, Date.now() - t0);
      }
      run = await runToEnd({ url: host.url, key: KEY }, id, sized(540_000, 90_000));
      const elapsed = Date.now() - began;
      after = await vmsIn(em, RG, true);
      ops = (await opsSince(em, since)).filter((o) => o.principal === 'accelnet');

      figures.set('VMs', VMS);
      figures.set('eligible', before.filter((v) => eligibleInMixed(v.name)).length);
      figures.set('seed', SEED + 2);
      figures.set('SIGKILLs', killedAt.length);
      killedAt.forEach((k, i) => figures.set(`  kill ${i + 1} at`, k));
      figures.set('slowest restart to serving (ms)', restartMs);
      figures.set('run duration incl. restarts (s)', Math.round(elapsed / 100) / 10);
      setRunFigures(figures, run, after);
    },
    sized(600_000, 150_000),
  );

  afterAll(async () => {
    figures.report();
    await host?.kill('SIGTERM');
    if (host) writeFileSync(path.join(dataDir, `host-last.log`), host.output());
    await em?.stop();
    await storage?.stop();
    if (process.env.ACCELNET_RELIABILITY_KEEP === '1')
      process.stdout.write(`crash test data kept in ${dataDir}\n`);
    else rmSync(dataDir, { recursive: true, force: true });
  });

  test('when the host is killed and restarted during a run, then the run completes with an outcome for every VM', () => {
    expect(killedAt).toHaveLength(KILLS);
    expect(run.status).toBe('completed');
    expect(run.summary).toMatchObject({ total: VMS, inProgress: 0, pendingApproval: 0 });
  });

  test('when the host is killed and restarted during a run, then the invariants hold', () => {
    const violations = invariantViolations({
      before,
      after,
      outcomes: run.vms,
      ops,
      eligible: eligibleInMixed,
    });
    expect(violations).toEqual([]);
    figures.set('invariants (running ends running, outcome, NIC PUT)', 'hold');
  });

  test('when the host is killed and restarted during a run, then no VM is deallocated twice', () => {
    const twice = after
      .filter((v) => v.deallocations > 1)
      .map((v) => `${v.name}: ${v.deallocations}`);
    expect(twice).toEqual([]);
    const runningEligible = before.filter(
      (v) => eligibleInMixed(v.name) && v.powerState === 'running',
    );
    const once = after.filter(
      (v) => runningEligible.some((r) => r.id === v.id) && v.deallocations === 1,
    );
    expect(once).toHaveLength(runningEligible.length);
    figures.set('VMs deallocated twice', 0);
  });
});
