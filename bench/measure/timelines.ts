/**
 * What the emulator's power-state timelines say: when a VM was down, and how many VMs were down
 * at once.
 */

/** A power state a VM entered, at real epoch ms. */
export interface TimelineEntry {
  powerState: string;
  at: number;
}

/** The first entry of `state` at or after `after`. */
export function entryOf(
  timeline: readonly TimelineEntry[],
  state: string,
  after = 0,
): TimelineEntry | undefined {
  return timeline.find((e) => e.powerState === state && e.at >= after);
}

/** The last entry of `state`. */
export function lastEntryOf(
  timeline: readonly TimelineEntry[],
  state: string,
): TimelineEntry | undefined {
  return timeline.findLast((e) => e.powerState === state);
}

/**
 * Down intervals of the VMs that were running: from the first entry that is neither running
 * nor starting (power off or deallocation accepted) to the final 'running' entry, or to `endAt`
 * when the VM is not running at the end.
 */
export function downIntervals(
  vms: readonly { timeline?: readonly TimelineEntry[] }[],
  endAt: number,
): [number, number][] {
  const intervals: [number, number][] = [];
  for (const vm of vms) {
    const timeline = vm.timeline ?? [];
    if (timeline[0]?.powerState !== 'running') continue;
    const down = timeline.find((e) => e.powerState !== 'running' && e.powerState !== 'starting');
    if (!down) continue;
    const last = timeline.at(-1);
    const up = last?.powerState === 'running' && last.at >= down.at ? last.at : endAt;
    intervals.push([down.at, up]);
  }
  return intervals;
}

/** Most intervals open at once; one ending at the ms another starts does not overlap it. */
export function maxOverlap(intervals: readonly [number, number][]): number {
  const edges: [number, number][] = intervals.flatMap(([from, to]): [number, number][] => [
    [from, 1],
    [to, -1],
  ]);
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let now = 0;
  let max = 0;
  for (const [, delta] of edges) {
    now += delta;
    max = Math.max(max, now);
  }
  return max;
}
