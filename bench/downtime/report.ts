/**
 * The downtime benchmark's report: its rows against ARM's own time, and where the time goes,
 * step by step.
 */
import type { Latencies } from '../measure/bounds';
import { fmt, median, ms, ratio, signed } from '../support';
import { type BenchRow, markdownGrid } from '../table';
import type { EmulatorConfigView } from '../twin/emulator-admin';
import type { DowntimeSample } from './sample';

const TARGET_RATIO = 1.15;

export interface DowntimeReportInput {
  /** Prefixes the rows (a scenario other than Azure's typical durations). */
  label: string | undefined;
  /** The emulator's config: its durations in Azure seconds and its time scale. */
  config: Pick<EmulatorConfigView, 'timeScale' | 'latencies'>;
  /** The same durations in real ms. */
  latencies: Latencies;
  lowerBoundMs: number;
  /** The warm-up VM, then the measured ones. */
  first: DowntimeSample;
  measured: DowntimeSample[];
}

type Measure = (s: DowntimeSample) => number;

const statsOf = (measured: DowntimeSample[]) => ({
  med: (pick: Measure): number => median(measured.map(pick)),
  worst: (pick: Measure): number => Math.max(...measured.map(pick)),
});

export function downtimeRows(r: DowntimeReportInput): BenchRow[] {
  const { med, worst } = statsOf(r.measured);
  const { first, lowerBoundMs, config } = r;
  const medianMs = med((s) => s.downtimeMs);
  const worstMs = worst((s) => s.downtimeMs);
  const n = r.measured.length;
  const over = medianMs - lowerBoundMs;
  const target = (value: number): string =>
    `target <= ${fmt(TARGET_RATIO, 2)}x: ${value / lowerBoundMs <= TARGET_RATIO ? 'met' : 'NOT met'}`;
  const rows: BenchRow[] = [
    {
      benchmark: `Baseline: ARM's own time (deallocate + NIC update + start)`,
      result: ms(lowerBoundMs),
      ratio: '1.00x',
      notes: `(${config.latencies.deallocate} + ${config.latencies.nicUpdate} + ${config.latencies.start}) Azure s x time scale ${config.timeScale}`,
    },
    {
      benchmark: `Downtime of one remediated VM, median of ${n} (deallocation accepted -> running)`,
      result: ms(medianMs),
      ratio: ratio(medianMs, lowerBoundMs),
      notes: `${target(medianMs)}; ${signed(over)} ms over ARM: polling ${fmt(med((s) => s.pollingMs))}, scheduling ${fmt(med((s) => s.schedulingMs))}, emulator timers ${fmt(med((s) => s.timerLagMs))} (medians)`,
    },
    {
      benchmark: `Downtime of one remediated VM, worst of ${n}`,
      result: ms(worstMs),
      ratio: ratio(worstMs, lowerBoundMs),
      notes: target(worstMs),
    },
    {
      benchmark: 'Downtime of the first VM (operation durations not learned yet)',
      result: ms(first.downtimeMs),
      ratio: ratio(first.downtimeMs, lowerBoundMs),
      notes: `polling ${fmt(first.pollingMs)} ms, scheduling ${fmt(first.schedulingMs)} ms; warm-up, not in the median`,
    },
    {
      benchmark: `ARM requests by 'accelnet' per VM, median of ${n}`,
      result: `${fmt(med((s) => s.reads))} reads, ${fmt(med((s) => s.writes))} writes`,
      notes: `reads include ${fmt(med((s) => s.polls))} LRO polls; first VM: ${first.reads} reads (${first.polls} polls), ${first.writes} writes`,
    },
  ];
  return r.label
    ? rows.map((row) => ({ ...row, benchmark: `${r.label}: ${row.benchmark}` }))
    : rows;
}

/** Markdown: each step of the power-state timeline, ARM's share of it, and what is left over. */
export function downtimeBreakdown(r: DowntimeReportInput): string {
  const { med, worst } = statsOf(r.measured);
  const { first, latencies: arm } = r;
  const over = med((s) => s.downtimeMs) - r.lowerBoundMs;
  const share = (part: number): string => (over > 0 ? `${fmt((100 * part) / over)}%` : 'n/a');
  const steps: [step: string, arm: number | undefined, pick: Measure, note: string][] = [
    ['deallocating -> deallocated', arm.deallocate, (s) => s.deallocateMs, 'deallocate latency'],
    [
      'deallocated -> starting',
      arm.nicUpdate,
      (s) => s.deallocatedToStartingMs,
      'NIC update + scheduling',
    ],
    ['  polling', undefined, (s) => s.deallocatePollMs, 'deallocated -> the poll that saw it'],
    [
      '  scheduling',
      undefined,
      (s) => s.deallocateToNicPutMs,
      'that poll -> NIC PUT (activity end, enableNics: GET VM, GET NIC)',
    ],
    [
      '  NIC update',
      arm.nicUpdate,
      (s) => s.nicPutToDoneMs,
      'NIC PUT -> its operation done (PUT + latency)',
    ],
    ['  polling', undefined, (s) => s.nicPollMs, 'NIC done -> the poll that saw it'],
    [
      '  scheduling',
      undefined,
      (s) => s.nicToStartMs,
      'that poll -> start POST (activity end, next activity)',
    ],
    ['starting -> running', arm.start, (s) => s.startMs, 'start latency'],
    ['Downtime', r.lowerBoundMs, (s) => s.downtimeMs, 'deallocating -> final running'],
    [
      'Over ARM: polling',
      undefined,
      (s) => s.pollingMs,
      `3 waits for a poll; ${share(med((s) => s.pollingMs))} of the median's excess`,
    ],
    [
      'Over ARM: scheduling',
      undefined,
      (s) => s.schedulingMs,
      `3 hand-overs between activities; ${share(med((s) => s.schedulingMs))}`,
    ],
    [
      'Over ARM: emulator timers',
      undefined,
      (s) => s.timerLagMs,
      `late setTimeouts of deallocate and start (NIC not seen); ${share(med((s) => s.timerLagMs))}`,
    ],
  ];
  return markdownGrid(
    [
      `${r.label ? `${r.label}: ` : ''}Step (power-state timeline)`,
      'ARM ms',
      'Median ms',
      'Over ARM',
      'Worst ms',
      'First VM ms',
      'Where it goes',
    ],
    steps.map(([step, armMs, pick, note]) => [
      step,
      armMs === undefined ? '' : fmt(armMs),
      fmt(med(pick)),
      armMs === undefined ? '' : signed(med(pick) - armMs),
      fmt(worst(pick)),
      fmt(pick(first)),
      note,
    ]),
    ['left', 'right', 'right', 'right', 'right', 'right', 'left'],
  );
}
