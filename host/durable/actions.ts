/** The actions an orchestrator returns (durable-functions `actions/ActionType.js`). */
import { isRecord } from '../rpc';

export const ActionType = {
  CallActivity: 0,
  CallActivityWithRetry: 1,
  CallSubOrchestrator: 2,
  CallSubOrchestratorWithRetry: 3,
  ContinueAsNew: 4,
  CreateTimer: 5,
  WaitForExternalEvent: 6,
  CallEntity: 7,
  CallHttp: 8,
  SignalEntity: 9,
  WhenAny: 11,
  WhenAll: 12,
  LockEntities: 13,
  ReleaseEntities: 14,
} as const;

/** An atomic action as JSON. */
export interface WireAction {
  actionType: number;
  functionName?: string;
  instanceId?: string;
  input?: unknown;
  fireAt?: string;
  isCanceled?: boolean;
  retryOptions?: RetryOptionsWire;
  [field: string]: unknown;
}

/** `RetryOptions` as serialised by durable-functions. */
export interface RetryOptionsWire {
  firstRetryIntervalInMilliseconds: number;
  maxNumberOfAttempts: number;
  backoffCoefficient?: number;
  maxRetryIntervalInMilliseconds?: number;
  retryTimeoutInMilliseconds?: number;
}

/** Every atomic action in order, compound actions (WhenAll/WhenAny) expanded depth first. */
export function flattenActions(actions: unknown): WireAction[] {
  const out: WireAction[] = [];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const child of node) visit(child);
    } else if (isRecord(node) && typeof node.actionType === 'number') {
      if (node.actionType === ActionType.WhenAll || node.actionType === ActionType.WhenAny) {
        visit(node.compoundActions);
      } else {
        out.push(node as WireAction);
      }
    }
  };
  visit(actions);
  return out;
}

/** The JSON text of an activity or continue-as-new input (strings arrive already serialised). */
export function processedInputJson(input: unknown): string | undefined {
  if (input === undefined) return undefined;
  return typeof input === 'string' ? input : JSON.stringify(input);
}
