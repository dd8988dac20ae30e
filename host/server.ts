/**
 * The local functions host: serves HTTP triggers under `/api`, the Event Grid webhook and
 * the Durable HTTP API, and runs orchestrations in a task hub persisted under `dataDir`.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import http, { type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

import { appEnvironment, type RpcHttp } from './core';
import { durableClientData } from './durable/clientBinding';
import { handleDurableApi } from './durable/httpApi';
import { TaskHub } from './durable/taskHub';
import { handleEventGrid } from './eventGrid';
import {
  BodyTooLargeError,
  errorResponse,
  EVENT_GRID_MAX_BODY_BYTES,
  hostBodyLimit,
  type HostResponse,
  readBody,
  send,
} from './http/body';
import { compileRoute } from './http/routes';
import { appMessage, createLogger, errorMessage, hostLevel, type LogSink } from './log';
import { type InputFor, loadApp, type RegisteredFunction, type Registry } from './registry';
import { fromTypedData, isRecord } from './rpc';

export interface HostOptions {
  /** The app's entry module (package.json `main`). */
  entry: string;
  /** Port on 127.0.0.1; 0 picks a free one. Default 7071. */
  port?: number;
  host?: string;
  /** Where orchestration state is kept; in memory only when absent. */
  dataDir?: string;
  /** The key `function`-level routes and the webhooks require; generated when absent. */
  functionKey?: string;
  log?: LogSink;
  /** App settings, given to the app as environment variables (like local.settings.json Values). */
  appSettings?: Record<string, string>;
  taskHubName?: string;
  maxConcurrentActivityFunctions?: number;
  maxConcurrentOrchestratorFunctions?: number;
}

export interface RunningHost {
  url: string;
  functionKey: string;
  taskHub: TaskHub;
  registry: Registry;
  stop(): Promise<void>;
}

const DURABLE_PREFIX = '/runtime/webhooks/durabletask/';
const EVENT_GRID_WEBHOOK = '/runtime/webhooks/eventgrid';

export async function startHost(options: HostOptions): Promise<RunningHost> {
  const log = createLogger(options.log, 'host');
  const appLog = createLogger(options.log, 'app');
  // App settings are the worker's environment while this host runs; restored when it stops.
  const env = appEnvironment();
  const previousEnv = new Map(Object.keys(options.appSettings ?? {}).map((k) => [k, env[k]]));
  Object.assign(env, options.appSettings);
  const restoreEnv = (): void => {
    for (const [k, v] of previousEnv) {
      if (v === undefined) delete env[k];
      else env[k] = v;
    }
  };
  const registry = await loadApp(options.entry);
  // The app's logs: the worker's level as the host's, and a structured entry's fields at the
  // top level of the line (host/log.ts appMessage), beside the invocation that logged it.
  registry.onLog(({ level, ...entry }, message) => {
    const logged = appMessage(message);
    appLog.log(logged.level ?? hostLevel(level), logged.msg, {
      ...entry,
      ...logged.fields,
      ...entry,
    });
  });
  const functionKey = options.functionKey ?? randomBytes(24).toString('base64url');
  // The client binding's RPC base URL, like the extension's private local endpoint.
  const rpcPrefix = `/_host/durabletask/${randomBytes(16).toString('hex')}/`;
  const taskHub = new TaskHub({
    registry,
    dataDir: options.dataDir,
    log: createLogger(options.log, 'durable'),
    taskHubName: options.taskHubName,
    maxConcurrentActivityFunctions: options.maxConcurrentActivityFunctions,
    maxConcurrentOrchestratorFunctions: options.maxConcurrentOrchestratorFunctions,
    env,
  });
  const routes = [...registry.functions.values()]
    .filter(
      (fn): fn is RegisteredFunction & { http: NonNullable<RegisteredFunction['http']> } =>
        fn.http !== undefined,
    )
    .map((fn) => ({ fn, matcher: compileRoute(fn.http.route) }));
  let baseUrl = '';

  const clientData = (): Record<string, unknown> =>
    durableClientData({
      baseUrl,
      rpcBaseUrl: `${baseUrl}${rpcPrefix}`,
      taskHubName: taskHub.name,
      systemKey: functionKey,
    });

  /** Input bindings the host provides to every trigger: the durable client. */
  const inputFor: InputFor = (binding) =>
    binding.type === 'durableClient' || binding.type === 'orchestrationClient'
      ? { string: JSON.stringify(clientData()) }
      : undefined;

  const managementLinks = (instanceId: string): Record<string, string> => {
    const data = clientData();
    const urls = isRecord(data.managementUrls) ? data.managementUrls : {};
    const out: Record<string, string> = {};
    for (const [key, value] of Object.entries(urls)) {
      if (typeof value === 'string')
        out[key] = value.replace(/INSTANCEID/g, encodeURIComponent(instanceId));
    }
    out.id = instanceId;
    return out;
  };

  const hasKey = (req: IncomingMessage, url: URL): boolean => {
    const header = req.headers['x-functions-key'];
    const given =
      (Array.isArray(header) ? header[0] : header) ?? url.searchParams.get('code') ?? '';
    const a = Buffer.from(given);
    const b = Buffer.from(functionKey);
    return a.length === b.length && timingSafeEqual(a, b);
  };

  const bodyLimit = hostBodyLimit(env.FUNCTIONS_REQUEST_BODY_SIZE_LIMIT);

  const handle = async (req: IncomingMessage): Promise<HostResponse> => {
    const url = new URL(req.url ?? '/', baseUrl);
    const method = (req.method ?? 'GET').toUpperCase();
    const path = url.pathname;
    let body: Buffer;
    try {
      body = await readBody(
        req,
        path === EVENT_GRID_WEBHOOK ? Math.min(bodyLimit, EVENT_GRID_MAX_BODY_BYTES) : bodyLimit,
      );
    } catch (err) {
      if (err instanceof BodyTooLargeError)
        return errorResponse(413, 'PayloadTooLarge', err.message);
      throw err;
    }
    try {
      decodeURIComponent(path);
    } catch {
      return errorResponse(400, 'BadRequest', 'the request path is not valid URL encoding');
    }
    if (path.startsWith(rpcPrefix) || path.startsWith(DURABLE_PREFIX)) {
      const internal = path.startsWith(rpcPrefix);
      if (!internal && !hasKey(req, url))
        return errorResponse(401, 'Unauthorized', 'a valid system key is required');
      return handleDurableApi(
        taskHub,
        {
          method,
          path: path.slice(internal ? rpcPrefix.length : DURABLE_PREFIX.length),
          query: url.searchParams,
          body,
          headers: req.headers,
          url: url.href,
        },
        managementLinks,
      );
    }
    if (path === EVENT_GRID_WEBHOOK) {
      if (!hasKey(req, url))
        return errorResponse(401, 'Unauthorized', 'a valid system key is required');
      return handleEventGrid(
        registry,
        { method, functionName: url.searchParams.get('functionName'), headers: req.headers, body },
        log,
        inputFor,
      );
    }
    if (path === '/api' || path.startsWith('/api/')) {
      return invokeHttpTrigger(req, url, method, body);
    }
    if (path === '/' || path === '/admin/host/status')
      return {
        status: 200,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ state: 'Running' }),
      };
    return errorResponse(404, 'NotFound', `no route for ${path}`);
  };

  const invokeHttpTrigger = async (
    req: IncomingMessage,
    url: URL,
    method: string,
    body: Buffer,
  ): Promise<HostResponse> => {
    const sub = url.pathname.slice('/api'.length);
    const candidates = routes
      .map((r) => ({ ...r, params: r.matcher.match(sub) }))
      .filter((r): r is typeof r & { params: Record<string, string> } => r.params !== undefined);
    if (candidates.length === 0)
      return errorResponse(404, 'NotFound', `no function for ${url.pathname}`);
    const hit = candidates.find((c) => c.fn.http.methods.includes(method));
    if (!hit)
      return errorResponse(405, 'MethodNotAllowed', `${method} is not allowed for ${url.pathname}`);
    if (hit.fn.http.authLevel !== 'anonymous' && !hasKey(req, url)) {
      return errorResponse(401, 'Unauthorized', 'a valid function key is required');
    }
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
    }
    const rpcRequest: RpcHttp = {
      method,
      url: url.href,
      headers,
      params: hit.params,
      body: { bytes: body },
    };
    try {
      const response = await registry.invoke(hit.fn.name, {
        trigger: { http: rpcRequest },
        inputFor,
      });
      return toHostResponse(response.returnValue?.http);
    } catch (err) {
      log.error('http function failed', { functionName: hit.fn.name, error: errorMessage(err) });
      return errorResponse(500, 'FunctionFailed', errorMessage(err));
    }
  };

  const server = http.createServer((req, res) => {
    const started = Date.now();
    handle(req)
      .catch((err: unknown) => errorResponse(500, 'InternalServerError', errorMessage(err)))
      .then((response) => {
        send(res, response);
        log.info('request', {
          method: req.method,
          path: (req.url ?? '').split('?')[0],
          status: response.status,
          ms: Date.now() - started,
        });
      })
      .catch((err: unknown) => log.error('response failed', { error: errorMessage(err) }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 7071, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  baseUrl = `http://${options.host ?? '127.0.0.1'}:${address.port}`;
  // As App Service does: the app learns its own host name (approval links point at it).
  if (!previousEnv.has('WEBSITE_HOSTNAME'))
    previousEnv.set('WEBSITE_HOSTNAME', env.WEBSITE_HOSTNAME);
  env.WEBSITE_HOSTNAME = `${options.host ?? '127.0.0.1'}:${address.port}`;
  await registry.start();
  taskHub.start();
  log.info('host started', { url: baseUrl, functions: [...registry.functions.keys()] });

  return {
    url: baseUrl,
    functionKey,
    taskHub,
    registry,
    stop: async () => {
      taskHub.stop();
      await registry.terminate();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      restoreEnv();
      log.info('host stopped', { url: baseUrl });
    },
  };
}

function toHostResponse(data: RpcHttp | undefined): HostResponse {
  if (!data) return { status: 200 };
  const headers: Record<string, string | string[]> = { ...(data.headers ?? {}) };
  const cookies = (data.cookies ?? []).filter(isRecord).map((c) => {
    const attrs = [`${String(c.name)}=${String(c.value)}`];
    if (typeof c.path === 'string') attrs.push(`Path=${c.path}`);
    if (typeof c.domain === 'string') attrs.push(`Domain=${c.domain}`);
    if (c.secure === true) attrs.push('Secure');
    if (c.httpOnly === true) attrs.push('HttpOnly');
    return attrs.join('; ');
  });
  if (cookies.length > 0) headers['set-cookie'] = cookies;
  const body = fromTypedData(data.body);
  return {
    status: Number(data.statusCode ?? 200) || 200,
    headers,
    body: Buffer.isBuffer(body)
      ? body
      : body === undefined
        ? ''
        : typeof body === 'string'
          ? body
          : JSON.stringify(body),
  };
}
