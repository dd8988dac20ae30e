/**
 * The ARM emulator's admin API (`/_emulator/...`) as the benchmarks use it: its config, a reset,
 * seeding, the operation log and the VMs with their power-state timelines.
 */
import https from 'node:https';

import type { OperationLogEntry } from '../../emulator/middleware/operation-log';
import type { TimelineEntry } from '../measure/timelines';
import { call } from '../support';
import type { SeedBody } from './seed';

/** The operation durations the benchmarks read, in Azure seconds (the API returns more). */
export type OperationName = 'powerOff' | 'deallocate' | 'nicUpdate' | 'start';

export interface EmulatorConfigView {
  /** Real seconds per Azure second. */
  timeScale: number;
  latencies: Record<OperationName, number>;
  throttling: {
    enabled: boolean;
    reads: { bucket: number; refillPerSecond: number };
    writes: { bucket: number; refillPerSecond: number };
  };
}

/** One request in the emulator's operation log, as `GET /_emulator/operations` returns it. */
export type LoggedOperation = OperationLogEntry;

export interface VmView {
  id: string;
  name: string;
  powerState: string;
  nics: {
    id: string;
    enableAcceleratedNetworking: boolean;
    acceleratedNetworkingEffective: boolean;
  }[];
  timeline?: TimelineEntry[];
}

export class EmulatorAdmin {
  private readonly agent: https.Agent;

  constructor(
    readonly url: string,
    caPem: string,
    private readonly timeoutMs = 60_000,
  ) {
    this.agent = new https.Agent({ keepAlive: true, ca: caPem });
  }

  close(): void {
    this.agent.destroy();
  }

  async request<T>(method: string, route: string, body?: unknown): Promise<T> {
    const reply = await call(
      `${this.url}${route}`,
      { method, agent: this.agent },
      body,
      this.timeoutMs,
    );
    if (reply.status < 200 || reply.status >= 300)
      throw new Error(`${method} ${route} answered ${reply.status}: ${reply.body.slice(0, 500)}`);
    return JSON.parse(reply.body) as T;
  }

  config(): Promise<EmulatorConfigView> {
    return this.request('GET', '/_emulator/config');
  }

  /** Merges `patch` into the config (any of its fields); answers the whole new config. */
  setConfig(patch: unknown): Promise<EmulatorConfigView> {
    return this.request('PUT', '/_emulator/config', patch);
  }

  /** Nothing in flight, full buckets, no resources. */
  async reset(): Promise<void> {
    await this.request('POST', '/_emulator/reset');
  }

  /** Seeds VMs; with `events: false` their writes raise no Event Grid events. */
  async seed(body: SeedBody, options: { events?: boolean } = {}): Promise<{ id: string }[]> {
    const query = options.events === false ? '?events=false' : '';
    return (await this.request<{ vms: { id: string }[] }>('POST', `/_emulator/seed${query}`, body))
      .vms;
  }

  /** The operation log, or its entries after `since` (a `seq`). */
  async operations(since?: number): Promise<LoggedOperation[]> {
    const query = since === undefined ? '' : `?since=${since}`;
    return (
      await this.request<{ operations: LoggedOperation[] }>('GET', `/_emulator/operations${query}`)
    ).operations;
  }

  /** The `seq` of the last logged operation (0 when there is none). */
  async lastSeq(): Promise<number> {
    return (await this.operations()).reduce((max, op) => Math.max(max, op.seq), 0);
  }

  /** Every VM with its power-state timeline (real ms). */
  async vms(): Promise<VmView[]> {
    return (await this.request<{ vms: VmView[] }>('GET', '/_emulator/vms?timeline=true')).vms;
  }

  async timeline(vmId: string): Promise<TimelineEntry[]> {
    const vm = (await this.vms()).find((v) => v.id.toLowerCase() === vmId.toLowerCase());
    if (!vm?.timeline) throw new Error(`the emulator has no timeline for ${vmId}`);
    return vm.timeline;
  }
}
