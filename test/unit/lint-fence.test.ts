/**
 * The orchestrations' fence holds: a probe orchestrator that breaks each of its rules
 * (test/fixtures/lint-probe/orchestrations/probe.ts) fails the project's own lint configuration
 * on exactly the lines it marks, with the rule each one breaks, and on no other line.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.join(__dirname, '../..');
const PROBE = path.join(ROOT, 'test/fixtures/lint-probe/orchestrations/probe.ts');

describe('the orchestrations lint fence', () => {
  test('when the probe orchestrator is linted, then each line that breaks a rule fails with that rule, and nothing else fails', async () => {
    // The probe is ignored by `npm run lint`; here it is linted on purpose, by the eslint CLI
    // with the project's configuration (eslint.config.mjs), as `npm run lint` runs it.
    const output = await new Promise<string>((resolve) =>
      execFile(
        process.execPath,
        [
          path.join(ROOT, 'node_modules/eslint/bin/eslint.js'),
          '--no-ignore',
          '--format',
          'json',
          PROBE,
        ],
        { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 },
        (_error, stdout) => resolve(stdout),
      ),
    );
    const [result] = JSON.parse(output) as {
      messages: { line: number; ruleId: string | null; message: string }[];
    }[];
    expect(result).toBeDefined();
    const expected = new Map<number, string[]>();
    readFileSync(PROBE, 'utf8')
      .split('\n')
      .forEach((line, n) => {
        const marked = /\/\/ fence: ([\w,-]+)$/.exec(line);
        if (marked?.[1]) expected.set(n + 1, marked[1].split(',').sort());
      });
    const found = new Map<number, string[]>();
    for (const message of result?.messages ?? []) {
      const rules = found.get(message.line) ?? [];
      rules.push(message.ruleId ?? `fatal: ${message.message}`);
      found.set(message.line, rules);
    }
    for (const [line, rules] of found) found.set(line, [...new Set(rules)].sort());
    expect(expected.size).toBeGreaterThanOrEqual(14);
    expect(Object.fromEntries(found)).toEqual(Object.fromEntries(expected));
  }, 60_000);
});
