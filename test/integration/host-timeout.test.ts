/**
 * functionTimeout in the local host, as the Functions host enforces it (issue 14, point 2): an
 * activity past it fails as the extension reports a timeout, its worker restarts, and every
 * other invocation on it is lost.
 */
import type { InstanceRecord } from '../../host/durable/taskHub';
import type { RunningHost } from '../../host/server';
import { done, HistoryEventType, localHosts, sleep, start } from '../support/localHost';

describe('when an activity runs past functionTimeout', () => {
  const hosts = localHosts();
  let timed: RunningHost;
  let plain: RunningHost;
  beforeAll(async () => {
    plain = await hosts.host();
    // The app setting that overrides host.json's functionTimeout, as in Azure. App settings
    // are the process's environment while a host runs: it is started last.
    timed = await hosts.host({
      appSettings: { AzureFunctionsJobHost__functionTimeout: '00:00:02' },
    });
  });
  afterAll(() => hosts.stop());

  test('then it is reported failed at its timeout with the Functions host\u2019s message, its late result discarded, and every invocation on the restarted worker is lost and times out too', async () => {
    const began = Date.now();
    const long = start(timed, 'sleeper', 6000);
    await sleep(1000);
    // Started 1 s later, it returns after 1.5 s, within its own 2 s, but its worker restarts.
    const lost = start(timed, 'sleeper', 1500);
    const first = await done(timed, long, 10_000);
    expect(Date.now() - began).toBeLessThan(4000);
    const reasons = (rec: InstanceRecord): unknown[] =>
      rec.history.filter((e) => e.EventType === HistoryEventType.TaskFailed).map((e) => e.Reason);
    // FunctionExecutor.cs:643-669 (the exception, unwrapped: FunctionExecutor.cs:377-379), as
    // the extension reports it (TaskActivityShim.cs:100-124).
    const message =
      "Activity function 'sleep' failed: Timeout value of 00:00:02 was exceeded by function: Functions.sleep";
    expect(first.runtimeStatus).toBe('Failed');
    expect(reasons(first)).toEqual([message]);
    const second = await done(timed, lost, 10_000);
    expect(second.runtimeStatus).toBe('Failed');
    expect(reasons(second)).toEqual([message]);
    expect(second.history.some((e) => e.EventType === HistoryEventType.TaskCompleted)).toBe(false);
    expect(hosts.logs).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        msg: expect.stringMatching(
          /^A function timeout has occurred\. Restarting worker process executing invocationId '.+'\.$/,
        ) as unknown,
        lost: ['sleep'],
      }),
    );
    // The late results arrive and change nothing.
    await sleep(6500 - (Date.now() - began));
    expect(timed.taskHub.get(long)?.runtimeStatus).toBe('Failed');
    expect(timed.taskHub.get(lost)?.history).toHaveLength(second.history.length);
  }, 20_000);

  test('then the project\u2019s host.json limit (00:10:00) applies where no app setting overrides it', async () => {
    const id = start(plain, 'sleeper', 300);
    expect((await done(plain, id)).runtimeStatus).toBe('Completed');
  });
});
