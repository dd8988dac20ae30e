/** Helpers every benchmark shares: plain HTTP(S) calls, statistics and number formatting. */
import http from 'node:http';
import https from 'node:https';

export interface Reply {
  status: number;
  body: string;
}

/** One request with an optional JSON body; the reply's body as text. */
export function call(
  url: string,
  options: https.RequestOptions,
  body?: unknown,
  timeoutMs = 30_000,
): Promise<Reply> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const headers = payload
    ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }
    : {};
  const lib = url.startsWith('https:') ? https : http;
  return new Promise((resolve, reject) => {
    const req = lib.request(url, { ...options, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
      );
      res.on('error', reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`${url} did not answer in time`)));
    req.on('error', reject);
    req.end(payload);
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] ?? NaN)
    : ((sorted[mid - 1] ?? NaN) + (sorted[mid] ?? NaN)) / 2;
}

export const mean = (values: readonly number[]): number =>
  values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length;

/** A number with thousands separators; `+ 0` turns a rounded -0 into 0 (no "-0" in tables). */
export const fmt = (n: number, digits = 0): string =>
  Number.isFinite(n)
    ? (Number(n.toFixed(digits)) + 0).toLocaleString('en-US', {
        maximumFractionDigits: digits,
        minimumFractionDigits: digits,
      })
    : 'n/a';

export const ms = (n: number): string => `${fmt(n)} ms`;
export const seconds = (milliseconds: number): string => `${fmt(milliseconds / 1000, 2)} s`;
/** `n / base` as `1.04x`. */
export const ratio = (n: number, base: number): string => `${fmt(n / base, 2)}x`;
/** A whole number with its sign: `+60`, `+0`, `-3`. */
export const signed = (n: number): string => {
  const rounded = Math.round(n) + 0;
  return rounded >= 0 ? `+${fmt(rounded)}` : fmt(rounded);
};
export const met = (ok: boolean): string => (ok ? 'met' : 'NOT met');
