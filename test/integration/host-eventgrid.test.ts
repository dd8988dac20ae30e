/**
 * Event Grid deliveries to the local host, as the Functions host's Event Grid extension answers
 * them (issue 14, point 5): a delivery needs `aeg-event-type`, and every event of a batch runs
 * at once, one failure failing the delivery.
 */
import type { RunningHost } from '../../host/server';
import { appEvent, KEY, localHosts, sleep } from '../support/localHost';

describe('an Event Grid delivery', () => {
  const hosts = localHosts();
  let host: RunningHost;
  beforeAll(async () => {
    host = await hosts.host();
  });
  afterAll(() => hosts.stop());
  const hook = (): string =>
    `${host.url}/runtime/webhooks/eventgrid?functionName=onEvent&code=${KEY}`;
  const logged = (msg: string): boolean =>
    hosts.logs.some((l) => l.component === 'app' && l.functionName === 'onEvent' && l.msg === msg);

  test('when it has no aeg-event-type, then it is refused with 400 and nothing runs', async () => {
    // HttpRequestProcessor.cs:105-128 (azure-sdk-for-net 515190d3).
    const res = await fetch(hook(), {
      method: 'POST',
      body: JSON.stringify([appEvent('nohdr', 'vm')]),
    });
    expect(res.status).toBe(400);
    await sleep(100);
    expect(logged('event nohdr')).toBe(false);
  });

  test('when one event of a batch fails, then every event still runs, at once, and the delivery is answered 500 with the host\u2019s message', async () => {
    const began = Date.now();
    const res = await fetch(hook(), {
      method: 'POST',
      headers: { 'aeg-event-type': 'Notification' },
      body: JSON.stringify([
        appEvent('b1', 'slow'),
        appEvent('b2', 'boom'),
        appEvent('b3', 'slow'),
        appEvent('b4', 'slow'),
      ]),
    });
    const took = Date.now() - began;
    // EventGridExtensionConfigProvider.ProcessEventsAsync: Task.WhenAll, then 500 with the
    // first failed result's message (FunctionExecutor.cs:383-385 wraps the function's error).
    expect(res.status).toBe(500);
    expect(await res.text()).toBe('Exception while executing function: Functions.onEvent');
    for (const id of ['b1', 'b3', 'b4']) {
      expect(logged(`event ${id}`)).toBe(true);
      expect(logged(`event done ${id}`)).toBe(true);
    }
    // Three events of 400 ms each, one after another, would take 1.2 s.
    expect(took).toBeLessThan(1100);
  });
});
