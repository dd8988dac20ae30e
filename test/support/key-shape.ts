/**
 * Deep key sets of ARM JSON: which key paths an expected body (a REST example, a recorded
 * response) has that an actual one lacks, whatever the values. For fidelity tests.
 */

export type Json = Record<string, unknown>;

export function isPlainObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
/** The keys every one of `items` has, recursively (arrays: the items common to all of them). */
function commonShape(items: unknown[]): unknown {
  if (items.length === 0) return null;
  if (items.every(isPlainObject)) {
    const out: Json = {};
    const first = items[0] as Json;
    for (const k of Object.keys(first)) {
      if (items.every((item) => k in item)) {
        out[k] = commonShape(items.map((item) => item[k]));
      }
    }
    return out;
  }
  if (items.every(Array.isArray)) {
    const arrays = items as unknown[][];
    if (arrays.some((a) => a.length === 0)) return [];
    return [commonShape(arrays.flat())];
  }
  return items.every((item) => typeof item === typeof items[0]) ? items[0] : null;
}

/**
 * Key paths the example has and `actual` lacks. Objects: every key of the example must be
 * there (a key whose example value is `null` marks "no value" and may be absent). Arrays: each
 * example item must be matched by at least one item of ours (Azure's own items differ: an
 * attached NIC has `virtualMachine`, a detached one does not), and when the example shows
 * several items, the keys they all share must be on every item of ours. An empty array of
 * ours where the example has items reports `path[]`.
 */
export function missingKeys(example: unknown, actual: unknown, at = ''): string[] {
  const here = at === '' ? '(root)' : at;
  if (isPlainObject(example)) {
    if (!isPlainObject(actual)) return [here];
    const missing: string[] = [];
    for (const [k, value] of Object.entries(example)) {
      const p = at === '' ? k : `${at}.${k}`;
      if (value === null) continue;
      if (!(k in actual)) missing.push(p);
      else missing.push(...missingKeys(value, actual[k], p));
    }
    return missing;
  }
  if (Array.isArray(example)) {
    if (example.length === 0) return [];
    if (!Array.isArray(actual)) return [here];
    if (actual.length === 0) return [`${at}[]`];
    const missing = new Set<string>();
    if (example.length > 1) {
      const common = commonShape(example);
      actual.forEach((item, j) => {
        for (const m of missingKeys(common, item, `${at}[${j}]`)) missing.add(m);
      });
    }
    for (const exampleItem of example) {
      const candidates = actual.map((item) => missingKeys(exampleItem, item, `${at}[]`));
      if (candidates.some((c) => c.length === 0)) continue;
      const best = candidates.reduce((a, b) => (b.length < a.length ? b : a));
      for (const m of best) missing.add(m);
    }
    return [...missing].map((m) => m.replace(/\[\d+\]\[\]/g, '[]').replace(/\[\]\[\d+\]/g, '[]'));
  }
  return [];
}

/** Drops the allow-listed paths (array indexes written as `[]`). */
export function except(missing: string[], allowed: readonly string[]): string[] {
  return missing.filter((m) => {
    const normal = m.replace(/\[\d+\]/g, '[]');
    return !allowed.some((a) => normal === a || normal.startsWith(`${a}.`));
  });
}
