/**
 * The pause routes of the function app under the local host, over real HTTP: what an
 * operator's curl, the CLI and the dashboard see.
 */
import http from 'node:http';

import { useLocalTwin } from '../support/twin';

interface Answer {
  status: number;
  body: unknown;
  text: string;
}

describe('the pause routes through the local host', () => {
  const local = useLocalTwin();

  /** One request on its own connection (no keep-alive: the host restarts in a test). */
  function call(
    method: string,
    options: { body?: string; type?: string; key?: string | null; path?: string } = {},
  ): Promise<Answer> {
    const key = options.key === undefined ? local.twin.functionKey : options.key;
    return new Promise((resolve, reject) => {
      const req = http.request(
        `${local.twin.host.url}${options.path ?? '/api/pause'}`,
        {
          method,
          agent: false,
          headers: {
            ...(key !== null ? { 'x-functions-key': key } : {}),
            ...(options.type !== undefined ? { 'content-type': options.type } : {}),
            // Node sends a DELETE's body only with a length, as curl and fetch do.
            ...(options.body !== undefined
              ? { 'content-length': String(Buffer.byteLength(options.body)) }
              : {}),
          },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
          res.on('end', () => {
            let body: unknown;
            try {
              body = JSON.parse(text);
            } catch {
              body = undefined;
            }
            resolve({ status: res.statusCode ?? 0, body, text });
          });
        },
      );
      req.on('error', reject);
      req.end(options.body);
    });
  }
  const json = 'application/json';

  afterEach(async () => {
    await call('DELETE');
  });

  test('when nothing was paused, then GET answers not paused', async () => {
    expect(await call('GET')).toMatchObject({ status: 200, body: { paused: false } });
  });

  test('when paused with a reason, then POST answers the state, GET and the dashboard show it, and DELETE ends it', async () => {
    const before = Date.now();
    const paused = await call('POST', {
      body: JSON.stringify({ reason: 'storage account failover', by: 'alice' }),
      type: json,
    });

    expect(paused.status).toBe(200);
    expect(paused.body).toEqual({
      paused: true,
      reason: 'storage account failover',
      since: expect.any(String),
      by: 'alice',
    });
    const since = Date.parse((paused.body as { since: string }).since);
    expect(since).toBeGreaterThanOrEqual(before - 1000);
    expect(since).toBeLessThanOrEqual(Date.now() + 1000);
    expect((await call('GET')).body).toEqual(paused.body);
    const page = await call('GET', { path: '/api/dashboard' });
    expect(page.text).toMatch(/<strong>Paused<\/strong> since <time[^>]*>[^<]+<\/time> by/);
    expect(page.text).toContain('<span class="reason">storage account failover</span>');

    const resumed = await call('DELETE');

    expect(resumed).toMatchObject({ status: 200, body: { paused: false } });
    expect((await call('GET')).body).toEqual({ paused: false });
    expect((await call('GET', { path: '/api/dashboard' })).text).toContain(
      '<strong>Not paused</strong>',
    );
  });

  test('when paused twice, then the second answer keeps the first since and by', async () => {
    const first = await call('POST', { body: '{}', type: json });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const second = await call('POST', {
      body: JSON.stringify({ reason: 'still investigating', by: 'bob' }),
      type: json,
    });

    const { since, by } = first.body as { since: string; by: string };
    expect(by).toBe('operator');
    expect(second).toMatchObject({
      status: 200,
      body: { paused: true, since, by, reason: 'still investigating' },
    });
  });

  test('when POST has no body at all, or JSON without a JSON content type (curl -d), then it is taken', async () => {
    expect(await call('POST')).toMatchObject({ status: 200, body: { paused: true } });
    await call('DELETE');
    expect(
      await call('POST', {
        body: '{"reason":"sent by curl -d"}',
        type: 'application/x-www-form-urlencoded',
      }),
    ).toMatchObject({ status: 200, body: { paused: true, reason: 'sent by curl -d' } });
    expect(await call('DELETE', { body: '{"by":"carol"}' })).toMatchObject({
      status: 200,
      body: { paused: false },
    });
  });

  test.each([
    [
      'POST',
      'a form body',
      'reason=maint',
      'application/x-www-form-urlencoded',
      'InvalidJson',
      /is a form \(application\/x-www-form-urlencoded\); this route takes a JSON object.*application\/json/,
    ],
    [
      'POST',
      'JSON as curl -d sends it, broken',
      '{"reason": maint}',
      'application/x-www-form-urlencoded',
      'InvalidJson',
      /not valid JSON \(it was sent as application\/x-www-form-urlencoded, so it was read as JSON\)/,
    ],
    ['POST', 'text that is not JSON', 'pause please', undefined, 'InvalidJson', /not valid JSON/],
    ['POST', 'invalid JSON', '{"reason":', json, 'InvalidJson', /not valid JSON/],
    ['POST', 'an array', '["maint"]', json, 'InvalidRequest', /^\(body\): must be a JSON object$/],
    [
      'POST',
      'a number for reason',
      '{"reason":5}',
      json,
      'InvalidRequest',
      /^reason: must be a string$/,
    ],
    [
      'POST',
      'an empty reason',
      '{"reason":"  "}',
      json,
      'InvalidRequest',
      /^reason: must not be empty$/,
    ],
    [
      'POST',
      'a reason over 500 characters',
      JSON.stringify({ reason: 'x'.repeat(501) }),
      json,
      'InvalidRequest',
      /^reason: must be at most 500 characters$/,
    ],
    [
      'POST',
      'a reason with a newline',
      '{"reason":"a\\nb"}',
      json,
      'InvalidRequest',
      /^reason: must be one line/,
    ],
    [
      'POST',
      'an unknown field',
      '{"reasn":"typo"}',
      json,
      'InvalidRequest',
      /unknown field\(s\): reasn/,
    ],
    ['POST', 'by as an object', '{"by":{}}', json, 'InvalidRequest', /^by: must be a string$/],
    [
      'DELETE',
      'a reason (resume takes none)',
      '{"reason":"done"}',
      json,
      'InvalidRequest',
      /unknown field\(s\): reason/,
    ],
    ['DELETE', 'invalid JSON', '{', json, 'InvalidJson', /not valid JSON/],
  ])(
    'when %s has %s, then it answers 400 with the error body naming the problem, and changes nothing',
    async (method, _what, body, type, code, message) => {
      if (method === 'DELETE') await call('POST', { body: '{"reason":"kept"}', type: json });
      const before = (await call('GET')).body;

      const answer = await call(method, { body, ...(type !== undefined ? { type } : {}) });

      expect(answer.status).toBe(400);
      expect(answer.body).toEqual({
        error: { code, message: expect.stringMatching(message) as unknown },
      });
      expect((await call('GET')).body).toEqual(before);
    },
  );

  test('when a body is over 16 KB, then it answers 413 and changes nothing', async () => {
    const answer = await call('POST', {
      body: JSON.stringify({ reason: 'x'.repeat(20_000) }),
      type: json,
    });
    expect(answer).toMatchObject({ status: 413, body: { error: { code: 'PayloadTooLarge' } } });
    expect((await call('GET')).body).toEqual({ paused: false });
  });

  test.each([
    ['no key', null],
    ['a wrong key', 'not-the-key'],
  ])('when a request has %s, then every method answers 401 and nothing changes', async (_, key) => {
    for (const method of ['GET', 'POST', 'DELETE'])
      expect({ method, status: (await call(method, { key })).status }).toEqual({
        method,
        status: 401,
      });
    expect((await call('GET')).body).toEqual({ paused: false });
  });

  test('when the host restarts, then the pause is still on', async () => {
    await call('POST', { body: '{"reason":"across a restart"}', type: json });
    await local.twin.restartHost();
    expect((await call('GET')).body).toMatchObject({ paused: true, reason: 'across a restart' });
  });
});
