import type { ArmServices } from '../arm/services';
import type { Route } from '../http/router';

/**
 * A resource type the emulator serves: its routes (with their handlers, validation and the
 * rules of Azure that concern it), built over the shared services. Registered in
 * providers/index.ts.
 */
export interface ResourceType {
  /** ARM's name for it, e.g. Microsoft.Compute/virtualMachines. */
  readonly type: string;
  routes(arm: ArmServices): Route[];
}

export const SUB = '/subscriptions/{sub}';
export const RG = `${SUB}/resourceGroups/{rg}` as const;

/** The paths of a resource type: lists in a subscription and in a group, and one resource. */
export function typePaths<const T extends string>(type: T) {
  return {
    inSubscription: `${SUB}/providers/${type}` as const,
    inGroup: `${RG}/providers/${type}` as const,
    item: `${RG}/providers/${type}/{name}` as const,
  };
}
