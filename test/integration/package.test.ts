/**
 * npm run package: the zip `az functionapp deployment source config-zip` takes holds the app
 * as Azure loads it: host.json, package.json with its main, the compiled app and production
 * dependencies only; and the unzipped app, loaded the way the Node worker loads it, registers
 * every function with its trigger.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { loadApp, type Registry } from '../../host/registry';
import { extractZip, readZip } from '../support/zip';

const root = path.resolve(__dirname, '../..');
const KNOWN_TRIGGERS = new Set([
  'httpTrigger',
  'eventGridTrigger',
  'orchestrationTrigger',
  'activityTrigger',
  'entityTrigger',
]);

function run(command: string, args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (output += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (output += c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

describe('npm run package', () => {
  let work: string;
  let zip: string;
  let app: string;
  let output: string;

  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'accelnet-package-'));
    zip = path.join(work, 'accelnet.zip');
    app = path.join(work, 'app');
    const result = await run(process.execPath, ['scripts/package.mjs', '--output', zip]);
    output = result.output;
    if (result.code !== 0) throw new Error(`package failed (${result.code}):\n${output}`);
    extractZip(zip, app);
  }, 600_000);
  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test('when the package is built, then it says where the zip is and how to deploy it', () => {
    expect(output).toMatch(/accelnet\.zip: \d+ files, [\d.]+ MB/);
    expect(output).toContain('az functionapp deployment source config-zip');
  });

  test('when the zip is read, then it holds host.json and a package.json whose main is the built entry', () => {
    expect(JSON.parse(readFileSync(path.join(app, 'host.json'), 'utf8'))).toEqual(
      JSON.parse(readFileSync(path.join(root, 'host.json'), 'utf8')),
    );
    const shipped = JSON.parse(readFileSync(path.join(app, 'package.json'), 'utf8')) as {
      main: string;
      dependencies: Record<string, string>;
      devDependencies?: unknown;
      scripts?: unknown;
    };
    const own = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    expect(shipped.main).toBe('dist/functions/index.js');
    expect(existsSync(path.join(app, shipped.main))).toBe(true);
    // The root package's dependencies are the app's own: the CLI's and the local twin's are
    // the workspaces'.
    expect(own.dependencies.azurite).toBeUndefined();
    expect(own.dependencies.commander).toBeUndefined();
    expect(shipped.dependencies).toEqual(own.dependencies);
    // Nothing for Azure to build or run on deployment.
    expect(shipped.devDependencies).toBeUndefined();
    expect(shipped.scripts).toBeUndefined();
    // Zip entries are relative, with forward slashes, at the root of the zip.
    const entries = readZip(zip);
    const names = entries.map((e) => e.name);
    expect(entries.find((e) => e.name === 'host.json')?.data()).toEqual(
      readFileSync(path.join(root, 'host.json')),
    );
    expect(names).toContain('host.json');
    expect(names).toContain('package.json');
    expect(names.filter((n) => n.startsWith('/') || n.includes('\\') || n.includes('..'))).toEqual(
      [],
    );
  });

  test('when the zip is read, then it has the production dependencies and no development ones, tests or benchmarks', () => {
    const modules = path.join(app, 'node_modules');
    for (const dependency of ['@azure/functions', 'durable-functions', '@azure/identity', 'zod']) {
      expect(`${dependency}: ${existsSync(path.join(modules, dependency, 'package.json'))}`).toBe(
        `${dependency}: true`,
      );
    }
    for (const dev of [
      'jest',
      'typescript',
      'eslint',
      'prettier',
      'ts-jest',
      '@types/jest',
      'typescript-eslint',
      // The local twin's and the CLI's dependencies (the workspaces'), never the function app's.
      'azurite',
      'commander',
      'cli-progress',
      '@peculiar/x509',
    ]) {
      expect(`${dev}: ${existsSync(path.join(modules, dev))}`).toBe(`${dev}: false`);
    }
    expect(existsSync(path.join(app, 'dist', 'test'))).toBe(false);
    expect(existsSync(path.join(app, 'dist', 'bench'))).toBe(false);
    // Nor the CLI, the emulator and the local host themselves.
    for (const local of ['cli', 'emulator', 'host'])
      expect(`${local}: ${existsSync(path.join(app, 'dist', local))}`).toBe(`${local}: false`);
    expect(existsSync(path.join(modules, '.bin'))).toBe(false);
  });

  test('when the unzipped app is loaded as the Node worker loads it, then every function registers with a known trigger', async () => {
    const registry: Registry = await loadApp(path.join(app, 'dist', 'functions', 'index.js'));
    // Loaded from the package, not from the work tree.
    expect(registry.entry.startsWith(app)).toBe(true);
    const triggers = Object.fromEntries(
      [...registry.functions.values()].map((f) => [f.name, f.triggerType]),
    );
    expect(triggers).toMatchObject({
      remediateVm: 'orchestrationTrigger',
      bulkRemediation: 'orchestrationTrigger',
      bulkLane: 'orchestrationTrigger',
      remediateAvailabilitySet: 'orchestrationTrigger',
      assessVm: 'activityTrigger',
      prepareUnit: 'activityTrigger',
      vm: 'entityTrigger',
      closeRun: 'activityTrigger',
      deallocateVm: 'activityTrigger',
      enableAcceleratedNetworking: 'activityTrigger',
      startVm: 'activityTrigger',
      verifyVm: 'activityTrigger',
      recordAudit: 'activityTrigger',
      planRemediation: 'activityTrigger',
      storeLaneWork: 'activityTrigger',
      readLaneWork: 'activityTrigger',
      vmWriteEvents: 'eventGridTrigger',
      startRemediation: 'httpTrigger',
      getRemediation: 'httpTrigger',
      vmRemediation: 'httpTrigger',
      compliance: 'httpTrigger',
    });
    expect(Object.entries(triggers).filter(([, t]) => !KNOWN_TRIGGERS.has(t))).toEqual([]);
    expect(registry.get('startRemediation')?.http).toEqual({
      route: 'remediations',
      methods: ['POST'],
      authLevel: 'function',
    });
  });
});
