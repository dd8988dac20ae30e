import { operationError, OperationTimer, type Pollable } from '../../shared/arm/lro';

/** A simulated operation that ends at `endsAt` on a virtual clock. */
function simulation(
  endsAt: number,
  failWith?: Error,
): { timer: OperationTimer; op: () => Pollable; polls: number[]; clock: { now: number } } {
  const clock = { now: 0 };
  const polls: number[] = [];
  const timer = new OperationTimer(
    10,
    60_000,
    () => clock.now,
    (ms) => {
      clock.now += ms;
      return Promise.resolve();
    },
  );
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
    const stats = await sim.timer.drive('deallocate', sim.op(), sim.clock.now);
    expect(stats.polls).toBeLessThanOrEqual(2);
    expect(sim.polls[sim.polls.length - 1]).toBeLessThanOrEqual(300 * 1.1);
  });

  test('when operations keep taking the same time, then polls settle at one or two each', async () => {
    const sim = simulation(1000);
    const counts: number[] = [];
    for (let i = 0; i < 20; i += 1)
      counts.push((await sim.timer.drive('start', sim.op(), sim.clock.now)).polls);
    expect(Math.max(...counts.slice(5))).toBeLessThanOrEqual(2);
    expect(sim.timer.expectedMs('start')).toBeGreaterThan(900);
    expect(sim.timer.expectedMs('start')).toBeLessThanOrEqual(1000 * 1.05);
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
