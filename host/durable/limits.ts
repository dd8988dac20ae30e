/**
 * The limits the host applies, read as the Functions host reads them: the app setting that
 * overrides a host.json value (`AzureFunctionsJobHost__<path>`), else the app's host.json,
 * else the default.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { isRecord } from '../rpc';

/** The limits of the task hub. */
export interface HostLimits {
  maxConcurrentActivityFunctions: number;
  maxConcurrentOrchestratorFunctions: number;
  maxEntityOperationBatchSize: number;
}

type DurableSetting = keyof HostLimits;

/** The extension's defaults on a dedicated plan, for what the app does not set. */
const DEFAULTS: HostLimits = {
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
 * The app's host.json, as the Functions host reads it: at the app's root (a deployed zip's
 * root), found by walking up from the entry module's directory (dist/functions/index.js -> the
 * project). Undefined when there is none.
 */
function hostJson(entry: string | undefined): Record<string, unknown> | undefined {
  if (entry === undefined) return undefined;
  let dir = path.dirname(path.resolve(entry));
  for (;;) {
    const file = path.join(dir, 'host.json');
    if (existsSync(file)) {
      try {
        const json = JSON.parse(readFileSync(file, 'utf8')) as unknown;
        return isRecord(json) ? json : undefined;
      } catch {
        return undefined;
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** host.json's `extensions.durableTask`. */
function durableTask(json: Record<string, unknown> | undefined): Record<string, unknown> {
  const extensions = json?.extensions;
  const durable = isRecord(extensions) ? extensions.durableTask : undefined;
  return isRecord(durable) ? durable : {};
}

/**
 * The hub's limits: those given (a test's), else per durableTask setting the app setting
 * `AzureFunctionsJobHost__extensions__durableTask__<name>`, else host.json, else the default.
 */
export function hostLimits(entry: string | undefined, given: Partial<HostLimits> = {}): HostLimits {
  const durable = durableTask(hostJson(entry));
  const read = (name: DurableSetting): number =>
    given[name] ??
    positiveInt(process.env[`AzureFunctionsJobHost__extensions__durableTask__${name}`]) ??
    positiveInt(durable[name]) ??
    DEFAULTS[name];
  return {
    maxConcurrentActivityFunctions: read('maxConcurrentActivityFunctions'),
    maxConcurrentOrchestratorFunctions: read('maxConcurrentOrchestratorFunctions'),
    maxEntityOperationBatchSize: read('maxEntityOperationBatchSize'),
  };
}

/** The extension's limit on a custom status: 16 KB of JSON, counted in UTF-16. */
const MAX_CUSTOM_STATUS_KB = 16;

/**
 * Why a custom status is refused, as the extension refuses it: SetCustomStatus serialises it
 * with a 16 KB limit (DurableOrchestrationContext.cs:221-230), counted in UTF-16 as Azure
 * Storage stores strings and rounded down to whole KB (MessagePayloadDataConverter.cs:60-71).
 * Undefined when it fits.
 */
export function customStatusProblem(customStatus: unknown): string | undefined {
  if (customStatus === undefined || customStatus === null) return undefined;
  const json = JSON.stringify(customStatus);
  const kb = Math.floor((json.length * 2) / 1024);
  if (kb <= MAX_CUSTOM_STATUS_KB) return undefined;
  const n0 = (n: number): string => n.toLocaleString('en-US');
  return `The UTF-16 size of the JSON-serialized payload must not exceed ${n0(MAX_CUSTOM_STATUS_KB)} KB. The current payload size is ${n0(kb)} KB.`;
}
