/**
 * The baselines the benchmarks measure against: what ARM itself takes for one VM (its critical
 * path) and for a fleet (the write bucket's refill; at most maxParallel VMs down at once).
 */
import type { EmulatorConfigView, OperationName } from '../twin/emulator-admin';

/** Operation durations in real ms. */
export type Latencies = Record<OperationName, number>;

/** The emulator's operation durations (Azure seconds) in real ms at its time scale. */
export function latenciesMs(
  config: Pick<EmulatorConfigView, 'timeScale' | 'latencies'>,
): Latencies {
  const toMs = (azureSeconds: number): number => azureSeconds * config.timeScale * 1000;
  return {
    powerOff: toMs(config.latencies.powerOff),
    deallocate: toMs(config.latencies.deallocate),
    nicUpdate: toMs(config.latencies.nicUpdate),
    start: toMs(config.latencies.start),
  };
}

/**
 * One running VM's critical path: the operations accelnet and the documented procedure make,
 * one after another: deallocate (which also stops the VM), the NIC update, start.
 */
export const criticalPathMs = (latencies: Latencies): number =>
  latencies.deallocate + latencies.nicUpdate + latencies.start;

export interface FleetBounds {
  criticalPathMs: number;
  /** 3 per running VM (deallocate, NIC PUT, start), 1 per VM fixed in place or deallocated (NIC PUT). */
  neededWrites: number;
  /** The write bucket's refill in real time. */
  writesPerSecond: number;
  writesBoundMs: number;
  /** max(critical path, writes bound): any approach that honours ARM's limits. */
  lowerBoundMs: number;
  /**
   * The lanes' bound: ceil(running / maxParallel) critical paths one after another, or all
   * the lanes' work (NIC updates of VMs fixed in place included) spread evenly, whichever is more.
   */
  windowBoundMs: number;
  /** max(window bound, writes bound): the best with at most maxParallel VMs down at once. */
  boundAtMaxParallelMs: number;
  /** The least downtime summed over the fleet: one critical path per running VM, none in place. */
  downtimeBoundMs: number;
}

export interface FleetCounts {
  /** Running VMs that take a deallocation. */
  running: number;
  /** Running VMs fixed in place (default 0). */
  inPlace?: number;
  deallocated: number;
}

export function fleetBounds(
  config: Pick<EmulatorConfigView, 'timeScale' | 'latencies' | 'throttling'>,
  fleet: FleetCounts,
  maxParallel: number,
): FleetBounds {
  const latencies = latenciesMs(config);
  const inPlace = fleet.inPlace ?? 0;
  const cycle = criticalPathMs(latencies);
  const critical = fleet.running > 0 ? cycle : latencies.nicUpdate;
  const neededWrites = 3 * fleet.running + inPlace + fleet.deallocated;
  const writesPerSecond = config.throttling.writes.refillPerSecond / config.timeScale;
  const writesBoundMs = (neededWrites / writesPerSecond) * 1000;
  const windowBoundMs = Math.max(
    Math.ceil(fleet.running / maxParallel) * cycle,
    (fleet.running * cycle + inPlace * latencies.nicUpdate) / maxParallel,
  );
  return {
    criticalPathMs: critical,
    neededWrites,
    writesPerSecond,
    writesBoundMs,
    lowerBoundMs: Math.max(critical, writesBoundMs),
    windowBoundMs,
    boundAtMaxParallelMs: Math.max(windowBoundMs, writesBoundMs),
    downtimeBoundMs: fleet.running * cycle,
  };
}
