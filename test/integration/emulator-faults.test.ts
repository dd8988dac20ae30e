/**
 * Fault injection in the emulator: each kind (http, reset, lro-failed, delay) appears as
 * configured through PUT /_emulator/faults, DELETE clears them, a bad spec is refused naming
 * its field, and the operation log records every faulted request.
 */
import type { ArmEmulator, OperationLogEntry } from '../../emulator/server';
import { admin, armClients, armRequest, emulatorForTest, FAST, SUB } from '../support/arm';

/** A raw request on a fresh connection (a reset must not poison a pooled socket). */
const raw = (em: ArmEmulator, method: string, path: string) =>
  armRequest(em, method, path, { principal: 'faulty', fresh: true });

const RG = 'rg-faults';
const VM_PATH = `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.Compute/virtualMachines/web`;
const GET_VM = 'Microsoft.Compute/virtualMachines/read';
const START_VM = 'Microsoft.Compute/virtualMachines/start/action';

async function setFaults(em: ArmEmulator, faults: unknown[]): Promise<void> {
  const reply = await admin(em, 'PUT', '/_emulator/faults', faults);
  expect(reply.status).toBe(200);
}

async function operations(em: ArmEmulator): Promise<OperationLogEntry[]> {
  return (await admin<{ operations: OperationLogEntry[] }>(em, 'GET', '/_emulator/operations')).body
    .operations;
}

interface VmView {
  name: string;
  powerState: string;
  provisioningState: string;
}

async function vmView(em: ArmEmulator, name: string): Promise<VmView | undefined> {
  const { body } = await admin<{ vms: VmView[] }>(em, 'GET', '/_emulator/vms');
  return body.vms.find((vm) => vm.name === name);
}

/** Seeds one VM, `web`, in rg-faults. */
async function seed(
  em: ArmEmulator,
  powerState: 'running' | 'deallocated' = 'running',
): Promise<void> {
  const reply = await admin(em, 'POST', '/_emulator/seed', {
    subscriptionId: SUB,
    location: 'westus2',
    resourceGroups: [
      {
        name: RG,
        vms: [
          {
            name: 'web',
            size: 'Standard_D2s_v5',
            powerState,
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
  expect(reply.status).toBe(201);
}

describe('emulator faults', () => {
  let em: ArmEmulator;

  beforeEach(async () => {
    em = await emulatorForTest();
    await seed(em);
  });

  afterEach(async () => {
    await em.stop();
  });

  it('when an http 500 fault matches GET VM with probability 1, then a raw GET sees 500 with the code, other requests pass, and DELETE clears it', async () => {
    await setFaults(em, [
      {
        match: { method: 'GET', operation: GET_VM },
        probability: 1,
        kind: 'http',
        status: 500,
        code: 'InternalExecutionError',
      },
    ]);

    const faulted = await raw(em, 'GET', VM_PATH);
    const group = await raw(em, 'GET', `/subscriptions/${SUB}/resourceGroups/${RG}`);

    expect(faulted.status).toBe(500);
    expect(faulted.body).toEqual({
      error: { code: 'InternalExecutionError', message: expect.any(String), details: [] },
    });
    expect(group.status).toBe(200);
    expect((await admin(em, 'DELETE', '/_emulator/faults')).status).toBe(200);
    expect((await raw(em, 'GET', VM_PATH)).status).toBe(200);
    const log = (await operations(em)).filter((op) => op.path === VM_PATH);
    expect(log.map((op) => [op.status, op.code])).toEqual([
      [500, 'InternalExecutionError'],
      [200, undefined],
    ]);
  });

  it('when a 500 fault fires only twice, then the SDK retry policy gets the VM on the third try', async () => {
    await setFaults(em, [
      {
        match: { method: 'GET', pathPattern: '/virtualMachines/web$' },
        probability: 1,
        kind: 'http',
        status: 500,
        code: 'InternalExecutionError',
        times: 2,
      },
    ]);
    const { compute } = armClients(em);

    const vm = await compute.virtualMachines.get(RG, 'web');

    expect(vm.name).toBe('web');
    const log = (await operations(em)).filter((op) => op.operation === GET_VM);
    expect(log.map((op) => [op.status, op.code])).toEqual([
      [500, 'InternalExecutionError'],
      [500, 'InternalExecutionError'],
      [200, undefined],
    ]);
  });

  it('when a reset fault matches, then the socket is destroyed and the client sees a connection reset', async () => {
    await setFaults(em, [
      { match: { pathPattern: '/virtualMachines/web$' }, probability: 1, kind: 'reset' },
    ]);

    const error = await raw(em, 'GET', VM_PATH).then(
      () => undefined,
      (e: unknown) => e as NodeJS.ErrnoException,
    );

    expect(error).toBeDefined();
    expect(error?.code === 'ECONNRESET' || /socket hang up/.test(error?.message ?? '')).toBe(true);
    const [entry] = (await operations(em)).filter((op) => op.path === VM_PATH);
    expect(entry).toMatchObject({ method: 'GET', status: 0, code: 'ConnectionReset' });
  });

  it('when an lro-failed AllocationFailed fault matches start, then the SDK start poller rejects with the code, the VM stays deallocated and Failed, and a second start works', async () => {
    await em.stop();
    em = await emulatorForTest();
    await seed(em, 'deallocated');
    await setFaults(em, [
      {
        match: { operation: START_VM },
        probability: 1,
        kind: 'lro-failed',
        code: 'AllocationFailed',
      },
    ]);
    const { compute } = armClients(em);

    const error = await compute.virtualMachines.start(RG, 'web', FAST).then(
      () => undefined,
      (e: unknown) => e as Error,
    );

    // core-lro rejects with a plain Error that carries the operation's error code and message.
    expect(error?.message).toMatch(/failed\. AllocationFailed\. Injected fault/);
    expect(await vmView(em, 'web')).toMatchObject({
      powerState: 'deallocated',
      provisioningState: 'Failed',
    });
    const [post] = (await operations(em)).filter((op) => op.operation === START_VM);
    expect(post).toMatchObject({ method: 'POST', status: 202, code: 'AllocationFailed' });

    await admin(em, 'DELETE', '/_emulator/faults');
    await compute.virtualMachines.start(RG, 'web', FAST);

    expect(await vmView(em, 'web')).toMatchObject({
      powerState: 'running',
      provisioningState: 'Succeeded',
    });
    const view = await compute.virtualMachines.instanceView(RG, 'web');
    expect(view.statuses?.map((s) => s.code)).toEqual([
      'ProvisioningState/succeeded',
      'PowerState/running',
    ]);
  });

  it('when a 300 ms delay fault matches, then the request takes at least 300 ms and still succeeds', async () => {
    await setFaults(em, [
      { match: { method: 'GET', operation: GET_VM }, probability: 1, kind: 'delay', delayMs: 300 },
    ]);

    const started = performance.now();
    const reply = await raw(em, 'GET', VM_PATH);
    const elapsed = performance.now() - started;

    expect(reply.status).toBe(200);
    expect(elapsed).toBeGreaterThanOrEqual(300);
    const quick = performance.now();
    await raw(em, 'GET', `/subscriptions/${SUB}/resourceGroups/${RG}`);
    expect(performance.now() - quick).toBeLessThan(300);
    const [entry] = (await operations(em)).filter((op) => op.path === VM_PATH);
    expect(entry).toMatchObject({ status: 200 });
    expect(entry?.code).toBeUndefined();
  });

  it('when a fault spec is invalid, then PUT /_emulator/faults answers 400 naming the field and keeps the faults it had', async () => {
    const kept = { match: { method: 'GET' }, probability: 0, kind: 'delay', delayMs: 1 };
    await setFaults(em, [kept]);
    const cases: [unknown[], string][] = [
      [[{ probability: 1.5, kind: 'http' }], '0.probability'],
      [[kept, { probability: 1, kind: 'explode' }], '1.kind'],
      [[{ probability: 1, kind: 'http', status: 200 }], '0.status'],
      [[{ match: { pathPattern: '(' }, probability: 1, kind: 'reset' }], '0.match.pathPattern'],
      [[{ match: { verb: 'GET' }, probability: 1, kind: 'reset' }], '0.match'],
    ];

    for (const [faults, field] of cases) {
      const reply = await admin<{ error: { code: string; message: string } }>(
        em,
        'PUT',
        '/_emulator/faults',
        faults,
      );
      expect(reply.status).toBe(400);
      expect(reply.body.error.code).toBe('InvalidFaults');
      expect(reply.body.error.message).toContain(field);
    }
    const { body } = await admin<{ faults: unknown[] }>(em, 'GET', '/_emulator/faults');
    expect(body.faults).toEqual([expect.objectContaining(kept)]);
  });
});
