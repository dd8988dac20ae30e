/** The app's `extensions.durableTask` settings, read as the Functions host reads them. */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { isRecord } from '../rpc';

export type DurableSetting =
  | 'maxConcurrentActivityFunctions'
  | 'maxConcurrentOrchestratorFunctions'
  | 'maxEntityOperationBatchSize';

/** The extension's defaults on a dedicated plan, for what the app does not set. */
const DEFAULTS: Record<DurableSetting, number> = {
  maxConcurrentActivityFunctions: 10,
  maxConcurrentOrchestratorFunctions: 10,
  maxEntityOperationBatchSize: 5000,
};

/** A positive integer, or undefined. */
function positiveInt(value: unknown): number | undefined {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof n === 'number' && Number.isInteger(n) && n >= 1 ? n : undefined;
}

/**
 * The app's host.json `extensions.durableTask`, as the Functions host reads it: host.json is
 * at the app's root (a deployed zip's root), found by walking up from the entry module's
 * directory (dist/functions/index.js -> the project). Undefined when there is none.
 */
function hostJsonDurableTask(entry: string | undefined): Record<string, unknown> | undefined {
  if (entry === undefined) return undefined;
  let dir = path.dirname(path.resolve(entry));
  for (;;) {
    const file = path.join(dir, 'host.json');
    if (existsSync(file)) {
      try {
        const json = JSON.parse(readFileSync(file, 'utf8')) as unknown;
        const extensions = isRecord(json) ? json.extensions : undefined;
        const durable = isRecord(extensions) ? extensions.durableTask : undefined;
        return isRecord(durable) ? durable : undefined;
      } catch {
        return undefined;
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/**
 * A durableTask setting: the app setting that overrides any host.json value,
 * `AzureFunctionsJobHost__extensions__durableTask__<name>`, else the app's host.json, else
 * the extension's default.
 */
export function durableSetting(name: DurableSetting, entry: string | undefined): number {
  return (
    positiveInt(process.env[`AzureFunctionsJobHost__extensions__durableTask__${name}`]) ??
    positiveInt(hostJsonDurableTask(entry)?.[name]) ??
    DEFAULTS[name]
  );
}
