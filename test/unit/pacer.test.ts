import {
  createHttpHeaders,
  createPipelineRequest,
  type PipelineRequest,
  type PipelineResponse,
} from '@azure/core-rest-pipeline';

import { pacingPolicy, RequestPacer } from '../../shared/arm/clients';

/** A pacer on a virtual clock: `go(n)` starts n writes at once and returns when each may go. */
function simulation(bucket: number, refillPerSecond: number) {
  const clock = { now: 0 };
  const wakes: number[] = [];
  const pacer = new RequestPacer(
    bucket,
    refillPerSecond,
    () => clock.now,
    (ms) => {
      // Every waiter sleeps from the same instant: report the time it would wake at.
      wakes.push(clock.now + ms);
      return Promise.resolve();
    },
  );
  const go = async (n: number): Promise<number[]> => {
    const at: number[] = [];
    for (let i = 0; i < n; i += 1) {
      const before = wakes.length;
      await pacer.acquire();
      at.push(wakes.length > before ? (wakes.at(-1) ?? clock.now) : clock.now);
    }
    return at;
  };
  return { clock, pacer, go };
}

describe('RequestPacer', () => {
  test('when the bucket is full, then a burst of its size goes at once and the rest at the refill rate', async () => {
    const { go } = simulation(5, 10);
    const at = await go(8);
    expect(at.slice(0, 5)).toEqual([0, 0, 0, 0, 0]);
    // 10 per second: one every 100 ms, in order.
    expect(at.slice(5)).toEqual([100, 200, 300]);
  });

  test('when time passes, then the bucket refills up to its size and no further', async () => {
    const { clock, go, pacer } = simulation(5, 10);
    await go(5);
    clock.now = 10_000;
    expect(pacer.balance).toBe(5);
    expect(await go(6)).toEqual([10_000, 10_000, 10_000, 10_000, 10_000, 10_100]);
  });

  test("when ARM reports fewer writes left than the pacer holds, then ARM's count wins", async () => {
    const { go, pacer } = simulation(200, 10);
    pacer.observe(1);
    expect(await go(3)).toEqual([0, 100, 200]);
  });

  test('when a write is throttled, then the bucket is empty and the next write waits a refill', async () => {
    const { go, pacer } = simulation(200, 10);
    pacer.throttled();
    expect(await go(2)).toEqual([100, 200]);
  });
});

describe('pacingPolicy', () => {
  const frozen = (bucket: number): RequestPacer =>
    new RequestPacer(
      bucket,
      1,
      () => 0,
      () => Promise.resolve(),
    );
  const send = (
    pacers: { reads: RequestPacer; writes: RequestPacer },
    method: 'GET' | 'POST' | 'PUT',
    status: number,
    headers: Record<string, string> = {},
  ): Promise<PipelineResponse> =>
    pacingPolicy(pacers).sendRequest(
      createPipelineRequest({ url: 'https://arm.example/subscriptions/s', method }),
      (request: PipelineRequest) =>
        Promise.resolve({ request, status, headers: createHttpHeaders(headers) }),
    );

  test("when reads and writes go through it, then each spends its own bucket and follows ARM's count of it", async () => {
    const pacers = { reads: frozen(250), writes: frozen(200) };
    await send(pacers, 'GET', 200, {
      'x-ms-ratelimit-remaining-subscription-reads': '17',
      'x-ms-ratelimit-remaining-subscription-writes': '3',
    });
    expect(pacers.reads.balance).toBe(17);
    expect(pacers.writes.balance).toBe(200);
    await send(pacers, 'POST', 202, { 'x-ms-ratelimit-remaining-subscription-writes': '150' });
    await send(pacers, 'PUT', 200);
    expect(pacers.writes.balance).toBe(149);
    expect(pacers.reads.balance).toBe(17);
  });

  test('when a read is throttled, then the read bucket is empty and the write bucket is not', async () => {
    const pacers = { reads: frozen(250), writes: frozen(200) };
    await send(pacers, 'GET', 429);
    expect(pacers.reads.balance).toBe(0);
    expect(pacers.writes.balance).toBe(200);
  });
});
