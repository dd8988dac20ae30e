import { approvalPlan, signToken, type TokenClaims, verifyToken } from '../../shared/approvals';
import type { Decision } from '../../shared/model';
import type { ApprovalVm } from '../../shared/workflow';

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
