/**
 * The approval routes built from fakes (functions/approvals.ts): real HttpRequest and
 * InvocationContext objects, an approvals store in memory that keeps the table's rules (a
 * decision once, 409 after, 410 once expired), and a durable client whose run waits.
 */
import { HttpRequest, type HttpResponseInit, InvocationContext } from '@azure/functions';
import type { DurableClient, DurableOrchestrationStatus } from 'durable-functions';

import { decideByLink, decideByOperator } from '../../functions/approvals';
import type { Services } from '../../functions/composition';
import type { ApprovalPlan, ApprovalRecord, RecordedDecision } from '../../shared/domain/approvals';
import { approvalUrls } from '../../shared/http/approval-links';
import { clientPrincipal, describeDecider } from '../../shared/http/identity';
import { loadSettings } from '../../shared/platform/config';
import {
  alreadyDecided,
  expired,
  refused,
  type StoredApproval,
} from '../../shared/stores/approvals';

const SECRET = 'a-secret-of-at-least-thirty-two-characters';
const INSTANCE = 'accelnet-vm-0123abcd';
const VM =
  '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-app/providers/Microsoft.Compute/virtualMachines/web-1';

const PLAN: ApprovalPlan = {
  action: 'remediate',
  downtimeEstimateSeconds: 420,
  nics: [{ id: `${VM}-nic`, name: 'web-1-nic' }],
  effects: ['web-1 is stopped, deallocated and started again: about 7 minutes of downtime.'],
  reasons: ['The size supports Accelerated Networking.'],
};

/** The approvals table's rules, in memory. */
class MemoryApprovals {
  readonly rows = new Map<string, StoredApproval>();
  private version = 0;

  open(record: StoredApproval): Promise<void> {
    this.rows.set(record.instanceId, { ...record });
    return Promise.resolve();
  }
  get(instanceId: string): Promise<StoredApproval | undefined> {
    const row = this.rows.get(instanceId);
    return Promise.resolve(row && { ...row });
  }
  decide(
    instanceId: string,
    nonce: string | undefined,
    verdict: 'approve' | 'reject',
    by: string,
    now: Date,
  ): Promise<RecordedDecision> {
    const row = this.rows.get(instanceId);
    if (!row || (nonce !== undefined && row.nonce !== nonce))
      return Promise.reject(refused('ApprovalTokenInvalid', 'The approval link is not valid.'));
    if (row.status === 'approved' || row.status === 'rejected')
      return Promise.reject(alreadyDecided(row.status));
    if (row.status === 'expired' || now.getTime() >= Date.parse(row.expiresAt))
      return Promise.reject(expired());
    const decided: StoredApproval = {
      ...row,
      status: verdict === 'approve' ? 'approved' : 'rejected',
      decidedAt: now.toISOString(),
      decidedBy: by,
    };
    this.rows.set(instanceId, decided);
    this.version += 1;
    return Promise.resolve({ record: decided, etag: String(this.version) });
  }
  reopen(): Promise<boolean> {
    return Promise.resolve(false);
  }
  close(): Promise<ApprovalRecord | undefined> {
    return Promise.resolve(undefined);
  }
  listPending(): Promise<StoredApproval[]> {
    return Promise.resolve([...this.rows.values()].filter((r) => r.status === 'pending'));
  }
}

function twin(settings: Record<string, string> = {}) {
  const approvals = new MemoryApprovals();
  const raised: { instanceId: string; event: unknown }[] = [];
  const client = {
    getStatus: () =>
      Promise.resolve({
        runtimeStatus: 'Running' as DurableOrchestrationStatus['runtimeStatus'],
      } as DurableOrchestrationStatus),
    raiseEvent: (instanceId: string, _name: string, event: unknown) => {
      raised.push({ instanceId, event });
      return Promise.resolve();
    },
  } as unknown as DurableClient;
  const services = {
    settings: loadSettings({ ACCELNET_APPROVAL_SECRET: SECRET, ...settings }),
    approvals: approvals as unknown as Services['approvals'],
    durable: () => client,
  };
  const expiresAt = Date.now() + 3_600_000;
  const urls = approvalUrls(
    { secret: SECRET, publicUrl: 'https://app.example' },
    { instanceId: INSTANCE, expiresAt, nonce: 'round-1' },
  );
  const record: StoredApproval = {
    instanceId: INSTANCE,
    nonce: 'round-1',
    runId: INSTANCE,
    vmId: VM,
    vmName: 'web-1',
    requestedAt: new Date().toISOString(),
    expiresAt: new Date(expiresAt).toISOString(),
    status: 'pending',
    size: 'Standard_D4s_v5',
    plan: PLAN,
  };
  const link = decideByLink(services);
  const operator = decideByOperator(services);
  const call = (
    url: string,
    method: string,
    headers: Record<string, string> = {},
    body?: string,
  ) => {
    const parsed = new URL(url);
    const [, , , instanceId, decision] = parsed.pathname.split('/');
    return new HttpRequest({
      method,
      url,
      headers,
      params: { instanceId: instanceId ?? '', ...(decision ? { decision } : {}) },
      ...(body !== undefined ? { body: { string: body } } : {}),
    });
  };
  const ctx = new InvocationContext({ functionName: 'approvals', logHandler: () => undefined });
  return {
    approvals,
    raised,
    urls,
    open: () => approvals.open(record),
    link: (url: string, method = 'GET', headers: Record<string, string> = {}, body?: string) =>
      link(call(url, method, headers, body), ctx),
    operator: (body: string, headers: Record<string, string> = {}) =>
      operator(call(`https://app.example/api/approvals/${INSTANCE}`, 'POST', headers, body), ctx),
  };
}

/** The body of an HTML answer. */
const text = (response: HttpResponseInit): string =>
  typeof response.body === 'string' ? response.body : '';

const BROWSER = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };
const principalHeader = (value: unknown): string =>
  Buffer.from(JSON.stringify(value)).toString('base64');
const ALICE = principalHeader({
  auth_typ: 'aad',
  claims: [
    { typ: 'name', val: 'Alice Example' },
    { typ: 'preferred_username', val: 'alice@contoso.com' },
    { typ: 'http://schemas.microsoft.com/identity/claims/objectidentifier', val: 'oid-1' },
  ],
  name_typ: 'preferred_username',
  role_typ: 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role',
});

describe('an approval link opened with GET (a browser, a mail scanner)', () => {
  test('when a browser opens a pending link, then a page says what is asked (VM, run, plan, expiry) with a button that POSTs, and nothing is decided', async () => {
    const t = twin();
    await t.open();
    const page = await t.link(t.urls.approveUrl, 'GET', BROWSER);
    expect(page.status).toBe(200);
    expect(page.headers).toMatchObject({
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'referrer-policy': 'no-referrer',
    });
    const html = text(page);
    expect(html).toContain('Approve the remediation of web-1?');
    expect(html).toContain(VM);
    expect(html).toContain('Standard_D4s_v5');
    expect(html).toContain('about 7 minutes of downtime');
    expect(html).toContain('web-1-nic');
    expect(html).toContain('Expires at');
    const token = new URL(t.urls.approveUrl).searchParams.get('token') ?? '';
    expect(html).toContain(`<form method="post" action="approve?token=${token}"`);
    expect(html).toContain('Recorded as: <span class="by">anonymous via link</span>');
    expect(html).not.toMatch(/<script/i);
    expect((await t.approvals.get(INSTANCE))?.status).toBe('pending');
    expect(t.raised).toEqual([]);
  });

  test('when a script opens a pending link, then it gets the request as JSON and nothing is decided', async () => {
    const t = twin();
    await t.open();
    const answer = await t.link(t.urls.rejectUrl);
    expect(answer.status).toBe(200);
    expect(answer.jsonBody).toMatchObject({
      instanceId: INSTANCE,
      vmName: 'web-1',
      status: 'pending',
      decision: 'reject',
      plan: PLAN,
    });
    expect(answer.jsonBody).not.toHaveProperty('nonce');
    expect((await t.approvals.get(INSTANCE))?.status).toBe('pending');
  });

  test('when a link is opened after its request was decided, then the GET answers 409 with who decided, as the POST would', async () => {
    const t = twin();
    await t.open();
    expect((await t.link(t.urls.approveUrl, 'POST')).status).toBe(200);
    const page = await t.link(t.urls.rejectUrl, 'GET', BROWSER);
    expect(page.status).toBe(409);
    expect(text(page)).toContain('Already decided: web-1');
    expect(text(page)).toContain('by <span class="by">anonymous via link</span>');
    expect((await t.link(t.urls.rejectUrl)).jsonBody).toMatchObject({
      error: { code: 'ApprovalAlreadyDecided' },
    });
  });

  test('when a forged link is opened, then it gets 403, as a page for a browser and as JSON otherwise', async () => {
    const t = twin();
    await t.open();
    // The signature's first character: all its bits count (the last one's low bits may not).
    const forged = t.urls.approveUrl.replace(
      /\.([A-Za-z0-9_-])([A-Za-z0-9_-]*)$/,
      (_, c: string, rest: string) => `.${c === 'A' ? 'B' : 'A'}${rest}`,
    );
    expect(forged).not.toBe(t.urls.approveUrl);
    const page = await t.link(forged, 'GET', BROWSER);
    expect(page.status).toBe(403);
    expect(text(page)).toContain('This link is not valid');
    expect((await t.link(forged)).jsonBody).toMatchObject({
      error: { code: 'ApprovalTokenInvalid' },
    });
  });
});

describe('an approval link POSTed (the page\u2019s button, the Logic App)', () => {
  test('when the page\u2019s form is posted, then the decision is recorded once, raised to the run, and the answer is a page; a second POST is 409', async () => {
    const t = twin();
    await t.open();
    const form = { ...BROWSER, 'content-type': 'application/x-www-form-urlencoded' };
    const done = await t.link(t.urls.approveUrl, 'POST', form, '');
    expect(done.status).toBe(200);
    expect(text(done)).toContain('Approved: web-1');
    expect(text(done)).toContain('the run goes on');
    expect(t.raised).toEqual([
      { instanceId: INSTANCE, event: { approved: true, by: 'anonymous via link' } },
    ]);
    const again = await t.link(t.urls.approveUrl, 'POST', form, '');
    expect(again.status).toBe(409);
    expect(text(again)).toContain('Already decided');
  });

  test('when Easy Auth is on and the request carries a principal, then the decision records that person', async () => {
    const t = twin({ WEBSITE_AUTH_ENABLED: 'True' });
    await t.open();
    const done = await t.link(t.urls.rejectUrl, 'POST', { 'x-ms-client-principal': ALICE });
    expect(done.status).toBe(200);
    expect(done.jsonBody).toMatchObject({
      decision: 'rejected',
      decidedBy: 'alice@contoso.com (aad oid-1) via link',
    });
  });

  test('when Easy Auth is off, then a principal header is not believed (anyone can send one)', async () => {
    const t = twin();
    await t.open();
    const done = await t.link(t.urls.rejectUrl, 'POST', { 'x-ms-client-principal': ALICE });
    expect(done.jsonBody).toMatchObject({ decidedBy: 'anonymous via link' });
  });
});

describe('an operator\u2019s decision (POST /api/approvals/{instanceId} with the key)', () => {
  test.each<{ sent: string; headers: Record<string, string> }>([
    {
      sent: 'as curl -d sends it (form content type)',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    },
    { sent: 'with no content type', headers: {} },
    { sent: 'as application/json', headers: { 'content-type': 'application/json' } },
  ])(
    'when the JSON decision comes $sent, then it is read as JSON and decides',
    async ({ headers }) => {
      const t = twin();
      await t.open();
      const done = await t.operator('{"decision":"approve","by":"alice"}', headers);
      expect(done.status).toBe(200);
      expect(done.jsonBody).toMatchObject({
        decision: 'approved',
        decidedBy: 'operator via key, says "alice" (unverified)',
      });
    },
  );

  test('when the decision is not JSON, then the 400 says so and what was sent', async () => {
    const t = twin();
    await t.open();
    const bad = await t.operator('{decision: approve}', {
      'content-type': 'application/x-www-form-urlencoded',
    });
    expect(bad.status).toBe(400);
    expect(bad.jsonBody).toMatchObject({ error: { code: 'InvalidJson' } });
    expect(JSON.stringify(bad.jsonBody)).toContain('application/x-www-form-urlencoded');
  });

  test('when Easy Auth vouches for the caller, then its principal is recorded and the free-text by is ignored', async () => {
    const t = twin({ WEBSITE_AUTH_ENABLED: 'true' });
    await t.open();
    const done = await t.operator('{"decision":"approve","by":"mallory"}', {
      'x-ms-client-principal': ALICE,
    });
    expect(done.jsonBody).toMatchObject({ decidedBy: 'alice@contoso.com (aad oid-1) via key' });
    expect((await t.approvals.get(INSTANCE))?.decidedBy).not.toContain('mallory');
  });

  test('when the dashboard\u2019s form decides, then it is sent back to the dashboard with what happened, and a refusal says why', async () => {
    const t = twin();
    await t.open();
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const done = await t.operator('decision=reject&by=dashboard', form);
    expect(done.status).toBe(303);
    expect(done.headers).toEqual({
      location: `/api/dashboard?decided=${INSTANCE}&result=rejected`,
    });
    const again = await t.operator('decision=approve&by=dashboard', form);
    expect(again.headers).toEqual({
      location: `/api/dashboard?decided=${INSTANCE}&result=ApprovalAlreadyDecided`,
    });
  });
});

describe('the client principal (X-MS-CLIENT-PRINCIPAL)', () => {
  const headers = (value: string | null, name?: string) => ({
    get: (h: string) =>
      h === 'x-ms-client-principal'
        ? value
        : h === 'x-ms-client-principal-name'
          ? (name ?? null)
          : null,
  });

  test('when App Service sends the principal, then its name is the claim name_typ names, with provider and object id', () => {
    expect(clientPrincipal(headers(ALICE), true)).toEqual({
      provider: 'aad',
      name: 'alice@contoso.com',
      id: 'oid-1',
    });
  });

  test('when name_typ names no claim it has, then the usual name claims are tried, then the name header', () => {
    const github = principalHeader({
      auth_typ: 'github',
      claims: [{ typ: 'urn:github:login', val: 'octo' }],
      name_typ: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name',
    });
    expect(clientPrincipal(headers(github, 'octocat'), true)).toEqual({
      provider: 'github',
      name: 'octocat',
    });
  });

  test.each([
    ['not Base64 JSON', 'not-json!'],
    ['JSON without any claim', principalHeader({ auth_typ: 'aad', claims: [] })],
  ])('when the header is %s, then there is no principal', (_what, value) => {
    expect(clientPrincipal(headers(value), true)).toBeUndefined();
  });

  test('when Easy Auth is off, then the header is not read at all', () => {
    expect(clientPrincipal(headers(ALICE), false)).toBeUndefined();
  });

  test('when a decider is described, then it says who and through what, and marks a said name unverified', () => {
    expect(describeDecider({ channel: 'link' })).toBe('anonymous via link');
    expect(describeDecider({ channel: 'key' })).toBe('operator via key');
    expect(describeDecider({ channel: 'key', said: 'ops' })).toBe(
      'operator via key, says "ops" (unverified)',
    );
    expect(
      describeDecider({ channel: 'link', principal: { provider: 'aad', name: 'bob@contoso.com' } }),
    ).toBe('bob@contoso.com (aad) via link');
  });
});
