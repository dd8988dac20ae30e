/**
 * The local host replays every action of an episode against the history, as the Durable
 * extension's out-of-process shim and DTFx do (host/durable/replay.ts), and what follows from
 * it (issue 14, points 1, 3, 6 and 7): a changed orchestrator fails its instances in flight,
 * retries are timed by DTFx's rules, continue-as-new drops or carries external events as DTFx
 * does, and a custom status over 16 KB fails the orchestration.
 */
import type { HistoryEvent } from '../../host/durable/history';
import type { RunningHost } from '../../host/server';
import {
  done,
  episodeOf,
  HistoryEventType,
  localHosts,
  start,
  TEST_APP,
  until,
} from '../support/localHost';

const changed = TEST_APP.replace(/index\.ts$/, 'changed.ts');

describe('the local host replays every episode as the extension does', () => {
  const hosts = localHosts();
  let shared: RunningHost;
  beforeAll(async () => {
    shared = await hosts.host();
  });
  afterAll(() => hosts.stop());

  // ---- 1. non-determinism ----

  describe('when the orchestrator deployed no longer matches the history of an instance in flight', () => {
    const CHANGED =
      'Was a change made to the orchestrator code after this instance had already started running?';
    // DTFx.Core 2.17.1 TaskOrchestrationContext.cs:277-309 (HandleTaskScheduledEvent), after the
    // exception's prefix (NonDeterministicOrchestrationException.cs:57-61); the orchestration
    // fails with it as its output (TaskOrchestrationExecutor.cs:180-183).
    const expected: Record<string, string> = {
      renamedActivity: `Non-Deterministic workflow detected: A previous execution of this orchestration scheduled an activity task with sequence number 0 named 'sayHello', but the current orchestration replay instead scheduled an activity task named 'sayGoodbye' with this sequence number.  ${CHANGED}`,
      timerInserted: `Non-Deterministic workflow detected: A previous execution of this orchestration scheduled an activity task with sequence number 0 named 'sayHello', but the current orchestration replay instead produced a CreateTimerOrchestratorAction action with this sequence number. ${CHANGED}`,
      activityDropped: `Non-Deterministic workflow detected: A previous execution of this orchestration scheduled an activity task with sequence ID 0 and name 'sayHello' (version ''), but the current replay execution hasn't (yet?) scheduled this task. ${CHANGED}`,
    };
    const ids: Record<string, string> = {};
    let second: RunningHost;

    beforeAll(async () => {
      const dataDir = hosts.dataDir();
      const first = await hosts.host({ dataDir });
      for (const name of [...Object.keys(expected), 'unchanged']) {
        const id = start(first, name);
        ids[name] = id;
        await until(`${name} waiting for go`, () =>
          (first.taskHub.get(id)?.history ?? []).some(
            (e) => e.EventType === HistoryEventType.TaskCompleted,
          ),
        );
      }
      await first.stop();
      second = await hosts.host({ dataDir, entry: changed });
      for (const id of Object.values(ids)) second.taskHub.raiseEvent(id, 'go', undefined);
    });

    test.each(Object.keys(expected))(
      'when %s is replayed against its history, then the instance fails with the extension\u2019s non-determinism message',
      async (name) => {
        const rec = await done(second, ids[name] ?? '');
        expect(rec.runtimeStatus).toBe('Failed');
        expect(JSON.parse(rec.output ?? '""')).toBe(expected[name]);
        // Nothing the changed code scheduled ran: the second activity never started.
        expect(
          rec.history.filter((e) => e.EventType === HistoryEventType.TaskScheduled),
        ).toHaveLength(1);
      },
    );

    test('when the orchestrator is unchanged, then its instance goes on', async () => {
      const rec = await done(second, ids.unchanged ?? '');
      expect(rec.runtimeStatus).toBe('Completed');
      expect(JSON.parse(rec.output ?? '')).toBe('Hello second');
    });
  });

  // ---- 3. retry timing ----

  test('when the last attempt of a retried activity fails, then the task fails in the episode after a timer that fires at once (DTFx\u2019s back-compat timer), not an interval later', async () => {
    const rec = await done(shared, start(shared, 'retryExhausted', null));
    expect(rec.runtimeStatus).toBe('Completed');
    const timers = rec.history.filter((e) => e.EventType === HistoryEventType.TimerCreated);
    expect(timers).toHaveLength(2);
    const [retry, last] = timers as [HistoryEvent, HistoryEvent];
    // RetryInterceptor.cs:84-91: the retry timer fires one interval after the orchestration's
    // current time, the OrchestratorStarted of the episode that read the failure.
    expect(
      Date.parse(String(retry.FireAt)) - Date.parse(episodeOf(rec.history, retry)?.Timestamp ?? ''),
    ).toBe(400);
    // RetryInterceptor.cs:73-82: after the last attempt, a timer at the current time.
    expect(last.FireAt).toBe(episodeOf(rec.history, last)?.Timestamp);
    const lastFailure = rec.history.findLast((e) => e.EventType === HistoryEventType.TaskFailed);
    const failedAt = Date.parse(
      episodeOf(rec.history, lastFailure as HistoryEvent)?.Timestamp ?? '',
    );
    expect(Date.parse(JSON.parse(rec.output ?? '""') as string) - failedAt).toBeLessThan(300);
  });

  // ---- 6. continue-as-new and external events ----

  describe('when an orchestration continues as new', () => {
    test('when an event comes in the same episode after the completion that continues it as new, then the new execution gets it (DTFx carries it over)', async () => {
      // A host with one orchestrator slot, held by `hog` while events queue for the other.
      const narrow = await hosts.host({ maxConcurrentOrchestratorFunctions: 1 });
      const gate = (verb: 'open' | 'close'): Promise<Response> =>
        fetch(`${narrow.url}/api/gates/hog/${verb}`, { method: 'POST' });
      await gate('close');
      const id = start(narrow, 'carryOver', { generation: 0, timerMs: 300 });
      await until('the timer', () =>
        (narrow.taskHub.get(id)?.work ?? []).some((w) => w.kind === 'timer'),
      );
      start(narrow, 'hog');
      await until(
        'the timer fired',
        () => (narrow.taskHub.get(id)?.inbox ?? []).length === 1,
        5000,
      );
      narrow.taskHub.raiseEvent(id, 'e', JSON.stringify('carried'));
      expect(narrow.taskHub.get(id)?.inbox.map((e) => e.EventType)).toEqual([
        HistoryEventType.TimerFired,
        HistoryEventType.EventRaised,
      ]);
      await gate('open');
      const rec = await done(narrow, id, 5000);
      expect(rec.runtimeStatus).toBe('Completed');
      expect(JSON.parse(rec.output ?? '')).toEqual({ got: 'carried' });
    });

    test('when an event came before it continued as new and nothing took it, then it is gone; one raised after reaches the new execution', async () => {
      // OutOfProcOrchestrationShim.cs:170-173 (preserveUnprocessedEvents is never asked for) and
      // DurableTaskExtension.cs:829-835; raised events target the instance (DurableClient.cs:835-838).
      const id = start(shared, 'carryOver', { generation: 0, timerMs: 500 });
      await until('the timer', () =>
        (shared.taskHub.get(id)?.work ?? []).some((w) => w.kind === 'timer'),
      );
      shared.taskHub.raiseEvent(id, 'e', JSON.stringify('too early'));
      await until(
        'generation 1',
        () => shared.taskHub.get(id)?.input === JSON.stringify({ generation: 1, timerMs: 500 }),
        5000,
      );
      await new Promise((r) => setTimeout(r, 200));
      expect(shared.taskHub.get(id)?.runtimeStatus).toBe('Running');
      shared.taskHub.raiseEvent(id, 'e', JSON.stringify('in time'));
      expect(JSON.parse((await done(shared, id)).output ?? '')).toEqual({ got: 'in time' });
    });
  });

  // ---- 7. the custom status limit ----

  describe('a custom status', () => {
    // DurableOrchestrationContext.cs:221-230 and MessagePayloadDataConverter.cs:60-71: the JSON
    // counted in UTF-16, in whole KB, over 16 refused.
    test.each([
      [8000, 'Completed'],
      [8701, 'Completed'], // 17,406 bytes: 16 KB once rounded down
      [8702, 'Failed'], // 17,408 bytes: 17 KB
    ])(
      'when it is a string of %i characters, then the orchestration is %s',
      async (size, status) => {
        const rec = await done(shared, start(shared, 'bigStatus', size));
        expect(rec.runtimeStatus).toBe(status);
        if (status === 'Failed') {
          // Wrapped by the shim (TaskOrchestrationShim.cs:192-206).
          expect(JSON.parse(rec.output ?? '')).toBe(
            "Orchestrator function 'bigStatus' failed: The UTF-16 size of the JSON-serialized payload must not exceed 16 KB. The current payload size is 17 KB.",
          );
          expect(rec.history.some((e) => e.EventType === HistoryEventType.TaskScheduled)).toBe(
            false,
          );
        } else {
          expect(JSON.parse(rec.customStatus ?? '')).toHaveLength(size);
        }
      },
    );

    test('when it is set too large in a later episode, then the orchestration fails with DTFx\u2019s non-determinism message, as the refused status leaves its history unreplayed', async () => {
      const rec = await done(shared, start(shared, 'bigStatusLater', 9000));
      expect(rec.runtimeStatus).toBe('Failed');
      expect(JSON.parse(rec.output ?? '')).toMatch(
        /^Non-Deterministic workflow detected: A previous execution of this orchestration scheduled an activity task with sequence ID 0 and name 'sayHello'/,
      );
    });
  });
});
