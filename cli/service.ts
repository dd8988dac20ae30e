/**
 * The HTTP API of a running accelnet service, with its function key (cli/connect.ts decides
 * which service). Every way the service can fail to answer becomes one line that names its
 * URL and says what to try.
 */
import { InvalidArgumentError, Option } from 'commander';

import { isLoopbackEndpoint } from '../shared/arm/endpoint';
import { AccelnetError } from '../shared/platform/errors';
import { UsageError } from './usage';

/** What `accelnet start` serves by default. */
export const DEFAULT_SERVICE_URL = 'http://127.0.0.1:7071';
const TIMEOUT_MS = 30_000;

/** The service's base URL: https, or http on loopback only (the key travels in every request). */
export function parseServiceUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError(
      'must be the URL of an accelnet service, e.g. https://APP.azurewebsites.net.',
    );
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new InvalidArgumentError('must be an http or https URL.');
  if (url.protocol === 'http:' && !isLoopbackEndpoint(value))
    throw new InvalidArgumentError(
      'must be https (http only on 127.0.0.1 or localhost: the function key is sent with every request).',
    );
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '')
    throw new InvalidArgumentError(
      'must be the base URL alone, without credentials, query or fragment (the key goes in --key).',
    );
  return `${url.origin}${url.pathname}`.replace(/\/+$/, '');
}

export const serviceOption = (): Option =>
  new Option(
    '--service <url>',
    'a running accelnet service (also ACCELNET_SERVICE_URL); default: the one `accelnet start` runs, found through its service.json',
  ).argParser(parseServiceUrl);

export const keyOption = (): Option =>
  new Option(
    '--key <key>',
    "the service's function key (also ACCELNET_FUNCTION_KEY, which keeps it out of the process list)",
  ).argParser((value: string) => {
    if (value.trim() === '') throw new InvalidArgumentError('must not be empty.');
    return value.trim();
  });

interface ErrorBody {
  error?: { code?: unknown; message?: unknown };
}

/** The service's HTTP API with its key; answers are JSON. */
export class ServiceClient {
  constructor(
    readonly url: string,
    private readonly key: string,
    private readonly timeoutMs = TIMEOUT_MS,
  ) {}

  /** Calls a route; a 2xx answer's JSON body, or a thrown error that says what to do. */
  async call(method: string, route: string, body?: unknown): Promise<unknown> {
    let response: Response;
    try {
      response = await fetch(`${this.url}${route}`, {
        method,
        headers: {
          'x-functions-key': this.key,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      throw this.unreachable(error);
    }
    const text = await response.text();
    const json = parseJson(text);
    const where = `the accelnet service at ${this.url}`;
    if (response.ok) {
      if (json === undefined)
        throw new AccelnetError(
          'ServiceAnswerInvalid',
          `${where} did not answer ${method} ${route} with JSON: check that --service (or ACCELNET_SERVICE_URL) is an accelnet service's base URL.`,
        );
      return json;
    }
    const error = (json as ErrorBody | undefined)?.error;
    const code = typeof error?.code === 'string' ? error.code : `Http${response.status}`;
    const message = typeof error?.message === 'string' ? error.message : oneLine(text, 200);
    if (response.status === 401 || response.status === 403)
      throw new AccelnetError(
        'ServiceKeyRefused',
        `${where} refused the function key (${response.status}): pass the key it runs with as --key or ACCELNET_FUNCTION_KEY (\`accelnet start\` prints it; in Azure it is the app's host key).`,
        { status: response.status },
      );
    if (
      response.status === 405 ||
      (response.status === 404 && (code === 'Http404' || /^no (route|function) for/.test(message)))
    )
      throw new AccelnetError(
        'ServiceRouteMissing',
        `${where} has no ${method} ${route.split('?')[0]} (${response.status}): check that --service (or ACCELNET_SERVICE_URL) is an accelnet service's base URL, without /api, and that it is as new as this CLI.`,
        { status: response.status },
      );
    if (response.status === 404 || response.status === 409 || response.status === 410)
      throw new AccelnetError(code, message, { status: response.status });
    if (response.status === 400 || response.status === 413)
      throw new UsageError(`the service refused the request (${code}): ${message}`);
    throw new AccelnetError(
      code,
      `${method} ${route} at ${this.url} answered ${response.status} (${code}): ${message}`,
      { status: response.status },
    );
  }

  /** A request that got no answer, in words, with what to try. */
  private unreachable(error: unknown): AccelnetError {
    const where = `the accelnet service at ${this.url}`;
    const fix = 'point --service (or ACCELNET_SERVICE_URL) at the running service';
    const code = networkCode(error);
    let message: string;
    if (code === 'TimeoutError' || code === 'ETIMEDOUT' || code === 'UND_ERR_CONNECT_TIMEOUT')
      message = `${where} did not answer within ${Math.round(this.timeoutMs / 1000)} s: check that it is running and reachable from here, then try again.`;
    else if (code === 'ECONNREFUSED')
      message = `cannot reach ${where}: nothing accepts connections there (connection refused). Is it running? Start one with \`accelnet start\`, or ${fix}.`;
    else if (code === 'ENOTFOUND' || code === 'EAI_AGAIN')
      message = `cannot reach ${where}: its host name does not resolve. Check the URL, or ${fix}.`;
    else if (code !== undefined && /CERT|SSL|TLS|UNABLE_TO_VERIFY|SELF_SIGNED/.test(code))
      message = `cannot reach ${where}: its TLS certificate is not trusted (${code}). Check the URL, or ${fix}.`;
    else {
      const detail = code ?? innermostMessage(error);
      message = `cannot reach ${where}: the request failed${detail !== undefined ? ` (${detail})` : ''}. Check that it is running, or ${fix}.`;
    }
    return new AccelnetError('ServiceUnreachable', message, { retryable: true, cause: error });
  }
}

/** The most specific code in an error's cause chain (fetch wraps the socket's error). */
export function networkCode(error: unknown): string | undefined {
  const seen = new Set<unknown>();
  const queue: unknown[] = [error];
  let fallback: string | undefined;
  while (queue.length > 0) {
    const e = queue.shift();
    if (typeof e !== 'object' || e === null || seen.has(e)) continue;
    seen.add(e);
    const { code, name, cause, errors } = e as {
      code?: unknown;
      name?: unknown;
      cause?: unknown;
      errors?: unknown;
    };
    if (typeof code === 'string' && code !== '') return code;
    if (name === 'TimeoutError' || name === 'AbortError') fallback ??= 'TimeoutError';
    queue.push(cause);
    if (Array.isArray(errors)) queue.push(...(errors as unknown[]));
  }
  return fallback;
}

/** The message of the last error in a cause chain: fetch's own says only "fetch failed". */
export function innermostMessage(error: unknown): string | undefined {
  let message: string | undefined;
  for (let e = error, depth = 0; e instanceof Error && depth < 10; e = e.cause, depth += 1)
    message = e.message.replace(/\s+/g, ' ').trim() || message;
  return message;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function oneLine(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}
