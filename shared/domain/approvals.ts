import { TYPICAL_DURATIONS_MS } from './durations';
import type { Decision, PowerState } from './model';

/**
 * Approvals: a person decides whether a remediation may take a VM down. The service posts the
 * request (with an approve and a reject link) to the approval webhook (a Logic App in Azure);
 * each link carries a token signed with ACCELNET_APPROVAL_SECRET, bound to the orchestration
 * instance, the decision and this round of asking (a nonce), with an expiry. The approvals
 * table is where a decision and the timeout meet: its row of a request changes once, under
 * optimistic concurrency, from pending to the first decision or, when the run's timer fires
 * first, to expired (closeApproval). A decision recorded is one the run acts on; every later
 * one is refused: 409 when the request was decided, 410 when it expired.
 */

export type Verdict = 'approve' | 'reject';

/** What the approval event carries, and what waiting for it ends with. */
export interface ApprovalDecision {
  approved: boolean;
  by?: string;
  /** Why it ended without approval: `rejected`, `approval-timeout`, or the request's failure. */
  reason?: string;
}

/** One VM as an approval request describes it. */
export interface ApprovalVm {
  vmId: string;
  name: string;
  size: string;
  powerState: PowerState;
  decision: Decision;
}

/** What will happen, in the terms a person approves. */
export interface ApprovalPlan {
  action: 'remediate';
  /** How long each VM is expected to be down (0 for a VM that is not running). */
  downtimeEstimateSeconds: number;
  nics: { id: string; name: string }[];
  effects: string[];
  reasons: string[];
  /** For a request covering several VMs: each one. */
  vms?: { vmId: string; name: string; size: string; powerState: PowerState; nics: number }[];
}

const running = (state: PowerState): boolean => state === 'running' || state === 'starting';

/** Azure's typical durations: deallocate, one update per NIC, start. */
export function downtimeEstimateSeconds(vm: Pick<ApprovalVm, 'powerState' | 'decision'>): number {
  // In place, the flag is set on the running VM: nothing goes down.
  if (!running(vm.powerState) || vm.decision.method === 'in-place') return 0;
  const ms =
    (TYPICAL_DURATIONS_MS.deallocate ?? 0) +
    (TYPICAL_DURATIONS_MS.nicUpdate ?? 0) * Math.max(1, vm.decision.nicsToEnable.length) +
    (TYPICAL_DURATIONS_MS.start ?? 0);
  return Math.round(ms / 1000);
}

function effectsOf(vm: ApprovalVm): string[] {
  const effects: string[] = [];
  const seconds = downtimeEstimateSeconds(vm);
  if (vm.decision.method === 'in-place')
    effects.push(
      `${vm.name} gets the flag while it runs (its size requires Accelerated Networking, which Azure enables at runtime): no downtime.`,
    );
  else if (running(vm.powerState))
    effects.push(
      `${vm.name} is stopped, deallocated and started again: about ${Math.ceil(seconds / 60)} minutes of downtime.`,
    );
  else effects.push(`${vm.name} is ${vm.powerState}: it is deallocated and left in that state.`);
  if (vm.decision.effects.tempDiskWiped)
    effects.push(`The temporary disk of ${vm.name} is wiped by the deallocation.`);
  if (vm.decision.effects.publicIpChanges)
    effects.push(`The dynamic public IP address of ${vm.name} changes.`);
  return effects;
}

const nameOf = (id: string): string => id.split('/').pop() ?? id;

/** The plan a person approves, for one VM or for several. */
export function approvalPlan(vms: ApprovalVm[]): ApprovalPlan {
  const nics = vms.flatMap((vm) =>
    vm.decision.nicsToEnable.map((id) => ({ id, name: nameOf(id) })),
  );
  const reasons = [
    ...new Set(vms.flatMap((vm) => vm.decision.reasons.map((r) => r.message))),
  ].slice(0, 20);
  const plan: ApprovalPlan = {
    action: 'remediate',
    downtimeEstimateSeconds: Math.max(0, ...vms.map(downtimeEstimateSeconds)),
    nics,
    effects: vms.length === 1 ? effectsOf(vms[0] as ApprovalVm) : summarise(vms),
    reasons,
  };
  if (vms.length > 1)
    plan.vms = vms.map((vm) => ({
      vmId: vm.vmId,
      name: vm.name,
      size: vm.size,
      powerState: vm.powerState,
      nics: vm.decision.nicsToEnable.length,
    }));
  return plan;
}

function summarise(vms: ApprovalVm[]): string[] {
  const down = vms.filter((vm) => running(vm.powerState)).length;
  const wiped = vms.filter((vm) => vm.decision.effects.tempDiskWiped).length;
  const ips = vms.filter((vm) => vm.decision.effects.publicIpChanges).length;
  const minutes = Math.ceil(Math.max(0, ...vms.map(downtimeEstimateSeconds)) / 60);
  return [
    `${vms.length} VMs: ${down} running VMs are stopped, deallocated and started again (about ${minutes} minutes each, a few at a time).`,
    ...(wiped > 0 ? [`The temporary disks of ${wiped} VMs are wiped by the deallocation.`] : []),
    ...(ips > 0 ? [`The dynamic public IP addresses of ${ips} VMs change.`] : []),
  ];
}

/** The body posted to ACCELNET_APPROVAL_WEBHOOK_URL (the Logic App's HTTP trigger). */
export interface ApprovalRequestBody {
  instanceId: string;
  vmId: string;
  vmName: string;
  size: string;
  plan: ApprovalPlan;
  approveUrl: string;
  rejectUrl: string;
  expiresAt: string;
}

/** An approval request as the approvals table keeps it. Tokens are never stored. */
export interface ApprovalRecord {
  instanceId: string;
  nonce: string;
  runId: string;
  vmId: string;
  vmName: string;
  requestedAt: string;
  expiresAt: string;
  /** pending, then exactly one of: the first decision, or expired (closed by the timeout). */
  status: 'pending' | 'approved' | 'rejected' | 'expired';
  decidedAt?: string;
  decidedBy?: string;
  /** When the run's timer closed the request: taking the decision recorded, or expiring it. */
  closedAt?: string;
}

/** A decision as recorded, with the row's version (its etag) that the recording made. */
export interface RecordedDecision {
  record: ApprovalRecord;
  etag: string;
}

/** Where approval requests and their decisions are kept. */
export interface ApprovalStore {
  /** Records a pending request (again, for the same round, without changing a decision). */
  open(record: ApprovalRecord): Promise<void>;
  /**
   * Records a decision of a pending request, once: the first write wins. Throws 403
   * ApprovalTokenInvalid when there is no such round, 409 ApprovalAlreadyDecided when it was
   * decided, 410 ApprovalExpired when its expiry has passed or the timeout closed it.
   */
  decide(
    instanceId: string,
    nonce: string | undefined,
    verdict: Verdict,
    by: string,
    now: Date,
  ): Promise<RecordedDecision>;
  /**
   * Puts a decision that could not be delivered back to pending, unless the run has taken it
   * meanwhile (its timer closed the request on it): false then, and the decision stands.
   */
  reopen(instanceId: string, decided: RecordedDecision): Promise<boolean>;
  /**
   * The timeout's side, in one conditional write: a pending request of this round is closed as
   * expired; a decided one is kept, marked taken. Returns the request as closed (undefined when
   * there is no such round). Idempotent: closing again returns the same.
   */
  close(instanceId: string, nonce: string, now: Date): Promise<ApprovalRecord | undefined>;
  get(instanceId: string): Promise<ApprovalRecord | undefined>;
  listPending(now: Date): Promise<ApprovalRecord[]>;
}
