/**
 * One remediated VM's downtime from the emulator's power-state timeline and operation log:
 * its steps, and what it took over ARM's own time, by cause: the emulator's timer lag, polling
 * (an operation ended -> the poll that saw it) and scheduling (that poll -> the next ARM write).
 */
import type { Latencies } from '../measure/bounds';
import { APP_PRINCIPAL, isPoll, isRead } from '../measure/operations';
import { entryOf, lastEntryOf, type TimelineEntry } from '../measure/timelines';
import type { LoggedOperation } from '../twin/emulator-admin';

/** Milliseconds of one VM's downtime and where they went. */
export interface DowntimeSample {
  vmId: string;
  downtimeMs: number;
  /** Timeline segments (ms). */
  powerOffMs: number;
  stoppedToDeallocatingMs: number;
  deallocateMs: number;
  deallocatedToStartingMs: number;
  startMs: number;
  /** Parts of the two gaps (ms). */
  powerOffPollMs: number;
  powerOffToDeallocateMs: number;
  deallocatePollMs: number;
  deallocateToNicPutMs: number;
  nicPutToDoneMs: number;
  nicPollMs: number;
  nicToStartMs: number;
  /** Over the lower bound, by cause (ms); the NIC update counts as its latency exactly. */
  timerLagMs: number;
  pollingMs: number;
  schedulingMs: number;
  /** ARM requests by the app for this VM. */
  reads: number;
  polls: number;
  writes: number;
}

export function analyse(
  vmId: string,
  timeline: readonly TimelineEntry[],
  ops: readonly LoggedOperation[],
  latencies: Latencies,
): DowntimeSample {
  const find = (state: string, after: number): TimelineEntry => {
    const entry = entryOf(timeline, state, after);
    if (!entry)
      throw new Error(`${vmId}: no '${state}' in its timeline: ${JSON.stringify(timeline)}`);
    return entry;
  };
  // accelnet deallocates a running VM directly (deallocate stops it too); a timeline with a
  // separate power off (stopping -> stopped) first is still read.
  const poweredOff = timeline.some((e) => e.powerState === 'stopping');
  const deallocating = find('deallocating', 0).at;
  const stopping = poweredOff ? find('stopping', 0).at : deallocating;
  const stopped = poweredOff ? find('stopped', stopping).at : deallocating;
  const deallocated = find('deallocated', deallocating).at;
  const starting = find('starting', deallocated).at;
  const running = lastEntryOf(timeline, 'running')?.at ?? NaN;
  if (!(running >= starting)) throw new Error(`${vmId}: never running again after starting`);

  const mine = ops
    .filter((op) => op.principal === APP_PRINCIPAL)
    .map((op) => ({ ...op, at: Date.parse(op.time) }));
  const writes = mine.filter((op) => !isRead(op));
  const polls = mine.filter(isPoll);
  /**
   * The poll that saw an operation end: the last one between the end (`from`) and the next
   * step's write (`until`). A poll answered after the end was stamped at or after it (the
   * handler runs in one go), so a ms tie does not hide an earlier 'InProgress' poll. No
   * poll there: nothing waited on polling, it all counts as scheduling.
   */
  const pollAfter = (from: number, until: number): number =>
    polls.filter((op) => op.at >= from && op.at <= until).at(-1)?.at ?? from;
  const nicPut =
    writes.find(
      (op) => op.operation === 'Microsoft.Network/networkInterfaces/write' && op.at >= deallocated,
    )?.at ?? NaN;
  if (!Number.isFinite(nicPut)) throw new Error(`${vmId}: no NIC write after deallocation`);
  const nicDone = Math.min(starting, nicPut + latencies.nicUpdate);

  const powerOffPoll = pollAfter(stopped, deallocating);
  const deallocatePoll = pollAfter(deallocated, nicPut);
  const nicPoll = pollAfter(nicDone, starting);
  const sample: DowntimeSample = {
    vmId,
    downtimeMs: running - stopping,
    powerOffMs: stopped - stopping,
    stoppedToDeallocatingMs: deallocating - stopped,
    deallocateMs: deallocated - deallocating,
    deallocatedToStartingMs: starting - deallocated,
    startMs: running - starting,
    powerOffPollMs: powerOffPoll - stopped,
    powerOffToDeallocateMs: deallocating - powerOffPoll,
    deallocatePollMs: deallocatePoll - deallocated,
    deallocateToNicPutMs: nicPut - deallocatePoll,
    nicPutToDoneMs: nicDone - nicPut,
    nicPollMs: nicPoll - nicDone,
    nicToStartMs: starting - nicPoll,
    timerLagMs: 0,
    pollingMs: 0,
    schedulingMs: 0,
    reads: mine.length - writes.length,
    polls: polls.length,
    writes: writes.length,
  };
  sample.timerLagMs =
    (poweredOff ? sample.powerOffMs - latencies.powerOff : 0) +
    (sample.deallocateMs - latencies.deallocate) +
    (sample.startMs - latencies.start);
  sample.pollingMs = sample.powerOffPollMs + sample.deallocatePollMs + sample.nicPollMs;
  sample.schedulingMs =
    sample.powerOffToDeallocateMs + sample.deallocateToNicPutMs + sample.nicToStartMs;
  return sample;
}
