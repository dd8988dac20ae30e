/**
 * The dashboard in a real browser: the local twin (ARM emulator, Azurite, the local Functions
 * host running the built app) with one finished bulk run and one waiting for approval, and
 * the page opened in headless Chromium (Debian's package, driven by playwright-core).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
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

describe('the dashboard in headless Chromium', () => {
  let twin: LocalTwin;
  let em: ArmEmulator;
  let dataDir: string;
  let browser: HeadlessChromium;
  let done: string;
  let waiting: string;
  let perVm: string;

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
    dataDir = mkdtempSync(path.join(tmpdir(), 'accelnet-dashboard-'));
    twin = await startLocal({ port: 0, dataDir, timeScale: 0.01 });
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
      ],
    });
    expect(seeded.status).toBe(201);
    done = await startRun({ subscriptionId: SUB, resourceGroup: 'rg-dash' });
    await until(done, ['completed']);
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
    expect(await count('remediated')).toBe('2');
    expect(await count('already-compliant')).toBe('1');
    expect(await count('skipped')).toBe('1');
    expect(await count('pending-approval')).toBe('3');
    expect(await text(page, '#fleet')).toMatch(/skipped size-not-supported 1/);

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

    mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    await page.close();
  });

  test('when an operator clicks Approve on a pending run, then the page comes back without it and the run remediates', async () => {
    const page = await browser.context.newPage();
    await page.goto(api('/api/dashboard'));
    const row = page.locator('#approvals tbody tr', { hasText: waiting });
    await Promise.all([
      page.waitForURL(/\/api\/dashboard\?code=/),
      row.locator('button.approve').click(),
    ]);
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
