/** One line of a benchmark report. */
export interface BenchRow {
  benchmark: string;
  result: string;
  notes: string;
}

/** Renders rows as a GitHub-flavoured markdown table. */
export function markdownTable(rows: readonly BenchRow[]): string {
  const header: BenchRow = { benchmark: 'Benchmark', result: 'Result', notes: 'Notes' };
  const all = [header, ...rows];
  const width = (pick: (row: BenchRow) => string): number =>
    Math.max(3, ...all.map((row) => pick(row).length));
  const w = [width((r) => r.benchmark), width((r) => r.result), width((r) => r.notes)];
  const line = (row: BenchRow): string =>
    `| ${row.benchmark.padEnd(w[0] ?? 0)} | ${row.result.padStart(w[1] ?? 0)} | ${row.notes.padEnd(w[2] ?? 0)} |`;
  const rule = `| ${'-'.repeat(w[0] ?? 3)} | ${'-'.repeat((w[1] ?? 3) - 1)}: | ${'-'.repeat(w[2] ?? 3)} |`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}
