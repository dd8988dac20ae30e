import { readFileSync } from 'node:fs';
import path from 'node:path';

/** accelnet's version: the root package's, found above this file (in dist/ or in the source). */
export function version(): string {
  for (let dir = __dirname, i = 0; i < 5; dir = path.dirname(dir), i += 1) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as {
        name?: unknown;
        version?: unknown;
      };
      if (pkg.name === 'accelnet' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // not here
    }
  }
  return 'unknown';
}
