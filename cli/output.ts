/**
 * `-o/--output` and `--query`, as the Azure CLI has them. A command produces data (what
 * `-o json` prints); `--query` (JMESPath) reshapes it first; then the format prints it:
 *
 * - `json`: indented JSON; `jsonc`: the same in colour (NO_COLOR turns colour off);
 * - `table`: the command's own table for people, or, after `--query`, a table of the scalar
 *   fields of each object (headers from the keys), as az prints it;
 * - `tsv`: values only, tab-separated, no header, one line per list item, keys in order; a
 *   nested list prints its length and a nested object nothing, as az's; null prints empty;
 * - `csv`: a header, then RFC 4180 rows (the command's own columns, or the scalar fields);
 * - `none`: nothing.
 */
import { compile, search } from '@jmespath-community/jmespath';
import { InvalidArgumentError, Option } from 'commander';

import { loadCliSettings } from '../shared/platform/config';
import { csv, table } from './format';

export const OUTPUT_FORMATS = ['table', 'json', 'jsonc', 'tsv', 'csv', 'none'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

export interface OutputOptions {
  output: OutputFormat;
  /** A JMESPath expression, checked when parsed. */
  query?: string;
}

/** How a command shows its data to people: its table and its CSV (without --query). */
export interface View<T> {
  table?: (data: T) => string;
  csv?: (data: T) => string;
}

export const outputOption = (defaultFormat: OutputFormat = 'table'): Option =>
  new Option('-o, --output <format>', 'output format: table, json, jsonc, tsv, csv or none')
    .choices([...OUTPUT_FORMATS])
    .default(defaultFormat);

export const queryOption = (): Option =>
  new Option(
    '--query <jmespath>',
    'JMESPath query applied to the output (what -o json prints), as in the Azure CLI; e.g. "[?action==\'remediate\'].name"',
  ).argParser(parseQuery);

/** `--query`: a JMESPath expression that compiles, else exit 2 naming it. */
export function parseQuery(value: string): string {
  if (value.trim() === '') throw new InvalidArgumentError('must be a JMESPath expression.');
  try {
    compile(value);
  } catch (error) {
    const detail = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new InvalidArgumentError(`is not a valid JMESPath expression (${detail}).`);
  }
  return value;
}

/** The data as the chosen format prints it: '' for `none`. */
export function render<T>(
  data: T,
  options: OutputOptions,
  view: View<T> = {},
  colour = true,
): string {
  if (options.output === 'none') return '';
  const json = toJson(data);
  const value = options.query !== undefined ? search(json, options.query) : json;
  const own = options.query === undefined;
  switch (options.output) {
    case 'json':
      return JSON.stringify(value, null, 2);
    case 'jsonc':
      return colour ? colourJson(value) : JSON.stringify(value, null, 2);
    case 'tsv':
      return tsv(value);
    case 'csv':
      return own && view.csv ? view.csv(data) : genericCsv(value);
    case 'table':
      return own && view.table ? view.table(data) : genericTable(value);
  }
}

/** Prints the data on stdout in the chosen format (nothing for `none`); NO_COLOR: no colour. */
export function print<T>(
  data: T,
  options: OutputOptions,
  view: View<T> = {},
  colour = !loadCliSettings().noColor,
): void {
  const text = render(data, options, view, colour);
  if (text !== '') process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

function toJson(data: unknown): Json {
  return data === undefined ? null : (JSON.parse(JSON.stringify(data)) as Json);
}

function isObject(value: Json): value is { [key: string]: Json } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A value in a cell: scalars as text, nested values as compact JSON. */
function cell(value: Json | undefined): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/** az's tsv: values only, keys in order, a nested list as its length, a nested object empty. */
export function tsv(value: Json): string {
  const scalar = (v: Json): string => {
    if (Array.isArray(v)) return String(v.length);
    if (isObject(v)) return '';
    return cell(v).replace(/[\t\r\n]+/g, ' ');
  };
  const row = (v: Json): string =>
    isObject(v)
      ? Object.values(v).map(scalar).join('\t')
      : Array.isArray(v)
        ? v.map(scalar).join('\t')
        : scalar(v);
  const rows = Array.isArray(value) ? value.map(row) : [row(value)];
  return rows.join('\n');
}

/** The rows and columns of any value: a list of objects, one object, or scalars. */
function tabulate(value: Json): { headers: string[]; rows: string[][] } {
  const items = Array.isArray(value) ? value : [value];
  if (items.every(isObject)) {
    const keys: string[] = [];
    for (const item of items)
      for (const [key, v] of Object.entries(item))
        if (!keys.includes(key) && (v === null || typeof v !== 'object')) keys.push(key);
    return { headers: keys, rows: items.map((item) => keys.map((k) => cell(item[k]))) };
  }
  return { headers: ['Result'], rows: items.map((item) => [cell(item)]) };
}

/** az's table of a value: the scalar fields of each object, headers from the keys. */
function genericTable(value: Json): string {
  const { headers, rows } = tabulate(value);
  if (headers.length === 0) return '';
  return table(
    headers.map((h) => h.charAt(0).toUpperCase() + h.slice(1)),
    rows,
  );
}

function genericCsv(value: Json): string {
  const { headers, rows } = tabulate(value);
  return headers.length === 0 ? '' : csv(headers, rows);
}

const COLOURS = {
  key: '\u001b[94m',
  string: '\u001b[32m',
  literal: '\u001b[33m',
  reset: '\u001b[0m',
};

/** Indented JSON with keys, strings and literals in colour (az's jsonc). */
export function colourJson(value: Json): string {
  return JSON.stringify(value, null, 2).replace(
    /("(?:\\.|[^"\\])*")(\s*:)?|\b(?:true|false|null)\b|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/g,
    (match, text: string | undefined, colon: string | undefined) => {
      if (text !== undefined && colon !== undefined)
        return `${COLOURS.key}${text}${COLOURS.reset}${colon}`;
      if (text !== undefined) return `${COLOURS.string}${text}${COLOURS.reset}`;
      return `${COLOURS.literal}${match}${COLOURS.reset}`;
    },
  );
}
