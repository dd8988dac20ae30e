import { operationError, OperationTimer, type Pollable } from '../../shared/arm/lro';

/** An OperationTimer on a virtual clock that its waits move on; the waits, in order. */
function virtualTimer(): { timer: OperationTimer; clock: { now: number }; waits: number[] } {
  const clock = { now: 0 };
  const waits: number[] = [];
  const timer = new OperationTimer(
    10,
    60_000,
    () => clock.now,
    (ms) => {
      waits.push(ms);
      clock.now += ms;
      return Promise.resolve();
    },
  );
  return { timer, clock, waits };
}

/** A simulated operation that ends at `endsAt` on a virtual clock. */
function simulation(
  endsAt: number,
  failWith?: Error,
): { timer: OperationTimer; op: () => Pollable; polls: number[]; clock: { now: number } } {
  const { timer, clock } = virtualTimer();
  const polls: number[] = [];
  const op = (): Pollable => {
    const start = clock.now;
    let done = false;
    return {
      poll: () => {
        polls.push(clock.now - start);
        done = clock.now - start >= endsAt;
        return Promise.resolve();
      },
      isDone: () => done,
      failure: () => (done ? failWith : undefined),
    };
  };
  return { timer, op, polls, clock };
}

describe('OperationTimer', () => {
  test("when an operation outlasts the caller's deadline, then it stops before the deadline with a retryable OperationStillRunning", async () => {
    const sim = simulation(10_000_000);
    await expect(sim.timer.drive('start', sim.op(), sim.clock.now, 500_000)).rejects.toMatchObject({
      code: 'OperationStillRunning',
      retryable: true,
    });
    expect(sim.clock.now).toBeLessThanOrEqual(500_000);
  });

  test('when an operation kind is new, then it probes with doubling waits from the minimum', async () => {
    const sim = simulation(300);
    const stats = await sim.timer.drive('deallocate', sim.op(), sim.clock.now);
    expect(sim.polls).toEqual([10, 20, 40, 80, 160, 320]);
    expect(stats.polls).toBe(6);
  });

  test('when the kind has been seen, then the first poll lands at the expected end', async () => {
    const sim = simulation(300);
    await sim.timer.drive('deallocate', sim.op(), sim.clock.now);
    sim.polls.length = 0;
    const learned = sim.timer.expectedMs('deallocate') ?? 0;
    await sim.timer.drive('deallocate', sim.op(), sim.clock.now);
    expect(sim.polls[0]).toBeCloseTo(learned, 5);
    expect(sim.polls[sim.polls.length - 1]).toBeLessThanOrEqual(300 * 1.1);
  });

  test('when operations keep taking the same time, then polls settle at three or fewer each and the end is seen within 5%', async () => {
    const sim = simulation(1000);
    const counts: number[] = [];
    for (let i = 0; i < 20; i += 1)
      counts.push((await sim.timer.drive('start', sim.op(), sim.clock.now)).polls);
    expect(Math.max(...counts.slice(5))).toBeLessThanOrEqual(3);
    expect(sim.timer.expectedMs('start')).toBeGreaterThan(900);
    expect(sim.timer.expectedMs('start')).toBeLessThanOrEqual(1000 * 1.05);
  });

  test.each([
    { what: '2.5 times faster', actual: 400 },
    { what: '2 times slower', actual: 2_000 },
  ])(
    'when operations run $what than expected and ARM reports their times, then the second is seen ending within 5% and the first within the step rule',
    async ({ actual }) => {
      const timer = OperationTimer.withPriors(10, { start: 1_000 }, 1);
      Object.assign(timer, {});
      const { timer: sleepy, clock } = virtualTimer();
      // Seeded with the same prior, on the virtual clock.
      (sleepy as unknown as { expected: Map<string, number> }).expected.set(
        'start',
        timer.expectedMs('start') ?? 1_000,
      );
      const op = (): Pollable => {
        const start = clock.now;
        let done = false;
        return {
          poll: () => {
            done = clock.now - start >= actual;
            return Promise.resolve();
          },
          isDone: () => done,
          failure: () => undefined,
          reported: () => (done ? { durationMs: actual } : {}),
        };
      };
      const first = await sleepy.drive('start', op(), clock.now);
      const second = await sleepy.drive('start', op(), clock.now);
      // Slower than expected: steps of at most a tenth of the time waited.
      if (actual > 1_000) expect(first.elapsedMs).toBeLessThanOrEqual(actual * 1.1);
      expect(second.elapsedMs).toBeLessThanOrEqual(actual * 1.05);
      expect(second.polls).toBe(1);
    },
  );

  test('when ARM gives a Retry-After, then no wait is longer than it', async () => {
    const { timer, waits } = virtualTimer();
    (timer as unknown as { expected: Map<string, number> }).expected.set('start', 5_000);
    let polls = 0;
    await timer.drive(
      'start',
      {
        poll: () => {
          polls += 1;
          return Promise.resolve();
        },
        isDone: () => polls >= 4,
        failure: () => undefined,
        reported: () => ({ retryAfterMs: 1_000 }),
      },
      0,
    );
    // The first wait is before any answer; after it, ARM's 1 s bounds every wait.
    expect(waits.slice(1).every((w) => w <= 1_000)).toBe(true);
  });

  test('when the operation ends failed, then it throws a typed error with the ARM code', async () => {
    const sim = simulation(
      50,
      new Error('The long-running operation has failed. AllocationFailed. No capacity.'),
    );
    await expect(sim.timer.drive('start', sim.op(), sim.clock.now)).rejects.toMatchObject({
      code: 'AllocationFailed',
      retryable: true,
    });
  });

  test('when the operation was already done at submission, then it does not poll', async () => {
    const sim = simulation(0);
    const done: Pollable = {
      poll: () => Promise.reject(new Error('must not poll')),
      isDone: () => true,
      failure: () => undefined,
    };
    expect(await sim.timer.drive('start', done, 0)).toEqual({ polls: 0, elapsedMs: 0 });
  });
});

describe('operationError', () => {
  test.each([
    [
      'The long-running operation has failed. InternalOperationError. boom',
      'InternalOperationError',
      true,
    ],
    [
      'The long-running operation has failed. OperationNotAllowed. nope',
      'OperationNotAllowed',
      false,
    ],
    ['something else', 'OperationFailed', false],
  ])('when the message is %s, then the code is %s', (message, code, retryable) => {
    expect(operationError(new Error(message))).toMatchObject({ code, retryable });
  });
});

describe('OperationTimer.withPriors', () => {
  test('when priors are given for a scaled ARM, then the first poll of a kind lands at its scaled typical duration', () => {
    const timer = OperationTimer.withPriors(10, { deallocate: 30_000 }, 0.01);
    expect(timer.expectedMs('deallocate')).toBe(300);
    expect(timer.expectedMs('unknown')).toBeUndefined();
  });
});
