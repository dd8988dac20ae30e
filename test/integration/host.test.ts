import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import type { InstanceRecord } from '../../host/durable/taskHub';
import { loadApp } from '../../host/registry';
import { type RunningHost, startHost } from '../../host/server';
import { appEvent } from '../support/localHost';

const entry = path.resolve(__dirname, '../fixtures/host-app/index.ts');
const key = 'test-key';
const logs: string[] = [];

async function waitDone(host: RunningHost, id: string, ms = 15000): Promise<InstanceRecord> {
  const rec = await host.taskHub.waitForCompletion(id, ms);
  if (!rec) throw new Error(`no instance ${id}`);
  return rec;
}

async function start(host: RunningHost, name: string, input?: unknown): Promise<string> {
  const res = await fetch(`${host.url}/api/orchestrators/${name}`, {
    method: 'POST',
    headers: { 'x-functions-key': key, 'content-type': 'application/json' },
    body: JSON.stringify(input ?? null),
  });
  expect(res.status).toBe(202);
  const body = (await res.json()) as { id: string; statusQueryGetUri: string };
  expect(res.headers.get('location')).toBe(body.statusQueryGetUri);
  return body.id;
}

describe('local functions host', () => {
  let dataDir: string;
  let host: RunningHost;

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'accelnet-host-'));
    host = await startHost({ entry, port: 0, dataDir, functionKey: key, log: (l) => logs.push(l) });
  });
  afterAll(async () => {
    await host.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  test('when the app loads, then every function is registered with its trigger type', async () => {
    const registry = await loadApp(entry);
    const triggers = Object.fromEntries(
      [...registry.functions.values()].map((f) => [f.name, f.triggerType]),
    );
    expect(triggers).toMatchObject({
      sayHello: 'activityTrigger',
      flaky: 'activityTrigger',
      helloSequence: 'orchestrationTrigger',
      approval: 'orchestrationTrigger',
      startOrchestration: 'httpTrigger',
      onEvent: 'eventGridTrigger',
    });
    const starter = registry.get('startOrchestration');
    expect(starter?.http).toEqual({
      route: 'orchestrators/{name}',
      methods: ['POST'],
      authLevel: 'function',
    });
    expect(starter?.inputBindings.map((b) => b.type)).toEqual(['durableClient']);
  });

  test('when an HTTP trigger starts an orchestration with the durable client, then it completes with the activities output', async () => {
    const id = await start(host, 'helloSequence');
    const rec = await waitDone(host, id);
    expect(rec.runtimeStatus).toBe('Completed');
    expect(JSON.parse(rec.output ?? '')).toEqual(['Hello Tokyo', 'Hello Seattle', 'Hello London']);
    const res = await fetch(`${host.url}/api/instances/${id}?code=${key}`);
    expect(await res.json()).toEqual({
      runtimeStatus: 'Completed',
      output: ['Hello Tokyo', 'Hello Seattle', 'Hello London'],
    });
    const status = await fetch(
      `${host.url}/runtime/webhooks/durabletask/instances/${id}?code=${key}&showHistory=true`,
    );
    expect(status.status).toBe(200);
    const doc = (await status.json()) as { historyEvents: { EventType: string }[] };
    expect(doc.historyEvents.filter((e) => e.EventType === 'TaskCompleted')).toHaveLength(3);
  });

  test('when an activity fails twice under retry options, then the third attempt succeeds', async () => {
    const id = await start(host, 'retrying');
    const rec = await waitDone(host, id);
    expect(rec.runtimeStatus).toBe('Completed');
    expect(JSON.parse(rec.output ?? '')).toBe('succeeded on attempt 3');
    const types = rec.history.map((e) => e.EventType);
    expect(types.filter((t) => t === 6)).toHaveLength(2); // TaskFailed
    expect(types.filter((t) => t === 11)).toHaveLength(2); // retry TimerFired
  });

  test('when an orchestration waits on a timer, then it completes after the timer fires', async () => {
    const began = Date.now();
    const id = await start(host, 'timer');
    const rec = await waitDone(host, id);
    expect(rec.output).toBe('"timer fired"');
    expect(Date.now() - began).toBeGreaterThanOrEqual(250);
  });

  test('when the external event is raised before the timeout, then the event wins and the timer is cancelled', async () => {
    const id = await start(host, 'approval', { timeoutMs: 60000 });
    await new Promise((r) => setTimeout(r, 200));
    const res = await fetch(`${host.url}/api/instances/${id}/approve?code=${key}`, {
      method: 'POST',
      body: JSON.stringify('alice'),
    });
    expect(res.status).toBe(202);
    const rec = await waitDone(host, id, 5000);
    expect(rec.runtimeStatus).toBe('Completed');
    expect(JSON.parse(rec.output ?? '')).toEqual({ decision: 'approved', by: 'alice' });
    expect(rec.work).toEqual([]);
  });

  test('when no event arrives, then the timer wins', async () => {
    const id = await start(host, 'approval', { timeoutMs: 300 });
    const rec = await waitDone(host, id);
    expect(JSON.parse(rec.output ?? '')).toEqual({ decision: 'timed-out' });
  });

  test('when an orchestration continues as new, then it restarts with the new input until done', async () => {
    const id = await start(host, 'counter', 0);
    const rec = await waitDone(host, id);
    expect(rec.runtimeStatus).toBe('Completed');
    expect(JSON.parse(rec.output ?? '')).toBe('done after 3');
    expect(rec.history[1]?.EventType).toBe(0);
    expect(rec.input).toBe('3');
  });

  test('when an orchestration calls a sub-orchestration, then it gets the child output', async () => {
    const id = await start(host, 'parent');
    const rec = await waitDone(host, id);
    expect(JSON.parse(rec.output ?? '')).toEqual({
      child: ['Hello Tokyo', 'Hello Seattle', 'Hello London'],
    });
  });

  test('when an instance id is running, then starting it again is refused as the extension refuses it (500, Azure Storage\u2019s OrchestrationAlreadyExistsException)', async () => {
    const id = await start(host, 'approval', { timeoutMs: 60000 });
    const res = await fetch(
      `${host.url}/runtime/webhooks/durabletask/orchestrators/approval/${id}?code=${key}`,
      { method: 'POST', body: '{"timeoutMs":1}' },
    );
    // HttpApiHandler.cs:446-449; the body as a deployed app answers it
    // (Azure/azure-functions-durable-python#514).
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({
      Message: 'Something went wrong while processing your request',
      ExceptionMessage: 'An Orchestration instance with the status Running already exists.',
      ExceptionType: 'DurableTask.Core.Exceptions.OrchestrationAlreadyExistsException',
    });
    const stop = await fetch(`${host.url}/api/instances/${id}/terminate?code=${key}`, {
      method: 'POST',
    });
    expect(stop.status).toBe(202);
    expect(host.taskHub.get(id)?.runtimeStatus).toBe('Terminated');
  });

  test('when a route needs a function key and none is given, then 401', async () => {
    const res = await fetch(`${host.url}/api/instances/x`);
    expect(res.status).toBe(401);
    const open = await fetch(`${host.url}/api/ping?q=hi`);
    expect(await open.json()).toEqual({ pong: 'hi' });
  });

  test('when Event Grid validates and delivers, then the handshake is answered and the trigger runs per event', async () => {
    const hook = `${host.url}/runtime/webhooks/eventgrid?functionName=onEvent&code=${key}`;
    const post = (type: string, events: unknown[]): Promise<Response> =>
      fetch(hook, {
        method: 'POST',
        headers: { 'aeg-event-type': type },
        body: JSON.stringify(events),
      });
    const validation = await post('SubscriptionValidation', [
      {
        id: 'v',
        eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent',
        data: { validationCode: 'abc' },
      },
    ]);
    expect(await validation.json()).toEqual({ validationResponse: 'abc' });
    const options = await fetch(hook, {
      method: 'OPTIONS',
      headers: { 'WebHook-Request-Origin': 'eventgrid.azure.net' },
    });
    expect(options.headers.get('webhook-allowed-origin')).toBe('eventgrid.azure.net');
    const delivered = await post('Notification', [appEvent('e1', 'vm1'), appEvent('e2', 'vm2')]);
    expect(delivered.status).toBe(202);
    const handled = logs
      .map((l) => JSON.parse(l) as { component: string; msg: string; functionName?: string })
      .filter((l) => l.component === 'app' && l.functionName === 'onEvent')
      .map((l) => l.msg);
    expect(handled).toEqual(expect.arrayContaining(['event e1', 'event e2']));
    const failing = await fetch(hook, {
      method: 'POST',
      headers: { 'content-type': 'application/cloudevents+json', 'aeg-event-type': 'Notification' },
      body: JSON.stringify({
        id: 'c1',
        subject: 'boom',
        type: 'x',
        source: 's',
        specversion: '1.0',
      }),
    });
    expect(failing.status).toBe(500);
  });

  test('when requests are malformed, then bad JSON is 400, a body over 1 MB is 413 and an unknown function is 404', async () => {
    const hook = `${host.url}/runtime/webhooks/eventgrid?functionName=onEvent&code=${key}`;
    expect((await fetch(hook, { method: 'POST', body: '{nope' })).status).toBe(400);
    expect((await fetch(hook, { method: 'POST', body: 'x'.repeat(1024 * 1024 + 1) })).status).toBe(
      413,
    );
    const unknown = `${host.url}/runtime/webhooks/eventgrid?functionName=nope&code=${key}`;
    expect((await fetch(unknown, { method: 'POST', body: '[]' })).status).toBe(404);
    expect(
      (
        await fetch(`${host.url}/runtime/webhooks/eventgrid?functionName=onEvent`, {
          method: 'POST',
          body: '[]',
        })
      ).status,
    ).toBe(401);
  });

  test('when a host stops while an activity runs, then a new host over the same data dir completes the instance', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'accelnet-host-restart-'));
    const first = await startHost({ entry, port: 0, dataDir: dir, functionKey: key });
    const id = await start(first, 'sleeper', 800);
    for (
      let i = 0;
      i < 50 && !first.taskHub.get(id)?.work.some((w) => w.kind === 'activity');
      i++
    ) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(first.taskHub.get(id)?.runtimeStatus).toBe('Running');
    await first.stop();
    const second = await startHost({ entry, port: 0, dataDir: dir, functionKey: key });
    try {
      const rec = await waitDone(second, id);
      expect(rec.runtimeStatus).toBe('Completed');
      expect(JSON.parse(rec.output ?? '')).toBe('slept 800');
    } finally {
      await second.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
