/**
 * One call of an entity function for a batch of operations, as the Durable extension makes it
 * for out-of-process entities: the trigger value is `{self, exists, state, batch}`
 * (Bindings/EntityTriggerAttributeBindingProvider.EntityContextToString), and the function
 * returns `{entityExists, entityState, results, signals}` (Listener/TaskEntityShim.OutOfProcResult),
 * one result per operation.
 */
import type { Registry } from '../registry';
import { fromTypedData, isRecord } from '../rpc';
import { entityIdFrom, type EntityIdWire, type RequestMessage } from './entityMessages';

/** The result of one operation: its return value or its error, as JSON text. */
export interface OperationOutcome {
  isError: boolean;
  result: string | null;
}

/** A signal an operation sent to another entity. */
export interface EntitySignal {
  target: EntityIdWire;
  name: string;
  input?: string;
}

/** The entity after the batch, and what each operation produced. */
export interface BatchOutcome {
  exists: boolean;
  state?: string;
  results: OperationOutcome[];
  signals: EntitySignal[];
}

/** Calls the entity function once for `operations`, starting from `current`. */
export async function runEntityBatch(
  registry: Registry,
  functionName: string,
  self: EntityIdWire,
  current: { exists: boolean; state?: string },
  operations: readonly RequestMessage[],
): Promise<BatchOutcome> {
  const trigger = {
    self,
    exists: current.exists,
    state: current.state ?? null,
    batch: operations.map((o) => ({
      name: o.op ?? '',
      input: o.input ?? null,
      isSignal: o.signal === true,
    })),
  };
  const response = await registry.invoke(functionName, {
    trigger: { string: JSON.stringify(trigger) },
  });
  return parseOutcome(fromTypedData(response.returnValue), operations.length);
}

/** Every operation of a batch failed with `message` (the entity itself unchanged). */
export function failedBatch(
  current: { exists: boolean; state?: string },
  count: number,
  message: string,
): BatchOutcome {
  const result = JSON.stringify(message);
  return {
    exists: current.exists,
    state: current.state,
    results: Array.from({ length: count }, () => ({ isError: true, result })),
    signals: [],
  };
}

function parseOutcome(value: unknown, count: number): BatchOutcome {
  if (!isRecord(value)) throw new Error('the entity function returned no batch result');
  const results = Array.isArray(value.results) ? value.results : [];
  if (results.length < count)
    throw new Error(
      `the entity function returned ${results.length} results for ${count} operations`,
    );
  const signals: EntitySignal[] = [];
  for (const s of Array.isArray(value.signals) ? value.signals : []) {
    const target = isRecord(s) ? entityIdFrom(s.target) : undefined;
    if (!isRecord(s) || !target || typeof s.name !== 'string') continue;
    signals.push({
      target,
      name: s.name,
      ...(typeof s.input === 'string' ? { input: s.input } : {}),
    });
  }
  const exists = value.entityExists === true;
  return {
    exists,
    ...(exists && typeof value.entityState === 'string' ? { state: value.entityState } : {}),
    results: results.slice(0, count).map((r) => ({
      isError: isRecord(r) && r.isError === true,
      result: isRecord(r) && typeof r.result === 'string' ? r.result : null,
    })),
    signals,
  };
}
