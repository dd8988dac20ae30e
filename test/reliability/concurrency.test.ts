/**
 * Part 6, concurrency: runs that overlap, and owners who act while a run waits. Every case is
 * judged from the emulator's own view: no VM deallocated twice, every VM that was running ends
 * running unless its owner deallocated it, no VM touched after it opted out or became
 * ineligible, and every VM named by a run with a final outcome.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import type { ArmEmulator } from '../../emulator/server';
import { MAX_VM_ID_LENGTH, MAX_VM_IDS } from '../../shared/http/requests';
import { armClients, FAST, SUB } from '../support/arm';
import { MAIN } from '../support/hostProcess';
import type { Answer } from '../support/http';
import { api } from '../support/http';
import { poll, sleep } from '../support/poll';
import {
  bulkRunUntil,
  OPEN_OUTCOMES,
  runToEnd,
  type RunView,
  startBulk,
  vmRunUntil,
} from '../support/runs';
import { seedGroup, type VmSpec } from '../support/seed';
import { type TwinHandle, useLocalTwin } from '../support/twin';
import {
  DEALLOCATE,
  lastSeq,
  nameOf,
  type Op,
  opsSince,
  vmsIn,
  type VmView,
} from '../support/views';
import { PartFigures } from './support/figures';
import { sized } from './support/scale';

const OPEN = new Set(OPEN_OUTCOMES);
const figures = new PartFigures('6-concurrency', 'Part 6: concurrency and owners acting mid-run');

/** The accelnet operations that change a VM (or its NICs), by VM name. */
function changesByVm(ops: Op[], fleet: VmView[]): Map<string, Op[]> {
  const out = new Map<string, Op[]>();
  for (const op of ops) {
    if (op.principal !== 'accelnet' || op.method === 'GET' || op.status >= 300) continue;
    const lower = op.path.toLowerCase();
    const vm = fleet.find(
      (v) =>
        lower.includes(`/virtualmachines/${v.name.toLowerCase()}/`) ||
        lower.endsWith(`/virtualmachines/${v.name.toLowerCase()}`) ||
        v.nics.some((n) => n.id.toLowerCase() === lower),
    );
    if (!vm) continue;
    out.set(vm.name, [...(out.get(vm.name) ?? []), op]);
  }
  return out;
}

/** Deallocations accelnet made per VM (the operation log, accelnet's principal). */
function accelnetDeallocations(ops: Op[], fleet: VmView[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const [name, list] of changesByVm(ops, fleet))
    out.set(name, list.filter((o) => o.operation === DEALLOCATE).length);
  return out;
}

/** A call to the twin's host, with its key. */
function call(local: TwinHandle, method: string, route: string, body?: unknown): Promise<Answer> {
  return api(local.host, method, route, body !== undefined ? { body } : {});
}

async function seed(local: TwinHandle, rg: string, vms: VmSpec[], events = false) {
  await seedGroup(local.em, rg, vms, { events });
}

async function bulk(local: TwinHandle, body: Record<string, unknown>): Promise<string> {
  return (await startBulk(local.host, { subscriptionId: SUB, ...body })).id;
}

function waitForStatus(local: TwinHandle, id: string, status: string): Promise<RunView> {
  return bulkRunUntil(local.host, id, (run) => run.status === status, { timeoutMs: 60_000 });
}

async function approve(local: TwinHandle, instanceId: string): Promise<void> {
  await poll(
    `the approval of ${instanceId}`,
    () => call(local, 'POST', `/api/approvals/${instanceId}`, { decision: 'approve' }),
    (res) => res.status === 200,
  );
}

/** Approves a bulk run and waits for its end: the run, the VMs after, and what accelnet changed. */
async function approveToEnd(local: TwinHandle, id: string, rg: string) {
  const since = await lastSeq(local.em);
  await approve(local, id);
  const run = await runToEnd(local.host, id, 60_000);
  const after = await vmsIn(local.em, rg);
  const changes = changesByVm(await opsSince(local.em, since), after);
  const outcome = new Map(run.vms.map((v) => [nameOf(v.vmId), v]));
  return { run, after, changes, outcome };
}

/** The VMs' owner, acting on them through the SDK. */
function owner(em: ArmEmulator) {
  const vms = armClients(em, 'vm-owner').compute.virtualMachines;
  return {
    start: (rg: string, name: string) => vms.beginStartAndWait(rg, name, FAST),
    deallocate: (rg: string, name: string) => vms.beginDeallocateAndWait(rg, name, FAST),
    delete: (rg: string, name: string) => vms.beginDeleteAndWait(rg, name, FAST),
    optOut: (rg: string, name: string) =>
      vms.beginUpdateAndWait(rg, name, { tags: { 'accelnet-exempt': 'true' } }, FAST),
    /** To a size without Accelerated Networking. */
    shrink: (rg: string, name: string) =>
      vms.beginUpdateAndWait(rg, name, { hardwareProfile: { vmSize: 'Standard_B2s' } }, FAST),
  };
}

const finalOutcomes = (run: RunView): boolean => run.vms.every((v) => !OPEN.has(v.outcome));

afterAll(() => figures.report());

describe('reliability: concurrency (enforce mode)', () => {
  const ctx = useLocalTwin({ ACCELNET_MODE: 'enforce', ACCELNET_APPROVAL_TIMEOUT: 'PT10M' });

  test('when two bulk runs start together over the same VMs, then each VM is remediated once and both runs end with final outcomes', async () => {
    const rg = 'rg-conc-two';
    const n = sized(24, 12);
    await seed(ctx, rg, [
      { name: 'app', count: n - 2 },
      { name: 'off', count: 2, powerState: 'deallocated' },
    ]);
    const since = await lastSeq(ctx.em);
    const before = await vmsIn(ctx.em, rg);
    const [a, b] = await Promise.all([
      bulk(ctx, { resourceGroup: rg, maxParallel: 4 }),
      bulk(ctx, { resourceGroup: rg, maxParallel: 4 }),
    ]);
    const runs = await Promise.all([a, b].map((id) => runToEnd(ctx.host, id, 120_000)));
    const after = await vmsIn(ctx.em, rg);
    const ops = await opsSince(ctx.em, since);
    const deallocs = accelnetDeallocations(ops, after);

    for (const run of runs) {
      expect(run.status).toBe('completed');
      expect(run.vms).toHaveLength(n);
      expect(finalOutcomes(run)).toBe(true);
      expect(run.vms.filter((v) => v.outcome === 'failed')).toEqual([]);
    }
    for (const vm of before) {
      const now = after.find((v) => v.id === vm.id);
      expect(deallocs.get(vm.name) ?? 0).toBeLessThanOrEqual(1);
      expect(now?.powerState).toBe(vm.powerState);
      expect(now?.nics.every((nic) => nic.enableAcceleratedNetworking)).toBe(true);
      const remediatedBy = runs.filter(
        (r) =>
          r.vms.find((v) => v.vmId.toLowerCase() === vm.id.toLowerCase())?.outcome === 'remediated',
      );
      expect(remediatedBy).toHaveLength(1);
    }
    figures.set('two bulk runs over the same VMs', `${n} VMs, 2 runs`);
    figures.set('  most deallocations of one VM', Math.max(...deallocs.values()));
    figures.set(
      '  remediated once / already compliant in the other run',
      `${n} / ${runs.flatMap((r) => r.vms).filter((v) => v.outcome === 'already-compliant').length}`,
    );
  });

  test('when VMs are created (event runs start) and a bulk run covers them at once, then no VM is acted on twice and none fails', async () => {
    const rg = 'rg-conc-events';
    const n = sized(16, 8);
    const since = await lastSeq(ctx.em);
    await seed(ctx, rg, [{ name: 'new', count: n }], true);
    const id = await bulk(ctx, { resourceGroup: rg, maxParallel: 4 });
    const run = await runToEnd(ctx.host, id, 120_000);
    // The event runs end too.
    const eventOutcomes = await poll(
      'the event runs to end',
      () =>
        Promise.all(
          run.vms.map(async (v) => {
            const res = await call(
              ctx,
              'GET',
              `/api/vms/${encodeURIComponent(v.vmId)}/remediation`,
            );
            return {
              vmId: v.vmId,
              outcome: (res.json as { outcome?: string } | undefined)?.outcome ?? 'none',
            };
          }),
        ),
      (outcomes) => outcomes.every((e) => !OPEN.has(e.outcome) && e.outcome !== 'none'),
      { timeoutMs: 60_000, intervalMs: 100 },
    );
    const after = await vmsIn(ctx.em, rg);
    const deallocs = accelnetDeallocations(await opsSince(ctx.em, since), after);
    expect(run.status).toBe('completed');
    expect(finalOutcomes(run)).toBe(true);
    for (const vm of after) {
      expect(vm.powerState).toBe('running');
      expect(deallocs.get(vm.name)).toBe(1);
      expect(vm.nics.every((nic) => nic.acceleratedNetworkingEffective)).toBe(true);
      const bulk = run.vms.find((v) => v.vmId.toLowerCase() === vm.id.toLowerCase())?.outcome;
      const event = eventOutcomes.find(
        (e) => e.vmId.toLowerCase() === vm.id.toLowerCase(),
      )?.outcome;
      expect([bulk, event].sort()).toEqual(['already-compliant', 'remediated']);
    }
    figures.set('event runs and a bulk run at once', `${n} VMs`);
    figures.set(
      '  remediated by the event run / by the bulk run',
      `${eventOutcomes.filter((e) => e.outcome === 'remediated').length} / ${run.vms.filter((v) => v.outcome === 'remediated').length}`,
    );
  });

  test('when owners start, deallocate, opt out, resize and delete VMs while a bulk run waits for approval, then each is treated as it is now', async () => {
    const rg = 'rg-conc-owners';
    await seed(ctx, rg, [
      { name: 'started', powerState: 'deallocated' },
      { name: 'stopped', powerState: 'running' },
      { name: 'optout' },
      { name: 'resized' },
      { name: 'deleted' },
      { name: 'plain' },
    ]);
    const id = await bulk(ctx, { resourceGroup: rg, approval: 'required' });
    await waitForStatus(ctx, id, 'pending-approval');
    const owners = owner(ctx.em);
    await owners.start(rg, 'started');
    await owners.deallocate(rg, 'stopped');
    await owners.optOut(rg, 'optout');
    await owners.shrink(rg, 'resized');
    await owners.delete(rg, 'deleted');
    const { run, after, changes, outcome } = await approveToEnd(ctx, id, rg);
    const vm = (name: string): VmView | undefined => after.find((v) => v.name === name);

    expect(run.status).toBe('completed');
    expect(finalOutcomes(run)).toBe(true);
    expect(outcome.get('started')).toMatchObject({
      outcome: 'remediated',
      originalPowerState: 'running',
      finalPowerState: 'running',
    });
    expect(vm('started')?.powerState).toBe('running');
    expect(outcome.get('stopped')).toMatchObject({
      outcome: 'remediated',
      originalPowerState: 'deallocated',
      finalPowerState: 'deallocated',
    });
    expect(vm('stopped')?.powerState).toBe('deallocated');
    expect(outcome.get('optout')).toMatchObject({ outcome: 'skipped', reason: 'opted-out' });
    expect(outcome.get('resized')).toMatchObject({
      outcome: 'skipped',
      reason: 'size-not-supported',
    });
    expect(outcome.get('deleted')).toMatchObject({ outcome: 'skipped', reason: 'vm-deleted' });
    expect(outcome.get('plain')).toMatchObject({
      outcome: 'remediated',
      finalPowerState: 'running',
    });
    expect(changes.get('optout') ?? []).toEqual([]);
    expect(changes.get('resized') ?? []).toEqual([]);
    expect(vm('optout')?.powerState).toBe('running');
    expect(vm('resized')?.powerState).toBe('running');
    figures.set(
      'owners acting during a bulk approval wait',
      '6 VMs: start, deallocate, opt-out, resize, delete, none',
    );
    figures.set(
      '  outcomes',
      ['started', 'stopped', 'optout', 'resized', 'deleted', 'plain']
        .map(
          (n) =>
            `${n}: ${outcome.get(n)?.outcome ?? '?'}${outcome.get(n)?.reason && outcome.get(n)?.outcome !== 'remediated' ? ` (${outcome.get(n)?.reason})` : ''}`,
        )
        .join(', '),
    );
  });

  test('when a member of an availability set is resized while the run waits for approval, then no member of the set is touched', async () => {
    const rg = 'rg-conc-set';
    await seed(ctx, rg, [{ name: 'node', count: 3, availabilitySet: 'as-conc' }]);
    const id = await bulk(ctx, {
      resourceGroup: rg,
      approval: 'required',
      includeAvailabilitySets: true,
    });
    await waitForStatus(ctx, id, 'pending-approval');
    await owner(ctx.em).shrink(rg, 'node-2');
    const { run, after, changes, outcome } = await approveToEnd(ctx, id, rg);

    expect(run.status).toBe('completed');
    expect(finalOutcomes(run)).toBe(true);
    expect(outcome.get('node-2')).toMatchObject({
      outcome: 'skipped',
      reason: 'size-not-supported',
    });
    for (const name of ['node-1', 'node-3']) {
      expect(outcome.get(name)).toMatchObject({
        outcome: 'skipped',
        reason: 'availability-set-blocked',
      });
    }
    for (const vm of after) {
      expect(vm.powerState).toBe('running');
      expect(changes.get(vm.name) ?? []).toEqual([]);
    }
    figures.set('availability set, a member resized during approval', 'no member touched');
  });

  test('when accelnet is paused mid-run, then no VM is taken down until it is resumed, the VMs already down are finished, and the run then completes', async () => {
    const rg = 'rg-conc-pause';
    const n = sized(12, 8);
    await seed(ctx, rg, [{ name: 'p', count: n }]);
    const id = await bulk(ctx, { resourceGroup: rg, maxParallel: 2 });
    // Wait for the first remediations, then pause.
    await bulkRunUntil(ctx.host, id, (run) => run.vms.some((v) => v.outcome === 'remediated'), {
      timeoutMs: 60_000,
      intervalMs: 20,
    });
    const paused = await call(ctx, 'POST', '/api/pause', { reason: 'change freeze' });
    expect(paused.status).toBe(200);
    // What was past its point of no return finishes (a remediation takes about a second here).
    await sleep(2_500);
    const quiet = await lastSeq(ctx.em);
    const during = await vmsIn(ctx.em, rg);
    await sleep(3_000);
    const whilePaused = (await opsSince(ctx.em, quiet)).filter(
      (o) => o.principal === 'accelnet' && o.operation === DEALLOCATE,
    );
    const mid = (await call(ctx, 'GET', `/api/remediations/${id}`)).json as RunView;
    const resumed = await call(ctx, 'DELETE', '/api/pause');
    expect(resumed.status).toBe(200);
    const run = await runToEnd(ctx.host, id, 60_000);
    const after = await vmsIn(ctx.em, rg);

    expect(whilePaused).toEqual([]);
    expect(during.every((v) => v.powerState === 'running')).toBe(true);
    expect(mid.status).toBe('running');
    const doneWhilePaused = mid.vms.filter((v) => v.outcome === 'remediated').length;
    expect(doneWhilePaused).toBeLessThan(n);
    expect(run.status).toBe('completed');
    expect(run.vms.every((v) => v.outcome === 'remediated')).toBe(true);
    expect(after.every((v) => v.powerState === 'running' && v.deallocations === 1)).toBe(true);
    figures.set('paused mid-run, resumed', `${n} VMs, maxParallel 2`);
    figures.set('  remediated when paused / after resuming', `${doneWhilePaused} / ${n}`);
    figures.set('  deallocations while paused (after in-flight ones ended)', whilePaused.length);
  });

  test('when a request names 5,000 VM ids of the longest valid length, then it is accepted, recorded, answered at once, and completes with a final outcome for each', async () => {
    const rg = `rg-${'x'.repeat(87)}`;
    const ids = Array.from(
      { length: MAX_VM_IDS },
      (_, n) =>
        `/subscriptions/${SUB}/resourceGroups/${rg}/providers/Microsoft.Compute/virtualMachines/${`vm-${n}`.padEnd(64, 'z')}`,
    );
    expect(ids.every((id) => id.length === MAX_VM_ID_LENGTH)).toBe(true);
    const body = { subscriptionId: SUB, vmIds: ids };
    expect(Buffer.byteLength(JSON.stringify(body))).toBeGreaterThan(1024 * 1024);
    const started = Date.now();
    const accepted = await call(ctx, 'POST', '/api/remediations', body);
    expect(accepted.status).toBe(202);
    const { id } = accepted.json as { id: string };
    // Recorded before the 202: the status URL answers at once.
    const first = await call(ctx, 'GET', `/api/remediations/${id}`);
    expect(first.status).toBe(200);
    const run = await runToEnd(ctx.host, id, 150_000);
    expect(run.status).toBe('completed');
    expect(run.vms).toHaveLength(MAX_VM_IDS);
    expect(run.vms.every((v) => v.outcome === 'failed' && v.reason === 'not-found')).toBe(true);
    expect(run.summary).toMatchObject({ total: MAX_VM_IDS, inProgress: 0 });
    figures.set('5,000 VM ids of the longest valid length', `${MAX_VM_ID_LENGTH} characters each`);
    figures.set(
      '  request body / run completed in',
      `${(Buffer.byteLength(JSON.stringify(body)) / 1e6).toFixed(2)} MB / ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
  }, 180_000);

  test('when a VM is deleted before its lane reaches it, then it ends skipped (vm-deleted) and the run has none in progress', async () => {
    const rg = 'rg-conc-gone';
    await seed(ctx, rg, [{ name: 'q', count: 4 }]);
    const id = await bulk(ctx, { resourceGroup: rg, maxParallel: 1 });
    // Planned (all four in the run) and the lane past its first VM: it goes one VM after
    // another, so the last one is still ahead of it. (Deleted while the run still planned, the
    // VM would not be in the run at all.)
    await bulkRunUntil(
      ctx.host,
      id,
      (run) =>
        run.vms.length === 4 &&
        run.vms.some((v) => v.outcome === 'remediated') &&
        run.vms.some((v) => nameOf(v.vmId) === 'q-4' && v.outcome === 'in-progress'),
      { timeoutMs: 60_000 },
    );
    await owner(ctx.em).delete(rg, 'q-4');
    const run = await runToEnd(ctx.host, id, 60_000);
    expect(run.status).toBe('completed');
    expect(run.summary).toMatchObject({ inProgress: 0, pendingApproval: 0 });
    const gone = run.vms.find((v) => nameOf(v.vmId) === 'q-4');
    expect(gone?.outcome === 'skipped' && gone.reason === 'vm-deleted').toBe(true);
    figures.set('VM deleted before its lane reached it', `${gone?.outcome} (${gone?.reason})`);
  });
});

describe('reliability: concurrency (approval mode, event runs)', () => {
  const ctx = useLocalTwin({ ACCELNET_MODE: 'approval', ACCELNET_APPROVAL_TIMEOUT: 'PT10M' });

  const eventRun = (vmId: string, done: (o: string) => boolean) =>
    vmRunUntil(ctx.host, vmId, (run) => done(run.outcome), { timeoutMs: 60_000 });

  test('when owners deallocate or resize a VM while its event run waits for approval, then it is treated as it is now', async () => {
    const rg = 'rg-conc-approval';
    await seed(ctx, rg, [{ name: 'off' }, { name: 'small' }], true);
    const vms = await vmsIn(ctx.em, rg);
    const idOf = (name: string): string => vms.find((v) => v.name === name)?.id ?? '';
    for (const name of ['off', 'small'])
      await eventRun(idOf(name), (o) => o === 'pending-approval');
    const owners = owner(ctx.em);
    await owners.deallocate(rg, 'off');
    await owners.shrink(rg, 'small');
    const pending = (await call(ctx, 'GET', '/api/approvals')).json as {
      pending: { instanceId: string; vmId: string }[];
    };
    for (const p of pending.pending.filter((p) => [idOf('off'), idOf('small')].includes(p.vmId)))
      await approve(ctx, p.instanceId);
    const off = await eventRun(idOf('off'), (o) => !OPEN.has(o));
    const small = await eventRun(idOf('small'), (o) => !OPEN.has(o));
    const after = await vmsIn(ctx.em, rg);
    expect(off).toMatchObject({ outcome: 'remediated', finalPowerState: 'deallocated' });
    expect(after.find((v) => v.name === 'off')?.powerState).toBe('deallocated');
    expect(
      after.find((v) => v.name === 'off')?.nics.every((n) => n.enableAcceleratedNetworking),
    ).toBe(true);
    expect(small).toMatchObject({ outcome: 'skipped', reason: 'size-not-supported' });
    const smallVm = after.find((v) => v.name === 'small');
    expect(smallVm?.powerState).toBe('running');
    expect(smallVm?.deallocations).toBe(0);
    figures.set(
      'event runs in approval mode, owner acts during the wait',
      `deallocated: ${off.outcome}, resized: ${small.outcome} (${small.reason ?? ''})`,
    );
  });
});

describe('reliability: concurrency (approvals at the expiry edge)', () => {
  const ctx = useLocalTwin({ ACCELNET_MODE: 'approval', ACCELNET_APPROVAL_TIMEOUT: 'PT4S' });

  test('when operators decide around the moment an approval expires, then every answer agrees with what the run does: 200 and remediated, or 409/410 and approval-timeout', async () => {
    const rg = 'rg-conc-edge';
    // Milliseconds from each request's expiry at which it is approved.
    const offsets = [-400, -150, -40, -10, 10, 40, 150, 400];
    await seed(
      ctx,
      rg,
      offsets.map((_, n) => ({ name: `edge-${n}` })),
      true,
    );
    const vms = await vmsIn(ctx.em, rg);
    const idOf = (n: number): string => vms.find((v) => v.name === `edge-${n}`)?.id ?? '';
    type Pending = { instanceId: string; vmId: string; expiresAt: string }[];
    const pending = await poll(
      'an approval request for each VM',
      async () => {
        const listed = (await call(ctx, 'GET', '/api/approvals')).json as { pending: Pending };
        return listed.pending.filter((p) => p.vmId.includes('/edge-'));
      },
      (found) => found.length >= offsets.length,
      { intervalMs: 20 },
    );
    const answers = await Promise.all(
      offsets.map(async (offset, n) => {
        const request = pending.find((p) => p.vmId.toLowerCase() === idOf(n).toLowerCase());
        if (!request) throw new Error(`no request for edge-${n}`);
        await sleep(Date.parse(request.expiresAt) + offset - Date.now());
        return call(ctx, 'POST', `/api/approvals/${request.instanceId}`, { decision: 'approve' });
      }),
    );
    let acted = 0;
    let refused = 0;
    for (const [n, offset] of offsets.entries()) {
      const answer = answers[n]!;
      const outcome = await vmRunUntil(ctx.host, idOf(n), (run) => !OPEN.has(run.outcome));
      const seen = { offset, status: answer.status };
      if (answer.status === 200) {
        acted += 1;
        expect({ ...seen, outcome: outcome.outcome }).toEqual({ ...seen, outcome: 'remediated' });
      } else {
        refused += 1;
        expect({ ...seen, ok: [409, 410].includes(answer.status) }).toEqual({ ...seen, ok: true });
        expect({ ...seen, outcome: outcome.outcome, reason: outcome.reason }).toEqual({
          ...seen,
          outcome: 'rejected',
          reason: 'approval-timeout',
        });
      }
    }
    // After the expiry, a decision is never taken.
    expect(answers.slice(-2).map((a) => a.status)).toEqual([410, 410]);
    figures.set('approvals decided around expiry (-400..+400 ms)', offsets.length);
    figures.set('  200 and remediated / 409-410 and approval-timeout', `${acted} / ${refused}`);
  });
});

describe('reliability: concurrency (two CLI commands on one data directory)', () => {
  test('when a second accelnet command starts on a data directory a live one holds, then it is refused (exit 2) and never takes over the first one', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'accelnet-rel-cli-'));
    const first = spawn(
      process.execPath,
      [MAIN, 'start', '--no-demo', '--port', '0', '--data-dir', dir],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, ACCELNET_FUNCTION_KEY: 'concurrency-cli-key' },
      },
    );
    try {
      const exited = new Promise<number | null>((resolve) =>
        first.on('exit', (code) => resolve(code)),
      );
      let out = '';
      await new Promise<void>((resolve, reject) => {
        first.stdout.setEncoding('utf8').on('data', (chunk: string) => {
          out += chunk;
          if (out.includes('Serving until Ctrl-C.')) resolve();
        });
        void exited.then((code) => reject(new Error(`accelnet start exited (${code}): ${out}`)));
      });
      const second = await new Promise<{ code: number | null; stderr: string }>((resolve) =>
        execFile(
          process.execPath,
          [MAIN, 'remediate', '--subscription', SUB, '--dry-run', '--data-dir', dir],
          { timeout: 60_000 },
          (error, _stdout, stderr) =>
            resolve({
              code: error ? (typeof error.code === 'number' ? error.code : null) : 0,
              stderr,
            }),
        ),
      );
      expect(second.code).toBe(2);
      expect(second.stderr).toContain(`is in use by \`accelnet start\` (pid ${first.pid},`);
      expect(first.exitCode).toBeNull();
      figures.set('two CLI commands on one data directory', `second refused, exit ${second.code}`);
      first.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (first.exitCode === null) first.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
