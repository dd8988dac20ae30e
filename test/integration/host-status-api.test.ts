/**
 * The Durable Functions HTTP API of the local host answers as the extension's HttpApiHandler
 * does (issue 14, point 4): times to the second, status codes of failed and terminated
 * instances, and instance lists with their inputs unless asked otherwise. (A start of a running
 * id: host.test.ts.)
 */
import type { RunningHost } from '../../host/server';
import { done, KEY, localHosts, start, until } from '../support/localHost';

describe('the status API', () => {
  const hosts = localHosts();
  let host: RunningHost;
  beforeAll(async () => {
    host = await hosts.host();
  });
  afterAll(() => hosts.stop());
  const api = (pathAndQuery: string): Promise<Response> =>
    fetch(
      `${host.url}/runtime/webhooks/durabletask/${pathAndQuery}${pathAndQuery.includes('?') ? '&' : '?'}code=${KEY}`,
    );

  test('when an instance is read or listed, then its times are to the second, as the extension writes them', async () => {
    const id = start(host, 'helloSequence');
    await done(host, id);
    const second = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;
    // HttpApiHandler.cs:713-714: ToString("s") + "Z".
    const one = (await (await api(`instances/${id}`)).json()) as Record<string, string>;
    expect(one.createdTime).toMatch(second);
    expect(one.lastUpdatedTime).toMatch(second);
    const list = (await (await api(`instances?instanceIdPrefix=${id}`)).json()) as Record<
      string,
      string
    >[];
    expect(list.flatMap((r) => [r.createdTime, r.lastUpdatedTime])).toEqual([
      expect.stringMatching(second),
      expect.stringMatching(second),
    ]);
  });

  test('when an instance failed or was terminated, then its status is 200 (500 for a failure only when asked), and a running one 202 with its own URL as Location and Retry-After 5', async () => {
    // HttpApiHandler.cs:641-690.
    const failed = start(host, 'fails');
    expect((await done(host, failed)).runtimeStatus).toBe('Failed');
    expect((await api(`instances/${failed}`)).status).toBe(200);
    expect((await api(`instances/${failed}?returnInternalServerErrorOnFailure=true`)).status).toBe(
      500,
    );
    const running = start(host, 'approval', { timeoutMs: 60_000 });
    await until('running', () => host.taskHub.get(running)?.runtimeStatus === 'Running');
    const busy = await api(`instances/${running}`);
    expect(busy.status).toBe(202);
    expect(busy.headers.get('retry-after')).toBe('5');
    expect(busy.headers.get('location')).toBe(busy.url);
    host.taskHub.terminate(running, 'enough');
    expect((await api(`instances/${running}`)).status).toBe(200);
  });

  test('when instances are listed, then they carry their input unless showInput=false', async () => {
    // OrchestrationStatusQueryCondition.cs:79 (ShowInput = true), HttpApiHandler.cs:480-483.
    const id = start(host, 'helloSequence', { hello: 'input' });
    await done(host, id);
    const listed = async (query: string): Promise<unknown> =>
      (
        (await (await api(`instances?instanceIdPrefix=${id}${query}`)).json()) as {
          input: unknown;
        }[]
      )[0]?.input;
    expect(await listed('')).toEqual({ hello: 'input' });
    expect(await listed('&showInput=true')).toEqual({ hello: 'input' });
    expect(await listed('&showInput=False')).toBeNull();
  });
});
