import type { ArmFactory } from '../arm/clients';
import { OperationTimer } from '../arm/lro';
import type { RuleSettings } from '../domain/model';
import type { AuditPort, LogPort, PauseGate, RunStore } from '../domain/ports';
import type { ActivityInput, ActivityName, ActivityOutput } from './contracts';
import { createPlanningActivities } from './planning';
import { createRecordActivities } from './records';
import { createRemediationActivities } from './remediation';

export interface ActivityDeps {
  arm: ArmFactory;
  audit: AuditPort;
  /** Bulk runs and per-VM results; absent where only event-driven runs happen. */
  runs?: RunStore;
  /** The pause switch (POST /api/pause); absent means never paused. */
  pause?: PauseGate;
  log: LogPort;
  rules: RuleSettings;
  /** Shortest wait between polls of a long-running ARM operation. */
  pollIntervalMs: number;
  /** Shared operation timer (learned durations); one per process by default. */
  timer?: OperationTimer;
  /** ARM's clock against real time: 1 for Azure, the emulator's time scale locally. */
  armTimeScale?: number;
}

/**
 * An activity: its input, and optionally where this invocation logs (the Functions context),
 * to its output; typed by its contract in ActivityContracts.
 */
export type ActivityFn<K extends ActivityName> = (
  input: ActivityInput<K>,
  log?: LogPort,
) => Promise<ActivityOutput<K>>;

/** Every activity of the app, each by its contract. */
export type AllActivities = { [K in ActivityName]: ActivityFn<K> };

/** The activities built here (the approval activities are built with the approvals store). */
export type Activities = Omit<AllActivities, 'requestApproval' | 'closeApproval'>;

/**
 * The activities of the remediation, built from injected ports: ARM through the ARM factory,
 * the run store, the audit trail, the pause switch and the logs.
 */
export function createActivities(deps: ActivityDeps): Activities {
  return {
    ...createRemediationActivities(deps),
    ...createPlanningActivities(deps),
    ...createRecordActivities(deps),
  };
}
