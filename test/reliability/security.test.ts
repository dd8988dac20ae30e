/**
 * Part 5, security: every /api route refuses a request without the function key or with a
 * wrong one (401; the anonymous approval links refuse a missing or wrong token with 403), and
 * nothing the host and its functions print or log during a run (approvals, a bulk run, the
 * API) holds a secret: the function key, the storage account key, the ARM bearer token, the
 * approval signing secret, or an approval link's token.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import type { ArmEmulator } from '../../emulator/server';
import { loadApp } from '../../host/registry';
import { freePort, type LocalStorage, startAzurite } from '../../host/storage';
import { admin, emulatorForTest, SUB, vmId } from '../support/arm';
import { eventWebhook } from '../support/events';
import { ensureBuilt, type HostProcess, MAIN, startHostProcess } from '../support/hostProcess';
import { call, JsonReceiver } from '../support/http';
import { sleep } from '../support/poll';
import { runToEnd, startBulk, type VmResult } from '../support/runs';
import { seedGroup } from '../support/seed';
import { opsSince, vmsIn } from '../support/views';
import { PartFigures } from './support/figures';

const RG = 'rg-secure';
const KEY = randomBytes(24).toString('base64url');
const APPROVAL_SECRET = randomBytes(36).toString('base64url');

interface ApprovalRequest {
  instanceId: string;
  vmId: string;
  approveUrl: string;
  rejectUrl: string;
}

interface Route {
  name: string;
  route: string;
  methods: string[];
  authLevel: string;
}

/** A path for a route template, with each parameter filled in. */
function pathFor(route: string): string {
  const values: Record<string, string> = {
    id: 'bulk-00000000-0000-0000-0000-000000000000',
    vmId: encodeURIComponent(vmId(RG, 'app-1')),
    instanceId: 'accelnet-vm-0000',
    decision: 'approve',
  };
  return `/api/${route.replace(/\{\*?(\w+)[^}]*\}/g, (_m, name: string) => values[name] ?? 'x')}`;
}

describe('reliability: keys and secrets', () => {
  const figures = new PartFigures('5-security', 'Part 5: keys and secrets');
  let em: ArmEmulator;
  let storage: LocalStorage;
  let dataDir: string;
  let host: HostProcess;
  /** The approval webhook (the Logic App's HTTP trigger). */
  const receiver = new JsonReceiver<ApprovalRequest>();
  let routes: Route[];
  let approvals: ApprovalRequest[];

  beforeAll(async () => {
    ensureBuilt();
    em = await emulatorForTest({ timeScale: 0.01 });
    storage = await startAzurite();
    await receiver.start('/approval');
    dataDir = mkdtempSync(path.join(tmpdir(), 'accelnet-rel-sec-'));
    const registry = await loadApp(path.join(path.dirname(MAIN), '../functions/index.js'));
    routes = [...registry.functions.values()].flatMap((fn) =>
      fn.http ? [{ name: fn.name, ...fn.http }] : [],
    );
    const port = await freePort();
    host = await startHostProcess({
      port,
      dataDir,
      armEndpoint: em.url,
      storage: storage.connectionString,
      functionKey: KEY,
      env: {
        ACCELNET_MODE: 'approval',
        ACCELNET_APPROVAL_SECRET: APPROVAL_SECRET,
        ACCELNET_APPROVAL_WEBHOOK_URL: receiver.url,
      },
    });
    await admin(em, 'PUT', '/_emulator/eventgrid/subscriptions/accelnet-secure', {
      endpointUrl: `${host.url}${eventWebhook(KEY)}`,
      schema: 'EventGridSchema',
      includedEventTypes: ['Microsoft.Resources.ResourceWriteSuccess'],
    });
  }, 90_000);

  afterAll(async () => {
    figures.report();
    await host?.kill('SIGTERM');
    await receiver.stop();
    await em?.stop();
    await storage?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('when an /api route is called without the key or with a wrong one, then it answers 401 (approval links: 403 without a valid token) and changes nothing', async () => {
    expect(routes.length).toBeGreaterThan(4);
    const wrongKeys = [
      KEY.slice(0, -1) + (KEY.endsWith('A') ? 'B' : 'A'),
      KEY.toUpperCase() === KEY ? KEY.toLowerCase() : KEY.toUpperCase(),
      `${KEY}x`,
      '',
    ];
    const since = (await opsSince(em)).length;
    let checked = 0;
    for (const route of routes) {
      for (const method of route.methods) {
        const url = pathFor(route.route);
        const attempts = [
          call(host.url, method, url),
          ...wrongKeys.map((k) => call(host.url, method, url, { key: k })),
          ...wrongKeys
            .filter((k) => k !== '')
            .map((k) => call(host.url, method, url, { headers: { 'x-functions-key': k } })),
        ];
        const expected = route.authLevel === 'anonymous' ? 403 : 401;
        for (const answer of await Promise.all(attempts)) {
          expect({ route: `${method} ${url}`, status: answer.status }).toEqual({
            route: `${method} ${url}`,
            status: expected,
          });
          const body = JSON.parse(answer.body) as { error?: { code?: unknown } };
          expect(typeof body.error?.code).toBe('string');
          checked += 1;
        }
      }
    }
    // The host's own webhooks need the key too.
    for (const url of [
      '/runtime/webhooks/eventgrid?functionName=vmWriteEvents',
      '/runtime/webhooks/durabletask/instances',
    ]) {
      expect((await call(host.url, 'POST', url, { body: [] })).status).toBe(401);
      expect((await call(host.url, 'GET', url, { key: wrongKeys[0] })).status).toBe(401);
      checked += 2;
    }
    const after = (await opsSince(em)).length;
    expect(after).toBe(since);
    figures.set('/api routes', routes.length);
    figures.set(
      '  of which anonymous (signed approval links)',
      routes.filter((r) => r.authLevel === 'anonymous').length,
    );
    figures.set('unauthorised requests refused', checked);
  });

  test('when a run with approvals, a bulk run and API calls are done, then the host output and logs hold no key, token or secret', async () => {
    await seedGroup(em, RG, [{ name: 'app', count: 2 }]);
    const deadline = Date.now() + 60_000;
    while (receiver.posts.length < 2 && Date.now() < deadline) await sleep(50);
    approvals = [...receiver.posts];
    expect(approvals).toHaveLength(2);
    const [first, second] = approvals;
    if (!first || !second) throw new Error('no approval requests');

    // A forged token and a decision for the other VM's instance are refused.
    const forged = new URL(first.approveUrl);
    forged.searchParams.set('token', `${forged.searchParams.get('token') ?? ''}x`);
    expect((await fetch(forged)).status).toBe(403);
    const crossed = new URL(second.approveUrl);
    crossed.pathname = new URL(first.approveUrl).pathname;
    expect((await fetch(crossed)).status).toBe(403);
    // A GET (a mail scanner, a browser) decides nothing; a POST approves one, the other is
    // rejected; a link works once (then 409).
    expect((await fetch(first.approveUrl)).status).toBe(200);
    expect((await fetch(first.approveUrl, { headers: { accept: 'text/html' } })).status).toBe(200);
    expect((await fetch(first.approveUrl, { method: 'POST' })).status).toBe(200);
    expect((await fetch(first.approveUrl, { method: 'POST' })).status).toBe(409);
    expect((await fetch(second.rejectUrl, { method: 'POST' })).status).toBe(200);

    const outcomeOf = async (id: string): Promise<string> => {
      const res = await call(host.url, 'GET', `/api/vms/${encodeURIComponent(id)}/remediation`, {
        headers: { 'x-functions-key': KEY },
      });
      return res.status === 200 ? (res.json as VmResult).outcome : `HTTP ${res.status}`;
    };
    const byVm = new Map<string, string>();
    while (Date.now() < deadline) {
      for (const a of approvals) byVm.set(a.vmId, await outcomeOf(a.vmId));
      if ([...byVm.values()].every((o) => !['in-progress', 'pending-approval'].includes(o))) break;
      await sleep(100);
    }
    expect(byVm.get(first.vmId)).toBe('remediated');
    expect(byVm.get(second.vmId)).toBe('rejected');

    // A bulk dry run, its status, and the compliance report, the key in the query string.
    const target = { url: host.url, key: KEY };
    const started = await startBulk(target, {
      subscriptionId: SUB,
      resourceGroup: RG,
      dryRun: true,
    });
    await runToEnd(target, started.id, 30_000);
    expect(
      (await call(host.url, 'GET', `/api/compliance?subscriptionId=${SUB}`, { key: KEY })).status,
    ).toBe(200);
    expect((await vmsIn(em, RG)).map((v) => v.deallocations).sort()).toEqual([0, 1]);

    // Give the last log lines a moment to reach the file, then read everything it wrote.
    await sleep(300);
    const logFile = readFileSync(path.join(dataDir, 'accelnet.log'), 'utf8');
    const output = host.output();
    const everything = `${output}\n${logFile}`;
    const storageKey = /AccountKey=([^;]+)/.exec(storage.connectionString)?.[1] ?? '';
    const tokens = approvals.flatMap((a) =>
      [a.approveUrl, a.rejectUrl].map((u) => new URL(u).searchParams.get('token') ?? ''),
    );
    const bearer = [...em.bearerTokens].filter((t) => t.split('.').length === 3);
    expect(storageKey.length).toBeGreaterThan(20);
    expect(bearer.length).toBeGreaterThan(0);
    expect(tokens.every((t) => t.length > 20)).toBe(true);
    const secrets: [string, string][] = [
      ['function key', KEY],
      ['storage account key', storageKey],
      ['approval signing secret', APPROVAL_SECRET],
      ...bearer.map((t, i): [string, string] => [`ARM bearer token ${i + 1}`, t]),
      ...tokens.map((t, i): [string, string] => [`approval link token ${i + 1}`, t]),
    ];
    const leaked = secrets
      .flatMap(([name, value]) => [
        [name, value],
        [`${name} (URL-encoded)`, encodeURIComponent(value)],
        // The token's signature alone, in case a log line splits it.
        [`${name} (last part)`, value.split('.').pop() ?? value],
      ])
      .filter(
        ([, value]) => value !== undefined && value.length >= 16 && everything.includes(value),
      )
      .map(([name]) => name);
    expect(leaked).toEqual([]);
    figures.set(
      'log captured (stdout + stderr + accelnet.log)',
      `${everything.split('\n').length} lines, ${Math.round(everything.length / 1024)} KiB`,
    );
    figures.set('secrets looked for', secrets.length);
    figures.set('  function key, storage key, approval secret', 3);
    figures.set('  ARM bearer tokens', bearer.length);
    figures.set('  approval link tokens', tokens.length);
    figures.set('secrets found in the logs', leaked.length);
  }, 120_000);
});
