/**
 * Handlers built from fakes of the services they name (functions/handlers.ts): real
 * HttpRequest and InvocationContext objects, a fake durable client and stores, no host.
 */
import { RestError } from '@azure/core-rest-pipeline';
import { type EventGridEvent, HttpRequest, InvocationContext } from '@azure/functions';
import type { DurableClient, DurableOrchestrationStatus } from 'durable-functions';

import { compliance } from '../../functions/compliance';
import type { Services } from '../../functions/composition';
import { pauseRuns } from '../../functions/pause';
import { listRemediations, startRemediation } from '../../functions/remediations';
import { vmWriteEvents } from '../../functions/vmEvents';
import type { ArmPorts } from '../../shared/arm/clients';
import { vmInstanceId } from '../../shared/domain/events';
import type { VmOutcome } from '../../shared/domain/outcomes';
import type { PauseStore, RunRecord, RunStore } from '../../shared/domain/ports';
import { loadSettings } from '../../shared/platform/config';

const SUB = '00000000-0000-0000-0000-000000000001';
const VM = `/subscriptions/${SUB}/resourceGroups/rg-app/providers/Microsoft.Compute/virtualMachines/web-1`;

/** A durable client that knows one instance's status and records what it is asked to start. */
function fakeClient(status?: Partial<DurableOrchestrationStatus>): {
  client: DurableClient;
  started: { name: string; instanceId?: string; input?: unknown }[];
} {
  const started: { name: string; instanceId?: string; input?: unknown }[] = [];
  const client = {
    getStatus: (instanceId: string) =>
      status && instanceId === vmInstanceId({ id: VM })
        ? Promise.resolve(status as DurableOrchestrationStatus)
        : Promise.reject(new Error('Webhook returned unrecognized status code HTTP 404 response')),
    startNew: (name: string, options?: { instanceId?: string; input?: unknown }) => {
      started.push({ name, ...options });
      return Promise.resolve(options?.instanceId ?? 'new');
    },
  } as unknown as DurableClient;
  return { client, started };
}

/**
 * ARM as the Azure SDK answers it: resource groups that exist in subscriptions that exist; an
 * unknown one throws RestError 404 with ARM's code, as @azure/arm-resources does.
 */
function fakeArm(
  known: Record<string, string[]> = { [SUB]: ['rg-app'] },
  failure?: RestError,
): Services['arm'] {
  const notFound = (code: string, message: string): RestError =>
    new RestError(message, { code, statusCode: 404 });
  return (subscriptionId: string) => {
    const groups = known[subscriptionId];
    const subscriptionGone = notFound(
      'SubscriptionNotFound',
      `The subscription '${subscriptionId}' could not be found.`,
    );
    const resources = {
      resourceGroups: {
        get: (name: string) => {
          if (failure) return Promise.reject(failure);
          if (!groups) return Promise.reject(subscriptionGone);
          return groups.includes(name)
            ? Promise.resolve({ name, location: 'westus2' })
            : Promise.reject(
                notFound('ResourceGroupNotFound', `Resource group '${name}' could not be found.`),
              );
        },
        list: () => ({
          next: () =>
            failure
              ? Promise.reject(failure)
              : groups
                ? Promise.resolve({ done: groups.length === 0, value: { name: groups[0] } })
                : Promise.reject(subscriptionGone),
        }),
      },
    };
    return { resources } as unknown as ArmPorts;
  };
}

function writeEvent(eventTime: string, id = 'evt-1'): EventGridEvent {
  return {
    id,
    topic: `/subscriptions/${SUB}`,
    subject: VM,
    eventType: 'Microsoft.Resources.ResourceWriteSuccess',
    eventTime,
    dataVersion: '2',
    metadataVersion: '1',
    data: {
      operationName: 'Microsoft.Compute/virtualMachines/write',
      resourceUri: VM,
      subscriptionId: SUB,
      authorization: { evidence: { principalId: 'vm-owner' } },
    },
  };
}

describe('the Event Grid handler, built from fakes', () => {
  const settings = loadSettings({ ACCELNET_MODE: 'enforce' });
  const handle = (status?: Partial<DurableOrchestrationStatus>) => {
    const fake = fakeClient(status);
    const handler = vmWriteEvents({ settings, durable: () => fake.client });
    return {
      started: fake.started,
      run: (event: EventGridEvent) =>
        handler(event, new InvocationContext({ functionName: 'vmWriteEvents' })),
    };
  };

  test('when no run of the VM exists, then the write starts one under the VM-derived instance id', async () => {
    const h = handle();
    await h.run(writeEvent('2026-12-03T10:00:00Z'));
    expect(h.started).toEqual([
      expect.objectContaining({ name: 'remediateVm', instanceId: vmInstanceId({ id: VM }) }),
    ]);
  });

  test('when the VM run is waiting (it reads the VM again before acting), then the write is collapsed into it', async () => {
    const h = handle({
      runtimeStatus: 'Running' as DurableOrchestrationStatus['runtimeStatus'],
      customStatus: { phase: 'pending-approval' },
      input: { eventId: 'evt-0' },
    });
    await h.run(writeEvent('2026-12-03T10:00:00Z'));
    expect(h.started).toEqual([]);
  });

  test('when the VM run read the VM after the write, then the write is collapsed into it', async () => {
    const h = handle({
      runtimeStatus: 'Running' as DurableOrchestrationStatus['runtimeStatus'],
      customStatus: { phase: 'remediating', readFrom: '2026-12-03T10:00:05Z' },
      input: { eventId: 'evt-0' },
    });
    await h.run(writeEvent('2026-12-03T10:00:00Z'));
    expect(h.started).toEqual([]);
  });

  test('when the VM run read the VM before the write, then the delivery fails (Event Grid delivers it again later) and nothing starts now', async () => {
    const h = handle({
      runtimeStatus: 'Running' as DurableOrchestrationStatus['runtimeStatus'],
      customStatus: { phase: 'remediating', step: 'deallocate', readFrom: '2026-12-03T10:00:00Z' },
      input: { eventId: 'evt-0' },
    });
    await expect(h.run(writeEvent('2026-12-03T10:00:05Z'))).rejects.toMatchObject({
      code: 'WriteDeferred',
      retryable: true,
    });
    expect(h.started).toEqual([]);
  });

  test('when the run started by this very event is still running, then a duplicate delivery is collapsed', async () => {
    const h = handle({
      runtimeStatus: 'Running' as DurableOrchestrationStatus['runtimeStatus'],
      customStatus: { phase: 'remediating', readFrom: '2026-12-03T10:00:00Z' },
      input: { eventId: 'evt-1' },
    });
    await h.run(writeEvent('2026-12-03T10:00:05Z', 'evt-1'));
    expect(h.started).toEqual([]);
  });

  test.each([
    { when: 'before', eventTime: '2026-12-03T10:00:00Z', starts: 0 },
    { when: 'after', eventTime: '2026-12-03T10:00:09Z', starts: 1 },
  ])(
    'when the VM run has ended and the write came $when its last read, then $starts new run starts',
    async ({ eventTime, starts }) => {
      const h = handle({
        runtimeStatus: 'Completed' as DurableOrchestrationStatus['runtimeStatus'],
        output: { factsReadAt: '2026-12-03T10:00:05Z' },
        input: { eventId: 'evt-0' },
        createdTime: new Date('2026-12-03T09:59:00Z'),
      });
      await h.run(writeEvent(eventTime));
      expect(h.started).toHaveLength(starts);
    },
  );
});

describe('the bulk start handler, built from fakes', () => {
  test('when a valid request comes, then the run is recorded before it is started, and 202 names its status URL', async () => {
    const order: string[] = [];
    const records: RunRecord[] = [];
    const runs = {
      putRun: (run: RunRecord) => {
        order.push('recorded');
        records.push(run);
        return Promise.resolve();
      },
    } as unknown as RunStore;
    const fake = fakeClient();
    const client = {
      ...fake.client,
      startNew: (name: string, options?: { instanceId?: string }) => {
        order.push('started');
        return fake.client.startNew(name, options);
      },
    } as unknown as DurableClient;
    const handler = startRemediation({
      settings: loadSettings({}),
      arm: fakeArm(),
      runs: runs as Services['runs'],
      durable: () => client,
    });
    const response = await handler(
      new HttpRequest({
        method: 'POST',
        url: 'https://app.example/api/remediations',
        body: { string: JSON.stringify({ subscriptionId: SUB, resourceGroup: 'rg-app' }) },
      }),
      new InvocationContext({ functionName: 'startRemediation' }),
    );
    expect(response.status).toBe(202);
    const body = response.jsonBody as { id: string; statusUrl: string };
    expect(body.statusUrl).toBe(`https://app.example/api/remediations/${body.id}`);
    expect(order).toEqual(['recorded', 'started']);
    expect(records[0]).toMatchObject({ id: body.id, status: 'running' });
  });
});

const OTHER_SUB = '00000000-0000-0000-0000-0000000000ff';

/** A run store in memory: the runs and their VM results. */
function memoryRuns(runs: RunRecord[] = [], results: Record<string, VmOutcome[]> = {}) {
  const recorded: RunRecord[] = [];
  const store = {
    putRun: (run: RunRecord) => {
      recorded.push(run);
      return Promise.resolve();
    },
    listRuns: () =>
      Promise.resolve([...runs].sort((a, b) => b.createdAt.localeCompare(a.createdAt))),
    listVmResults: (id: string) => Promise.resolve(results[id] ?? []),
  };
  return { recorded, runs: store as unknown as Services['runs'] };
}

const post = (
  body: string,
  headers: Record<string, string> = {},
  url = 'https://app.example/api/remediations',
) => new HttpRequest({ method: 'POST', url, body: { string: body }, headers });
const ctx = (name: string) =>
  new InvocationContext({ functionName: name, logHandler: () => undefined });

describe('scope checks before anything starts, against a fake ARM port', () => {
  const start = (arm: Services['arm']) => {
    const runs = memoryRuns();
    const fake = fakeClient();
    const handler = startRemediation({
      settings: loadSettings({}),
      arm,
      runs: runs.runs,
      durable: () => fake.client,
    });
    return { handler, recorded: runs.recorded, started: fake.started };
  };

  test.each([
    {
      when: 'the resource group does not exist',
      body: { subscriptionId: SUB, resourceGroup: 'rg-nope' },
      code: 'ResourceGroupNotFound',
      says: /resource group 'rg-nope' of subscription .* ARM answered 404 ResourceGroupNotFound/,
    },
    {
      when: 'the subscription does not exist',
      body: { subscriptionId: OTHER_SUB },
      code: 'SubscriptionNotFound',
      says: /No subscription [0-]+ff: ARM answered 404 SubscriptionNotFound: The subscription '[0-]+ff' could not be found/,
    },
    {
      when: 'the subscription of a named group does not exist',
      body: { subscriptionId: OTHER_SUB, resourceGroup: 'rg-app' },
      code: 'SubscriptionNotFound',
      says: /SubscriptionNotFound/,
    },
  ])(
    "when $when, then a bulk request gets 404 with ARM's code at once, and nothing is recorded or started",
    async ({ body, code, says }) => {
      const h = start(fakeArm());
      const response = await h.handler(post(JSON.stringify(body)), ctx('startRemediation'));
      expect(response.status).toBe(404);
      const error = (response.jsonBody as { error: { code: string; message: string } }).error;
      expect(error.code).toBe(code);
      expect(error.message).toMatch(says);
      expect(h.recorded).toEqual([]);
      expect(h.started).toEqual([]);
    },
  );

  test("when ARM refuses accelnet's identity on the scope, then the request gets 403 with ARM's code, and nothing starts", async () => {
    const denied = new RestError('The client does not have authorization to perform action.', {
      code: 'AuthorizationFailed',
      statusCode: 403,
    });
    const h = start(fakeArm(undefined, denied));
    const response = await h.handler(
      post(JSON.stringify({ subscriptionId: SUB, resourceGroup: 'rg-app' })),
      ctx('startRemediation'),
    );
    expect(response.status).toBe(403);
    expect(response.jsonBody).toMatchObject({ error: { code: 'AuthorizationFailed' } });
    expect(h.started).toEqual([]);
  });

  test('when ARM cannot answer the check (503), then that is no verdict: the run is accepted and its own reads retry', async () => {
    const busy = new RestError('Service unavailable', {
      code: 'ServiceUnavailable',
      statusCode: 503,
    });
    const h = start(fakeArm(undefined, busy));
    const response = await h.handler(
      post(JSON.stringify({ subscriptionId: SUB, resourceGroup: 'rg-app' })),
      ctx('startRemediation'),
    );
    expect(response.status).toBe(202);
    expect(h.started).toHaveLength(1);
  });

  test.each([
    { query: `subscriptionId=${OTHER_SUB}`, code: 'SubscriptionNotFound' },
    { query: `subscriptionId=${SUB}&resourceGroup=rg-nope`, code: 'ResourceGroupNotFound' },
  ])(
    "when the compliance report is asked for an unknown scope ($code), then it answers 404 with ARM's code, not an empty list",
    async ({ query, code }) => {
      const handler = compliance({
        arm: fakeArm(),
        rules: {
          exemptTag: 'accelnet-exempt',
          allowUnknownOs: false,
          allowDynamicPublicIp: false,
          allowAvailabilitySets: false,
        },
      });
      const response = await handler(
        new HttpRequest({ method: 'GET', url: `https://app.example/api/compliance?${query}` }),
      );
      expect(response.status).toBe(404);
      expect(response.jsonBody).toMatchObject({ error: { code } });
    },
  );
});

describe('JSON bodies sent without their content type', () => {
  const start = () => {
    const fake = fakeClient();
    return {
      fake,
      handler: startRemediation({
        settings: loadSettings({}),
        arm: fakeArm(),
        runs: memoryRuns().runs,
        durable: () => fake.client,
      }),
    };
  };
  const body = JSON.stringify({ subscriptionId: SUB, resourceGroup: 'rg-app', dryRun: true });

  test.each<{ sent: string; headers: Record<string, string> }>([
    {
      sent: 'as curl -d sends it (application/x-www-form-urlencoded)',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    },
    { sent: 'with no content type', headers: {} },
    { sent: 'as text/plain', headers: { 'content-type': 'text/plain' } },
  ])(
    'when a bulk request is sent $sent, then it is read as the JSON it is and accepted',
    async ({ headers }) => {
      const h = start();
      const response = await h.handler(post(body, headers), ctx('startRemediation'));
      expect(response.status).toBe(202);
      expect(h.fake.started).toHaveLength(1);
    },
  );

  test('when a body that is not JSON comes without a JSON content type, then the 400 says what was sent and what to send', async () => {
    const h = start();
    const response = await h.handler(
      post('{"subscriptionId": oops}', { 'content-type': 'application/x-www-form-urlencoded' }),
      ctx('startRemediation'),
    );
    expect(response.status).toBe(400);
    const { message } = (response.jsonBody as { error: { message: string } }).error;
    expect(message).toMatch(
      /not valid JSON \(it was sent as application\/x-www-form-urlencoded, so it was read as JSON\)/,
    );
    expect(message).toContain('content type application/json');
  });

  test('when a form is posted to a JSON route, then the 400 says the route takes JSON', async () => {
    const h = start();
    const response = await h.handler(
      post('subscriptionId=x', { 'content-type': 'application/x-www-form-urlencoded' }),
      ctx('startRemediation'),
    );
    expect(response.status).toBe(400);
    expect(JSON.stringify(response.jsonBody)).toContain('takes a JSON object');
  });

  test('when a pause request comes as curl -d sends it, then it is read as JSON', async () => {
    const calls: [string | undefined, string][] = [];
    const pause = {
      pause: (reason: string | undefined, by: string) => {
        calls.push([reason, by]);
        return Promise.resolve({
          paused: true,
          since: '2026-01-01T00:00:00.000Z',
          by,
          ...(reason ? { reason } : {}),
        });
      },
    } as unknown as PauseStore;
    const handler = pauseRuns({ pause });
    const response = await handler(
      post(
        JSON.stringify({ reason: 'failover' }),
        { 'content-type': 'application/x-www-form-urlencoded' },
        'https://app.example/api/pause',
      ),
      ctx('pauseRuns'),
    );
    expect(response.status).toBe(200);
    expect(calls).toEqual([['failover', 'operator']]);
  });
});

describe('the run list', () => {
  const run = (
    n: number,
    status: RunRecord['status'],
    extra: Partial<RunRecord> = {},
  ): RunRecord => ({
    id: `bulk-0000000${n}-0000-0000-0000-000000000000`,
    status,
    createdAt: `2026-01-0${n}T00:00:00.000Z`,
    updatedAt: `2026-01-0${n}T00:10:00.000Z`,
    request: { subscriptionId: SUB },
    ...extra,
  });
  const result = (outcome: VmOutcome['outcome']): VmOutcome => ({
    vmId: VM,
    outcome,
    reasons: [],
    originalPowerState: 'running',
    finalPowerState: 'running',
    steps: [],
  });
  const list = (
    query: string,
    instances: Record<string, Partial<DurableOrchestrationStatus>> = {},
  ) => {
    const stored = memoryRuns(
      [
        run(1, 'completed'),
        run(3, 'failed', { error: 'planning failed: boom' }),
        run(2, 'running'),
        run(4, 'running'),
      ],
      { [run(1, 'completed').id]: [result('remediated'), result('skipped')] },
    );
    const client = {
      getStatus: (id: string) =>
        instances[id]
          ? Promise.resolve(instances[id] as DurableOrchestrationStatus)
          : Promise.reject(
              new Error('Webhook returned unrecognized status code HTTP 404 response'),
            ),
    } as unknown as DurableClient;
    return listRemediations({ runs: stored.runs, durable: () => client })(
      new HttpRequest({ method: 'GET', url: `https://app.example/api/remediations${query}` }),
      ctx('listRemediations'),
    );
  };

  test('when runs are listed, then they come newest first, with status, counts, and the error of a failed one (recorded, or of an orchestration that died)', async () => {
    const response = await list('?top=3&code=k3y', {
      [run(4, 'running').id]: {
        runtimeStatus: 'Failed' as DurableOrchestrationStatus['runtimeStatus'],
        output: 'Orchestrator function failed: out of memory',
      },
    });
    expect(response.status).toBe(200);
    const { runs } = response.jsonBody as {
      runs: {
        id: string;
        status: string;
        summary: { total: number; remediated: number };
        error?: string;
      }[];
    };
    expect(runs.map((r) => [r.id.slice(0, 14), r.status])).toEqual([
      ['bulk-00000004-', 'failed'],
      ['bulk-00000003-', 'failed'],
      ['bulk-00000002-', 'running'],
    ]);
    expect(runs[0]?.error).toBe('the run failed: Orchestrator function failed: out of memory');
    expect(runs[1]?.error).toBe('planning failed: boom');
    expect(runs[2]).not.toHaveProperty('error');
    const all = (await list('')).jsonBody as {
      runs: { summary: { total: number; remediated: number } }[];
    };
    expect(all.runs).toHaveLength(4);
    expect(all.runs[3]?.summary).toMatchObject({ total: 2, remediated: 1, skipped: 1 });
  });

  test.each([
    ['?top=0', 'top: must be at least 1'],
    ['?top=101', 'top: must be at most 100'],
    ['?top=ten', 'top: must be a whole number'],
    ['?top=2&top=3', 'top: must be given once'],
    ['?status=failed', 'unknown query parameter(s): status'],
  ])('when the query is %s, then it is refused with 400 naming it', async (query, message) => {
    const response = await list(query);
    expect(response.status).toBe(400);
    expect(response.jsonBody).toEqual({ error: { code: 'InvalidRequest', message } });
  });
});
