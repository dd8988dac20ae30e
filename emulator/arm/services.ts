import type { EmulatorConfig } from '../config';
import type { LongRunningOperations } from '../lro/operations';
import type { ActivityFeed } from './activity';
import type { Draws } from './random';
import type { StateStore } from './store';

/** What a resource type's handlers work with. */
export interface ArmServices {
  /** The resources, by kind. */
  readonly store: StateStore;
  /** Operations that take time on the emulator's clock, and their status resources. */
  readonly operations: LongRunningOperations;
  /** Successful operations, reported to Event Grid. */
  readonly activity: ActivityFeed;
  /** What chance decides about placement (which hardware a VM lands on), seeded. */
  readonly hardwareDraws: Draws;
  config(): EmulatorConfig;
}
