/** Conversions between RPC typed data and plain values. */
import type { RpcTypedData } from './core';

/** The value carried by RPC typed data (strings stay strings). */
export function fromTypedData(data: RpcTypedData | null | undefined): unknown {
  if (!data) return undefined;
  if (data.string !== undefined && data.string !== null) return data.string;
  if (data.json !== undefined && data.json !== null) return JSON.parse(data.json) as unknown;
  if (data.bytes !== undefined && data.bytes !== null) return Buffer.from(data.bytes);
  if (data.int !== undefined && data.int !== null) return Number(data.int);
  if (data.double !== undefined && data.double !== null) return data.double;
  return undefined;
}

/** JSON as RPC typed data. */
export function jsonData(value: unknown): RpcTypedData | undefined {
  return value === undefined ? undefined : { json: JSON.stringify(value) };
}

/** Narrows to a plain object. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
