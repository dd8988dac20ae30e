/**
 * One call of an orchestrator function: the payload the Durable extension builds for an
 * out-of-process orchestrator, and what the engine answers (its state, or the failure whose
 * message carries the state after `$OutOfProcData$:`).
 */
import { errorMessage } from '../log';
import type { Registry } from '../registry';
import { fromTypedData, isRecord } from '../rpc';
import type { HistoryEvent } from './history';
import type { InstanceRecord } from './records';

const OUT_OF_PROC_LABEL = '$OutOfProcData$:';

/** The engine's answer: the orchestrator's state, or its failure with the actions it took. */
export type OrchestratorOutcome =
  | {
      kind: 'state';
      state: { isDone: boolean; actions: unknown; output?: unknown; customStatus?: unknown };
    }
  | { kind: 'failed'; error: string; customStatus?: unknown; actions?: unknown };

/**
 * The trigger payload of an episode: the history so far (played) and the new events, with the
 * fields the extension adds (OrchestrationTriggerAttributeBindingProvider.cs:219-242). The
 * schema fields are numbers (Newtonsoft writes the SchemaVersion enum as its value):
 * `upperSchemaVersion` is always V2 (1); `upperSchemaVersionNew` is what the worker uses, here
 * V4 (3), which durable-functions 3.5.0 needs for entity locks (DurableOrchestrationContext.js,
 * lock: "requires ... OOProc schema V4"); extension 2.13.7 still sent V3 (2). The timer and
 * HTTP constants are the Azure Storage provider's (AzureStorageDurabilityProvider.cs:68-70,
 * HttpOptions.cs:19).
 */
export function orchestratorPayload(
  rec: InstanceRecord,
  newEvents: HistoryEvent[],
): Record<string, unknown> {
  return {
    history: [...rec.history.map((e) => ({ ...e, IsPlayed: true })), ...newEvents],
    input: rec.input === undefined ? undefined : (JSON.parse(rec.input) as unknown),
    instanceId: rec.instanceId,
    isReplaying: rec.history.length > 0,
    parentInstanceId: rec.parent?.instanceId,
    upperSchemaVersion: 1,
    upperSchemaVersionNew: 3,
    longRunningTimerIntervalDuration: '3.00:00:00',
    maximumShortTimerDuration: '6.00:00:00',
    defaultHttpAsyncRequestSleepTimeMillseconds: 30000,
  };
}

/** Calls the orchestrator function for one episode. */
export async function invokeOrchestrator(
  registry: Registry,
  name: string,
  payload: Record<string, unknown>,
): Promise<OrchestratorOutcome> {
  try {
    const response = await registry.invoke(name, {
      trigger: { string: JSON.stringify(payload) },
    });
    const value = fromTypedData(response.returnValue);
    if (!isRecord(value)) return { kind: 'failed', error: 'the orchestrator returned no state' };
    return {
      kind: 'state',
      state: {
        isDone: value.isDone === true,
        actions: value.actions,
        output: value.output,
        customStatus: value.customStatus,
      },
    };
  } catch (err) {
    const message = errorMessage(err);
    const at = message.indexOf(OUT_OF_PROC_LABEL);
    if (at < 0) return { kind: 'failed', error: message };
    const reason = message.slice(0, at).trim();
    try {
      const state = JSON.parse(message.slice(at + OUT_OF_PROC_LABEL.length)) as unknown;
      if (isRecord(state)) {
        const error = typeof state.error === 'string' ? state.error : reason;
        return {
          kind: 'failed',
          error,
          customStatus: state.customStatus,
          actions: state.actions,
        };
      }
    } catch {
      // the message is the error
    }
    return { kind: 'failed', error: reason };
  }
}
