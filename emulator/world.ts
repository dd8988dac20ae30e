import { ActivityFeed, type ArmActivity } from './arm/activity';
import { noArmRoute } from './arm/errors';
import type { JsonObject } from './arm/json';
import { Draws } from './arm/random';
import type { ArmResult, RequestInfo } from './arm/request';
import type { ArmServices } from './arm/services';
import { StateStore } from './arm/store';
import type { EmulatorConfig } from './config';
import { Router } from './http/router';
import { LongRunningOperations } from './lro/operations';
import { RESOURCE_TYPES } from './providers';
import { setOsDiskAcceleratedNetwork } from './providers/compute/disks';
import {
  resetCounters,
  setGuestOs,
  setHardware,
  type VmView,
  vmViews,
} from './providers/compute/virtual-machines/admin-view';
import type { GuestDrivers } from './providers/compute/virtual-machines/guest-drivers';
import type { GuestOs } from './providers/compute/virtual-machines/guest-os';
import type { NicHardware } from './providers/compute/virtual-machines/hardware';
import { VIRTUAL_MACHINES } from './providers/compute/virtual-machines/model';
import { knowsSubscription, knowSubscription, SUBSCRIPTIONS } from './providers/scope';

export type { ArmResult, RequestInfo } from './arm/request';
export type { VmView } from './providers/compute/virtual-machines/admin-view';
export type { GuestDrivers } from './providers/compute/virtual-machines/guest-drivers';
export type { NicHardware } from './providers/compute/virtual-machines/hardware';
export type { PowerState } from './providers/compute/virtual-machines/model';

export interface WorldOptions {
  config: () => EmulatorConfig;
  onActivity: (activity: ArmActivity) => void;
  tenantId?: string;
}

/**
 * The emulated state of Azure for the resources accelnet touches: the state store, the
 * long-running operations, the activity feed, and the routes of every registered resource
 * type over them. The HTTP server puts its middleware around `router`; seeding calls
 * `request` in process.
 */
export class World implements ArmServices {
  readonly store = new StateStore();
  readonly operations: LongRunningOperations;
  readonly activity: ActivityFeed;
  readonly hardwareDraws: Draws;
  readonly router: Router;

  constructor(private readonly options: WorldOptions) {
    this.operations = new LongRunningOperations(options.config);
    this.hardwareDraws = new Draws(options.config().mana.seed ?? undefined);
    this.activity = new ActivityFeed(
      options.tenantId ?? '72f988bf-86f1-41af-91ab-2d7cd011db47',
      options.onActivity,
    );
    this.router = new Router(RESOURCE_TYPES.flatMap((type) => type.routes(this)));
  }

  get tenantId(): string {
    return this.activity.tenantId;
  }

  config(): EmulatorConfig {
    return this.options.config();
  }

  /** An ARM request run in process, through its route's handler but no middleware. */
  request(
    method: string,
    path: string,
    body: JsonObject,
    req: RequestInfo,
    query = new URLSearchParams(),
  ): ArmResult {
    const match = this.router.match(method, path);
    if (!match) throw noArmRoute(method, path);
    return match.route.handle({ params: match.params, req, body, query });
  }

  reset(): void {
    this.operations.reset();
    this.store.reset();
  }

  close(): void {
    this.operations.close();
  }

  /** Completes every operation in flight now, as if its time had passed (seeding). */
  settle(): void {
    this.operations.settle();
  }

  /** Seeding without events: the fleet appears as if it had always been there. */
  muteEvents(muted: boolean): void {
    this.activity.muted = muted;
  }

  /** Whether anything was created or seeded in the subscription (or the admin API added it). */
  knowsSubscription(subscriptionId: string): boolean {
    return knowsSubscription(this, subscriptionId);
  }

  /** Makes a subscription known, empty (as an existing subscription with nothing in it). */
  addSubscription(subscriptionId: string, displayName?: string): void {
    knowSubscription(this, subscriptionId, displayName);
  }

  subscriptions(): string[] {
    return [...this.store.of(SUBSCRIPTIONS).values()].map((s) => s.subscriptionId);
  }

  vmViews(withTimeline = false): VmView[] {
    return vmViews(this, withTimeline);
  }

  setGuestOs(vmId: string, os: Partial<GuestOs>): void {
    setGuestOs(this, vmId, os);
  }

  setHardware(
    vmId: string,
    settings: { guest?: Partial<GuestDrivers>; nicHardware?: NicHardware },
  ): void {
    setHardware(this, vmId, settings);
  }

  setOsDiskAcceleratedNetwork(vmId: string, supported: boolean): void {
    const vm = this.store.of(VIRTUAL_MACHINES).get(vmId);
    if (vm) setOsDiskAcceleratedNetwork(this, vm, supported);
  }

  resetCounters(): void {
    resetCounters(this);
  }
}
