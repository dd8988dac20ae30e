/**
 * The documented procedure (deallocate, NIC GET + PUT, start) with the real SDK clients awaiting
 * every poller: one VM, VM by VM, or over every VM at once in one `Promise.all`.
 */
import { setMaxListeners } from 'node:events';

import type { Clients } from './sdk';

/** Poll interval of the SDK pollers (real ms). */
const POLL_MS = 20;

export interface Target {
  resourceGroup: string;
  vm: string;
  /** Started again after the NIC update. */
  running: boolean;
}

/** The documented procedure for one VM: deallocate, update the NIC, start it again. */
export async function documentedProcedure(
  clients: Clients,
  { resourceGroup: rg, vm, running }: Target,
  abortSignal: AbortSignal,
): Promise<void> {
  const poll = { updateIntervalInMs: POLL_MS, abortSignal };
  await clients.compute.virtualMachines.beginDeallocateAndWait(rg, vm, poll);
  const nic = await clients.network.networkInterfaces.get(rg, `${vm}-nic`, { abortSignal });
  await clients.network.networkInterfaces.beginCreateOrUpdateAndWait(
    rg,
    `${vm}-nic`,
    { ...nic, enableAcceleratedNetworking: true },
    { ...poll, requestOptions: { customHeaders: nic.etag ? { 'If-Match': nic.etag } : {} } },
  );
  if (running) await clients.compute.virtualMachines.beginStartAndWait(rg, vm, poll);
}

export interface SequentialRun {
  /** Each VM's time (ms), for the VMs that were running and those that were deallocated. */
  perClass: { running: number[]; deallocated: number[] };
  /** `<vm>: <message>` for each VM that threw before the time bound. */
  errors: string[];
  measuredMs: number;
}

/** VM by VM until done, `parent` aborts or `budgetMs` has passed. */
export async function runSequentially(
  clients: Clients,
  targets: readonly Target[],
  parent: AbortSignal,
  budgetMs: number,
): Promise<SequentialRun> {
  const bound = bounded(parent, budgetMs);
  const perClass = { running: [] as number[], deallocated: [] as number[] };
  const errors: string[] = [];
  const started = performance.now();
  try {
    for (const target of targets) {
      if (bound.signal.aborted) break;
      const t0 = performance.now();
      try {
        await documentedProcedure(clients, target, bound.signal);
        (target.running ? perClass.running : perClass.deallocated).push(performance.now() - t0);
      } catch (error) {
        if (!bound.signal.aborted) errors.push(`${target.vm}: ${messageOf(error)}`);
      }
    }
  } finally {
    bound.dispose();
  }
  return { perClass, errors, measuredMs: performance.now() - started };
}

export interface ParallelRun {
  /** The message of each VM that threw, by VM. */
  errors: Map<string, string>;
  /** Until the last VM settled, or until the bound. */
  elapsedMs: number;
  /** Stopped by `parent` or the bound before every VM settled. */
  cutShort: boolean;
}

/** Every VM at once, the SDK's retries, until all settle, `parent` aborts or `budgetMs` passes. */
export async function runAllAtOnce(
  clients: Clients,
  targets: readonly Target[],
  parent: AbortSignal,
  budgetMs: number,
): Promise<ParallelRun> {
  const bound = bounded(parent, budgetMs);
  const errors = new Map<string, string>();
  const started = performance.now();
  let settledAt = started;
  try {
    await Promise.all(
      targets.map(async (target) => {
        try {
          await documentedProcedure(clients, target, bound.signal);
        } catch (error) {
          errors.set(target.vm, messageOf(error));
        } finally {
          settledAt = Math.max(settledAt, performance.now());
        }
      }),
    );
  } finally {
    bound.dispose();
  }
  const cutShort = bound.signal.aborted;
  return { errors, elapsedMs: (cutShort ? performance.now() : settledAt) - started, cutShort };
}

const messageOf = (error: unknown): string =>
  error instanceof Error ? error.message : String(error);

/** An AbortController aborted by `parent` or after `ms`, whichever comes first. */
function bounded(parent: AbortSignal, ms: number): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  const onParent = (): void => controller.abort(new Error('stopped'));
  parent.addEventListener('abort', onParent, { once: true });
  const timer = setTimeout(() => controller.abort(new Error('time bound')), Math.max(0, ms));
  timer.unref();
  return {
    signal: controller.signal,
    dispose: () => {
      clearTimeout(timer);
      parent.removeEventListener('abort', onParent);
    },
  };
}
