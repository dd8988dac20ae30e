/**
 * Bulk runs end to end: POST /api/remediations on the local Functions host running the real
 * app, against the ARM emulator and Azurite. Fleets are seeded without events, so only the
 * bulk runs under test touch the VMs.
 */
import { DEMO_FLEET } from '../../emulator/demo-fleet';
import { SUB, vmId } from '../support/arm';
import { withEmulatorConfig } from '../support/faults';
import { type Answer, api, call as httpCall, type CallOptions } from '../support/http';
import { sleep } from '../support/poll';
import {
  bulkRun,
  bulkRunUntil,
  raiseDecision,
  REMEDIATION_STEPS,
  runEnded,
  type RunView,
  startBulk,
  type VmResult,
} from '../support/runs';
import { seedFleet, seedGroup, type VmSpec } from '../support/seed';
import { useLocalTwin } from '../support/twin';
import {
  accelerated,
  lastSeq as lastSeqOf,
  nameOf,
  NIC_WRITE,
  opsSince,
  vms as allVms,
  vmsIn,
  writesIn as writesInOf,
  writesOf,
} from '../support/views';

/** The demo fleet goes to a subscription of its own, so subscription-wide runs see it alone. */
const DEMO_SUB = '00000000-0000-0000-0000-0000000000de';
const OTHER_SUB = '00000000-0000-0000-0000-000000000002';

describe('bulk remediation runs', () => {
  const local = useLocalTwin({ ACCELNET_APPROVAL_TIMEOUT: 'PT1S' });

  /** A call to the host; `raw` is sent as the body as is, `key: false` leaves the key out. */
  function call(
    method: string,
    route: string,
    { key = true, ...options }: Pick<CallOptions, 'body' | 'raw'> & { key?: boolean } = {},
  ): Promise<Answer> {
    return key
      ? api(local.host, method, route, options)
      : httpCall(local.host.url, method, route, options);
  }

  async function start(body: Record<string, unknown>): Promise<string> {
    const { id, statusUrl } = await startBulk(local.host, body);
    expect(statusUrl).toBe(`${local.twin.host.url}/api/remediations/${id}`);
    return id;
  }
  const getRun = (id: string): Promise<Answer & { view?: RunView }> => bulkRun(local.host, id);
  /** Polls the run until `done` holds of it. */
  const until = (id: string, done: (run: RunView) => boolean, timeoutMs = 30_000) =>
    bulkRunUntil(local.host, id, done, { timeoutMs, intervalMs: 25 });
  const finished = (id: string, timeoutMs?: number): Promise<RunView> =>
    until(id, runEnded, timeoutMs);
  async function decide(id: string, approved: boolean): Promise<void> {
    expect(await raiseDecision(local.host, id, { approved })).toBe(202);
  }

  const seed = async (rg: string, vms: VmSpec[], sub = SUB): Promise<void> => {
    await seedGroup(local.em, rg, vms, { events: false, subscriptionId: sub });
  };
  const vms = (rg: string, timeline = false) => vmsIn(local.em, rg, timeline);
  const ops = (since = 0) => opsSince(local.em, since);
  const lastSeq = () => lastSeqOf(local.em);
  /** Writes (anything but GET) the app made in a resource group since `since`. */
  const writesIn = (rg: string, since: number) => writesInOf(local.em, rg, since);
  const byName = (run: RunView): Map<string, VmResult> =>
    new Map(run.vms.map((v) => [nameOf(v.vmId), v]));
  const bulkInstances = (): string[] =>
    local.twin.host.taskHub
      .list()
      .filter((i) => i.name === 'bulkRemediation')
      .map((i) => i.instanceId);

  test('when a dry run is requested for the demo fleet, then it makes no ARM writes and reports planned, compliant and skipped VMs with matching counts', async () => {
    await seedFleet(local.em, { ...DEMO_FLEET, subscriptionId: DEMO_SUB }, { events: false });
    const since = await lastSeq();
    const id = await start({ subscriptionId: DEMO_SUB, dryRun: true });
    const run = await finished(id);

    expect(run.status).toBe('completed');
    const expected: Record<string, [string, string?]> = {
      'web-1': ['planned'],
      'web-2': ['planned'],
      'web-3': ['planned'],
      worker: ['planned'],
      queue: ['planned'],
      batch: ['planned'],
      'api-1': ['already-compliant'],
      'api-2': ['already-compliant'],
      tiny: ['skipped', 'size-not-supported'],
      legacy: ['skipped', 'os-not-supported'],
      cache: ['skipped', 'ephemeral-os-disk'],
      payments: ['skipped', 'opted-out'],
      edge: ['skipped', 'dynamic-public-ip'],
      reports: ['skipped', 'mana-driver-missing'],
      firewall: ['skipped', 'legacy-vm-nva'],
      'sql-1': ['skipped', 'availability-set'],
      'sql-2': ['skipped', 'availability-set'],
    };
    const got = Object.fromEntries(
      run.vms.map((v) => [
        nameOf(v.vmId),
        v.reason === undefined ? [v.outcome] : [v.outcome, v.reason],
      ]),
    );
    expect(got).toEqual(expected);
    const outcomes = Object.values(expected).map(([o]) => o);
    const count = (o: string): number => outcomes.filter((x) => x === o).length;
    expect(run.summary).toMatchObject({
      total: 17,
      planned: count('planned'),
      alreadyCompliant: count('already-compliant'),
      skipped: count('skipped'),
      remediated: 0,
      failed: 0,
      pendingApproval: 0,
      rejected: 0,
    });
    // The VMs stay as they were: no power change, no NIC write, nothing written at all.
    expect(run.vms.every((v) => v.originalPowerState === v.finalPowerState)).toBe(true);
    expect(writesOf(await ops(since))).toEqual([]);
    const demo = (await allVms(local.em)).filter((v) => v.id.toLowerCase().includes(DEMO_SUB));
    expect(demo).toHaveLength(17);
    expect(demo.every((v) => v.deallocations === 0)).toBe(true);

    // The compliance report agrees with the plan: the planned VMs are the ones to remediate.
    const report = await call('GET', `/api/compliance?subscriptionId=${DEMO_SUB}`);
    expect(report.status).toBe(200);
    const rows = report.json as { name: string; action: string; compliant: boolean }[];
    expect(
      rows
        .filter((r) => r.action === 'remediate')
        .map((r) => r.name)
        .sort(),
    ).toEqual(
      Object.entries(expected)
        .filter(([, [o]]) => o === 'planned')
        .map(([n]) => n)
        .sort(),
    );
    const rgRows = await call(
      'GET',
      `/api/compliance?subscriptionId=${DEMO_SUB}&resourceGroup=rg-data`,
    );
    expect((rgRows.json as { name: string }[]).map((r) => r.name).sort()).toEqual([
      'sql-1',
      'sql-2',
    ]);
  });

  test('when a mixed fleet of 100 VMs is remediated with maxParallel 10, then each VM ends as expected and never more than 10 are down at once', async () => {
    const rg = 'rg-mixed';
    const vm = (name: string, count: number, extra: Record<string, unknown> = {}): VmSpec => ({
      name,
      count,
      ...extra,
    });
    await seed(rg, [
      vm('d2', 30, { size: 'Standard_D2s_v3' }),
      vm('d4', 30),
      vm('off', 10, { powerState: 'deallocated' }),
      vm('ok', 10, { acceleratedNetworking: true }),
      vm('tiny', 10, { size: 'Standard_B2s' }),
      vm('optout', 5, { tags: { 'accelnet-exempt': 'true' } }),
      vm('eph', 5, { size: 'Standard_D4ds_v4', ephemeralOsDisk: true }),
    ]);
    const fast = { latencies: { deallocate: 10, start: 20, powerOff: 2, nicUpdate: 1 } };
    await withEmulatorConfig(local.em, fast, async () => {
      const since = await lastSeq();
      const id = await start({ subscriptionId: SUB, resourceGroup: rg, maxParallel: 10 });
      // The run's status URL shows progress while it runs: the outcomes stored so far.
      const progress: { done: number; remediated: number }[] = [];
      let watching = true;
      const watch = (async () => {
        while (watching) {
          const res = await call('GET', `/api/remediations/${id}`);
          const live = res.json as
            { status?: string; summary?: Record<string, number> } | undefined;
          const summary = live?.summary;
          if (live?.status === 'running' && summary)
            progress.push({
              done:
                (summary.total ?? 0) - (summary.inProgress ?? 0) - (summary.pendingApproval ?? 0),
              remediated: summary.remediated ?? 0,
            });
          await sleep(100);
        }
      })();
      const run = await finished(id, 60_000).finally(() => (watching = false));
      await watch;
      expect(run.status).toBe('completed');
      const between = progress.filter((p) => p.done > 30 && p.done < 100);
      expect(between.length).toBeGreaterThan(0);
      expect(between.some((p) => p.remediated > 0 && p.remediated < 70)).toBe(true);
      for (let i = 1; i < progress.length; i += 1)
        expect(progress[i]!.done).toBeGreaterThanOrEqual(progress[i - 1]!.done);

      const expectOf = (name: string): [string, string?] => {
        const group = name.replace(/-\d+$/, '');
        if (group === 'd2' || group === 'd4' || group === 'off') return ['remediated'];
        if (group === 'ok') return ['already-compliant'];
        if (group === 'tiny') return ['skipped', 'size-not-supported'];
        if (group === 'optout') return ['skipped', 'opted-out'];
        return ['skipped', 'ephemeral-os-disk'];
      };
      expect(run.vms).toHaveLength(100);
      for (const v of run.vms) {
        const [outcome, reason] = expectOf(nameOf(v.vmId));
        expect({ vm: nameOf(v.vmId), outcome: v.outcome, reason: v.reason }).toEqual({
          vm: nameOf(v.vmId),
          outcome,
          reason,
        });
      }
      expect(run.summary).toMatchObject({
        total: 100,
        remediated: 70,
        alreadyCompliant: 10,
        skipped: 20,
        failed: 0,
        pendingApproval: 0,
        rejected: 0,
      });

      const fleet = await vms(rg, true);
      expect(fleet).toHaveLength(100);
      const state = new Map(fleet.map((v) => [v.name, v]));
      for (const [name, v] of state) {
        const group = name.replace(/-\d+$/, '');
        if (group === 'd2' || group === 'd4') {
          expect({ name, powerState: v.powerState, deallocations: v.deallocations }).toEqual({
            name,
            powerState: 'running',
            deallocations: 1,
          });
          expect(accelerated(v)).toBe(true);
        } else if (group === 'off') {
          expect({ name, powerState: v.powerState, deallocations: v.deallocations }).toEqual({
            name,
            powerState: 'deallocated',
            deallocations: 0,
          });
          expect(v.nics.every((n) => n.enableAcceleratedNetworking)).toBe(true);
        } else {
          expect({ name, deallocations: v.deallocations }).toEqual({ name, deallocations: 0 });
        }
      }
      // Nothing outside the eligible VMs was written.
      const touched = new Set(
        (await writesIn(rg, since)).map((o) =>
          (/\/(?:virtualMachines|networkInterfaces)\/([^/]+)/i.exec(o.path)?.[1] ?? '').replace(
            /-nic.*$/,
            '',
          ),
        ),
      );
      expect([...touched].filter((n) => !/^(d2|d4|off)-\d+/.test(n))).toEqual([]);

      // Down: from the first 'stopping' or 'deallocating' to the last 'running' of each VM that
      // was running.
      const goingDown = (e: { powerState: string }): boolean =>
        e.powerState === 'stopping' || e.powerState === 'deallocating';
      const intervals = fleet
        .map((v) => v.timeline ?? [])
        .filter((t) => t[0]?.powerState === 'running' && t.some(goingDown))
        .map((t) => {
          const from = t.find(goingDown)?.at ?? 0;
          const to = [...t].reverse().find((e) => e.powerState === 'running')?.at ?? Infinity;
          return [from, to] as const;
        });
      expect(intervals).toHaveLength(60);
      const edges = intervals
        .flatMap(([from, to]) => [
          [from, 1],
          [to, -1],
        ])
        .sort((a, b) => (a[0] ?? 0) - (b[0] ?? 0) || (a[1] ?? 0) - (b[1] ?? 0));
      let down = 0;
      let most = 0;
      for (const [, d] of edges) {
        down += d ?? 0;
        most = Math.max(most, down);
      }
      expect(most).toBeLessThanOrEqual(10);
      expect(most).toBeGreaterThan(1);
    });
  }, 70_000);

  test('when a lane has more VMs than one episode of it holds (50), then it continues as new and remediates each VM once', async () => {
    const rg = 'rg-long-lane';
    // Deallocated VMs: one NIC write each, no downtime to wait out.
    await seed(rg, [{ name: 'off', count: 56, powerState: 'deallocated' }]);
    const since = await lastSeq();
    const id = await start({ subscriptionId: SUB, resourceGroup: rg, maxParallel: 1 });
    const run = await finished(id, 60_000);

    expect(run.status).toBe('completed');
    expect(run.summary).toMatchObject({ total: 56, remediated: 56, inProgress: 0 });
    // The lane's second episode ran VMs 51 to 56.
    const secondEpisode = local.twin.host.taskHub
      .list()
      .filter((i) => i.instanceId.startsWith(`${id}-lane-0-2-`));
    expect(secondEpisode).toHaveLength(6);
    const nicWrites = (await writesIn(rg, since)).filter(
      (o) => o.method === 'PUT' && o.operation === NIC_WRITE,
    );
    const perNic = new Map<string, number>();
    for (const o of nicWrites)
      perNic.set(o.path.toLowerCase(), (perNic.get(o.path.toLowerCase()) ?? 0) + 1);
    expect(perNic.size).toBe(56);
    expect([...perNic.values()].every((n) => n === 1)).toBe(true);
    const fleet = await vms(rg);
    expect(fleet.every((v) => v.powerState === 'deallocated')).toBe(true);
    expect(fleet.every((v) => v.nics.every((n) => n.enableAcceleratedNetworking))).toBe(true);
  }, 90_000);

  test('when an availability set is included, then the run waits for approval and, once approved, remediates the set together; left out, its VMs are skipped', async () => {
    const rg = 'rg-avset';
    await seed(rg, [{ name: 'node', count: 3, availabilitySet: 'as1' }]);

    // Without includeAvailabilitySets: skipped, nothing written.
    const before = await lastSeq();
    const left = await finished(await start({ subscriptionId: SUB, resourceGroup: rg }));
    expect(left.status).toBe('completed');
    expect(left.vms.map((v) => [v.outcome, v.reason])).toEqual([
      ['skipped', 'availability-set'],
      ['skipped', 'availability-set'],
      ['skipped', 'availability-set'],
    ]);
    expect(left.summary).toMatchObject({ total: 3, skipped: 3 });
    expect(await writesIn(rg, before)).toEqual([]);

    // Included: the whole set waits for a person.
    const id = await start({
      subscriptionId: SUB,
      resourceGroup: rg,
      includeAvailabilitySets: true,
    });
    const pending = await until(id, (r) => r.status === 'pending-approval');
    expect(pending.vms.map((v) => v.outcome)).toEqual([
      'pending-approval',
      'pending-approval',
      'pending-approval',
    ]);
    expect(pending.summary).toMatchObject({ total: 3, pendingApproval: 3 });
    const since = await lastSeq();
    expect(await writesIn(rg, before)).toEqual([]);
    await decide(id, true);
    const run = await finished(id);

    expect(run.status).toBe('completed');
    expect(run.vms.map((v) => [v.outcome, v.finalPowerState])).toEqual([
      ['remediated', 'running'],
      ['remediated', 'running'],
      ['remediated', 'running'],
    ]);
    expect(run.summary).toMatchObject({ total: 3, remediated: 3, pendingApproval: 0 });
    const writes = await writesIn(rg, since);
    const deallocs = writes.filter((o) => o.operation.endsWith('/deallocate/action'));
    const nicWrites = writes.filter((o) => o.operation === NIC_WRITE);
    expect(deallocs).toHaveLength(3);
    expect(nicWrites).toHaveLength(3);
    // Every deallocation was asked for, and completed, before any NIC was written.
    const firstNic = Math.min(...nicWrites.map((o) => o.seq));
    expect(Math.max(...deallocs.map((o) => o.seq))).toBeLessThan(firstNic);
    expect(nicWrites.every((o) => o.vmPowerState === 'deallocated')).toBe(true);
    const fleet = await vms(rg, true);
    const firstNicAt = Date.parse(nicWrites.find((o) => o.seq === firstNic)?.time ?? '');
    for (const v of fleet) {
      const deallocatedAt = v.timeline?.find((e) => e.powerState === 'deallocated')?.at;
      expect(deallocatedAt).toBeDefined();
      expect(deallocatedAt ?? Infinity).toBeLessThanOrEqual(firstNicAt);
      expect(v).toMatchObject({ powerState: 'running', deallocations: 1 });
      expect(accelerated(v)).toBe(true);
    }
  });

  test('when ARM throttles hard, then a run of 20 VMs still ends with no failed VM, after some 429s', async () => {
    const rg = 'rg-throttle';
    await seed(rg, [{ name: 'busy', count: 20 }]);
    const throttled = {
      latencies: { deallocate: 10, start: 20, powerOff: 2, nicUpdate: 1 },
      throttling: {
        enabled: true,
        writes: { bucket: 5, refillPerSecond: 2 },
        reads: { bucket: 20, refillPerSecond: 20 },
      },
    };
    await withEmulatorConfig(local.em, throttled, async () => {
      const since = await lastSeq();
      const id = await start({ subscriptionId: SUB, resourceGroup: rg, maxParallel: 20 });
      const run = await finished(id, 60_000);
      expect(run.status).toBe('completed');
      expect(run.summary).toMatchObject({ total: 20, remediated: 20, failed: 0 });
      const throttled = (await ops(since)).filter(
        (o) => o.principal === 'accelnet' && o.status === 429,
      );
      expect(throttled.length).toBeGreaterThan(0);
      const fleet = await vms(rg);
      expect(fleet.every((v) => v.powerState === 'running' && v.deallocations === 1)).toBe(true);
      expect(fleet.every(accelerated)).toBe(true);
    });
  }, 70_000);

  describe('when approval is required', () => {
    test('when the run is approved, then it waits in pending-approval until then and remediates after', async () => {
      const rg = 'rg-approve-yes';
      await seed(rg, [
        { name: 'app', count: 2 },
        { name: 'small', size: 'Standard_B2s' },
      ]);
      const since = await lastSeq();
      const id = await start({ subscriptionId: SUB, resourceGroup: rg, approval: 'required' });
      const pending = await until(id, (r) => r.status === 'pending-approval');
      const outcomes = byName(pending);
      expect(outcomes.get('app-1')?.outcome).toBe('pending-approval');
      expect(outcomes.get('app-2')?.outcome).toBe('pending-approval');
      expect(outcomes.get('small')).toMatchObject({
        outcome: 'skipped',
        reason: 'size-not-supported',
      });
      expect(pending.summary).toMatchObject({ total: 3, pendingApproval: 2, skipped: 1 });
      expect(await writesIn(rg, since)).toEqual([]);
      await decide(id, true);
      const run = await finished(id);
      expect(run.summary).toMatchObject({ total: 3, remediated: 2, skipped: 1, rejected: 0 });
      const fleet = await vms(rg);
      expect(fleet.filter((v) => v.name.startsWith('app-')).every(accelerated)).toBe(true);
    });

    test('when the run is rejected, then every planned VM is rejected and nothing is written', async () => {
      const rg = 'rg-approve-no';
      await seed(rg, [{ name: 'app', count: 2 }]);
      const since = await lastSeq();
      const id = await start({ subscriptionId: SUB, resourceGroup: rg, approval: 'required' });
      await until(id, (r) => r.status === 'pending-approval');
      await decide(id, false);
      const run = await finished(id);
      expect(run.vms.map((v) => [v.outcome, v.reason])).toEqual([
        ['rejected', 'rejected'],
        ['rejected', 'rejected'],
      ]);
      expect(run.summary).toMatchObject({ total: 2, rejected: 2, pendingApproval: 0 });
      expect(await writesIn(rg, since)).toEqual([]);
      expect((await vms(rg)).every((v) => v.powerState === 'running' && !accelerated(v))).toBe(
        true,
      );
    });

    test('when no decision comes before ACCELNET_APPROVAL_TIMEOUT, then every planned VM is rejected with approval-timeout', async () => {
      const rg = 'rg-approve-late';
      await seed(rg, [{ name: 'app', count: 2 }]);
      const since = await lastSeq();
      const id = await start({ subscriptionId: SUB, resourceGroup: rg, approval: 'required' });
      const run = await finished(id, 15_000);
      expect(run.vms.map((v) => [v.outcome, v.reason])).toEqual([
        ['rejected', 'approval-timeout'],
        ['rejected', 'approval-timeout'],
      ]);
      expect(run.summary).toMatchObject({ total: 2, rejected: 2 });
      expect(await writesIn(rg, since)).toEqual([]);
    });
  });

  describe('when a request is invalid', () => {
    const vmInOther = vmId('rg-x', 'vm1', OTHER_SUB);
    const nicId = `/subscriptions/${SUB}/resourceGroups/rg-x/providers/Microsoft.Network/networkInterfaces/nic1`;
    test.each<[string, unknown, string]>([
      ['invalid JSON', '{"subscriptionId": ', ''],
      ['an array', [SUB], ''],
      ['a string', 'hello', ''],
      ['no subscriptionId', { dryRun: true }, 'subscriptionId'],
      ['a subscriptionId that is no GUID', { subscriptionId: 'not-a-guid' }, 'subscriptionId'],
      ['maxParallel 0', { subscriptionId: SUB, maxParallel: 0 }, 'maxParallel'],
      ['maxParallel 501', { subscriptionId: SUB, maxParallel: 501 }, 'maxParallel'],
      ['maxParallel 2.5', { subscriptionId: SUB, maxParallel: 2.5 }, 'maxParallel'],
      ['maxParallel "3"', { subscriptionId: SUB, maxParallel: '3' }, 'maxParallel'],
      ['an unknown field', { subscriptionId: SUB, maxParalel: 3 }, 'maxParalel'],
      ['a vmIds entry that is no VM id', { subscriptionId: SUB, vmIds: [nicId] }, 'vmIds'],
      ['a VM of another subscription', { subscriptionId: SUB, vmIds: [vmInOther] }, 'vmIds'],
      ['approval "maybe"', { subscriptionId: SUB, approval: 'maybe' }, 'approval'],
      ['dryRun "yes"', { subscriptionId: SUB, dryRun: 'yes' }, 'dryRun'],
      [
        'includeAvailabilitySets 1',
        { subscriptionId: SUB, includeAvailabilitySets: 1 },
        'includeAvailabilitySets',
      ],
    ])(
      'when the body has %s, then 400 names the field and nothing starts',
      async (what, body, field) => {
        const instances = bulkInstances();
        const raw = what === 'invalid JSON' ? (body as string) : JSON.stringify(body);
        const res = await call('POST', '/api/remediations', { raw });
        expect(res.status).toBe(400);
        const error = (res.json as { error?: { code?: unknown; message?: unknown } }).error;
        expect(typeof error?.code).toBe('string');
        expect(typeof error?.message).toBe('string');
        expect(String(error?.message)).toContain(field);
        await sleep(50);
        expect(bulkInstances()).toEqual(instances);
      },
    );

    test('when a run id is unknown or malformed, then GET answers 404 or 400', async () => {
      const unknown = await call(
        'GET',
        '/api/remediations/bulk-00000000-0000-4000-8000-000000000000',
      );
      expect(unknown.status).toBe(404);
      expect((unknown.json as { error: { code: string } }).error.code).toBeTruthy();
      const malformed = await call('GET', '/api/remediations/not-a-run');
      expect(malformed.status).toBe(400);
      expect((malformed.json as { error: { code: string } }).error.code).toBeTruthy();
    });

    test('when compliance is asked without a subscription, or any route without the key, then 400 or 401', async () => {
      const noSub = await call('GET', '/api/compliance');
      expect(noSub.status).toBe(400);
      expect((noSub.json as { error: { message: string } }).error.message).toContain(
        'subscriptionId',
      );
      const instances = bulkInstances();
      const noKey = await call('POST', '/api/remediations', {
        body: { subscriptionId: SUB, dryRun: true },
        key: false,
      });
      expect(noKey.status).toBe(401);
      expect(
        (
          await call('GET', '/api/remediations/bulk-00000000-0000-4000-8000-000000000000', {
            key: false,
          })
        ).status,
      ).toBe(401);
      expect(
        (await call('GET', `/api/compliance?subscriptionId=${SUB}`, { key: false })).status,
      ).toBe(401);
      await sleep(50);
      expect(bulkInstances()).toEqual(instances);
    });
  });

  test("when the resource group does not exist, then the request gets ARM's 404 at once and nothing starts, and compliance answers 404", async () => {
    const before = await call('GET', '/api/remediations?top=100');
    const res = await call('POST', '/api/remediations', {
      body: { subscriptionId: SUB, resourceGroup: 'rg-nowhere' },
    });
    expect(res.status).toBe(404);
    const { error } = res.json as { error: { code: string; message: string } };
    expect(error.code).toBe('ResourceGroupNotFound');
    expect(error.message).toContain('rg-nowhere');
    const after = await call('GET', '/api/remediations?top=100');
    expect((after.json as { runs: unknown[] }).runs).toHaveLength(
      (before.json as { runs: unknown[] }).runs.length,
    );
    const report = await call(
      'GET',
      `/api/compliance?subscriptionId=${SUB}&resourceGroup=rg-nowhere`,
    );
    expect(report.status).toBe(404);
    expect((report.json as { error: { message: string } }).error.message).toContain('rg-nowhere');
  });

  test('when a run has ended, then GET answers from Table storage, also after the host restarts', async () => {
    const rg = 'rg-restart';
    await seed(rg, [
      { name: 'one', size: 'Standard_D2s_v3' },
      { name: 'done', size: 'Standard_D2s_v3', acceleratedNetworking: true },
    ]);
    const id = await start({ subscriptionId: SUB, resourceGroup: rg });
    const run = await finished(id);
    expect(run.status).toBe('completed');
    expect(run.summary).toMatchObject({ total: 2, remediated: 1, alreadyCompliant: 1 });
    const remediated = byName(run).get('one');
    expect(remediated?.steps.map((s) => s.name)).toEqual(REMEDIATION_STEPS);
    const before = await getRun(id);

    await local.twin.restartHost();
    const after = await getRun(id);
    expect(after.status).toBe(200);
    expect(after.view).toEqual(before.view);
    expect(after.view?.createdAt).toBe(run.createdAt);
  });
});
