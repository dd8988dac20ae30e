/** One line of a benchmark report. */
export interface BenchRow {
  benchmark: string;
  result: string;
  /** Result over the baseline of the same table; the table gets a Ratio column when a row has one. */
  ratio?: string;
  notes: string;
}

/** Renders rows as a GitHub-flavoured markdown table. */
export function markdownTable(rows: readonly BenchRow[]): string {
  const withRatio = rows.some((row) => row.ratio !== undefined);
  return markdownGrid(
    withRatio ? ['Benchmark', 'Result', 'Ratio', 'Notes'] : ['Benchmark', 'Result', 'Notes'],
    rows.map((row) =>
      withRatio
        ? [row.benchmark, row.result, row.ratio ?? '', row.notes]
        : [row.benchmark, row.result, row.notes],
    ),
    withRatio ? ['left', 'right', 'right', 'left'] : ['left', 'right', 'left'],
  );
}

export type Align = 'left' | 'right';

/** Renders any header and cells as a GitHub-flavoured markdown table, columns padded. */
export function markdownGrid(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  align: readonly Align[] = [],
): string {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(3, ...all.map((row) => (row[i] ?? '').length)));
  const right = (i: number): boolean => align[i] === 'right';
  const line = (row: readonly string[]): string =>
    `| ${widths
      .map((w, i) => (right(i) ? (row[i] ?? '').padStart(w) : (row[i] ?? '').padEnd(w)))
      .join(' | ')} |`;
  const rule = `| ${widths.map((w, i) => (right(i) ? `${'-'.repeat(w - 1)}:` : '-'.repeat(w))).join(' | ')} |`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}
