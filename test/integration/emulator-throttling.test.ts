/**
 * ARM throttling in the emulator: token buckets per subscription and principal, the
 * x-ms-ratelimit-remaining-* headers, 429 + Retry-After when a bucket is empty, and refill
 * rates that follow the time scale. Driven through the real Azure SDK clients where a client
 * would see it, and through raw HTTPS where the wire matters.
 */
import type { PipelineResponse } from '@azure/core-rest-pipeline';

import type { ArmEmulator, OperationLogEntry } from '../../emulator/server';
import { admin, armClients, type ArmReply, armRequest, emulatorForTest, SUB } from '../support/arm';

const SUB2 = '00000000-0000-0000-0000-000000000002';
const READS = 'x-ms-ratelimit-remaining-subscription-reads';
const WRITES = 'x-ms-ratelimit-remaining-subscription-writes';

/** Collects one header of every final response the SDK sees. */
function headerLog(name: string): {
  values: number[];
  onResponse: (r: PipelineResponse) => void;
} {
  const values: number[] = [];
  return {
    values,
    onResponse: (r) => {
      const value = r.headers.get(name);
      values.push(value === undefined ? Number.NaN : Number(value));
    },
  };
}

async function operations(em: ArmEmulator): Promise<OperationLogEntry[]> {
  return (await admin<{ operations: OperationLogEntry[] }>(em, 'GET', '/_emulator/operations')).body
    .operations;
}

async function configure(em: ArmEmulator, config: unknown): Promise<void> {
  const reply = await admin(em, 'PUT', '/_emulator/config', config);
  expect(reply.status).toBe(200);
}

const rgPath = (sub: string, rg: string): string => `/subscriptions/${sub}/resourceGroups/${rg}`;

/** Drains `principal`'s read bucket with raw GETs; answers the first 429. */
async function drainReads(em: ArmEmulator, path: string, principal: string): Promise<ArmReply> {
  for (let i = 0; i < 100; i += 1) {
    const reply = await armRequest(em, 'GET', path, { principal });
    if (reply.status === 429) return reply;
    expect(reply.status).toBe(200);
  }
  throw new Error('the read bucket never emptied');
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('emulator throttling', () => {
  let em: ArmEmulator;

  beforeEach(async () => {
    em = await emulatorForTest();
  });

  afterEach(async () => {
    await em.stop();
  });

  it('when a principal writes and reads repeatedly, then the remaining-writes and remaining-reads headers count down from the ARM bucket sizes', async () => {
    // 100 real seconds per Azure second: a refill of 25 reads/s becomes 0.25/s, so no token
    // comes back during the test and the count-down is exact.
    await configure(em, { timeScale: 100 });
    const { resources } = armClients(em, 'alice');
    const writes = headerLog(WRITES);
    const reads = headerLog(READS);

    for (let i = 0; i < 5; i += 1) {
      await resources.resourceGroups.createOrUpdate(
        'rg-count',
        { location: 'westus2', tags: { round: String(i) } },
        { onResponse: writes.onResponse },
      );
    }
    for (let i = 0; i < 10; i += 1) {
      await resources.resourceGroups.get('rg-count', { onResponse: reads.onResponse });
    }

    expect(writes.values).toEqual([199, 198, 197, 196, 195]);
    expect(reads.values).toEqual([249, 248, 247, 246, 245, 244, 243, 242, 241, 240]);
    const last = await armRequest(em, 'GET', rgPath(SUB, 'rg-count'), { principal: 'alice' });
    expect(last.headers[READS]).toBe('239');
    expect(last.headers['x-ms-ratelimit-remaining-subscription-global-reads']).toBe('3739');
    expect(last.headers[WRITES]).toBeUndefined();
  });

  it('when two principals and two subscriptions are used, then each subscription and principal has its own bucket', async () => {
    await configure(em, { timeScale: 100 });
    const alice = armClients(em, 'alice');
    const bob = armClients(em, 'bob');
    const aliceElsewhere = armClients(em, 'alice', SUB2);
    await alice.resources.resourceGroups.createOrUpdate('rg-a', { location: 'westus2' });
    await aliceElsewhere.resources.resourceGroups.createOrUpdate('rg-a', { location: 'westus2' });
    const seen = { alice: headerLog(READS), bob: headerLog(READS), elsewhere: headerLog(READS) };

    for (let i = 0; i < 3; i += 1) {
      await alice.resources.resourceGroups.get('rg-a', { onResponse: seen.alice.onResponse });
    }
    await bob.resources.resourceGroups.get('rg-a', { onResponse: seen.bob.onResponse });
    await aliceElsewhere.resources.resourceGroups.get('rg-a', {
      onResponse: seen.elsewhere.onResponse,
    });
    await alice.resources.resourceGroups.get('rg-a', { onResponse: seen.alice.onResponse });

    expect(seen.alice.values).toEqual([249, 248, 247, 246]);
    expect(seen.bob.values).toEqual([249]);
    expect(seen.elsewhere.values).toEqual([249]);

    // An empty bucket refuses only its own principal.
    await configure(em, { timeScale: 1, throttling: { reads: { bucket: 3, refillPerSecond: 1 } } });
    const refused = await drainReads(em, rgPath(SUB, 'rg-a'), 'alice');
    expect(refused.status).toBe(429);
    const other = await armRequest(em, 'GET', rgPath(SUB, 'rg-a'), { principal: 'bob' });
    expect(other.status).toBe(200);
    const log = await operations(em);
    expect(log.filter((op) => op.status === 429).map((op) => op.principal)).toEqual(['alice']);
  });

  it('when a burst of 30 SDK GETs meets a bucket of 5, then every GET succeeds because the SDK honours Retry-After, and the log shows the 429s', async () => {
    const seeded = await admin(em, 'POST', '/_emulator/seed', {
      subscriptionId: SUB,
      location: 'westus2',
      resourceGroups: [
        {
          name: 'rg-burst',
          vms: [
            {
              name: 'web',
              size: 'Standard_D2s_v5',
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
    expect(seeded.status).toBe(201);
    await configure(em, {
      timeScale: 1,
      throttling: { enabled: true, reads: { bucket: 5, refillPerSecond: 50 } },
    });
    const { compute } = armClients(em, 'burster');

    const names: string[] = [];
    for (let i = 0; i < 30; i += 1) {
      names.push((await compute.virtualMachines.get('rg-burst', 'web')).name ?? '');
    }

    expect(names).toEqual(Array.from({ length: 30 }, () => 'web'));
    const gets = (await operations(em)).filter(
      (op) => op.method === 'GET' && op.operation === 'Microsoft.Compute/virtualMachines/read',
    );
    const throttled = gets.filter((op) => op.status === 429);
    expect(gets.filter((op) => op.status === 200)).toHaveLength(30);
    expect(throttled.length).toBeGreaterThan(0);
    for (const op of throttled) {
      expect(op).toMatchObject({ code: 'SubscriptionRequestsThrottled', principal: 'burster' });
    }

    // Past the empty bucket, on the wire: 429, Retry-After and the ARM error body.
    const refused = await drainReads(
      em,
      `${rgPath(SUB, 'rg-burst')}/providers/Microsoft.Compute/virtualMachines/web`,
      'burster',
    );
    expect(refused.status).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    const retryMs = Number(refused.headers['x-ms-retry-after-ms']);
    expect(retryMs).toBeGreaterThan(0);
    expect(retryMs).toBeLessThanOrEqual(20); // one token at 50 per second
    expect(refused.headers[READS]).toBe('0');
    expect(refused.body).toEqual({
      error: {
        code: 'SubscriptionRequestsThrottled',
        message: expect.stringContaining("Number of 'read' requests for subscription"),
        details: [],
      },
    });
  });

  it('when the time scale is 0.01, then buckets refill 100 times faster than at time scale 1', async () => {
    const path = rgPath(SUB, 'rg-scale');
    expect(
      (await armRequest(em, 'PUT', path, { principal: 'owner', body: { location: 'westus2' } }))
        .status,
    ).toBe(201);
    await configure(em, {
      timeScale: 1,
      throttling: { reads: { bucket: 2, refillPerSecond: 1 } },
    });

    // Real time: one read per second.
    const slow = await drainReads(em, path, 'real-time');
    const slowMs = Number(slow.headers['x-ms-retry-after-ms']);
    expect(slowMs).toBeGreaterThan(500);
    expect(slowMs).toBeLessThanOrEqual(1000);
    await sleep(60);
    expect((await armRequest(em, 'GET', path, { principal: 'real-time' })).status).toBe(429);

    // 100x faster: one read per 10 ms.
    await configure(em, { timeScale: 0.01 });
    const fast = await drainReads(em, path, 'scaled');
    const fastMs = Number(fast.headers['x-ms-retry-after-ms']);
    expect(fastMs).toBeGreaterThan(0);
    expect(fastMs).toBeLessThanOrEqual(10);
    await sleep(60);
    expect((await armRequest(em, 'GET', path, { principal: 'scaled' })).status).toBe(200);
    expect((await armRequest(em, 'GET', path, { principal: 'scaled' })).status).toBe(200);
  });
});
