import { type LocalStorage, startAzurite } from '../../host/storage';
import { createApprovalActivities } from '../../shared/activities/approvals';
import type { ApprovalVm } from '../../shared/activities/contracts';
import { approvalPlan, type ApprovalRecord } from '../../shared/domain/approvals';
import type { Decision } from '../../shared/domain/model';
import {
  readToken,
  signToken,
  type TokenClaims,
  verifyToken,
} from '../../shared/http/approval-links';
import { TableApprovalStore } from '../../shared/stores/approvals';

const SECRET = 'k'.repeat(40);
const NOW = Date.parse('2026-11-25T12:00:00Z');
const claims: TokenClaims = {
  instanceId: 'accelnet-vm-0123',
  decision: 'approve',
  expiresAt: NOW + 60_000,
  nonce: 'round-1',
};

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return undefined;
}

describe('approval tokens', () => {
  const token = signToken(SECRET, claims);
  const expected = { instanceId: claims.instanceId, decision: claims.decision };

  test('when a token is checked for its instance and decision before it expires, then its claims come back', () => {
    expect(verifyToken(SECRET, token, expected, NOW)).toEqual(claims);
  });

  const [version, body, signature] = token.split('.') as [string, string, string];
  const otherClaims = Buffer.from(
    JSON.stringify({ i: claims.instanceId, d: 'approve', e: NOW + 10 ** 9, n: 'round-1' }),
  ).toString('base64url');
  test.each([
    ['signed with another secret', signToken('z'.repeat(40), claims), expected],
    ['with claims changed (a later expiry)', `${version}.${otherClaims}.${signature}`, expected],
    ['with the signature cut short', `${version}.${body}.${signature.slice(0, 10)}`, expected],
    ['with another version', `v2.${body}.${signature}`, expected],
    ['empty', '', expected],
    ['with extra parts', `${token}.x`, expected],
    ['on the other decision', token, { ...expected, decision: 'reject' as const }],
    ['on another instance', token, { ...expected, instanceId: 'accelnet-vm-9999' }],
  ])('when a token is %s, then it is refused as invalid', (_what, given, where) => {
    expect(codeOf(() => verifyToken(SECRET, given, where, NOW))).toBe('ApprovalTokenInvalid');
  });

  test('when a token has expired, then it is refused as expired', () => {
    expect(codeOf(() => verifyToken(SECRET, token, expected, claims.expiresAt))).toBe(
      'ApprovalTokenExpired',
    );
  });

  test('when a genuine token is read without its expiry, then its claims come back even late; a forged one is still invalid', () => {
    expect(readToken(SECRET, token, expected)).toEqual(claims);
    expect(codeOf(() => readToken(SECRET, signToken('z'.repeat(40), claims), expected))).toBe(
      'ApprovalTokenInvalid',
    );
  });

  test('when no secret (or a short one) is configured, then nothing is signed and nothing verifies', () => {
    expect(codeOf(() => signToken('', claims))).toBe('ApprovalNotConfigured');
    expect(codeOf(() => verifyToken('short', token, expected, NOW))).toBe('ApprovalTokenInvalid');
  });
});

describe('approvalPlan', () => {
  const decision = (extra: Partial<Decision> = {}): Decision => ({
    action: 'remediate',
    eligible: true,
    compliant: false,
    reasons: [{ code: 'eligible', message: 'Standard_D4s_v5 supports Accelerated Networking.' }],
    nicsToEnable: [
      '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkInterfaces/web-nic',
    ],
    effects: { tempDiskWiped: false, publicIpChanges: false, downtime: true },
    requiresApproval: false,
    ...extra,
  });
  const vm = (extra: Partial<ApprovalVm> = {}): ApprovalVm => ({
    vmId: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/web',
    name: 'web',
    size: 'Standard_D4s_v5',
    powerState: 'running',
    decision: decision(),
    ...extra,
  });

  test('when a running VM is planned, then the plan gives its downtime, NICs and reasons', () => {
    const plan = approvalPlan([vm()]);
    expect(plan.action).toBe('remediate');
    // deallocate 29.6 s + one NIC 3 s + start 75.6 s (deallocation stops the VM: no power off)
    expect(plan.downtimeEstimateSeconds).toBe(108);
    expect(plan.nics).toEqual([
      { id: expect.stringContaining('web-nic') as string, name: 'web-nic' },
    ]);
    expect(plan.effects).toEqual([
      expect.stringMatching(/web is stopped.*about 2 minutes/) as string,
    ]);
    expect(plan.reasons).toEqual(['Standard_D4s_v5 supports Accelerated Networking.']);
    expect(plan.vms).toBeUndefined();
  });

  test('when deallocation wipes the temporary disk and changes a dynamic IP, then the plan says so', () => {
    const plan = approvalPlan([
      vm({
        decision: decision({
          effects: { tempDiskWiped: true, publicIpChanges: true, downtime: true },
        }),
      }),
    ]);
    expect(plan.effects.join(' ')).toMatch(/temporary disk of web is wiped/);
    expect(plan.effects.join(' ')).toMatch(/dynamic public IP address of web changes/);
  });

  test('when a deallocated VM is planned, then it has no downtime', () => {
    const plan = approvalPlan([vm({ powerState: 'deallocated' })]);
    expect(plan.downtimeEstimateSeconds).toBe(0);
    expect(plan.effects[0]).toMatch(/deallocated: it is deallocated and left in that state/);
  });

  test('when several VMs are planned together, then the plan lists each and sums up the effects', () => {
    const plan = approvalPlan([vm(), vm({ vmId: 'x/db', name: 'db', powerState: 'deallocated' })]);
    expect(plan.vms?.map((v) => [v.name, v.powerState, v.nics])).toEqual([
      ['web', 'running', 1],
      ['db', 'deallocated', 1],
    ]);
    expect(plan.effects[0]).toMatch(/^2 VMs: 1 running VMs are stopped/);
    expect(plan.nics).toHaveLength(2);
  });
});

/** The status and code of what `run` threw, or 'ok' with its value. */
async function outcomeOf<T>(run: () => Promise<T>): Promise<{ status?: number; code?: string }> {
  try {
    await run();
    return { code: 'ok' };
  } catch (error) {
    const { status, code } = error as { status?: number; code?: string };
    return { status, code };
  }
}

describe('TableApprovalStore on Azurite: a request changes once, to a decision or to expired', () => {
  let storage: LocalStorage;
  let store: TableApprovalStore;
  let n = 0;
  beforeAll(async () => {
    storage = await startAzurite();
    store = TableApprovalStore.fromConnectionString(storage.connectionString, 'approvalsTest');
  }, 30_000);
  afterAll(() => storage.stop());

  const T0 = new Date('2026-11-25T12:00:00Z');
  const at = (seconds: number): Date => new Date(T0.getTime() + seconds * 1000);
  /** A pending request, expiring at T0 + 60 s. */
  async function opened(): Promise<ApprovalRecord> {
    n += 1;
    const record: ApprovalRecord = {
      instanceId: `accelnet-vm-${n}`,
      nonce: `round-${n}`,
      runId: `run-${n}`,
      vmId: `/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm${n}`,
      vmName: `vm${n}`,
      requestedAt: T0.toISOString(),
      expiresAt: at(60).toISOString(),
      status: 'pending',
    };
    await store.open(record);
    return record;
  }

  test('when a pending request is decided, then it is recorded once; a second decision is 409, and the timeout then takes the decision', async () => {
    const r = await opened();
    const decided = await store.decide(r.instanceId, r.nonce, 'approve', 'link', at(10));
    expect(decided.record).toMatchObject({ status: 'approved', decidedBy: 'link' });
    expect(
      await outcomeOf(() => store.decide(r.instanceId, r.nonce, 'reject', 'x', at(11))),
    ).toEqual({ status: 409, code: 'ApprovalAlreadyDecided' });
    expect(
      await outcomeOf(() => store.decide(r.instanceId, undefined, 'reject', 'op', at(11))),
    ).toEqual({ status: 409, code: 'ApprovalAlreadyDecided' });
    const closed = await store.close(r.instanceId, r.nonce, at(60));
    expect(closed).toMatchObject({
      status: 'approved',
      decidedBy: 'link',
      closedAt: at(60).toISOString(),
    });
    // Closing again (an activity retried) answers the same and changes nothing.
    expect(await store.close(r.instanceId, r.nonce, at(61))).toEqual(closed);
    expect(await store.get(r.instanceId)).toEqual(closed);
    // Taken by the run: it cannot be put back to pending.
    expect(await store.reopen(r.instanceId, decided)).toBe(false);
    expect((await store.get(r.instanceId))?.status).toBe('approved');
  });

  test('when the timeout closes a pending request, then it is expired, and a decision after it is 410', async () => {
    const r = await opened();
    expect(await store.close(r.instanceId, r.nonce, at(60))).toMatchObject({ status: 'expired' });
    for (const nonce of [r.nonce, undefined])
      expect(
        await outcomeOf(() => store.decide(r.instanceId, nonce, 'approve', 'x', at(30))),
      ).toEqual({ status: 410, code: 'ApprovalExpired' });
    expect(await store.listPending(at(0))).not.toContainEqual(
      expect.objectContaining({ instanceId: r.instanceId }),
    );
  });

  test('when a decision comes at or after the expiry but before the close, then it is 410 and the close expires the request', async () => {
    const r = await opened();
    expect(
      await outcomeOf(() => store.decide(r.instanceId, r.nonce, 'approve', 'x', at(60))),
    ).toEqual({ status: 410, code: 'ApprovalExpired' });
    expect((await store.get(r.instanceId))?.status).toBe('pending');
    expect(await store.close(r.instanceId, r.nonce, at(60.5))).toMatchObject({ status: 'expired' });
  });

  test('when a link is of another round or instance, then it is 403 and changes nothing', async () => {
    const r = await opened();
    expect(
      await outcomeOf(() => store.decide(r.instanceId, 'other', 'approve', 'x', at(1))),
    ).toEqual({
      status: 403,
      code: 'ApprovalTokenInvalid',
    });
    expect(await outcomeOf(() => store.decide('nobody', r.nonce, 'approve', 'x', at(1)))).toEqual({
      status: 403,
      code: 'ApprovalTokenInvalid',
    });
    expect(await store.close(r.instanceId, 'other', at(60))).toBeUndefined();
    expect((await store.get(r.instanceId))?.status).toBe('pending');
  });

  test('when a decision could not be delivered before the close, then it is put back to pending and the close expires it', async () => {
    const r = await opened();
    const decided = await store.decide(r.instanceId, undefined, 'reject', 'op', at(5));
    expect(await store.reopen(r.instanceId, decided)).toBe(true);
    expect(await store.get(r.instanceId)).toMatchObject({ status: 'pending' });
    expect(await store.get(r.instanceId)).not.toHaveProperty('decidedBy');
    expect(await store.close(r.instanceId, r.nonce, at(60))).toMatchObject({ status: 'expired' });
  });

  test('when a decision and the close race, then exactly one wins and both sides agree on which', async () => {
    for (let round = 0; round < 20; round += 1) {
      const r = await opened();
      // The decision is made before the expiry; the close comes at it, at the same moment,
      // sent first every other round.
      const decide = (): Promise<{ code: string | undefined; status?: string }> =>
        store.decide(r.instanceId, r.nonce, 'approve', 'link', at(59.9)).then(
          (d) => ({ code: 'ok', status: d.record.status }),
          (e: { code?: string }) => ({ code: e.code }),
        );
      const close = (): Promise<ApprovalRecord | undefined> =>
        store.close(r.instanceId, r.nonce, at(60));
      const [decision, closed] =
        round % 2 === 0
          ? await Promise.all([decide(), close()])
          : await Promise.all([close(), decide()]).then(([c, d]) => [d, c] as const);
      const agreed =
        decision.code === 'ok'
          ? closed?.status === 'approved'
          : decision.code === 'ApprovalExpired' && closed?.status === 'expired';
      expect({ round, decision, closed: closed?.status, agreed }).toEqual({
        round,
        decision,
        closed: closed?.status,
        agreed: true,
      });
      expect((await store.get(r.instanceId))?.status).toBe(closed?.status);
    }
  });

  test('when the closeApproval activity runs, then it answers expired, or the decision recorded first and by whom', async () => {
    const activities = createApprovalActivities({
      store,
      secret: SECRET,
      publicUrl: 'http://localhost',
      webhookUrl: '',
      post: () => Promise.resolve(),
      log: () => undefined,
    });
    const waited = await opened();
    expect(
      await activities.closeApproval({ instanceId: waited.instanceId, nonce: waited.nonce }),
    ).toEqual({
      status: 'expired',
    });
    const answered = await opened();
    await store.decide(answered.instanceId, undefined, 'approve', 'operator:ops', new Date(0));
    expect(
      await activities.closeApproval({ instanceId: answered.instanceId, nonce: answered.nonce }),
    ).toEqual({ status: 'approved', by: 'operator:ops' });
    expect(await activities.closeApproval({ instanceId: 'never-asked', nonce: 'x' })).toEqual({
      status: 'expired',
    });
  });
});
