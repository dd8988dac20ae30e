import type { RequestInfo } from './request';

/**
 * A successful ARM control-plane request, as the emulator reports it to Event Grid.
 * ARM raises Microsoft.Resources.Resource{Write,Action,Delete}Success for every successful
 * PUT/PATCH (Write), POST (Action) and DELETE (Delete) once the operation has succeeded.
 */
export interface ArmActivity {
  kind: 'Write' | 'Action' | 'Delete';
  /** Resource id of the target, as the caller spelled it (e.g. /subscriptions/…/virtualMachines/web-1). */
  resourceId: string;
  /** e.g. Microsoft.Compute/virtualMachines/write, Microsoft.Compute/virtualMachines/deallocate/action */
  operationName: string;
  /** The caller: the bearer token's principal id. */
  principalId: string;
  subscriptionId: string;
  resourceGroup: string;
  tenantId: string;
  /** HTTP method and full request URL of the request that caused it. */
  httpMethod: string;
  url: string;
  clientIpAddress: string;
  correlationId: string;
  clientRequestId: string;
  /** When the operation succeeded. */
  time: Date;
}

/** What an activity is about: the resource and where it lives. */
export interface ActivityTarget {
  id: string;
  subscriptionId: string;
  resourceGroup: string;
}

/**
 * Reports successful ARM operations (to Event Grid), as the caller of `req` made them;
 * muted while a fleet is seeded without events.
 */
export class ActivityFeed {
  muted = false;

  constructor(
    readonly tenantId: string,
    private readonly onActivity: (activity: ArmActivity) => void,
  ) {}

  emit(
    req: RequestInfo,
    kind: ArmActivity['kind'],
    operationName: string,
    target: ActivityTarget,
  ): void {
    if (this.muted) return;
    this.onActivity({
      kind,
      resourceId: target.id,
      operationName,
      principalId: req.principal,
      subscriptionId: target.subscriptionId,
      resourceGroup: target.resourceGroup,
      tenantId: this.tenantId,
      httpMethod: req.method,
      url: req.url,
      clientIpAddress: req.clientIp,
      correlationId: req.correlationId,
      clientRequestId: req.clientRequestId,
      time: new Date(),
    });
  }
}
