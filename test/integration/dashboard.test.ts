/**
 * The dashboard in a real browser: the local twin (ARM emulator, Azurite, the local Functions
 * host running the built app) with a finished bulk run and a dry run after it, runs waiting
 * for approval, a run terminated while it waited, and the pages opened in headless Chromium
 * (Debian's package, driven by playwright-core): the dashboard, and an approval link.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

import type { Page } from 'playwright-core';

import type { ArmEmulator } from '../../emulator/server';
import { type LocalTwin, startLocal } from '../../host/local';
import { admin, SUB } from '../support/arm';
import { type HeadlessChromium, launchChromium } from '../support/browser';
import { request } from '../support/http';

const JAMMY = {
  publisher: 'Canonical',
  offer: '0001-com-ubuntu-server-jammy',
  sku: '22_04-lts-gen2',
};
const SCREENSHOT = path.resolve(__dirname, '../../test-output/dashboard.png');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const vmSpec = (
  name: string,
  size: string,
  extra: Record<string, unknown> = {},
): Record<string, unknown> => ({
  name,
  size,
  osType: 'Linux',
  image: JAMMY,
  nics: 1,
  acceleratedNetworking: false,
  powerState: 'running',
  ...extra,
});

/** The approval webhook (the Logic App's HTTP trigger): every request it gets. */
async function webhook(): Promise<{
  url: string;
  posts: { instanceId: string; vmName: string; approveUrl: string; rejectUrl: string }[];
  close(): Promise<void>;
}> {
  const posts: { instanceId: string; vmName: string; approveUrl: string; rejectUrl: string }[] = [];
  const server = http.createServer((req, res) => {
    let text = '';
    req.setEncoding('utf8').on('data', (c: string) => (text += c));
    req.on('end', () => {
      posts.push(JSON.parse(text) as (typeof posts)[number]);
      res.writeHead(202).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/approval`,
    posts,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('the dashboard in headless Chromium', () => {
  let twin: LocalTwin;
  let em: ArmEmulator;
  let dataDir: string;
  let browser: HeadlessChromium;
  let hook: Awaited<ReturnType<typeof webhook>>;
  let done: string;
  let dryAfter: string;
  let waiting: string;
  let perVm: string;
  let doomed: string;
  let linked: string;

  const api = (route: string, key = true): string => {
    const url = new URL(route, twin.host.url);
    if (key) url.searchParams.set('code', twin.functionKey);
    return url.toString();
  };
  async function startRun(body: Record<string, unknown>): Promise<string> {
    const res = await request(api('/api/remediations'), 'POST', body);
    expect(res.status).toBe(202);
    return (JSON.parse(res.body) as { id: string }).id;
  }
  async function until(id: string, statuses: string[]): Promise<void> {
    const deadline = Date.now() + 45_000;
    for (;;) {
      const res = await request(api(`/api/remediations/${id}`));
      const status = res.status === 200 ? (JSON.parse(res.body) as { status: string }).status : '';
      if (statuses.includes(status)) return;
      if (Date.now() > deadline)
        throw new Error(`run ${id} never got to ${statuses.join('|')}: ${res.body}`);
      await sleep(50);
    }
  }

  beforeAll(async () => {
    // Installs Chromium where it is missing (the project's script), and fails, never skips,
    // saying what to do where it cannot.
    browser = await launchChromium();
    hook = await webhook();
    dataDir = mkdtempSync(path.join(tmpdir(), 'accelnet-dashboard-'));
    twin = await startLocal({
      port: 0,
      dataDir,
      timeScale: 0.01,
      settings: { ACCELNET_APPROVAL_WEBHOOK_URL: hook.url },
    });
    if (!twin.emulator) throw new Error('no emulator');
    em = twin.emulator;
    const seeded = await admin(em, 'POST', '/_emulator/seed?events=false', {
      subscriptionId: SUB,
      location: 'westus2',
      resourceGroups: [
        {
          name: 'rg-dash',
          vms: [
            vmSpec('web', 'Standard_D4s_v5', { count: 2 }),
            vmSpec('api', 'Standard_D4s_v5', { acceleratedNetworking: true }),
            vmSpec('tiny', 'Standard_B2s'),
          ],
        },
        { name: 'rg-wait', vms: [vmSpec('db', 'Standard_E8s_v5', { count: 2 })] },
        { name: 'rg-solo', vms: [vmSpec('solo', 'Standard_D2s_v5')] },
        { name: 'rg-doom', vms: [vmSpec('doom', 'Standard_D2s_v5')] },
        { name: 'rg-link', vms: [vmSpec('mailbox', 'Standard_D2s_v5')] },
      ],
    });
    expect(seeded.status).toBe(201);
    done = await startRun({ subscriptionId: SUB, resourceGroup: 'rg-dash' });
    await until(done, ['completed']);
    // A dry run after the real one: it plans, it must not overwrite what the real run did.
    dryAfter = await startRun({ subscriptionId: SUB, resourceGroup: 'rg-dash', dryRun: true });
    await until(dryAfter, ['completed']);
    // A run terminated while it waited for approval: it ends failed, with why.
    doomed = await startRun({
      subscriptionId: SUB,
      resourceGroup: 'rg-doom',
      approval: 'required',
    });
    await until(doomed, ['pending-approval']);
    const terminated = await request(
      `${twin.host.url}/runtime/webhooks/durabletask/instances/${doomed}/terminate?reason=${encodeURIComponent('operator gave up')}&code=${encodeURIComponent(twin.functionKey)}`,
      'POST',
    );
    expect(terminated.status).toBe(202);
    await until(doomed, ['failed']);
    // A run whose approval request went out by mail: its links are opened in the browser.
    linked = await startRun({
      subscriptionId: SUB,
      resourceGroup: 'rg-link',
      approval: 'required',
    });
    await until(linked, ['pending-approval']);
    waiting = await startRun({
      subscriptionId: SUB,
      resourceGroup: 'rg-wait',
      approval: 'required',
    });
    await until(waiting, ['pending-approval']);
    // A run that asks VM by VM: its VM's approval is its own instance, listed once it is asked.
    perVm = await startRun({
      subscriptionId: SUB,
      resourceGroup: 'rg-solo',
      approval: 'required',
      approvalScope: 'vm',
    });
    await until(perVm, ['pending-approval']);
    const deadline = Date.now() + 30_000;
    while (!(await request(api('/api/dashboard'))).body.includes(`${perVm}-approval-0`)) {
      if (Date.now() > deadline) throw new Error('the per-VM approval never showed');
      await sleep(50);
    }
  }, 600_000);
  afterAll(async () => {
    await browser?.close();
    await twin?.stop();
    await hook?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  const text = async (page: Page, selector: string): Promise<string> =>
    ((await page.locator(selector).innerText()) ?? '').replace(/\s+/g, ' ');

  test('when the dashboard is opened with the key, then it shows counts by outcome, the run pending approval and the remediated VMs', async () => {
    const page = await browser.context.newPage();
    const response = await page.goto(api('/api/dashboard'));
    expect(response?.status()).toBe(200);
    expect(await page.title()).toBe('accelnet dashboard');

    const count = async (outcome: string): Promise<string> =>
      (await page.locator(`#fleet .card[data-outcome="${outcome}"] .n`).innerText()).trim();
    // Each VM once, by its current state: the dry run after the real run changed nothing.
    expect(await count('remediated')).toBe('2');
    expect(await count('already-compliant')).toBe('1');
    expect(await count('skipped')).toBe('1');
    expect(await count('pending-approval')).toBe('4');
    // The terminated run's VM got no outcome: failed, not waiting for ever.
    expect(await count('failed')).toBe('1');
    expect(await text(page, '#fleet')).toMatch(/skipped size-not-supported 1/);
    expect(await text(page, '#fleet')).toContain('Each VM counted once, by its current state');

    const approvals = await text(page, '#approvals');
    expect(approvals).toContain(waiting);
    expect(approvals).toContain('resource group rg-wait');
    const solo = page.locator('#approvals tbody tr', { hasText: `${perVm}-approval-0` });
    expect((await solo.innerText()).replace(/\s+/g, ' ')).toMatch(/ VM solo 1 \S+ \S+ 20\d\d-/);
    expect(approvals).not.toMatch(new RegExp(`${perVm} bulk run`));
    const runs = await text(page, '#runs');
    expect(runs).toContain(waiting);
    expect(runs).toContain('pending-approval');
    expect(runs).toContain(done);

    const recent = page.locator('#recent tbody tr');
    const rows = (await recent.allInnerTexts()).map((r) => r.replace(/\s+/g, ' '));
    for (const name of ['web-1', 'web-2'])
      expect(rows).toContainEqual(expect.stringMatching(new RegExp(`^${name} rg-dash remediated`)));

    // The scan form keeps the key: the live compliance scan of the group, grouped by action.
    await page.fill('#compliance input[name="subscriptionId"]', SUB);
    await page.fill('#compliance input[name="resourceGroup"]', 'rg-dash');
    await Promise.all([page.waitForURL(/subscriptionId=/), page.click('#compliance button')]);
    expect(new URL(page.url()).searchParams.get('code')).toBe(twin.functionKey);
    const scan = await text(page, '#compliance');
    expect(scan).toMatch(/4 VMs in .*rg-dash/);
    expect(scan).toMatch(/compliant already-compliant 3 api, web-1, web-2/);
    expect(scan).toMatch(/skip size-not-supported 1 tiny/);
    // The two counts on the page say what they count, and meet: all 4 scanned VMs have a
    // state in Fleet compliance, and Fleet compliance says 4 of its VMs are in this scope.
    expect(scan).toMatch(/4 with an outcome in Fleet compliance\s*, 0 never in a run/);
    expect(await text(page, '#fleet')).toMatch(
      /4 of these VMs are in \S+ \/ rg-dash, scanned below/,
    );

    mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    await page.close();
  });

  test('when a dry run follows a real run, then the real outcomes stay, with the plan beside them', async () => {
    const page = await browser.context.newPage();
    await page.goto(api('/api/dashboard'));
    const rows = (await page.locator('#recent tbody tr').allInnerTexts()).map((r) =>
      r.replace(/\s+/g, ' '),
    );
    for (const name of ['web-1', 'web-2'])
      expect(rows).toContainEqual(
        expect.stringMatching(
          new RegExp(`^${name} rg-dash remediated later dry run: already-compliant, 20`),
        ),
      );
    // The dry run's own record still says what it found.
    const dry = JSON.parse((await request(api(`/api/remediations/${dryAfter}`))).body) as {
      vms: { vmId: string; outcome: string }[];
    };
    expect(dry.vms.find((v) => v.vmId.endsWith('/web-1'))?.outcome).toBe('already-compliant');
    await page.close();
  });

  test('when a run was terminated, then the finished runs show it failed with its error, as the run list does', async () => {
    const page = await browser.context.newPage();
    await page.goto(api('/api/dashboard'));
    const row = page.locator('#runs tbody tr', { hasText: doomed });
    const shown = (await row.innerText()).replace(/\s+/g, ' ');
    expect(shown).toContain('failed the run was terminated: operator gave up');
    // Its VM that waited got no outcome: failed too, not pending for ever.
    expect(shown).toMatch(/operator gave up failed 1 20/);
    const listed = JSON.parse((await request(api('/api/remediations?top=20'))).body) as {
      runs: { id: string; status: string; error?: string }[];
    };
    expect(listed.runs.find((r) => r.id === doomed)).toMatchObject({
      status: 'failed',
      error: 'the run was terminated: operator gave up',
    });
    await page.close();
  });

  test('when an approval link is opened in the browser, then the page says what is asked and records nothing; its button decides; a second POST is refused', async () => {
    const posted = hook.posts.find((p) => p.instanceId === linked);
    if (!posted) throw new Error('the webhook got no request for the linked run');
    const page = await browser.context.newPage();
    const opened = await page.goto(posted.approveUrl);
    expect(opened?.status()).toBe(200);
    expect(await page.title()).toBe('Approve the remediation of 1 VMs in rg-link?');
    const ask = await text(page, '#ask');
    expect(ask).toContain('Nothing has been decided yet: opening this link records nothing.');
    expect(ask).toContain(linked);
    expect(ask).toMatch(/Expires at 20\d\d-\d\d-\d\d \d\d:\d\d:\d\d UTC \(in 23 hours/);
    expect(await text(page, '#decide')).toContain('Recorded as: anonymous via link');
    // Opened (and reloaded, as a scanner might): nothing is decided.
    await page.reload();
    await sleep(300);
    const pending = JSON.parse((await request(api('/api/approvals'))).body) as {
      pending: { instanceId: string }[];
    };
    expect(pending.pending.map((p) => p.instanceId)).toContain(linked);
    expect(
      (JSON.parse((await request(api(`/api/remediations/${linked}`))).body) as { status: string })
        .status,
    ).toBe('pending-approval');

    await Promise.all([page.waitForURL(/\/approve\?token=/), page.click('#decide button.approve')]);
    expect(await text(page, '#result')).toMatch(
      /^Approved: 1 VMs in rg-link The decision is recorded and the run goes on/,
    );
    await until(linked, ['completed']);
    const again = await request(posted.approveUrl, 'POST');
    expect(again.status).toBe(409);
    expect(JSON.parse(again.body)).toMatchObject({ error: { code: 'ApprovalAlreadyDecided' } });
    const reopened = await page.goto(posted.approveUrl);
    expect(reopened?.status()).toBe(409);
    expect(await text(page, '#result')).toMatch(
      /Already decided: 1 VMs in rg-link .* Approved at .* by anonymous via link/,
    );
    await page.close();
  });

  test('when an operator clicks Reject on a pending approval, then the page asks first, and Cancel decides nothing', async () => {
    const page = await browser.context.newPage();
    await page.goto(api('/api/dashboard'));
    const row = page.locator('#approvals tbody tr', { hasText: `${perVm}-approval-0` });
    await Promise.all([page.waitForURL(/confirm=/), row.locator('button.reject').click()]);
    expect(await text(page, '#confirm')).toMatch(/^Reject the remediation of VM solo\?/);
    await Promise.all([
      page.waitForURL(/\/api\/dashboard\?code=[^&]+$/),
      page.click('#confirm a.cancel'),
    ]);
    expect(await page.locator('#confirm').count()).toBe(0);
    expect(await text(page, '#approvals')).toContain(`${perVm}-approval-0`);
    await page.close();
  });

  test('when an operator clicks Approve on a pending run, then the page asks first, and after Yes it says the run goes on and no longer lists it', async () => {
    const page = await browser.context.newPage();
    await page.goto(api('/api/dashboard'));
    const row = page.locator('#approvals tbody tr', { hasText: waiting });
    await Promise.all([page.waitForURL(/confirm=/), row.locator('button.approve').click()]);
    const confirm = await text(page, '#confirm');
    expect(confirm).toMatch(
      /^Approve the bulk run over subscription \S+, resource group rg-wait \(\s?2 VMs waiting\)\?/,
    );
    expect(confirm).toContain('A decision counts once and cannot be changed.');
    // Nothing is decided by the question itself.
    expect(await text(page, '#approvals')).toContain(waiting);
    await Promise.all([
      page.waitForURL(/\/api\/dashboard\?code=.*decided=/),
      page.click('#confirm button.approve'),
    ]);
    expect(await text(page, '#notice')).toBe(
      `Approved ${waiting}: the decision is recorded and the run goes on.`,
    );
    expect(await text(page, '#approvals')).not.toContain(`${waiting} bulk run`);
    await until(waiting, ['completed']);
    const res = await request(api(`/api/remediations/${waiting}`));
    const run = JSON.parse(res.body) as { vms: { outcome: string }[] };
    expect(run.vms.map((v) => v.outcome)).toEqual(['remediated', 'remediated']);
    await page.close();
  });

  test('when the dashboard is opened without the key, then it is refused with 401', async () => {
    const page = await browser.context.newPage();
    const response = await page.goto(api('/api/dashboard', false));
    expect(response?.status()).toBe(401);
    expect(await page.content()).not.toContain('Fleet compliance');
    await page.close();
  });
});
