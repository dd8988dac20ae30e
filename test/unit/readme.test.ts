/**
 * The README's configuration table is the operator's reference: every setting the config
 * module reads is in it, with its default.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

import { SETTINGS } from '../../shared/platform/config';

const readme = readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');
const rows = new Map(
  [...readme.matchAll(/^\| `([A-Za-z_]+)`\s*\|\s*([^|]+?)\s*\|/gm)].map((m) => [m[1], m[2]]),
);

describe('the README configuration table', () => {
  test.each(Object.entries(SETTINGS))(
    'when the config module reads %s, then the README lists it with its default',
    (name, spec) => {
      expect(rows.has(name)).toBe(true);
      expect(rows.get(name)).toBe(spec.default === '' ? '(empty)' : `\`${spec.default}\``);
    },
  );
});
