/**
 * The ports the activities and handlers are built from: what they need of the outside world
 * (audit trail, run store, pause switch, logs), declared where the domain sees them. The
 * composition root (functions/composition.ts) plugs in the adapters (shared/stores, Azure
 * Table storage); tests plug in fakes.
 */
import type { AuditInput, VmOutcome } from './outcomes';
import type { LaneVm } from './plan';

/** Where audit rows go (Azure Table storage in production). */
/** Where audit rows go (Azure Table storage in production). */
export interface AuditPort {
  record(row: AuditInput): Promise<void>;
  /** Several rows at once (one request where the store allows it). */
  recordMany?(rows: AuditInput[]): Promise<void>;
}

/** Structured log lines: one JSON object per line. */
export type LogPort = (entry: Record<string, unknown>) => void;

/** A bulk run as the API shows it. */
export interface RunRecord {
  id: string;
  status: 'running' | 'pending-approval' | 'completed' | 'failed';
  createdAt: string;
  updatedAt: string;
  /**
   * The run's request. Its `vmIds` (up to 5,000 ids, 1.3 MB) are kept in rows of their own
   * (getRunVmIds): read back, the request has `vmCount` in their place.
   */
  request: unknown;
  error?: string;
}

/** Where runs and their per-VM results are kept (Azure Table storage). */
export interface RunStore {
  /**
   * Records a run. Its request is recorded by its first record, its VM ids before its row (so
   * a run's row means its ids are there); later records change the rest and keep the request,
   * whether or not they repeat it.
   */
  putRun(run: RunRecord): Promise<void>;
  getRun(id: string): Promise<RunRecord | undefined>;
  /** The VM ids a run's request named, in order (kept in rows of their own by putRun). */
  getRunVmIds(runId: string): Promise<string[]>;
  putVmResults(runId: string, results: VmOutcome[]): Promise<void>;
  listVmResults(runId: string): Promise<VmOutcome[]>;
  /**
   * A bulk run's lanes and the VMs each remediates, in order: kept here rather than in the
   * orchestration's history, which every episode of the run replays.
   */
  putLaneWork(runId: string, lanes: LaneVm[][]): Promise<void>;
  /** The VMs of one lane from `offset` on, at most `limit` of them, in order. */
  getLaneWork(runId: string, lane: number, offset: number, limit: number): Promise<LaneVm[]>;
}

/** Paused: since when, by whom, and why (when given). */
export interface Paused {
  paused: true;
  /** ISO 8601: when it was first paused (pausing again keeps it). */
  since: string;
  by: string;
  reason?: string;
}

export interface NotPaused {
  paused: false;
}

/** The switch as the API, the CLI, the dashboard and activities see it. */
export type PauseState = Paused | NotPaused;

/** What activities need: whether runs are paused right now (read each time, never cached). */
export interface PauseGate {
  get(): Promise<PauseState>;
}

/** The switch itself: the service's HTTP routes turn it on and off. */
export interface PauseStore extends PauseGate {
  /**
   * Turns it on. Idempotent: when already paused, `since` and `by` are kept, and the reason
   * is replaced only when a new one is given.
   */
  pause(reason: string | undefined, by: string): Promise<Paused>;
  /** Turns it off. Idempotent. */
  resume(by: string): Promise<NotPaused>;
}
