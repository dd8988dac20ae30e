/** What the task hub keeps about an orchestration instance (also its file on disk). */
import type { Outgoing } from './entityMessages';
import type { HistoryEvent } from './history';
import type { CriticalSection } from './orchestrationEntities';

export type RuntimeStatus =
  'Pending' | 'Running' | 'Completed' | 'Failed' | 'Terminated' | 'ContinuedAsNew';

export const TERMINAL: ReadonlySet<RuntimeStatus> = new Set(['Completed', 'Failed', 'Terminated']);

/** Work an instance is waiting on. */
export type WorkItem =
  | { kind: 'activity'; id: number; name: string; input?: string }
  | { kind: 'timer'; id: number; fireAt: string }
  | { kind: 'subOrchestration'; id: number; name: string; instanceId: string; input?: string }
  /** The response of an entity to a call or to a lock request, by request id. */
  | { kind: 'entity'; id: number; requestId: string };

/** Everything the hub keeps about one instance (also its file on disk). */
export interface InstanceRecord {
  instanceId: string;
  name: string;
  executionId: string;
  runtimeStatus: RuntimeStatus;
  input?: string;
  output?: string;
  customStatus?: string;
  createdTime: string;
  lastUpdatedTime: string;
  parent?: { instanceId: string; executionId: string; taskId: number };
  history: HistoryEvent[];
  inbox: HistoryEvent[];
  /**
   * The sequence number after the last one the orchestrator's actions took (set by each
   * episode's replay; locks released as it ends continue from it).
   */
  nextSeq: number;
  work: WorkItem[];
  /** Messages to entities its episodes sent that are not yet known to be delivered. */
  outbox?: Outgoing[];
  /** The critical section it asked for or holds. */
  critical?: CriticalSection;
}
