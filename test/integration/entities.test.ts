/**
 * Durable Entities and critical sections in the local host, driven through the real
 * durable-functions engine and client by the host's test app (test/fixtures/host-app).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import type { InstanceRecord } from '../../host/durable/taskHub';
import { loadApp } from '../../host/registry';
import { type RunningHost, startHost } from '../../host/server';
import type { Span } from '../fixtures/host-app/entities';

const entry = path.resolve(__dirname, '../fixtures/host-app/index.ts');
const key = 'test-key';
const EVENT_SENT = 14;
const EVENT_RAISED = 15;

interface LogLine {
  level: string;
  component: string;
  msg: string;
  instanceId?: string;
  entities?: string[];
  runtimeStatus?: string;
}

async function waitDone(host: RunningHost, id: string, ms = 15000): Promise<InstanceRecord> {
  const rec = await host.taskHub.waitForCompletion(id, ms);
  if (!rec) throw new Error(`no instance ${id}`);
  return rec;
}

async function waitFor(what: string, check: () => boolean | Promise<boolean>): Promise<void> {
  const until = Date.now() + 10_000;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function start(host: RunningHost, name: string, input: unknown): Promise<string> {
  const res = await fetch(`${host.url}/api/orchestrators/${name}`, {
    method: 'POST',
    headers: { 'x-functions-key': key, 'content-type': 'application/json' },
    body: JSON.stringify(input),
  });
  expect(res.status).toBe(202);
  return ((await res.json()) as { id: string }).id;
}

/** Signals an entity through the app's HTTP trigger (the durable client's signalEntity). */
async function signal(
  host: RunningHost,
  name: string,
  entityKey: string,
  op: string,
  input: unknown,
) {
  const res = await fetch(`${host.url}/api/entities/${name}/${entityKey}/${op}?code=${key}`, {
    method: 'POST',
    body: JSON.stringify(input),
  });
  expect(res.status).toBe(202);
}

/** Reads an entity through the app's HTTP trigger (the durable client's readEntityState). */
async function read(
  host: RunningHost,
  name: string,
  entityKey: string,
): Promise<{ entityExists: boolean; entityState?: unknown }> {
  const res = await fetch(`${host.url}/api/entities/${name}/${entityKey}?code=${key}`);
  expect(res.status).toBe(200);
  return (await res.json()) as { entityExists: boolean; entityState?: unknown };
}

function output<T>(rec: InstanceRecord): T {
  return JSON.parse(rec.output ?? 'null') as T;
}

/** Whether two critical sections ran at the same time. */
function overlap(a: Span, b: Span): boolean {
  return a.enter < b.exit && b.enter < a.exit;
}

describe('entities and critical sections in the local host', () => {
  let dataDir: string;
  let host: RunningHost;
  const logs: LogLine[] = [];

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'accelnet-entities-'));
    host = await startHost({
      entry,
      port: 0,
      dataDir,
      functionKey: key,
      log: (line) => logs.push(JSON.parse(line) as LogLine),
    });
  });
  afterAll(async () => {
    await host.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  test('when the app registers entities, then the registry captures them as entity triggers', async () => {
    const registry = await loadApp(entry);
    expect(registry.get('Counter')?.triggerType).toBe('entityTrigger');
    expect(registry.get('Slot')?.triggerType).toBe('entityTrigger');
  });

  test('when an orchestration calls and signals entities, then it gets each result, an operation error is thrown to it, and the signal is applied', async () => {
    const id = await start(host, 'entityCalls', { key: 'calls', other: 'signalled' });
    const rec = await waitDone(host, id);
    expect(rec.runtimeStatus).toBe('Completed');
    expect(output(rec)).toEqual({
      first: 5,
      second: 7,
      refused: 'counter calls refuses',
      read: 7,
    });
    await waitFor(
      'the signal',
      async () => (await read(host, 'Counter', 'signalled')).entityState === 40,
    );
    expect(await read(host, 'Counter', 'calls')).toEqual({ entityExists: true, entityState: 7 });

    // Each message is an EventSent numbered by the engine's sequence; each response an
    // EventRaised named by the request's id.
    const sent = rec.history.filter((e) => e.EventType === EVENT_SENT);
    expect(sent.map((e) => [e.InstanceId, e.Name])).toEqual([
      ['@counter@calls', 'op'],
      ['@counter@calls', 'op'],
      ['@counter@signalled', 'op'],
      ['@counter@calls', 'op'],
      ['@counter@calls', 'op'],
    ]);
    expect(sent.map((e) => e.EventId)).toEqual([0, 1, 2, 3, 4]);
    const requests = sent.map(
      (e) => JSON.parse(e.Input as string) as { id: string; signal?: boolean },
    );
    expect(requests.map((r) => r.signal === true)).toEqual([false, false, true, false, false]);
    const responses = rec.history.filter((e) => e.EventType === EVENT_RAISED).map((e) => e.Name);
    expect(responses).toEqual(requests.filter((r) => r.signal !== true).map((r) => r.id));
  });

  test('when a client signals an entity under another case of its name, then the same entity runs it; an unknown entity is refused and an absent one reads as absent', async () => {
    await signal(host, 'counter', 'Mixed', 'add', 3);
    await signal(host, 'COUNTER', 'Mixed', 'add', 4);
    await waitFor(
      'both signals',
      async () => (await read(host, 'CoUnTeR', 'Mixed')).entityState === 7,
    );
    expect(host.taskHub.entity('@counter@Mixed')?.state).toBe('7');
    expect(host.taskHub.entity('@counter@mixed')).toBeUndefined();

    const unknown = await fetch(
      `${host.url}/runtime/webhooks/durabletask/entities/Nope/x?op=add&code=${key}`,
      { method: 'POST', headers: { 'content-type': 'application/json' }, body: '1' },
    );
    expect(unknown.status).toBe(400);
    expect(await unknown.text()).toContain(
      "The function 'nope' doesn't exist, is disabled, or is not an entity function.",
    );
    expect(await read(host, 'Counter', 'never-touched')).toEqual({ entityExists: false });

    await signal(host, 'Counter', 'Mixed', 'reset', null);
    await waitFor('the reset', async () => !(await read(host, 'Counter', 'Mixed')).entityExists);
    const raw = await fetch(
      `${host.url}/runtime/webhooks/durabletask/entities/counter/Mixed?code=${key}`,
    );
    expect(raw.status).toBe(404);
  });

  test('when orchestrations lock the same entity, then their critical sections never overlap', async () => {
    const ids = await Promise.all(
      [1, 2, 3].map((i) => start(host, 'critical', { keys: ['vm-1'], ms: 150, label: `run${i}` })),
    );
    const spans = (await Promise.all(ids.map((id) => waitDone(host, id)))).map((r) => {
      expect(r.runtimeStatus).toBe('Completed');
      return output<Span>(r);
    });
    spans.sort((a, b) => a.enter - b.enter);
    for (let i = 1; i < spans.length; i++)
      expect(spans[i]!.enter).toBeGreaterThanOrEqual(spans[i - 1]!.exit);
    await waitFor(
      'the last release',
      () => host.taskHub.entity('@slot@vm-1')?.lockedBy === undefined,
    );
  });

  test('when lock sets overlap in opposite orders, then every section completes, none overlapping another that shares an entity', async () => {
    const sets = [
      ['a', 'b'],
      ['b', 'a'],
      ['b', 'c'],
      ['c', 'a'],
      ['a', 'b', 'c'],
    ];
    const ids = await Promise.all(
      sets.map((keys, i) => start(host, 'critical', { keys, ms: 80, label: keys.join('') + i })),
    );
    const done = await Promise.all(ids.map((id) => waitDone(host, id)));
    expect(done.map((r) => r.runtimeStatus)).toEqual(sets.map(() => 'Completed'));
    const spans = done.map((r) => output<Span>(r));
    for (let i = 0; i < sets.length; i++)
      for (let j = i + 1; j < sets.length; j++)
        if (sets[i]!.some((k) => sets[j]!.includes(k)))
          expect([spans[i]!.label, spans[j]!.label, overlap(spans[i]!, spans[j]!)]).toEqual([
            spans[i]!.label,
            spans[j]!.label,
            false,
          ]);

    // The lock request goes to the first entity of the sorted set; the release takes one
    // sequence number per entity.
    const reversed = done[1]!;
    const sent = reversed.history.filter((e) => e.EventType === EVENT_SENT);
    expect(sent.map((e) => [e.EventId, e.InstanceId, e.Name])).toEqual([
      [0, '@slot@a', 'op'],
      [2, '@slot@a', 'release'],
      [3, '@slot@b', 'release'],
    ]);
    expect(JSON.parse(sent[0]!.Input as string)).toMatchObject({
      parent: reversed.instanceId,
      lockset: [
        { name: 'slot', key: 'a' },
        { name: 'slot', key: 'b' },
      ],
    });
  });

  test('when an entity is locked, then operations of others wait in its queue and the lock holder\u2019s own operations go first', async () => {
    const id = await start(host, 'holdCounter', 'held');
    await waitFor('the lock', () => host.taskHub.entity('@counter@held')?.lockedBy === id);
    await signal(host, 'Counter', 'held', 'add', 1);
    await waitFor(
      'the signal queued',
      () => host.taskHub.entity('@counter@held')?.queue.length === 1,
    );
    expect(await read(host, 'Counter', 'held')).toEqual({ entityExists: false });

    const go = await fetch(
      `${host.url}/runtime/webhooks/durabletask/instances/${id}/raiseEvent/go?code=${key}`,
      { method: 'POST', body: 'true' },
    );
    expect(go.status).toBe(202);
    const rec = await waitDone(host, id);
    expect(output(rec)).toBe(10); // the holder's add ran before the signal queued earlier
    await waitFor(
      'the queued signal',
      async () => (await read(host, 'Counter', 'held')).entityState === 11,
    );
    expect(host.taskHub.entity('@counter@held')?.lockedBy).toBeUndefined();
  });

  test('when an orchestration completes holding a lock, then the lock is released and the next waiter gets it', async () => {
    const id = await start(host, 'lockAndReturn', 'auto');
    const rec = await waitDone(host, id);
    expect(rec.runtimeStatus).toBe('Completed');
    const releases = rec.history.filter((e) => e.EventType === EVENT_SENT && e.Name === 'release');
    expect(releases.map((e) => e.InstanceId)).toEqual(['@slot@auto']);
    const next = await start(host, 'critical', { keys: ['auto'], ms: 10, label: 'next' });
    expect((await waitDone(host, next)).runtimeStatus).toBe('Completed');
  });

  test('when an orchestration continues as new holding a lock, then the lock is released', async () => {
    const id = await start(host, 'lockAndContinue', { key: 'continued', round: 0 });
    const rec = await waitDone(host, id);
    expect(output(rec)).toBe('next execution');
    await waitFor(
      'the release',
      () => host.taskHub.entity('@slot@continued')?.lockedBy === undefined,
    );
    expect(logs).toContainEqual(
      expect.objectContaining({ msg: 'locks released as the orchestration ended', instanceId: id }),
    );
  });

  test('when an orchestration fails or is terminated holding a lock, then the lock stays held (as in the extension) and a warning names the instance and the entities', async () => {
    const failed = await start(host, 'lockAndFail', { key: 'stuck', release: false });
    expect((await waitDone(host, failed)).runtimeStatus).toBe('Failed');
    await waitFor('the lock', () => host.taskHub.entity('@slot@stuck')?.lockedBy === failed);
    const waiter = await start(host, 'critical', { keys: ['stuck'], ms: 10, label: 'waiter' });
    await waitFor(
      'the waiter queued',
      () => host.taskHub.entity('@slot@stuck')?.queue.length === 1,
    );
    expect(host.taskHub.get(waiter)?.runtimeStatus).toBe('Running');

    const terminated = await start(host, 'lockAndWait', 'held-by-terminated');
    // Held once the orchestration has read the lock's response, not merely once granted.
    await waitFor('the lock held', () => host.taskHub.get(terminated)?.critical?.acquired === true);
    expect(host.taskHub.entity('@slot@held-by-terminated')?.lockedBy).toBe(terminated);
    const stop = await fetch(`${host.url}/api/instances/${terminated}/terminate?code=${key}`, {
      method: 'POST',
    });
    expect(stop.status).toBe(202);
    await new Promise((r) => setTimeout(r, 100));
    expect(host.taskHub.entity('@slot@held-by-terminated')?.lockedBy).toBe(terminated);

    const warnings = logs.filter((l) => l.level === 'warn' && l.msg.includes('holding locks'));
    expect(warnings).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          instanceId: failed,
          runtimeStatus: 'Failed',
          entities: ['@slot@stuck'],
        }),
        expect.objectContaining({
          instanceId: terminated,
          runtimeStatus: 'Terminated',
          entities: ['@slot@held-by-terminated'],
        }),
      ]),
    );
    await fetch(`${host.url}/api/instances/${waiter}/terminate?code=${key}`, { method: 'POST' });
  });

  test('when an orchestration releases its lock in a finally before it fails, then the entity is free', async () => {
    const id = await start(host, 'lockAndFail', { key: 'freed', release: true });
    const rec = await waitDone(host, id);
    expect(rec.runtimeStatus).toBe('Failed');
    expect(rec.history.filter((e) => e.EventType === EVENT_SENT).map((e) => e.Name)).toEqual([
      'op',
      'release',
    ]);
    const next = await start(host, 'critical', { keys: ['freed'], ms: 10, label: 'next' });
    expect((await waitDone(host, next)).runtimeStatus).toBe('Completed');
  });

  test('when an orchestration calls an entity the app does not have, then it fails with the extension\u2019s message', async () => {
    const rec = await waitDone(host, await start(host, 'unknownEntity', null));
    expect(rec.runtimeStatus).toBe('Failed');
    expect(output(rec)).toContain(
      "The function 'nope' doesn't exist, is disabled, or is not an entity function. Additional info: The following are the known entity functions: 'Counter', 'Slot'.",
    );
  });

  test('when the status API lists instances, then entities are listed as the extension lists them (as instances @name@key), and orchestration filters leave them out', async () => {
    const base = `${host.url}/runtime/webhooks/durabletask/instances?code=${key}`;
    const entities = (await (await fetch(`${base}&instanceIdPrefix=@`)).json()) as {
      instanceId: string;
      name: string;
      runtimeStatus: string;
      customStatus: Record<string, unknown>;
    }[];
    expect(entities.length).toBeGreaterThan(0);
    expect(
      entities.every((e) => e.instanceId.startsWith('@') && e.runtimeStatus === 'Running'),
    ).toBe(true);
    expect(entities.find((e) => e.instanceId === '@counter@calls')).toMatchObject({
      name: 'counter',
      customStatus: { entityExists: true },
    });
    const completed = (await (await fetch(`${base}&runtimeStatus=Completed`)).json()) as {
      instanceId: string;
    }[];
    expect(completed.length).toBeGreaterThan(0);
    expect(completed.some((i) => i.instanceId.startsWith('@'))).toBe(false);
    const started = await fetch(
      `${host.url}/runtime/webhooks/durabletask/orchestrators/critical/@slot@x?code=${key}`,
      { method: 'POST', body: '{}' },
    );
    expect(started.status).toBe(400);
  });
});

describe('a restarted host', () => {
  test('when the host stops in the middle of a critical section, then a new host over the same data dir completes it and the waiter then gets the lock', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'accelnet-entities-restart-'));
    const first = await startHost({ entry, port: 0, dataDir: dir, functionKey: key });
    let firstStopped = false;
    let second: RunningHost | undefined;
    try {
      const holder = await start(first, 'critical', {
        keys: ['phoenix'],
        ms: 600,
        label: 'holder',
      });
      await waitFor(
        'the section',
        () => first.taskHub.get(holder)?.work.some((w) => w.kind === 'activity') === true,
      );
      const waiter = await start(first, 'critical', { keys: ['phoenix'], ms: 10, label: 'waiter' });
      await waitFor(
        'the waiter queued',
        () => first.taskHub.entity('@slot@phoenix')?.queue.length === 1,
      );
      expect(first.taskHub.entity('@slot@phoenix')?.lockedBy).toBe(holder);
      await first.stop();
      firstStopped = true;

      second = await startHost({ entry, port: 0, dataDir: dir, functionKey: key });
      expect(second.taskHub.entity('@slot@phoenix')).toMatchObject({ lockedBy: holder });
      const [held, waited] = await Promise.all([
        waitDone(second, holder),
        waitDone(second, waiter),
      ]);
      expect([held.runtimeStatus, waited.runtimeStatus]).toEqual(['Completed', 'Completed']);
      expect(output<Span>(waited).enter).toBeGreaterThanOrEqual(output<Span>(held).exit);
      await waitFor(
        'the last release',
        () => second?.taskHub.entity('@slot@phoenix')?.lockedBy === undefined,
      );
    } finally {
      await second?.stop();
      if (!firstStopped) await first.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
  test('when a host restarts with messages still in an outbox, then they are sent, and a copy its receiver already had is dropped', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'accelnet-entities-outbox-'));
    const file = (id: string): string =>
      path.join(dir, 'instances', `${encodeURIComponent(id)}.json`);
    const first = await startHost({ entry, port: 0, dataDir: dir, functionKey: key });
    await signal(first, 'Counter', 'dup', 'add', 1);
    await waitFor('the signal', () => first.taskHub.entity('@counter@dup')?.state === '1');
    await first.stop();

    // As a host killed after delivering a message and before its sender forgot it would
    // leave them: the receiver has the first message, the sender's outbox both.
    const target = JSON.parse(fs.readFileSync(file('@counter@dup'), 'utf8')) as {
      received: string[];
    };
    const delivered = (target.received.at(-1) ?? '').replace(/^op:/, '');
    const now = new Date().toISOString();
    const outbox = [
      { id: delivered, input: '1' },
      { id: 'not-yet-delivered', input: '5' },
    ].map((m) => ({
      to: 'entity',
      target: '@counter@dup',
      name: 'op',
      message: { op: 'add', signal: true, ...m },
    }));
    fs.writeFileSync(
      file('@counter@sender'),
      JSON.stringify({
        kind: 'entity',
        id: '@counter@sender',
        name: 'counter',
        key: 'sender',
        exists: false,
        queue: [],
        inbox: [],
        outbox,
        received: [],
        createdTime: now,
        lastUpdatedTime: now,
      }),
    );

    const second = await startHost({ entry, port: 0, dataDir: dir, functionKey: key });
    try {
      await waitFor('the new message', () => second.taskHub.entity('@counter@dup')?.state === '6');
      await waitFor(
        'the outbox emptied',
        () => second.taskHub.entity('@counter@sender')?.outbox.length === 0,
      );
      expect(second.taskHub.entity('@counter@dup')?.state).toBe('6');
    } finally {
      await second.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
