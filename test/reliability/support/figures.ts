/**
 * The figures each part of the reliability suite measures: written to
 * `test-output/reliability/<part>.json`, gathered into `test-output/reliability.json`, and
 * printed as a table when the part ends.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { SCALE, SEED } from './scale';

export type Figure = string | number | boolean;
export type Figures = Record<string, Figure>;

const OUT = path.join(__dirname, '../../../test-output');
const PARTS = path.join(OUT, 'reliability');

/** Figures of one part, filled in by its tests and reported once at the end. */
export class PartFigures {
  private readonly figures: Figures = {};

  constructor(
    readonly part: string,
    readonly title: string,
  ) {}

  set(name: string, value: Figure): void {
    this.figures[name] = value;
  }

  add(name: string, by = 1): void {
    const now = this.figures[name];
    this.figures[name] = (typeof now === 'number' ? now : 0) + by;
  }

  /** Writes the part's file, regathers the combined file and prints the part's table. */
  report(): void {
    mkdirSync(PARTS, { recursive: true });
    const record = {
      part: this.part,
      title: this.title,
      scale: SCALE,
      seed: SEED,
      at: new Date().toISOString(),
      figures: this.figures,
    };
    writeFileSync(path.join(PARTS, `${this.part}.json`), `${JSON.stringify(record, null, 2)}\n`);
    const parts = readdirSync(PARTS)
      .filter((f) => f.endsWith('.json'))
      .sort()
      .map((f) => JSON.parse(readFileSync(path.join(PARTS, f), 'utf8')) as unknown);
    writeFileSync(
      path.join(OUT, 'reliability.json'),
      `${JSON.stringify({ scale: SCALE, parts }, null, 2)}\n`,
    );
    process.stdout.write(`\n${formatTable(`${this.title} (scale ${SCALE})`, this.figures)}\n`);
  }
}

export function formatTable(title: string, figures: Figures): string {
  const rows = Object.entries(figures).map(([k, v]) => [k, String(v)] as const);
  const width = Math.max(6, ...rows.map(([k]) => k.length));
  const lines = rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`);
  return [title, ...lines].join('\n');
}
