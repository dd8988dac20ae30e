/**
 * Part 4, bad input: malformed events, the wrong schema, bodies over their limits (1 MB for an
 * Event Grid delivery, the schema's own for a bulk request), hostile resource ids and invalid JSON to the Event Grid webhook and the /api routes, and bad CLI arguments.
 * Each gets a clear refusal (4xx with {"error":{"code","message"}}, or exit status 2 with one
 * line naming the argument), nothing starts (no new orchestration instance, no ARM write),
 * and the host keeps serving.
 */
import { spawnSync } from 'node:child_process';
import http from 'node:http';

import { HttpRequest, InvocationContext } from '@azure/functions';

import { startRemediation } from '../../functions/remediations';
import { MAX_BULK_BODY_BYTES } from '../../shared/http/requests';
import { SUB, vmId } from '../support/arm';
import { eventWebhook, vmWriteEvent } from '../support/events';
import { ensureBuilt, MAIN } from '../support/hostProcess';
import { type Answer, api, readAll } from '../support/http';
import { sleep } from '../support/poll';
import { runToEnd, startBulk, vmRunUntil } from '../support/runs';
import { seedGroup } from '../support/seed';
import { useLocalTwin } from '../support/twin';
import { lastSeq, opsSince } from '../support/views';
import { PartFigures } from './support/figures';

const RG = 'rg-bad';
const OTHER_SUB = '00000000-0000-0000-0000-000000000002';
const VM = vmId(RG, 'target');
const NIC = `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.Network/networkInterfaces/target-nic`;
const MB = 1024 * 1024;

/** A well-formed ResourceWriteSuccess event for `resource`, in the Event Grid schema. */
function writeEvent(
  resource: string,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  const id = `evt-${Math.random().toString(16).slice(2)}`;
  return { ...vmWriteEvent(resource, { id, rg: RG, principal: 'someone' }), ...extra };
}

/** Sends `size` bytes without a content-length (chunked), to test the actual-size limit. */
function chunked(url: string, size: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: 'POST', agent: false, headers: { 'content-type': 'application/json' } },
      (res) => {
        void readAll(res).then(
          (raw) => resolve({ status: res.statusCode ?? 0, body: raw.toString('utf8') }),
          reject,
        );
      },
    );
    req.on('error', reject);
    const piece = Buffer.alloc(64 * 1024, 0x20);
    req.write('{"subscriptionId":"');
    let sent = 0;
    const pump = (): void => {
      while (sent < size) {
        sent += piece.length;
        if (!req.write(piece)) {
          req.once('drain', pump);
          return;
        }
      }
      req.end('"}');
    };
    pump();
  });
}

describe('reliability: bad input', () => {
  const figures = new PartFigures('4-bad-input', 'Part 4: bad input');
  const local = useLocalTwin({ ACCELNET_MODE: 'enforce' });
  /** A delivery to the app's Event Grid webhook. */
  const deliver = (options: { body?: unknown; raw?: string }): Promise<Answer> =>
    api(local.host, 'POST', eventWebhook(), {
      ...options,
      headers: { 'aeg-event-type': 'Notification' },
    });

  beforeAll(async () => {
    ensureBuilt();
    await seedGroup(local.em, RG, [{ name: 'target' }], { events: false });
  }, 60_000);

  afterAll(() => figures.report());

  /** Runs `send` and checks that it started no orchestration and made no ARM write. */
  async function startsNothing(send: () => Promise<Answer | { status: number; body: string }>) {
    const instances = local.twin.host.taskHub.list().length;
    const since = await lastSeq(local.em);
    const answer = await send();
    await sleep(100);
    const writes = (await opsSince(local.em, since)).filter((o) => o.method !== 'GET');
    expect({ instances: local.twin.host.taskHub.list().length, writes }).toEqual({
      instances,
      writes: [],
    });
    return answer;
  }

  /** A refusal: the status, and the error body naming a code and a message. */
  function expectRefusal(answer: { status: number; body: string }, status: number): void {
    expect(answer.status).toBe(status);
    const body = JSON.parse(answer.body) as { error?: { code?: unknown; message?: unknown } };
    expect(typeof body.error?.code).toBe('string');
    expect(typeof body.error?.message).toBe('string');
    figures.add(`refused ${status}`);
  }

  describe('when the Event Grid webhook gets bad deliveries', () => {
    test.each<[string, string | undefined, unknown]>([
      ['invalid JSON', '[{"id": "x", ', undefined],
      ['a JSON string', undefined, 'hello'],
      ['a batch holding a number', undefined, [writeEvent(VM), 42]],
      ['an event without id, type or data', undefined, [{ hello: 'world' }]],
      [
        'an Event Grid event without eventType',
        undefined,
        [{ ...writeEvent(VM), eventType: undefined }],
      ],
      ['a CloudEvent without source', undefined, [{ id: '1', type: 'x', specversion: '1.0' }]],
      ['an event with a non-string id', undefined, [writeEvent(VM, { id: 7 })]],
    ])(
      'when it is %s, then 400 with an error body and nothing starts',
      async (_what, raw, body) => {
        const answer = await startsNothing(() => deliver(raw !== undefined ? { raw } : { body }));
        expectRefusal(answer, 400);
      },
    );

    test('when the delivery is over 1 MB, then 413 and nothing starts', async () => {
      const big = [writeEvent(VM, { padding: 'x'.repeat(MB) })];
      const answer = await startsNothing(() => deliver({ body: big }));
      expectRefusal(answer, 413);
    });

    test.each<[string, string, Record<string, unknown>?]>([
      [
        'a resource id with ..%2F',
        `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.Compute/virtualMachines/..%2F..%2Fx`,
      ],
      [
        'a resource id that walks up with ../',
        `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.Compute/virtualMachines/target/../../../networkInterfaces/target-nic`,
      ],
      ['a NIC named as a VM write', NIC],
      ['a child resource of the VM', `${VM}/extensions/CustomScript`],
      ['a subscription that does not match data.subscriptionId', vmId(RG, 'target', OTHER_SUB)],
      ['a resource id with a NUL byte', `${VM}\u0000`],
      ['a VM write whose data is not an object', VM, { data: 'x' }],
      ['a VM write without data.operationName', VM, { data: { resourceUri: VM } }],
      [
        'a VM write by accelnet itself',
        VM,
        {
          data: {
            operationName: 'Microsoft.Compute/virtualMachines/write',
            resourceUri: VM,
            authorization: { evidence: { principalId: 'accelnet' } },
          },
        },
      ],
    ])(
      'when a well-formed event names %s, then it is acknowledged (202, so Event Grid does not retry), dropped, and nothing starts',
      // A rest parameter: jest takes a third declared parameter for `done` on two-element rows.
      async (...[, resource, extra]: [string, string, Record<string, unknown>?]) => {
        const answer = await startsNothing(() => deliver({ body: [writeEvent(resource, extra)] }));
        expect(answer.status).toBe(202);
        figures.add('hostile events dropped (202)');
      },
    );
  });

  describe('when POST /api/remediations gets a bad body', () => {
    test.each<[string, string]>([
      ['invalid JSON', '{"subscriptionId": '],
      ['an empty body', ''],
      ['a JSON array', JSON.stringify([SUB])],
      ['the wrong schema (an Event Grid event)', JSON.stringify(writeEvent(VM))],
      ['a VM id with ..%2F', JSON.stringify({ subscriptionId: SUB, vmIds: [`${VM}..%2F..%2Fx`] })],
      [
        'a VM id that walks up with ../',
        JSON.stringify({
          subscriptionId: SUB,
          vmIds: [`${VM}/../../../networkInterfaces/target-nic`],
        }),
      ],
      [
        'a VM of another subscription',
        JSON.stringify({ subscriptionId: SUB, vmIds: [vmId(RG, 'target', OTHER_SUB)] }),
      ],
      ['a NIC id as a VM id', JSON.stringify({ subscriptionId: SUB, vmIds: [NIC] })],
      [
        'a resource group with ../',
        JSON.stringify({ subscriptionId: SUB, resourceGroup: '../rg' }),
      ],
      ['a __proto__ key', '{"subscriptionId":"' + SUB + '","__proto__":{"dryRun":false}}'],
      ['maxParallel "abc"', JSON.stringify({ subscriptionId: SUB, maxParallel: 'abc' })],
    ])('when it is %s, then 400 with an error body and nothing starts', async (_what, raw) => {
      const answer = await startsNothing(() =>
        api(local.host, 'POST', '/api/remediations', { raw }),
      );
      expectRefusal(answer, 400);
    });

    // Over the most a valid request can be (MAX_BULK_BODY_BYTES, derived from the schema).
    const overLimit = JSON.stringify({
      subscriptionId: SUB,
      padding: 'x'.repeat(MAX_BULK_BODY_BYTES),
    });

    test('when the body is over the limit by its content-length, then 413 and nothing starts', async () => {
      const raw = overLimit;
      const answer = await startsNothing(() =>
        api(local.host, 'POST', '/api/remediations', { raw }),
      );
      expectRefusal(answer, 413);
    });

    test('when the body is over the limit sent chunked, without a content-length, then 413 and nothing starts', async () => {
      const answer = await startsNothing(() =>
        chunked(
          `${local.twin.host.url}/api/remediations?code=${encodeURIComponent(local.twin.functionKey)}`,
          MAX_BULK_BODY_BYTES + MB,
        ),
      );
      expectRefusal(answer, 413);
    });

    test('when the function itself (as Azure runs it, up to 100 MB) gets a body over the limit, then it answers 413 by content-length and by actual size', async () => {
      const big = overLimit;
      const context = new InvocationContext({ functionName: 'startRemediation' });
      // Built with no services at all: the body is refused before any is used.
      const handler = startRemediation({} as Parameters<typeof startRemediation>[0]);
      const declared = await handler(
        new HttpRequest({
          method: 'POST',
          url: 'http://localhost/api/remediations',
          headers: { 'content-length': String(Buffer.byteLength(big)) },
          body: { string: big },
        }),
        context,
      );
      const undeclared = await handler(
        new HttpRequest({
          method: 'POST',
          url: 'http://localhost/api/remediations',
          body: { string: big },
        }),
        context,
      );
      for (const response of [declared, undeclared]) {
        expect(response.status).toBe(413);
        expect(response.jsonBody).toEqual({
          error: { code: 'PayloadTooLarge', message: expect.any(String) as string },
        });
      }
    });
  });

  describe('when GET /api/vms/{id}/remediation gets a hostile id', () => {
    test.each<[string, string]>([
      ['..%2F traversal', '..%2F..%2F..%2Fadmin'],
      ['a double-encoded traversal', encodeURIComponent(encodeURIComponent('../../admin'))],
      ['a NIC id', encodeURIComponent(NIC)],
      ['a child resource', encodeURIComponent(`${VM}/extensions/x`)],
      ['broken percent-encoding', '%E0%A4%A'],
      ['a 5000-character id', encodeURIComponent(`${VM}${'a'.repeat(5000)}`)],
    ])('when it is %s, then 400 with an error body and nothing starts', async (_what, id) => {
      const answer = await startsNothing(() =>
        api(local.host, 'GET', `/api/vms/${id}/remediation`),
      );
      expectRefusal(answer, 400);
    });

    test('when the VM is in another subscription, then 404 and nothing starts', async () => {
      const answer = await startsNothing(() =>
        api(
          local.host,
          'GET',
          `/api/vms/${encodeURIComponent(vmId(RG, 'target', OTHER_SUB))}/remediation`,
        ),
      );
      expectRefusal(answer, 404);
    });
  });

  describe('when GET /api/compliance gets bad parameters', () => {
    test.each<[string, string]>([
      ['no subscriptionId', ''],
      ['a subscriptionId that is no GUID', '?subscriptionId=..%2F..%2Fx'],
      ['a resource group with ../', `?subscriptionId=${SUB}&resourceGroup=..%2Fother`],
      ['a resource group with a NUL byte', `?subscriptionId=${SUB}&resourceGroup=rg%00`],
      [
        'a resource group of 300 characters',
        `?subscriptionId=${SUB}&resourceGroup=${'r'.repeat(300)}`,
      ],
    ])('when it has %s, then 400 with an error body and nothing starts', async (_what, query) => {
      const answer = await startsNothing(() => api(local.host, 'GET', `/api/compliance${query}`));
      expectRefusal(answer, 400);
    });
  });

  describe('when the CLI gets bad arguments', () => {
    /** `command --subscription SUB flag value`, named by what it adds, refused naming `flag`. */
    const badFlag = (command: string, flag: string, value: string): [string, string[], string] => [
      `${command} ${flag} ${value}`,
      [command, '--subscription', SUB, flag, value],
      flag,
    ];
    test.each<[string, string[], string]>([
      badFlag('remediate', '--max-parallel', 'abc'),
      badFlag('remediate', '--max-parallel', '0'),
      ['remediate --subscription ../x', ['remediate', '--subscription', '../x'], '--subscription'],
      ['remediate without --subscription', ['remediate'], '--subscription'],
      [
        'remediate --vm with ..%2F',
        ['remediate', '--subscription', SUB, '--vm', `${VM}..%2F..%2Fx`],
        '--vm',
      ],
      ['remediate --vm of a NIC', ['remediate', '--subscription', SUB, '--vm', NIC], '--vm'],
      badFlag('remediate', '--approval', 'maybe'),
      badFlag('remediate', '--resource-group', '../rg'),
      badFlag('scan', '--output', 'xml'),
      ['scan --frobnicate', ['scan', '--subscription', SUB, '--frobnicate'], '--frobnicate'],
      ['start --port abc', ['start', '--port', 'abc'], '--port'],
      ['emulator --time-scale -1', ['emulator', '--time-scale', '-1'], '--time-scale'],
      ['an unknown command', ['remedy'], 'remedy'],
    ])(
      'when it is %s, then exit status 2 with one line naming the argument and no ARM call',
      async (_what, args, named) => {
        const since = await lastSeq(local.em);
        const withEndpoint = ['remediate', 'scan'].includes(args[0] ?? '')
          ? [...args, '--arm-endpoint', local.em.url]
          : args;
        const result = spawnSync(process.execPath, [MAIN, ...withEndpoint], {
          encoding: 'utf8',
          timeout: 30_000,
          env: { ...process.env, ACCELNET_ARM_ENDPOINT: '' },
        });
        expect(result.status).toBe(2);
        const lines = result.stderr.trim().split('\n');
        expect(lines).toHaveLength(1);
        expect(lines[0]).toContain(named);
        expect(await opsSince(local.em, since)).toEqual([]);
        figures.add('CLI refusals (exit 2)');
      },
    );
  });

  test('when all that bad input has been sent, then the host still serves: the compliance report answers, a dry run plans and a valid event remediates', async () => {
    const report = await api(
      local.host,
      'GET',
      `/api/compliance?subscriptionId=${SUB}&resourceGroup=${RG}`,
    );
    expect(report.status).toBe(200);
    const started = await startBulk(local.host, {
      subscriptionId: SUB,
      resourceGroup: RG,
      dryRun: true,
    });
    const dryRun = await runToEnd(local.host, started.id, 30_000);
    expect(dryRun.summary).toMatchObject({ total: 1, planned: 1 });
    const event = await deliver({ body: [writeEvent(VM)] });
    expect(event.status).toBe(202);
    const { outcome } = await vmRunUntil(local.host, VM, (r) => r.outcome !== 'in-progress', {
      intervalMs: 100,
    });
    expect(outcome).toBe('remediated');
    figures.set('host serving afterwards', 'yes');
  });
});
