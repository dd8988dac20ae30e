/**
 * All benchmarks, one markdown table: `npm run bench`. Each benchmark contributes rows; later
 * ones add theirs here.
 */
import { runEmulatorBench, watchdog } from './emulator';
import { type BenchRow, markdownTable } from './table';

async function main(): Promise<void> {
  watchdog();
  const rows: BenchRow[] = [];
  rows.push(...(await runEmulatorBench()).rows);
  process.stdout.write(`\n${markdownTable(rows)}\n`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(
      `bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
