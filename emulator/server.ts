import type { IncomingMessage, ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';

import { adminApi } from './admin';
import { ArmError, internalError } from './arm/errors';
import { createTlsMaterial, type TlsMaterial } from './certs';
import { defaultConfig, type EmulatorConfig } from './config';
// eventgrid/index, not eventgrid: a dist/ built before Event Grid became a folder still has
// dist/emulator/eventgrid.js, which Node would load first (tsc does not delete old output).
import { EventGrid } from './eventgrid/index';
import { type Middleware, RequestContext, runPipeline, send } from './http/pipeline';
import { requireApiVersion } from './middleware/api-version';
import { authenticate } from './middleware/auth';
import { limitBody } from './middleware/body-limit';
import { dispatch } from './middleware/dispatch';
import { FaultInjector, injectFaults } from './middleware/faults';
import { parseJsonBody } from './middleware/json-body';
import { logOperations, OperationLog, type OperationLogEntry } from './middleware/operation-log';
import { requestIds } from './middleware/request-ids';
import { matchRoute, rejectUnknownRoute } from './middleware/route';
import { requireKnownSubscription } from './middleware/subscription';
import { Throttle, throttleRequests } from './middleware/throttling';
import { World } from './world';

export { principalOf } from './middleware/auth';
export type { OperationLogEntry } from './middleware/operation-log';

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

/**
 * The ARM emulator: an HTTPS server whose requests go through a pipeline of middleware
 * (body limit, the admin API, request ids, the operation log, routing, authentication,
 * api-version, throttling, faults, the JSON body) to the resource handlers of a World.
 * emulator/README.md maps the folders.
 */
export class ArmEmulator {
  readonly world: World;
  readonly eventGrid: EventGrid;
  readonly faults = new FaultInjector();
  /** The distinct bearer tokens callers sent (in process only, for tests that look for leaks). */
  readonly bearerTokens = new Set<string>();
  private readonly throttle: Throttle;
  private readonly operations = new OperationLog();
  private readonly pipeline: readonly Middleware[];
  private config: EmulatorConfig;
  private server: https.Server | undefined;
  private tls: TlsMaterial | undefined;
  private baseUrl = '';
  /** The seed of the last seeded faults, which MANA landings follow when `mana.seed` is null. */
  private faultSeed: number | undefined;

  constructor(private readonly options: EmulatorOptions = {}) {
    this.config = { ...defaultConfig(), ...options.config };
    if (options.timeScale !== undefined) this.config.timeScale = options.timeScale;
    const config = (): EmulatorConfig => this.config;
    this.throttle = new Throttle(config);
    this.eventGrid = new EventGrid({
      timeScale: () => this.config.timeScale,
      validationBaseUrl: () => this.baseUrl,
      ...(options.log ? { log: options.log } : {}),
    });
    this.world = new World({
      config,
      onActivity: (activity) => this.eventGrid.publish(activity),
    });
    const router = this.world.router;
    this.pipeline = [
      limitBody(MAX_BODY),
      adminApi({
        world: this.world,
        eventGrid: this.eventGrid,
        faults: this.faults,
        operations: this.operations,
        caPem: () => this.caPem,
        baseUrl: () => this.baseUrl,
        config,
        setConfig: (next, patch) => {
          this.config = next;
          if (patch.mana?.seed !== undefined) this.reseedHardware();
        },
        setFaults: (faults, seed) => {
          this.faults.set(faults, seed);
          if (seed === undefined) return;
          this.faultSeed = seed;
          this.reseedHardware();
        },
        reset: () => this.reset(),
      }),
      requestIds(),
      logOperations(this.operations),
      matchRoute(router),
      authenticate(this.bearerTokens),
      requireApiVersion(),
      requireKnownSubscription((sub) => this.world.knowsSubscription(sub)),
      rejectUnknownRoute(router),
      throttleRequests(this.throttle, config),
      injectFaults(this.faults, config),
      parseJsonBody(),
      dispatch(),
    ];
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
    this.faultSeed = undefined;
    this.reseedHardware();
    this.operations.clear();
    for (const sub of this.eventGrid.list()) this.eventGrid.delete(sub.name);
  }

  /**
   * Starts the draws of MANA landings again: from `mana.seed`, else from the fault seed (its
   * own sequence, not the faults' one), else unseeded.
   */
  private reseedHardware(): void {
    const own = this.config.mana.seed;
    const seed = own ?? (this.faultSeed === undefined ? undefined : this.faultSeed ^ 0x4d414e41);
    this.world.hardwareDraws.reseed(seed);
  }

  operationLog(): readonly OperationLogEntry[] {
    return this.operations.all();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      await runPipeline(this.pipeline, new RequestContext(req, res, this.baseUrl));
    } catch (error) {
      // What no middleware answered: an error a handler did not expect, unlogged.
      const e = error instanceof ArmError ? error : internalError(error);
      if (!res.headersSent) send(res, e.status, e.toBody(), e.headers);
    }
  }
}

/** Starts an emulator and resolves once it accepts requests. */
export async function startEmulator(options: EmulatorOptions = {}): Promise<ArmEmulator> {
  const emulator = new ArmEmulator(options);
  await emulator.start();
  return emulator;
}
