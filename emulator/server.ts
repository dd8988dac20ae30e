import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';

import { ArmError } from './arm/errors';
import type { JsonObject } from './arm/json';
import { isObject } from './arm/json';
import { createTlsMaterial, type TlsMaterial } from './certs';
import { defaultConfig, type EmulatorConfig, mergeConfig } from './config';
import { EventGrid } from './eventgrid';
import { FaultInjector, faultSeed, parseFaults } from './faults';
import { seedFleet } from './seed';
import { resourceSkus } from './skus';
import { type BucketKind, Throttle } from './throttle';
import { type ArmResult, type RequestInfo, World } from './world';

export interface OperationLogEntry {
  seq: number;
  time: string;
  principal: string;
  method: string;
  path: string;
  operation: string;
  status: number;
  /**
   * The error code of the response; for a request accepted while an `lro-failed` fault fired,
   * the code the operation it started will end with.
   */
  code?: string;
  /** For NIC writes: the power state of the VM the NIC is attached to, when the write arrived. */
  vmPowerState?: string;
}

interface RouteMatch {
  operation: string;
  handle: (req: RequestInfo, body: JsonObject, query: URLSearchParams) => ArmResult;
  /** Extra facts for the operation log, read before the handler runs. */
  annotate?: () => Partial<OperationLogEntry>;
}

type Route = {
  method: string;
  pattern: RegExp;
  operation: string;
  handler: (p: string[], req: RequestInfo, body: JsonObject, query: URLSearchParams) => ArmResult;
  annotate?: (p: string[]) => Partial<OperationLogEntry>;
};

const SEG = '([^/]+)';
const SUB = `/subscriptions/${SEG}`;
const RG = `${SUB}/resourceGroups/${SEG}`;
const MAX_BODY = 4 * 1024 * 1024;

export interface EmulatorOptions {
  port?: number;
  host?: string;
  timeScale?: number;
  config?: Partial<EmulatorConfig>;
  /** Reuse TLS material (tests that restart the emulator). */
  tls?: TlsMaterial;
  log?: (line: string) => void;
}

/** The ARM emulator: an HTTPS server in front of a World. */
export class ArmEmulator {
  readonly world: World;
  readonly eventGrid: EventGrid;
  readonly faults = new FaultInjector();
  /** The distinct bearer tokens callers sent (in process only, for tests that look for leaks). */
  readonly bearerTokens = new Set<string>();
  private readonly throttle: Throttle;
  private config: EmulatorConfig;
  private server: https.Server | undefined;
  private tls: TlsMaterial | undefined;
  private readonly operations: OperationLogEntry[] = [];
  private seq = 0;
  private baseUrl = '';
  private readonly routes: Route[];

  constructor(private readonly options: EmulatorOptions = {}) {
    this.config = { ...defaultConfig(), ...options.config };
    if (options.timeScale !== undefined) this.config.timeScale = options.timeScale;
    this.throttle = new Throttle(() => this.config);
    this.eventGrid = new EventGrid({
      timeScale: () => this.config.timeScale,
      validationBaseUrl: () => this.baseUrl,
      ...(options.log ? { log: options.log } : {}),
    });
    this.world = new World({
      config: () => this.config,
      onActivity: (activity) => this.eventGrid.publish(activity),
    });
    this.routes = this.buildRoutes();
  }

  get url(): string {
    return this.baseUrl;
  }

  get caPem(): string {
    if (!this.tls) throw new Error('The emulator is not started.');
    return this.tls.caPem;
  }

  get currentConfig(): EmulatorConfig {
    return this.config;
  }

  async start(): Promise<string> {
    this.tls = this.options.tls ?? (await createTlsMaterial());
    const server = https.createServer(
      { cert: this.tls.certPem, key: this.tls.keyPem, keepAliveTimeout: 30_000 },
      (req, res) => {
        void this.handle(req, res);
      },
    );
    server.headersTimeout = 60_000;
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port ?? 0, this.options.host ?? '127.0.0.1', () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    this.baseUrl = `https://127.0.0.1:${port}`;
    return this.baseUrl;
  }

  async stop(): Promise<void> {
    this.eventGrid.close();
    this.world.close();
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  reset(): void {
    this.world.reset();
    this.throttle.reset();
    this.faults.clear();
    this.operations.length = 0;
    this.seq = 0;
    for (const sub of this.eventGrid.list()) this.eventGrid.delete(sub.name);
  }

  operationLog(): readonly OperationLogEntry[] {
    return this.operations;
  }

  // ------------------------------------------------------------------ HTTP

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.baseUrl);
    const method = (req.method ?? 'GET').toUpperCase();
    let raw: Buffer;
    try {
      raw = await readBody(req);
    } catch (error) {
      const e =
        error instanceof ArmError
          ? error
          : new ArmError(400, 'InvalidRequestContent', 'The request body could not be read.');
      send(res, e.status, e.toBody(), { ...e.headers, Connection: 'close' });
      return;
    }
    try {
      if (url.pathname.toLowerCase().startsWith('/_emulator/')) {
        await this.handleAdmin(method, url, raw, res);
        return;
      }
      await this.handleArm(method, url, raw, req, res);
    } catch (error) {
      const e =
        error instanceof ArmError
          ? error
          : new ArmError(500, 'InternalServerError', `The emulator failed: ${String(error)}`);
      if (!res.headersSent) send(res, e.status, e.toBody(), e.headers);
    }
  }

  private async handleArm(
    method: string,
    url: URL,
    raw: Buffer,
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<void> {
    const requestId = randomUUID();
    const correlationId = header(req, 'x-ms-correlation-request-id') ?? randomUUID();
    const baseHeaders: Record<string, string> = {
      'x-ms-request-id': requestId,
      'x-ms-correlation-request-id': correlationId,
      'x-ms-routing-request-id': `WESTUS2:${new Date().toISOString().replace(/[-:.]/g, '').slice(0, 15)}Z:${requestId}`,
      'Cache-Control': 'no-cache',
      Pragma: 'no-cache',
      Expires: '-1',
      'Strict-Transport-Security': 'max-age=31536000; includeSubDomains',
    };
    const route = this.match(method, url.pathname);
    const principal = principalOf(header(req, 'authorization'));
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(header(req, 'authorization') ?? '')?.[1];
    if (bearer && this.bearerTokens.size < 1000) this.bearerTokens.add(bearer);
    const entry: OperationLogEntry = {
      seq: 0,
      time: new Date().toISOString(),
      principal: principal ?? '',
      method,
      path: url.pathname,
      operation: route?.operation ?? 'unknown',
      status: 0,
    };
    const finish = (
      status: number,
      body: unknown,
      headers: Record<string, string>,
      code?: string,
    ): void => {
      entry.seq = ++this.seq;
      entry.status = status;
      if (code !== undefined) entry.code = code;
      this.operations.push(entry);
      send(res, status, body, { ...baseHeaders, ...headers });
    };
    const fail = (error: ArmError, headers: Record<string, string> = {}): void =>
      finish(error.status, error.toBody(), { ...headers, ...error.headers }, error.code);

    if (principal === undefined) {
      fail(
        new ArmError(
          401,
          'AuthenticationFailed',
          "Authentication failed. The 'Authorization' header is missing or is not a Bearer token.",
        ),
        {
          'WWW-Authenticate':
            'Bearer authorization_uri="https://login.microsoftonline.com/common", error="invalid_token", error_description="The authentication failed because of missing \'Authorization\' header."',
        },
      );
      return;
    }
    const apiVersion = url.searchParams.get('api-version');
    if (!apiVersion) {
      fail(
        new ArmError(
          400,
          'MissingApiVersionParameter',
          'The api-version query parameter (?api-version=) is required for all requests.',
        ),
      );
      return;
    }
    if (!route) {
      fail(unknownRoute(method, url.pathname, apiVersion));
      return;
    }

    const subscriptionId = /^\/subscriptions\/([^/]+)/i.exec(url.pathname)?.[1] ?? '';
    const kind: BucketKind =
      method === 'GET' || method === 'HEAD' ? 'reads' : method === 'DELETE' ? 'deletes' : 'writes';
    const decision = this.throttle.take(subscriptionId, principal, kind);
    const rateHeaders = rateLimitHeaders(kind, decision.remaining, this.config);
    if (!decision.allowed) {
      const seconds = Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
      fail(
        new ArmError(
          429,
          'SubscriptionRequestsThrottled',
          `Number of '${kind.slice(0, -1)}' requests for subscription '${subscriptionId}' actor '${principal}' exceeded. Please try again after '${Math.ceil(decision.retryAfterMs / 1000)}' seconds after additional tokens are available. Refer to https://aka.ms/arm-throttling`,
        ),
        {
          ...rateHeaders,
          'Retry-After': String(seconds),
          'x-ms-retry-after-ms': String(decision.retryAfterMs),
        },
      );
      return;
    }

    let lroFailure: RequestInfo['lroFailure'];
    for (const fault of this.faults.draw({
      method,
      path: url.pathname,
      operation: route.operation,
    })) {
      if (fault.kind === 'delay') {
        await sleep(fault.delayMs ?? 1000);
      } else if (fault.kind === 'reset') {
        entry.seq = ++this.seq;
        entry.status = 0;
        entry.code = 'ConnectionReset';
        this.operations.push(entry);
        res.socket?.destroy();
        return;
      } else if (fault.kind === 'http') {
        const status = fault.status ?? 500;
        // Retry-After in whole Azure seconds, and in real milliseconds on the emulator's clock
        // (x-ms-retry-after-ms, as its throttling sends), which the SDK honours first.
        const retry: Record<string, string> =
          fault.retryAfter !== undefined
            ? {
                'Retry-After': String(Math.ceil(fault.retryAfter)),
                'x-ms-retry-after-ms': String(
                  Math.round(fault.retryAfter * 1000 * this.config.timeScale),
                ),
              }
            : {};
        fail(
          new ArmError(
            status,
            fault.code ?? defaultCode(status),
            fault.message ?? `Injected fault: ${fault.code ?? defaultCode(status)}.`,
          ),
          { ...rateHeaders, ...retry },
        );
        return;
      } else {
        lroFailure = {
          code: fault.code ?? 'InternalOperationError',
          message:
            fault.message ??
            `Injected fault: the operation ended ${fault.code ?? 'InternalOperationError'}.`,
        };
      }
    }

    let body: JsonObject = {};
    if (raw.length > 0 && method !== 'GET' && method !== 'DELETE') {
      try {
        const parsed: unknown = JSON.parse(raw.toString('utf8'));
        if (!isObject(parsed)) throw new Error('the body must be a JSON object');
        body = parsed;
      } catch (error) {
        fail(
          new ArmError(
            400,
            'InvalidRequestContent',
            `The request content was invalid and could not be deserialized: '${error instanceof Error ? error.message : String(error)}'.`,
          ),
          rateHeaders,
        );
        return;
      }
    }

    const info: RequestInfo = {
      principal,
      method,
      url: url.toString(),
      baseUrl: this.baseUrl,
      apiVersion,
      clientRequestId: header(req, 'x-ms-client-request-id') ?? randomUUID(),
      correlationId,
      clientIp: req.socket.remoteAddress ?? '127.0.0.1',
      ifMatch: header(req, 'if-match'),
      ifNoneMatch: header(req, 'if-none-match'),
      lroFailure,
    };
    try {
      Object.assign(entry, route.annotate?.());
      const result = route.handle(info, body, url.searchParams);
      finish(
        result.status,
        result.body,
        { ...rateHeaders, ...result.headers },
        info.lroFailureScheduled ? info.lroFailure?.code : undefined,
      );
    } catch (error) {
      if (error instanceof ArmError) fail(error, rateHeaders);
      else throw error;
    }
  }

  private match(method: string, path: string): RouteMatch | undefined {
    for (const route of this.routes) {
      if (route.method !== method) continue;
      const m = route.pattern.exec(path);
      if (!m) continue;
      const params = m.slice(1).map((p) => decodeURIComponent(p));
      return {
        operation: route.operation,
        handle: (req, body, query) => route.handler(params, req, body, query),
        ...(route.annotate ? { annotate: () => route.annotate?.(params) ?? {} } : {}),
      };
    }
    return undefined;
  }

  private buildRoutes(): Route[] {
    const w = this.world;
    const skip = (q: URLSearchParams): number =>
      Math.max(0, Number.parseInt(q.get('$skiptoken') ?? '0', 10) || 0);
    const r = (
      method: string,
      path: string,
      operation: string,
      handler: Route['handler'],
      annotate?: Route['annotate'],
    ): Route => ({
      method,
      pattern: new RegExp(`^${path}/?$`, 'i'),
      operation,
      handler,
      ...(annotate ? { annotate } : {}),
    });
    const p = (params: string[], i: number): string => params[i] ?? '';
    const VM = `${RG}/providers/Microsoft\\.Compute/virtualMachines/${SEG}`;
    const NIC = `${RG}/providers/Microsoft\\.Network/networkInterfaces/${SEG}`;
    const VNET = `${RG}/providers/Microsoft\\.Network/virtualNetworks/${SEG}`;
    const PIP = `${RG}/providers/Microsoft\\.Network/publicIPAddresses/${SEG}`;
    const AVSET = `${RG}/providers/Microsoft\\.Compute/availabilitySets/${SEG}`;
    const DISK = `${RG}/providers/Microsoft\\.Compute/disks/${SEG}`;
    const plainList = (type: string): Route[] => {
      const [ns, t] = type.split('/');
      return [
        r(
          'GET',
          `${SUB}/providers/${ns?.replace('.', '\\.')}/${t}`,
          `${type}/read`,
          (x, req, _b, q) => w.listPlain(p(x, 0), undefined, type, req, skip(q)),
        ),
        r(
          'GET',
          `${RG}/providers/${ns?.replace('.', '\\.')}/${t}`,
          `${type}/read`,
          (x, req, _b, q) => w.listPlain(p(x, 0), p(x, 1), type, req, skip(q)),
        ),
      ];
    };
    return [
      r(
        'GET',
        `${SUB}/resourcegroups`,
        'Microsoft.Resources/subscriptions/resourceGroups/read',
        (x, req, _b, q) => w.listResourceGroups(p(x, 0), req, skip(q)),
      ),
      r('PUT', RG, 'Microsoft.Resources/subscriptions/resourceGroups/write', (x, req, b) =>
        w.putResourceGroup(p(x, 0), p(x, 1), b, req),
      ),
      r('GET', RG, 'Microsoft.Resources/subscriptions/resourceGroups/read', (x) =>
        w.getResourceGroup(p(x, 0), p(x, 1)),
      ),

      r(
        'GET',
        `${SUB}/providers/Microsoft\\.Compute/skus`,
        'Microsoft.Compute/skus/read',
        (_x, _req, _b, q) => ({
          status: 200,
          body: { value: resourceSkus(locationFilter(q.get('$filter'))) },
        }),
      ),
      r(
        'GET',
        `${SUB}/providers/Microsoft\\.Compute/locations/${SEG}/operations/${SEG}`,
        'Microsoft.Compute/locations/operations/read',
        (x, req, _b, q) =>
          w.getOperation('Microsoft.Compute', p(x, 2), q.get('monitor') === 'true', req),
      ),
      r(
        'GET',
        `${SUB}/providers/Microsoft\\.Network/locations/${SEG}/operations/${SEG}`,
        'Microsoft.Network/locations/operations/read',
        (x, req) => w.getOperation('Microsoft.Network', p(x, 2), false, req),
      ),
      r(
        'GET',
        `${SUB}/providers/Microsoft\\.Network/locations/${SEG}/operationResults/${SEG}`,
        'Microsoft.Network/locations/operationResults/read',
        (x, req) => w.getOperation('Microsoft.Network', p(x, 2), true, req),
      ),

      r(
        'GET',
        `${SUB}/providers/Microsoft\\.Compute/virtualMachines`,
        'Microsoft.Compute/virtualMachines/read',
        (x, req, _b, q) => w.listVms(p(x, 0), undefined, req, skip(q), wantsStatus(q)),
      ),
      r(
        'GET',
        `${RG}/providers/Microsoft\\.Compute/virtualMachines`,
        'Microsoft.Compute/virtualMachines/read',
        (x, req, _b, q) => w.listVms(p(x, 0), p(x, 1), req, skip(q), wantsStatus(q)),
      ),
      r('PUT', VM, 'Microsoft.Compute/virtualMachines/write', (x, req, b) =>
        w.putVm(p(x, 0), p(x, 1), p(x, 2), b, req),
      ),
      r('PATCH', VM, 'Microsoft.Compute/virtualMachines/write', (x, req, b) =>
        w.patchVm(p(x, 0), p(x, 1), p(x, 2), b, req),
      ),
      r('GET', VM, 'Microsoft.Compute/virtualMachines/read', (x, _req, _b, q) =>
        w.getVm(p(x, 0), p(x, 1), p(x, 2), q.get('$expand') ?? undefined),
      ),
      r('DELETE', VM, 'Microsoft.Compute/virtualMachines/delete', (x, req) =>
        w.deleteVm(p(x, 0), p(x, 1), p(x, 2), req),
      ),
      r('GET', `${VM}/instanceView`, 'Microsoft.Compute/virtualMachines/instanceView/read', (x) =>
        w.vmInstanceView(p(x, 0), p(x, 1), p(x, 2)),
      ),
      ...['powerOff', 'deallocate', 'start', 'restart'].map((action) =>
        r(
          'POST',
          `${VM}/${action}`,
          `Microsoft.Compute/virtualMachines/${action}/action`,
          (x, req, _b, q) => w.vmAction(p(x, 0), p(x, 1), p(x, 2), action, req, q),
        ),
      ),

      r(
        'GET',
        `${SUB}/providers/Microsoft\\.Network/networkInterfaces`,
        'Microsoft.Network/networkInterfaces/read',
        (x, req, _b, q) => w.listNics(p(x, 0), undefined, req, skip(q)),
      ),
      r(
        'GET',
        `${RG}/providers/Microsoft\\.Network/networkInterfaces`,
        'Microsoft.Network/networkInterfaces/read',
        (x, req, _b, q) => w.listNics(p(x, 0), p(x, 1), req, skip(q)),
      ),
      r(
        'PUT',
        NIC,
        'Microsoft.Network/networkInterfaces/write',
        (x, req, b) => w.putNic(p(x, 0), p(x, 1), p(x, 2), b, req),
        (x) => {
          const state = w.nicVmPowerState(p(x, 0), p(x, 1), p(x, 2));
          return state ? { vmPowerState: state } : {};
        },
      ),
      r('GET', NIC, 'Microsoft.Network/networkInterfaces/read', (x) =>
        w.getNic(p(x, 0), p(x, 1), p(x, 2)),
      ),
      r('DELETE', NIC, 'Microsoft.Network/networkInterfaces/delete', (x, req) =>
        w.deleteNic(p(x, 0), p(x, 1), p(x, 2), req),
      ),

      r('PUT', VNET, 'Microsoft.Network/virtualNetworks/write', (x, req, b) =>
        w.putVirtualNetwork(p(x, 0), p(x, 1), p(x, 2), b, req),
      ),
      r('GET', VNET, 'Microsoft.Network/virtualNetworks/read', (x) =>
        w.getPlain(p(x, 0), p(x, 1), 'Microsoft.Network/virtualNetworks', p(x, 2)),
      ),
      r(
        'PUT',
        `${VNET}/subnets/${SEG}`,
        'Microsoft.Network/virtualNetworks/subnets/write',
        (x, req, b) => w.putSubnet(p(x, 0), p(x, 1), p(x, 2), p(x, 3), b, req),
      ),
      r('GET', `${VNET}/subnets/${SEG}`, 'Microsoft.Network/virtualNetworks/subnets/read', (x) =>
        w.getSubnet(p(x, 0), p(x, 1), p(x, 2), p(x, 3)),
      ),
      ...plainList('Microsoft.Network/virtualNetworks'),
      r('PUT', PIP, 'Microsoft.Network/publicIPAddresses/write', (x, req, b) =>
        w.putPublicIp(p(x, 0), p(x, 1), p(x, 2), b, req),
      ),
      r('GET', PIP, 'Microsoft.Network/publicIPAddresses/read', (x) =>
        w.getPlain(p(x, 0), p(x, 1), 'Microsoft.Network/publicIPAddresses', p(x, 2)),
      ),
      ...plainList('Microsoft.Network/publicIPAddresses'),
      r('PUT', AVSET, 'Microsoft.Compute/availabilitySets/write', (x, req, b) =>
        w.putAvailabilitySet(p(x, 0), p(x, 1), p(x, 2), b, req),
      ),
      r('GET', AVSET, 'Microsoft.Compute/availabilitySets/read', (x) =>
        w.getPlain(p(x, 0), p(x, 1), 'Microsoft.Compute/availabilitySets', p(x, 2)),
      ),
      ...plainList('Microsoft.Compute/availabilitySets'),
      r('GET', DISK, 'Microsoft.Compute/disks/read', (x) =>
        w.getPlain(p(x, 0), p(x, 1), 'Microsoft.Compute/disks', p(x, 2)),
      ),
    ];
  }

  // ------------------------------------------------------------------ admin API

  private async handleAdmin(
    method: string,
    url: URL,
    raw: Buffer,
    res: ServerResponse,
  ): Promise<void> {
    const path = url.pathname.replace(/\/+$/, '').toLowerCase();
    const json = (): unknown => parseAdminJson(raw);
    const ok = (body: unknown, status = 200): void => send(res, status, body, {});

    if (method === 'GET' && path === '/_emulator/ca.pem') {
      res.writeHead(200, { 'Content-Type': 'application/x-pem-file' });
      res.end(this.caPem);
      return;
    }
    if (method === 'GET' && path === '/_emulator/health') return ok({ status: 'ok' });
    if (method === 'POST' && path === '/_emulator/reset') {
      this.reset();
      return ok({ reset: true });
    }
    if (path === '/_emulator/config') {
      if (method === 'GET') return ok(this.config);
      if (method === 'PUT' || method === 'PATCH') {
        this.config = mergeConfig(this.config, json());
        return ok(this.config);
      }
    }
    if (path === '/_emulator/faults') {
      if (method === 'GET')
        return ok({ faults: this.faults.list().map(({ pattern: _p, ...f }) => f) });
      if (method === 'PUT') {
        const spec = json();
        this.faults.set(parseFaults(spec), faultSeed(spec));
        return ok({ faults: this.faults.list().map(({ pattern: _p, ...f }) => f) });
      }
      if (method === 'DELETE') {
        this.faults.clear();
        return ok({ faults: [] });
      }
    }
    if (method === 'GET' && path === '/_emulator/operations') {
      const since = Number.parseInt(url.searchParams.get('since') ?? '0', 10) || 0;
      return ok({ operations: this.operations.filter((op) => op.seq > since) });
    }
    if (method === 'GET' && path === '/_emulator/vms')
      return ok({ vms: this.world.vmViews(url.searchParams.get('timeline') === 'true') });
    if (method === 'POST' && path === '/_emulator/seed') {
      const events = url.searchParams.get('events') !== 'false';
      return ok(seedFleet(this.world, json(), { baseUrl: this.baseUrl, events }), 201);
    }
    if (method === 'GET' && path === '/_emulator/eventgrid/stats')
      return ok(this.eventGrid.stats());
    if (method === 'GET' && path === '/_emulator/eventgrid/subscriptions')
      return ok({ value: this.eventGrid.list() });
    const sub = /^\/_emulator\/eventgrid\/subscriptions\/([^/]+)$/i.exec(
      url.pathname.replace(/\/+$/, ''),
    );
    if (sub?.[1]) {
      const name = decodeURIComponent(sub[1]);
      if (method === 'PUT') return ok(await this.eventGrid.put(name, json()));
      if (method === 'GET') {
        const found = this.eventGrid.get(name);
        if (!found)
          throw new ArmError(
            404,
            'ResourceNotFound',
            `Event subscription '${name}' was not found.`,
          );
        return ok(found);
      }
      if (method === 'DELETE') return ok({ deleted: this.eventGrid.delete(name) }, 200);
    }
    if (/^\/_emulator\/eventgrid\/validate\//.test(path)) return ok({ validated: true });
    throw new ArmError(404, 'NotFound', `No emulator admin route ${method} ${url.pathname}.`);
  }
}

function parseAdminJson(raw: Buffer): unknown {
  if (raw.length === 0) return {};
  try {
    return JSON.parse(raw.toString('utf8')) as unknown;
  } catch (error) {
    throw new ArmError(
      400,
      'InvalidRequestContent',
      `The request content was invalid and could not be deserialized: '${error instanceof Error ? error.message : String(error)}'.`,
    );
  }
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > MAX_BODY)
      throw new ArmError(
        413,
        'RequestEntityTooLarge',
        `The request content size exceeds the maximum of ${MAX_BODY} bytes.`,
      );
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string>,
): void {
  if (body === undefined) {
    res.writeHead(status, { ...headers, 'Content-Length': '0' });
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(text)),
  });
  res.end(text);
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The caller's principal id: the bearer token's text, or, when the token is a JWT, its
 * `oid` (or `appid`) claim.
 */
export function principalOf(authorization: string | undefined): string | undefined {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  const token = m?.[1];
  if (!token) return undefined;
  const parts = token.split('.');
  if (parts.length === 3 && parts[1]) {
    try {
      const claims: unknown = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
      if (isObject(claims)) {
        const id = claims.oid ?? claims.appid ?? claims.sub;
        if (typeof id === 'string' && id.length > 0) return id;
      }
    } catch {
      // Not a JWT: the text itself names the principal.
    }
  }
  return token;
}

function rateLimitHeaders(
  kind: BucketKind,
  remaining: number,
  config: EmulatorConfig,
): Record<string, string> {
  const global = config.throttling[kind].bucket * 15 - (config.throttling[kind].bucket - remaining);
  return {
    [`x-ms-ratelimit-remaining-subscription-${kind}`]: String(remaining),
    [`x-ms-ratelimit-remaining-subscription-global-${kind}`]: String(Math.max(0, global)),
  };
}

function wantsStatus(q: URLSearchParams): boolean {
  return (
    q.get('statusOnly') === 'true' || (q.get('$expand') ?? '').toLowerCase() === 'instanceview'
  );
}

function locationFilter(filter: string | null): string | undefined {
  if (!filter) return undefined;
  const m = /location\s+eq\s+'([^']+)'/i.exec(filter);
  if (!m?.[1])
    throw new ArmError(
      400,
      'InvalidFilter',
      `The $filter '${filter}' is not supported. Supported: location eq '<location>'.`,
    );
  return m[1];
}

function unknownRoute(method: string, path: string, apiVersion: string): ArmError {
  const m = /\/providers\/([^/]+)\/([^/]+)/i.exec(path);
  if (m && !/^Microsoft\.(Compute|Network|Resources)$/i.test(m[1] ?? '')) {
    return new ArmError(
      400,
      'NoRegisteredProviderFound',
      `No registered resource provider found for location 'westus2' and API version '${apiVersion}' for type '${m[2] ?? ''}' in namespace '${m[1] ?? ''}'.`,
    );
  }
  if (m) {
    return new ArmError(
      404,
      'InvalidResourceType',
      `The resource type '${m[2] ?? ''}' could not be found in the namespace '${m[1] ?? ''}' for api version '${apiVersion}' and method ${method}.`,
    );
  }
  return new ArmError(404, 'NotFound', `No ARM route for ${method} ${path}.`);
}

function defaultCode(status: number): string {
  if (status === 429) return 'TooManyRequests';
  if (status === 503) return 'ServiceUnavailable';
  if (status === 502) return 'BadGateway';
  if (status === 409) return 'Conflict';
  if (status >= 500) return 'InternalServerError';
  return 'BadRequest';
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Starts an emulator and resolves once it accepts requests. */
export async function startEmulator(options: EmulatorOptions = {}): Promise<ArmEmulator> {
  const emulator = new ArmEmulator(options);
  await emulator.start();
  return emulator;
}
