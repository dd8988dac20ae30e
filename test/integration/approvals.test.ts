/**
 * Approvals end to end: the service posts each request to the approval webhook, a player of
 * the Logic App (infra/logic-app-approval.json) receives it and follows the workflow's steps
 * against the local host, and the signed single-use links decide. Every assertion reads an
 * outcome: the run's view, the VM in the emulator, the emulator's operation log.
 */
import { SETTINGS } from '../../shared/platform/config';
import { TableApprovalStore } from '../../shared/stores/approvals';
import { SUB } from '../support/arm';
import { api, JsonReceiver, request } from '../support/http';
import {
  type Answer,
  loadApprovalWorkflow,
  playApprovalWorkflow,
  type WorkflowRun,
} from '../support/logicApp';
import { sleep } from '../support/poll';
import {
  bulkRunUntil,
  instanceEnded,
  type RunView,
  startBulk,
  type VmResult,
  vmRun,
  vmRunUntil,
  type VmRunView,
} from '../support/runs';
import { seedGroup, SIZE } from '../support/seed';
import { useLocalTwin } from '../support/twin';
import { vmOf, writesIn } from '../support/views';

interface Posted {
  instanceId: string;
  vmId: string;
  vmName: string;
  size: string;
  plan: {
    action: string;
    downtimeEstimateSeconds: number;
    nics: { id: string; name: string }[];
    effects: string[];
    reasons: string[];
    vms?: { vmId: string; name: string }[];
  };
  approveUrl: string;
  rejectUrl: string;
  expiresAt: string;
}
function useTwin(timeout: string) {
  /** The Logic App's HTTP trigger as the service sees it: a URL that records every post. */
  const webhook = new JsonReceiver<Posted>();
  beforeAll(() => webhook.start('/workflows/approval/triggers/manual/invoke'));
  const local = useLocalTwin(() => ({
    ACCELNET_MODE: 'approval',
    ACCELNET_APPROVAL_WEBHOOK_URL: webhook.url,
    ACCELNET_APPROVAL_TIMEOUT: timeout,
    // As App Service authentication sets it: X-MS-CLIENT-PRINCIPAL is then believed.
    WEBSITE_AUTH_ENABLED: 'True',
  }));
  afterAll(() => webhook.stop());
  const vms = (names: string[]) => names.map((name) => ({ name }));
  const h = {
    webhook,
    twin: () => local.twin,
    seed: (rg: string, names: string[]): Promise<string[]> => seedGroup(local.em, rg, vms(names)),
    vm: (id: string) => vmOf(local.em, id),
    /** accelnet's own ARM writes in the resource group. */
    async writes(rg: string): Promise<string[]> {
      return (await writesIn(local.em, rg)).map((o) => `${o.method} ${o.path}`);
    },
    vmRun: async (id: string): Promise<VmRunView | undefined> => (await vmRun(local.host, id)).view,
    vmSettled: (id: string, timeoutMs = 30_000): Promise<VmRunView> =>
      vmRunUntil(local.host, id, instanceEnded, { timeoutMs }),
    bulk: async (body: Record<string, unknown>): Promise<string> =>
      (await startBulk(local.host, body)).id,
    bulkRun: (id: string, done: (r: RunView) => boolean, timeoutMs = 30_000): Promise<RunView> =>
      bulkRunUntil(local.host, id, done, { timeoutMs }),
    /** VMs seeded without events: only the runs a test starts touch them. */
    seedQuiet: (rg: string, names: string[]): Promise<string[]> =>
      seedGroup(local.em, rg, vms(names), { events: false }),
    /** Rejects the requests of the runs the VMs' seeding started, and waits for their end. */
    async rejectOwn(ids: string[]): Promise<void> {
      for (const id of ids) {
        const own = await webhook.next((p) => p.vmId.toLowerCase() === id.toLowerCase());
        await request(own.rejectUrl, 'POST');
        await h.vmSettled(id);
      }
    },
    /** A bulk run of the resource group asking per VM; answers it and each named VM's request. */
    async bulkPerVm(rg: string, names: string[]): Promise<{ runId: string; posts: Posted[] }> {
      const runId = await h.bulk({
        subscriptionId: SUB,
        resourceGroup: rg,
        approval: 'required',
        approvalScope: 'vm',
      });
      const mine = (p: Posted): boolean => p.instanceId.startsWith(`${runId}-approval-`);
      const posts: Posted[] = [];
      for (const name of names) posts.push(await webhook.next((p) => mine(p) && p.vmName === name));
      return { runId, posts };
    },
    /** The approvals table the service decides in. */
    approvals(): TableApprovalStore {
      return TableApprovalStore.fromConnectionString(
        local.twin.storage?.connectionString ?? '',
        SETTINGS.ACCELNET_APPROVALS_TABLE.default,
      );
    },
    /** An operator's decision, with the function key. */
    async operator(instanceId: string, decision: 'approve' | 'reject') {
      return api(local.host, 'POST', `/api/approvals/${instanceId}`, {
        body: { decision, by: 'ops' },
      });
    },
    async pending(): Promise<{ instanceId: string; runId: string; vmId: string }[]> {
      const res = await api(local.host, 'GET', '/api/approvals');
      expect(res.status).toBe(200);
      return (res.json as { pending: { instanceId: string; runId: string; vmId: string }[] })
        .pending;
    },
  };
  return h;
}

const workflow = loadApprovalWorkflow();
const outcomeOf = (run: RunView, name: string): VmResult | undefined =>
  run.vms.find((v) => v.vmId.endsWith(`/${name}`));
const play = (posted: Posted, answer: Answer): Promise<WorkflowRun> =>
  playApprovalWorkflow(workflow, posted, answer);
const call = (run: WorkflowRun): { name: string; httpStatus?: number } | undefined =>
  run.actions.find((a) => a.name === 'Call_approve' || a.name === 'Call_reject');

/** The same link, with one character of its token changed. */
function alter(url: string, where: 'claims' | 'signature'): string {
  const parsed = new URL(url);
  const token = parsed.searchParams.get('token') ?? '';
  const [version, claims, signature] = token.split('.');
  const flip = (s: string, at: number): string =>
    s.slice(0, at) + (s[at] === 'A' ? 'B' : 'A') + s.slice(at + 1);
  parsed.searchParams.set(
    'token',
    where === 'claims'
      ? `${version}.${flip(claims ?? '', 3)}.${signature}`
      : `${version}.${claims}.${flip(signature ?? '', 5)}`,
  );
  return parsed.toString();
}

describe('approval requests and their links', () => {
  const h = useTwin('PT5M');

  test('when a VM needs approval, then the webhook gets the request with the plan, and the Logic App approving it leads to remediated', async () => {
    const rg = 'rg-appr-yes';
    const [id] = await h.seed(rg, ['payments']);
    const posted = await h.webhook.next((p) => p.vmId.toLowerCase() === id!.toLowerCase());

    expect(posted).toMatchObject({ vmName: 'payments', size: SIZE });
    expect(posted.plan.action).toBe('remediate');
    expect(posted.plan.downtimeEstimateSeconds).toBeGreaterThan(60);
    expect(posted.plan.nics).toEqual([
      {
        id: expect.stringMatching(/networkInterfaces\/payments/i) as string,
        name: expect.any(String) as string,
      },
    ]);
    expect(posted.plan.effects.join(' ')).toMatch(/downtime/);
    expect(new URL(posted.approveUrl).pathname).toBe(`/api/approvals/${posted.instanceId}/approve`);
    expect(new URL(posted.rejectUrl).pathname).toBe(`/api/approvals/${posted.instanceId}/reject`);
    expect(Date.parse(posted.expiresAt) - Date.now()).toBeGreaterThan(4 * 60_000);
    expect((await h.vmRun(id!))?.outcome).toBe('pending-approval');
    expect(await h.writes(rg)).toEqual([]);

    const run = await play(posted, 'Approve');
    expect(run.email.options).toEqual(['Approve', 'Reject']);
    expect(run.email.subject).toContain('payments');
    expect(call(run)).toMatchObject({ name: 'Call_approve', httpStatus: 200 });

    const outcome = await h.vmSettled(id!);
    expect(outcome).toMatchObject({ outcome: 'remediated' });
    expect(outcome.steps.find((s) => s.name === 'approval')).toMatchObject({ result: 'ok' });
    expect(await h.vm(id!)).toMatchObject({ powerState: 'running', deallocations: 1 });
    expect((await h.vm(id!)).nics.every((n) => n.enableAcceleratedNetworking)).toBe(true);

    // Single use: the same link again, or the other one, is refused (409) and changes nothing.
    const again = await request(posted.approveUrl, 'POST');
    expect(again.status).toBe(409);
    expect(JSON.parse(again.body)).toMatchObject({ error: { code: 'ApprovalAlreadyDecided' } });
    expect((await request(posted.rejectUrl, 'GET')).status).toBe(409);
    expect((await h.vmRun(id!))?.outcome).toBe('remediated');
  });

  test('when the Logic App rejects, then the run ends rejected and the VM is untouched', async () => {
    const rg = 'rg-appr-no';
    const [id] = await h.seed(rg, ['ledger']);
    const posted = await h.webhook.next((p) => p.vmId.toLowerCase() === id!.toLowerCase());

    const run = await play(posted, 'Reject');
    expect(call(run)).toMatchObject({ name: 'Call_reject', httpStatus: 200 });
    expect(await h.vmSettled(id!)).toMatchObject({ outcome: 'rejected', reason: 'rejected' });
    expect(await h.writes(rg)).toEqual([]);
    expect(await h.vm(id!)).toMatchObject({ powerState: 'running', deallocations: 0 });
    expect((await request(posted.approveUrl)).status).toBe(409);
  });

  test('when a link is forged, altered, or used for the other decision, then it gets 403 and the run still waits', async () => {
    const rg = 'rg-appr-forged';
    const [id] = await h.seed(rg, ['vault']);
    const posted = await h.webhook.next((p) => p.vmId.toLowerCase() === id!.toLowerCase());
    const base = new URL(posted.approveUrl);
    const token = base.searchParams.get('token') ?? '';
    const attempts: [string, string][] = [
      ['no token', `${base.origin}${base.pathname}`],
      ['a made-up token', `${base.origin}${base.pathname}?token=v1.eyJpIjoieCJ9.c2lnbmF0dXJl`],
      ['altered claims', alter(posted.approveUrl, 'claims')],
      ['altered signature', alter(posted.approveUrl, 'signature')],
      [
        'the approve token on the reject link',
        `${base.origin}${new URL(posted.rejectUrl).pathname}?token=${token}`,
      ],
      [
        'the token on another instance',
        `${base.origin}/api/approvals/accelnet-vm-0000/approve?token=${token}`,
      ],
    ];
    for (const [what, url] of attempts) {
      const res = await request(url, 'POST');
      expect({ what, status: res.status }).toEqual({ what, status: 403 });
      expect(JSON.parse(res.body)).toMatchObject({
        error: { code: expect.stringMatching(/^Approval/) as string },
      });
    }
    expect((await h.vmRun(id!))?.outcome).toBe('pending-approval');
    expect(await h.writes(rg)).toEqual([]);
    expect((await h.pending()).map((p) => p.instanceId)).toContain(posted.instanceId);

    // The genuine link still works after all that.
    expect((await request(posted.rejectUrl, 'POST')).status).toBe(200);
    expect(await h.vmSettled(id!)).toMatchObject({ outcome: 'rejected' });
  });

  test('when a bulk run asks per VM, then each VM gets its own request and decision', async () => {
    const rg = 'rg-appr-bulk-vm';
    const ids = await h.seed(rg, ['api-1', 'api-2']);
    // The seed's own event-triggered requests are decided first, so only the bulk run remains.
    await h.rejectOwn(ids);
    const {
      runId,
      posts: [first, second],
    } = await h.bulkPerVm(rg, ['api-1', 'api-2']);
    await h.bulkRun(runId, (r) => r.status === 'pending-approval');

    expect(call(await play(first!, 'Approve'))).toMatchObject({ httpStatus: 200 });
    expect(call(await play(second!, 'Reject'))).toMatchObject({ httpStatus: 200 });
    const run = await h.bulkRun(runId, (r) => r.status === 'completed');
    const outcome = (name: string) => outcomeOf(run, name);
    expect(outcome('api-1')).toMatchObject({ outcome: 'remediated' });
    expect(outcome('api-2')).toMatchObject({ outcome: 'rejected', reason: 'rejected' });
    expect(await h.vm(ids[0]!)).toMatchObject({ deallocations: 1, powerState: 'running' });
    expect(await h.vm(ids[1]!)).toMatchObject({ deallocations: 0, powerState: 'running' });
  });

  test('when a bulk run asks once, then one request covers the plan and its approval remediates every VM', async () => {
    const rg = 'rg-appr-bulk-run';
    const ids = await h.seed(rg, ['db-1', 'db-2']);
    await h.rejectOwn(ids);
    const runId = await h.bulk({ subscriptionId: SUB, resourceGroup: rg, approval: 'required' });
    const posted = await h.webhook.next((p) => p.instanceId === runId);
    expect(posted.vmName).toBe(`2 VMs in ${rg}`);
    expect(posted.vmId.toLowerCase()).toBe(
      `/subscriptions/${SUB}/resourcegroups/${rg}`.toLowerCase(),
    );
    expect(posted.plan.vms?.map((v) => v.name).sort()).toEqual(['db-1', 'db-2']);

    expect(call(await play(posted, 'Approve'))).toMatchObject({ httpStatus: 200 });
    const run = await h.bulkRun(runId, (r) => r.status === 'completed');
    expect(run.vms.map((v) => v.outcome)).toEqual(['remediated', 'remediated']);
    expect(h.webhook.posts.filter((p) => p.instanceId === runId)).toHaveLength(1);
  });

  test('when an operator decides with the function key, then the run proceeds, and a second decision is refused', async () => {
    const rg = 'rg-appr-operator';
    const [id] = await h.seed(rg, ['batch']);
    const posted = await h.webhook.next((p) => p.vmId.toLowerCase() === id!.toLowerCase());
    const url = `${h.twin().host.url}/api/approvals/${posted.instanceId}`;
    expect((await request(url, 'POST', { decision: 'approve' })).status).toBe(401);
    const bad = await request(`${url}?code=${encodeURIComponent(h.twin().functionKey)}`, 'POST', {
      decision: 'yes',
    });
    expect(bad.status).toBe(400);
    expect(bad.body).toContain('decision');
    const ok = await request(`${url}?code=${encodeURIComponent(h.twin().functionKey)}`, 'POST', {
      decision: 'approve',
      by: 'ops',
    });
    expect(ok.status).toBe(200);
    expect(await h.vmSettled(id!)).toMatchObject({ outcome: 'remediated' });
    expect((await request(posted.approveUrl)).status).toBe(409);
    const again = await request(`${url}?code=${encodeURIComponent(h.twin().functionKey)}`, 'POST', {
      decision: 'reject',
    });
    expect(again.status).toBe(409);
    expect(JSON.parse(again.body)).toMatchObject({ error: { code: 'ApprovalAlreadyDecided' } });
  });
  test('when a link is opened with GET (a mail scanner, a browser), then nothing is decided and the run still waits; the POST then decides', async () => {
    const rg = 'rg-appr-scanner';
    const [id] = await h.seed(rg, ['mailbox']);
    const posted = await h.webhook.next((p) => p.vmId.toLowerCase() === id!.toLowerCase());

    const scanned = await request(posted.approveUrl);
    expect(scanned.status).toBe(200);
    expect(JSON.parse(scanned.body)).toMatchObject({
      instanceId: posted.instanceId,
      vmName: 'mailbox',
      status: 'pending',
      decision: 'approve',
    });
    const page = await request(posted.approveUrl, 'GET', undefined, { accept: 'text/html' });
    expect(page.status).toBe(200);
    expect(page.body).toContain('Approve the remediation of mailbox?');
    expect(page.body).toContain('<form method="post" action="approve?token=');
    await sleep(300);
    expect((await h.vmRun(id!))?.outcome).toBe('pending-approval');
    expect((await h.pending()).map((p) => p.instanceId)).toContain(posted.instanceId);
    expect(await h.writes(rg)).toEqual([]);

    const decided = await request(posted.approveUrl, 'POST');
    expect(decided.status).toBe(200);
    expect(JSON.parse(decided.body)).toMatchObject({
      decision: 'approved',
      decidedBy: 'anonymous via link',
    });
    expect(await h.vmSettled(id!)).toMatchObject({ outcome: 'remediated' });
    expect((await request(posted.approveUrl, 'POST')).status).toBe(409);
  });

  test('when App Service authentication vouches for the caller (X-MS-CLIENT-PRINCIPAL), then the decision records that person, whatever by says', async () => {
    const rg = 'rg-appr-who';
    const [first, second] = await h.seed(rg, ['alpha', 'beta']);
    const one = await h.webhook.next((p) => p.vmId.toLowerCase() === first!.toLowerCase());
    const two = await h.webhook.next((p) => p.vmId.toLowerCase() === second!.toLowerCase());
    const principal = Buffer.from(
      JSON.stringify({
        auth_typ: 'aad',
        claims: [
          { typ: 'preferred_username', val: 'alice@contoso.com' },
          { typ: 'http://schemas.microsoft.com/identity/claims/objectidentifier', val: 'oid-a' },
        ],
        name_typ: 'preferred_username',
        role_typ: 'roles',
      }),
    ).toString('base64');

    const byLink = await request(one.rejectUrl, 'POST', undefined, {
      'x-ms-client-principal': principal,
    });
    expect(byLink.status).toBe(200);
    const byKey = await request(
      `${h.twin().host.url}/api/approvals/${two.instanceId}?code=${encodeURIComponent(h.twin().functionKey)}`,
      'POST',
      { decision: 'reject', by: 'mallory' },
      { 'x-ms-client-principal': principal },
    );
    expect(byKey.status).toBe(200);
    expect(await h.approvals().get(one.instanceId)).toMatchObject({
      status: 'rejected',
      decidedBy: 'alice@contoso.com (aad oid-a) via link',
    });
    expect(await h.approvals().get(two.instanceId)).toMatchObject({
      status: 'rejected',
      decidedBy: 'alice@contoso.com (aad oid-a) via key',
    });
    await h.vmSettled(first!);
    await h.vmSettled(second!);
  });

  test("when an operator decides as the README shows (curl -d, no JSON content type), then the JSON is read and the decision recorded as the key's", async () => {
    const rg = 'rg-appr-curl';
    const [id] = await h.seed(rg, ['report']);
    const posted = await h.webhook.next((p) => p.vmId.toLowerCase() === id!.toLowerCase());
    const ok = await request(
      `${h.twin().host.url}/api/approvals/${posted.instanceId}?code=${encodeURIComponent(h.twin().functionKey)}`,
      'POST',
      { decision: 'reject', by: 'alice' },
      // What curl -d declares.
      { 'content-type': 'application/x-www-form-urlencoded' },
    );
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body)).toMatchObject({
      decision: 'rejected',
      decidedBy: 'operator via key, says "alice" (unverified)',
    });
    expect(await h.vmSettled(id!)).toMatchObject({ outcome: 'rejected' });
  });
});

describe('approval timeout', () => {
  const h = useTwin('PT3S');

  test('when the Logic App gets no answer, then it calls nothing, the run ends rejected with approval-timeout, and the expired link is refused', async () => {
    const rg = 'rg-appr-late';
    const [id] = await h.seed(rg, ['forgotten']);
    const posted = await h.webhook.next((p) => p.vmId.toLowerCase() === id!.toLowerCase());

    const run = await play(posted, 'no answer');
    expect(call(run)).toBeUndefined();
    expect(run.actions.find((a) => a.name === 'Send_approval_email')?.status).toBe('TimedOut');

    expect(await h.vmSettled(id!)).toMatchObject({
      outcome: 'rejected',
      reason: 'approval-timeout',
    });
    const late = await request(posted.approveUrl, 'POST');
    expect(late.status).toBe(410);
    expect(JSON.parse(late.body)).toMatchObject({ error: { code: 'ApprovalExpired' } });
    const operator = await h.operator(posted.instanceId, 'approve');
    expect(operator.status).toBe(410);
    expect(JSON.parse(operator.body)).toMatchObject({ error: { code: 'ApprovalExpired' } });
    // The run's timer closed the request: that is what the late decisions were refused on.
    expect(await h.approvals().get(posted.instanceId)).toMatchObject({
      status: 'expired',
      closedAt: expect.any(String) as string,
    });
    expect(await h.writes(rg)).toEqual([]);
    expect(await h.vm(id!)).toMatchObject({ powerState: 'running', deallocations: 0 });
  });

  test('when a decision was recorded but its event had not reached the run when the timer fired, then the timer takes the decision and the run acts on it; a later decision gets 409', async () => {
    const rg = 'rg-appr-edge-first';
    const [id] = await h.seed(rg, ['keeper']);
    const posted = await h.webhook.next((p) => p.vmId.toLowerCase() === id!.toLowerCase());
    // What deciding does first, its event held back: the approvals table has the decision
    // (a 200 was answered), the run has not heard of it when its timer fires.
    const decided = await h
      .approvals()
      .decide(posted.instanceId, undefined, 'approve', 'operator:ops', new Date());
    expect(decided.record.status).toBe('approved');

    const outcome = await h.vmSettled(id!);
    expect(outcome).toMatchObject({ outcome: 'remediated' });
    expect(outcome.steps.find((s) => s.name === 'approval')).toMatchObject({ result: 'ok' });
    // Taken by the timer's close (no event was raised), and kept as decided.
    expect(await h.approvals().get(posted.instanceId)).toMatchObject({
      status: 'approved',
      decidedBy: 'operator:ops',
      closedAt: expect.any(String) as string,
    });
    expect(await h.vm(id!)).toMatchObject({ powerState: 'running', deallocations: 1 });
    expect((await h.vm(id!)).nics.every((n) => n.enableAcceleratedNetworking)).toBe(true);

    for (const late of [
      await request(posted.rejectUrl, 'POST'),
      await h.operator(posted.instanceId, 'reject'),
    ]) {
      expect(late.status).toBe(409);
      expect(JSON.parse(late.body)).toMatchObject({ error: { code: 'ApprovalAlreadyDecided' } });
    }
  });

  test('when a bulk run asks per VM and only one decision is recorded before the timers fire, then that VM is remediated and the other rejected with approval-timeout; late links get 409 and 410', async () => {
    const rg = 'rg-appr-edge-bulk';
    const ids = await h.seedQuiet(rg, ['first', 'second']);
    const {
      runId,
      posts: [first, second],
    } = await h.bulkPerVm(rg, ['first', 'second']);
    await h.approvals().decide(first!.instanceId, undefined, 'approve', 'operator:ops', new Date());

    const run = await h.bulkRun(runId, (r) => r.status === 'completed');
    const outcome = (name: string) => outcomeOf(run, name);
    expect(outcome('first')).toMatchObject({ outcome: 'remediated' });
    expect(outcome('second')).toMatchObject({ outcome: 'rejected', reason: 'approval-timeout' });
    expect(await h.vm(ids[0]!)).toMatchObject({ deallocations: 1, powerState: 'running' });
    expect(await h.vm(ids[1]!)).toMatchObject({ deallocations: 0, powerState: 'running' });

    const decided = await request(first!.rejectUrl, 'POST');
    expect(decided.status).toBe(409);
    const expiredLink = await request(second!.approveUrl, 'POST');
    expect(expiredLink.status).toBe(410);
    expect(JSON.parse(expiredLink.body)).toMatchObject({ error: { code: 'ApprovalExpired' } });
    expect(await h.vm(ids[1]!)).toMatchObject({ deallocations: 0 });
  });

  test('when decisions come at the moment of expiry, then the answer and the run agree: 200 and acted on, or 410 and approval-timeout', async () => {
    const rg = 'rg-appr-edge-moment';
    // Milliseconds from each request's expiry at which its approve link is posted.
    const offsets = [-40, -10, 5, 40];
    const ids = await h.seed(
      rg,
      offsets.map((_, n) => `edge-${n}`),
    );
    const posts = await Promise.all(
      ids.map((id) => h.webhook.next((p) => p.vmId.toLowerCase() === id.toLowerCase())),
    );
    const answers = await Promise.all(
      posts.map(async (posted, n) => {
        await sleep(Date.parse(posted.expiresAt) + (offsets[n] ?? 0) - Date.now());
        return request(posted.approveUrl, 'POST');
      }),
    );
    for (const [n, id] of ids.entries()) {
      const answer = answers[n]!;
      const outcome = await h.vmSettled(id);
      const vm = await h.vm(id);
      const seen = { offset: offsets[n], status: answer.status };
      if (answer.status === 200) {
        expect({ ...seen, outcome: outcome.outcome, deallocations: vm.deallocations }).toEqual({
          ...seen,
          outcome: 'remediated',
          deallocations: 1,
        });
      } else {
        expect({
          ...seen,
          code: (JSON.parse(answer.body) as { error: { code: string } }).error.code,
        }).toEqual({ ...seen, status: 410, code: 'ApprovalExpired' });
        expect({ ...seen, outcome: outcome.outcome, reason: outcome.reason }).toEqual({
          ...seen,
          outcome: 'rejected',
          reason: 'approval-timeout',
        });
        expect(vm.deallocations).toBe(0);
      }
    }
    // After the expiry, a decision is never taken.
    expect(answers.slice(2).map((a) => a.status)).toEqual([410, 410]);
  });
});
