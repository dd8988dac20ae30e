/**
 * The fleet benchmark's two tables: the approaches against the lower bound, and accelnet's
 * requests per remediated running VM.
 */
import type { FleetBounds } from '../measure/bounds';
import { ACTIVITY_SLOTS_SETTING } from '../runners/accelnet';
import { fmt, met, ratio, seconds } from '../support';
import { markdownGrid } from '../table';
import type { Fleet } from './mix';
import type { PerVmBreakdown } from './per-vm';
import type { FleetPhaseResult } from './phases';

const TARGET_SPEEDUP = 20;
const TARGET_BOUND_RATIO = 1.25;
const TARGET_WRITES = 6;
const TARGET_READS = 10;

export interface FleetReportInput {
  fleet: Fleet;
  bounds: FleetBounds;
  timeScale: number;
  maxParallel: number;
  /** The host's concurrent activities in the measured run, and as host.json deploys them. */
  activitySlots: number;
  deployedActivitySlots: number;
  phases: FleetPhaseResult[];
}

/** Markdown: the approaches against the lower bound (ratios to it), after the two bounds. */
export function fleetTable(r: FleetReportInput): string {
  const { fleet, bounds: b } = r;
  const sequential = r.phases.find((x) => x.phase === 'sequential');
  const toBound = (ms: number): string => ratio(ms, b.lowerBoundMs);
  const perVm = (n: number, vms: number): string => (vms > 0 ? fmt(n / vms, 1) : 'n/a');
  /** A bound's row: a name, its time, its ratio and how it is made; no measured columns. */
  const boundRow = (name: string, ms: number, notes: string, downtimeMs?: number): string[] => [
    name,
    seconds(ms),
    toBound(ms),
    ...Array<string>(6).fill(''),
    downtimeMs === undefined ? '' : seconds(downtimeMs),
    notes,
  ];
  const inPlace = fleet.inPlace.length;
  const rows: string[][] = [
    boundRow(
      'Baseline: lower bound, max(one VM critical path, writes / write refill)',
      b.lowerBoundMs,
      `max(${seconds(b.criticalPathMs)} ${fleet.running.length > 0 ? 'deallocate + NIC + start' : 'NIC update'}, ${fmt(b.neededWrites)} writes (3 per running VM, 1 per ${inPlace > 0 ? 'VM fixed in place or ' : ''}deallocated) / ${fmt(b.writesPerSecond)} writes/s = ${seconds(b.writesBoundMs)}); assumes unbounded parallelism; total downtime: one critical path per running VM${inPlace > 0 ? ', none for those fixed in place' : ''}`,
      b.downtimeBoundMs,
    ),
    boundRow(
      `Second bound, at maxParallel ${fmt(r.maxParallel)}: max(ceil(running / maxParallel) x critical path, writes / write refill)`,
      b.boundAtMaxParallelMs,
      `max(${inPlace > 0 ? "the lanes' work" : `ceil(${fleet.running.length} / ${fmt(r.maxParallel)}) x ${seconds(b.criticalPathMs)}`} = ${seconds(b.windowBoundMs)}, ${seconds(b.writesBoundMs)}): the best any run can do with at most ${fmt(r.maxParallel)} VMs down at once; ratios in this table are to the first bound`,
    ),
  ];
  for (const p of r.phases) {
    const notes: string[] = [];
    if (p.phase === 'accelnet') {
      const done = !p.cutShort;
      notes.push(
        `target <= ${fmt(TARGET_BOUND_RATIO, 2)}x of the bound: ${met(done && p.wallMs / b.lowerBoundMs <= TARGET_BOUND_RATIO)}`,
        `${fmt(p.wallMs / b.boundAtMaxParallelMs, 2)}x the second bound (at maxParallel ${fmt(r.maxParallel)})`,
      );
      if (sequential && !sequential.cutShort) {
        const speedup = sequential.wallMs / p.wallMs;
        notes.push(
          `${fmt(speedup, 1)}x faster than sequential (target >= ${TARGET_SPEEDUP}x: ${met(done && speedup >= TARGET_SPEEDUP)})`,
        );
      }
      notes.push(`no failed VMs: ${met(done && p.failedVms === 0)}`);
      if (sequential && !sequential.cutShort && sequential.totalDowntimeMs > 0)
        notes.push(
          `total downtime ${ratio(p.totalDowntimeMs, sequential.totalDowntimeMs)} of the documented procedure's`,
        );
      notes.push(
        `${fmt(r.activitySlots)} concurrent activities set by app setting ${ACTIVITY_SLOTS_SETTING} (host.json: ${r.deployedActivitySlots})`,
      );
    }
    // A run stopped at its bound: requests per VM it finished (those of VMs in flight included).
    const perVmOf = p.extrapolated && p.phase !== 'sequential' ? p.done : p.vms;
    if (perVmOf !== p.vms) notes.push(`requests per VM are per VM remediated (${p.done})`);
    notes.push(p.note);
    if (p.failures.length > 0) notes.push(`e.g. ${p.failures.slice(0, 2).join('; ')}`);
    rows.push([
      p.label,
      `${p.cutShort ? '> ' : p.extrapolated ? '~ ' : ''}${seconds(p.wallMs)}`,
      toBound(p.wallMs),
      perVm(p.reads, perVmOf),
      perVm(p.writes, perVmOf),
      fmt(p.throttled),
      `${fmt(p.failedVms)} of ${fmt(p.vms)}`,
      fmt(p.maxDown),
      `${seconds(p.downtimeMedianMs)} / ${seconds(p.downtimeMaxMs)}`,
      `${p.extrapolated ? '~ ' : ''}${seconds(p.totalDowntimeMs)}`,
      notes.join('; '),
    ]);
  }
  return markdownGrid(
    [
      `${fleet.mix.title ?? 'Fleet'} of ${fleet.size} VMs: ${fleet.running.length} eligible running${inPlace > 0 ? `, ${inPlace} running of sizes fixed in place` : ''}, ${fleet.deallocated.length} eligible deallocated, ${fleet.size - fleet.eligible.length} to leave alone; time scale ${r.timeScale}, throttling on`,
      'Wall time',
      'Ratio',
      'Reads/VM',
      'Writes/VM',
      '429s',
      'Failed VMs',
      'Most down at once',
      'VM downtime median / max',
      'Total VM downtime',
      'Notes',
    ],
    rows,
    [
      'left',
      'right',
      'right',
      'right',
      'right',
      'right',
      'right',
      'right',
      'right',
      'right',
      'left',
    ],
  );
}

/** Markdown: accelnet's requests per remediated running single-NIC VM ('' without a run). */
export function perVmTable(b: PerVmBreakdown | undefined): string {
  if (!b) return '';
  const lines: string[][] = [
    ...Object.entries(b.writes).map(([k, n]) => ['write', k, fmt(n, 2)]),
    [
      'write',
      'Total writes',
      `${fmt(b.totalWrites, 2)} (target <= ${TARGET_WRITES}: ${met(b.totalWrites <= TARGET_WRITES)})`,
    ],
    ...Object.entries(b.reads).map(([k, n]) => ['read', k, fmt(n, 2)]),
    [
      'read',
      'Total reads',
      `${fmt(b.totalReads, 2)} (target <= ${TARGET_READS}: ${met(b.totalReads <= TARGET_READS)})`,
    ],
    [
      'read',
      'Planning (paged lists, SKUs), per eligible VM, not in the total',
      fmt(b.planReadsPerVm, 2),
    ],
  ];
  return markdownGrid(
    [
      `accelnet: ARM requests per remediated running single-NIC VM (${b.vms} VMs)`,
      'Request',
      'Per VM',
    ],
    lines,
    ['left', 'left', 'right'],
  );
}
