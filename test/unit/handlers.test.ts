/**
 * Handlers built from fakes of the services they name (functions/handlers.ts): real
 * HttpRequest and InvocationContext objects, a fake durable client and stores, no host.
 */
import { type EventGridEvent, HttpRequest, InvocationContext } from '@azure/functions';
import type { DurableClient, DurableOrchestrationStatus } from 'durable-functions';

import type { Services } from '../../functions/composition';
import { startRemediation } from '../../functions/remediations';
import { vmWriteEvents } from '../../functions/vmEvents';
import { vmInstanceId } from '../../shared/domain/events';
import type { RunRecord, RunStore } from '../../shared/domain/ports';
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
