/**
 * The limits the host applies, read as the Functions host reads them: the app setting that
 * overrides a host.json value (`AzureFunctionsJobHost__<path>`), else the app's host.json,
 * else the default.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { isRecord } from '../rpc';

/** The durableTask settings the hub applies. */
export interface DurableLimits {
  maxConcurrentActivityFunctions: number;
  maxConcurrentOrchestratorFunctions: number;
  maxEntityOperationBatchSize: number;
}

/** The limits of the task hub. */
export interface HostLimits extends DurableLimits {
  /** How long a function may run (undefined: no limit), host.json's `functionTimeout`. */
  functionTimeoutMs: number | undefined;
}

type DurableSetting = keyof DurableLimits;

/** The extension's defaults on a dedicated plan, for what the app does not set. */
const DEFAULTS: DurableLimits = {
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
 * The hub's limits: those given (a test's), else the app setting that overrides host.json
 * (`AzureFunctionsJobHost__extensions__durableTask__<name>`,
 * `AzureFunctionsJobHost__functionTimeout`), else host.json, else the default. `env` is the
 * app's environment (its app settings).
 */
export function hostLimits(
  entry: string | undefined,
  given: Partial<DurableLimits> = {},
  env: NodeJS.ProcessEnv = process.env,
): HostLimits {
  const json = hostJson(entry);
  const durable = durableTask(json);
  const read = (name: DurableSetting): number =>
    given[name] ??
    positiveInt(env[`AzureFunctionsJobHost__extensions__durableTask__${name}`]) ??
    positiveInt(durable[name]) ??
    DEFAULTS[name];
  const timeout = env.AzureFunctionsJobHost__functionTimeout ?? json?.functionTimeout;
  return {
    maxConcurrentActivityFunctions: read('maxConcurrentActivityFunctions'),
    maxConcurrentOrchestratorFunctions: read('maxConcurrentOrchestratorFunctions'),
    maxEntityOperationBatchSize: read('maxEntityOperationBatchSize'),
    functionTimeoutMs: functionTimeoutMs(timeout, env.WEBSITE_SKU),
  };
}

/** TimeSpan.MaxValue as .NET prints it (the bound of plans without a maximum). */
const TIMESPAN_MAX = '10675199.02:48:05.4775807';
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

/**
 * host.json's `functionTimeout` as the Functions host applies it (ScriptJobHostOptionsSetup.cs:
 * 97-137): absent, 5 minutes on the Consumption plan (WEBSITE_SKU `Dynamic`) and 30 minutes
 * on the others (Flex Consumption, Premium, Dedicated); -1 no limit where the plan allows one
 * (not Consumption); otherwise between 1 second and 10 minutes on Consumption, at least 1
 * second elsewhere, or the host does not start.
 */
export function functionTimeoutMs(setting: unknown, sku: string | undefined): number | undefined {
  const consumption = sku?.toLowerCase() === 'dynamic';
  if (setting === undefined || setting === null || setting === '')
    return consumption ? 5 * MINUTE : 30 * MINUTE;
  const ms = typeof setting === 'string' ? parseTimeSpan(setting) : undefined;
  if (ms === undefined)
    throw new Error(`functionTimeout '${JSON.stringify(setting)}' is not a TimeSpan (hh:mm:ss).`);
  if (ms === -DAY && !consumption) return undefined;
  const max = consumption ? 10 * MINUTE : Number.POSITIVE_INFINITY;
  if (ms < 1000 || ms > max)
    throw new Error(
      `FunctionTimeout must be greater than 00:00:01 and less than ${consumption ? '00:10:00' : TIMESPAN_MAX}.`,
    );
  return ms;
}

/** A .NET TimeSpan in its invariant forms (`[-]d`, `[-][d.]hh:mm[:ss[.fffffff]]`), in ms. */
export function parseTimeSpan(text: string): number | undefined {
  const days = /^\s*(-)?(\d+)\s*$/.exec(text);
  if (days) return (days[1] ? -1 : 1) * Number(days[2]) * DAY;
  const m = /^\s*(-)?(?:(\d+)\.)?(\d+):(\d+)(?::(\d+)(?:\.(\d{1,7}))?)?\s*$/.exec(text);
  if (!m) return undefined;
  const [, sign, d, h, min, sec, frac] = m;
  if (Number(h) > 23 || Number(min) > 59 || Number(sec ?? 0) > 59) return undefined;
  const ms =
    Number(d ?? 0) * DAY +
    (Number(h) * 60 + Number(min)) * MINUTE +
    Number(sec ?? 0) * 1000 +
    Math.round(Number(`0.${frac ?? '0'}`) * 1000);
  return sign ? -ms : ms;
}

/** Milliseconds as .NET prints a TimeSpan (`c`: `[-][d.]hh:mm:ss[.fffffff]`). */
export function formatTimeSpan(ms: number): string {
  const sign = ms < 0 ? '-' : '';
  const abs = Math.abs(ms);
  const days = Math.floor(abs / DAY);
  const h = Math.floor((abs % DAY) / (60 * MINUTE));
  const m = Math.floor((abs % (60 * MINUTE)) / MINUTE);
  const s = Math.floor((abs % MINUTE) / 1000);
  const fraction = Math.round(abs % 1000);
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${sign}${days > 0 ? `${days}.` : ''}${pad(h)}:${pad(m)}:${pad(s)}${
    fraction > 0 ? `.${String(fraction * 10_000).padStart(7, '0')}` : ''
  }`;
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
