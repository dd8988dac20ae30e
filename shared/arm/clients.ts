import { readFileSync } from 'node:fs';

import { ComputeManagementClient } from '@azure/arm-compute';
import { NetworkManagementClient } from '@azure/arm-network';
import { ResourceManagementClient } from '@azure/arm-resources';
import type { TokenCredential } from '@azure/core-auth';
import {
  createDefaultHttpClient,
  createPipelineRequest,
  type HttpClient,
  type Pipeline,
  type PipelinePolicy,
  tlsPolicy,
} from '@azure/core-rest-pipeline';

/**
 * The narrow slices of the Azure SDK clients that activities use: the ports. Tests and the
 * local host give activities the real clients pointed at the ARM emulator.
 */
export interface ComputePort {
  virtualMachines: Pick<
    ComputeManagementClient['virtualMachines'],
    'get' | 'powerOff' | 'deallocate' | 'start' | 'list' | 'listAll'
  >;
  resourceSkus: Pick<ComputeManagementClient['resourceSkus'], 'list'>;
  disks: Pick<ComputeManagementClient['disks'], 'get'>;
}

export interface NetworkPort {
  networkInterfaces: Pick<
    NetworkManagementClient['networkInterfaces'],
    'get' | 'beginCreateOrUpdate' | 'list' | 'listAll'
  >;
  publicIPAddresses: Pick<NetworkManagementClient['publicIPAddresses'], 'get' | 'list' | 'listAll'>;
}

export interface ResourcesPort {
  resourceGroups: Pick<ResourceManagementClient['resourceGroups'], 'get' | 'list'>;
}

/** A GET of an ARM URL as it is (an operation status resource), through a client's pipeline. */
export interface OperationsPort {
  /** GET of an operation status URL: its status, body, and ARM's Retry-After (ms) if any. */
  get(url: string): Promise<{ status: number; body: unknown; retryAfterMs?: number }>;
}

export interface ArmPorts {
  compute: ComputePort;
  network: NetworkPort;
  resources: ResourcesPort;
  /** Status resources of Compute's long-running operations (auth, TLS, retries, as the client). */
  operations: OperationsPort;
}

/** Ports per subscription: the SDK clients are bound to one. */
export type ArmFactory = (subscriptionId: string) => ArmPorts;

export interface ArmConnection {
  endpoint: string;
  credential: TokenCredential;
  /** Extra CA to trust (the emulator's), as PEM text. */
  caPem?: string;
  /** Retry policy of the SDK pipeline (429 with Retry-After, 5xx, resets). */
  maxRetries?: number;
  /**
   * ARM's clock against real time (1 for Azure, the emulator's time scale locally): the write
   * pacing below runs at ARM's refill in ARM's seconds.
   */
  timeScale?: number;
  /** ARM's write bucket per subscription and principal (default 200, refilling 10/s). */
  writeLimits?: { bucket: number; refillPerSecond: number };
  /** ARM's read bucket per subscription and principal (default 250, refilling 25/s). */
  readLimits?: { bucket: number; refillPerSecond: number };
  /** Share of the refills requests are paced at (default 0.9: below them, never at them). */
  paceShare?: number;
}

export { isLoopbackEndpoint } from './endpoint';

/** ARM's documented buckets per subscription and principal. */
export const ARM_WRITE_LIMITS = { bucket: 200, refillPerSecond: 10 } as const;
export const ARM_READ_LIMITS = { bucket: 250, refillPerSecond: 25 } as const;

const READ_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD']);

/**
 * Paces requests below one of ARM's buckets (writes, or reads), so a bulk run spends the budget
 * at the rate it comes back instead of learning the limit from 429s: a token bucket (ARM's
 * size, refilled at a share of ARM's rate), and each request waits its turn once the bucket is
 * empty (callers queue in order: a negative balance is the debt of the requests waiting). ARM's
 * own count (`x-ms-ratelimit-remaining-subscription-writes|reads`) lowers the balance when
 * other clients of the same subscription and principal spend it too; a 429 empties it.
 */
export class RequestPacer {
  #tokens: number;
  #last: number;
  readonly #perMs: number;

  constructor(
    private readonly bucket: number,
    refillPerSecond: number,
    private readonly now: () => number = () => performance.now(),
    private readonly sleep: (ms: number) => Promise<void> = (ms) =>
      new Promise((resolve) => setTimeout(resolve, ms)),
  ) {
    this.#tokens = bucket;
    this.#last = now();
    this.#perMs = refillPerSecond / 1000;
  }

  /** Waits until this request may go. */
  async acquire(): Promise<void> {
    this.#refill();
    this.#tokens -= 1;
    if (this.#tokens >= 0) return;
    await this.sleep(Math.ceil(-this.#tokens / this.#perMs));
  }

  /** ARM's view after a request: what is left of the bucket. */
  observe(remaining: number): void {
    this.#refill();
    if (Number.isFinite(remaining)) this.#tokens = Math.min(this.#tokens, remaining);
  }

  /** A request was throttled: the bucket is empty. */
  throttled(): void {
    this.#refill();
    this.#tokens = Math.min(this.#tokens, 0);
  }

  /** Tokens now (negative: requests waiting). */
  get balance(): number {
    this.#refill();
    return this.#tokens;
  }

  #refill(): void {
    const now = this.now();
    this.#tokens = Math.min(this.bucket, this.#tokens + (now - this.#last) * this.#perMs);
    this.#last = now;
  }
}

/** The pipeline policy that makes every attempt (retries too) wait on its bucket's pacer. */
export function pacingPolicy(pacers: {
  reads: RequestPacer;
  writes: RequestPacer;
}): PipelinePolicy {
  return {
    name: 'accelnetPacing',
    async sendRequest(request, next) {
      const kind = READ_METHODS.has(request.method.toUpperCase()) ? 'reads' : 'writes';
      const pacer = pacers[kind];
      await pacer.acquire();
      const response = await next(request);
      if (response.status === 429) pacer.throttled();
      const remaining = response.headers.get(`x-ms-ratelimit-remaining-subscription-${kind}`);
      if (remaining !== undefined && remaining.trim() !== '') pacer.observe(Number(remaining));
      return response;
    },
  };
}

/** The composition root for ARM: one set of real clients per subscription, made once. */
export function createArmFactory(connection: ArmConnection): ArmFactory {
  const cache = new Map<string, ArmPorts>();
  const tls: { policy: PipelinePolicy; position: 'perCall' | 'perRetry' }[] = connection.caPem
    ? [{ policy: tlsPolicy({ ca: connection.caPem }), position: 'perCall' }]
    : [];
  // ARM's buckets are per subscription (and principal): one pair of pacers per subscription,
  // shared by its three clients and its operation polls, in ARM's seconds.
  const timeScale =
    connection.timeScale !== undefined && connection.timeScale > 0 ? connection.timeScale : 1;
  const pacerOf = (limits: { bucket: number; refillPerSecond: number }): RequestPacer =>
    new RequestPacer(
      limits.bucket,
      (limits.refillPerSecond * (connection.paceShare ?? 0.9)) / timeScale,
    );
  // Tokens for this ARM's own audience (a sovereign cloud's, not always management.azure.com).
  const scope = `${connection.endpoint.replace(/\/+$/, '')}/.default`;
  const optionsWith = (pacers: { reads: RequestPacer; writes: RequestPacer }) => ({
    endpoint: connection.endpoint,
    credentialScopes: [scope],
    credentials: { scopes: [scope] },
    additionalPolicies: [...tls, { policy: pacingPolicy(pacers), position: 'perRetry' as const }],
    retryOptions: {
      maxRetries: connection.maxRetries ?? 6,
      retryDelayInMs: 200,
      maxRetryDelayInMs: 30_000,
    },
  });
  let httpClient: HttpClient | undefined;
  return (subscriptionId) => {
    const key = subscriptionId.toLowerCase();
    let ports = cache.get(key);
    if (!ports) {
      const options = optionsWith({
        reads: pacerOf(connection.readLimits ?? ARM_READ_LIMITS),
        writes: pacerOf(connection.writeLimits ?? ARM_WRITE_LIMITS),
      });
      const compute = new ComputeManagementClient(connection.credential, subscriptionId, options);
      ports = {
        compute,
        network: new NetworkManagementClient(connection.credential, subscriptionId, options),
        resources: new ResourceManagementClient(connection.credential, subscriptionId, options),
        operations: pipelineGetter(compute.pipeline, (httpClient ??= createDefaultHttpClient())),
      };
      cache.set(key, ports);
    }
    return ports;
  };
}

/** GETs through a client's pipeline: its credential, TLS settings, retry and pacing policies. */
function pipelineGetter(pipeline: Pipeline, httpClient: HttpClient): OperationsPort {
  return {
    async get(url) {
      const response = await pipeline.sendRequest(
        httpClient,
        createPipelineRequest({ url, method: 'GET' }),
      );
      let body: unknown;
      try {
        body = response.bodyAsText ? (JSON.parse(response.bodyAsText) as unknown) : undefined;
      } catch {
        body = response.bodyAsText;
      }
      const retryAfter = response.headers.get('retry-after');
      const retryAfterMs =
        retryAfter !== undefined && /^\d+(\.\d+)?$/.test(retryAfter.trim())
          ? Number(retryAfter) * 1000
          : undefined;
      return {
        status: response.status,
        body,
        ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
      };
    },
  };
}

export function readCaFile(path: string): string | undefined {
  return path === '' ? undefined : readFileSync(path, 'utf8');
}
