/**
 * All benchmarks: `npm run bench`. The emulator's throughput, then the downtime of one
 * remediated VM against ARM's own time (ARM as fast as Azure's typical durations, 2.5x faster,
 * 2x slower), then a mixed fleet of 1,000 VMs three ways (accelnet, the documented procedure
 * VM by VM, naive parallelism) against the fleet's lower bound, and a v5-heavy fleet's total
 * downtime against the documented procedure's; each
 * prints its markdown table(s). The whole run is bounded: past their soft deadlines the
 * downtime and fleet benchmarks cut their phases short or stop and fail; past the abort point
 * their twins are stopped; past the hard bound the watchdog kills every child and exits.
 */
import { runDowntimeBench } from './downtime';
import { runEmulatorBench } from './emulator';
import { fleetMarkdown, runFleetBench } from './fleet';
import { runMain } from './standalone';
import { markdownTable } from './table';

/**
 * Whole-run bounds from the start (ms): three downtime scenarios, then two fleets; the hard
 * one is under a 6-minute budget.
 */
const DOWNTIME_DEADLINE_MS = 150_000;
const FLEET_DEADLINE_MS = 330_000;
const ABORT_MS = 340_000;
const HARD_BOUND_MS = 350_000;

runMain(HARD_BOUND_MS, async () => {
  const started = Date.now();
  const abort = new AbortController();
  setTimeout(() => {
    process.stderr.write(`bench: still running after ${ABORT_MS} ms, stopping the local twin.\n`);
    abort.abort();
  }, ABORT_MS).unref();

  const emulator = await runEmulatorBench();
  process.stdout.write(`\n${markdownTable(emulator.rows)}\n`);

  const downtime = await runDowntimeBench({
    deadline: started + DOWNTIME_DEADLINE_MS,
    signal: abort.signal,
  });
  process.stdout.write(`\n${markdownTable(downtime.rows)}\n\n${downtime.breakdown}\n`);

  const fleet = await runFleetBench({
    deadline: started + FLEET_DEADLINE_MS,
    signal: abort.signal,
  });
  process.stdout.write(`\n${fleetMarkdown(fleet)}\n`);
});
