import type { AccessToken, TokenCredential } from '@azure/core-auth';
import type { InvocationContext } from '@azure/functions';
import { DefaultAzureCredential } from '@azure/identity';
import type { DurableClient } from 'durable-functions';
import * as df from 'durable-functions';

import { createApprovalActivities } from '../shared/activities/approvals';
import { type Activities, createActivities } from '../shared/activities/index';
import {
  type ArmFactory,
  createArmFactory,
  isLoopbackEndpoint,
  readCaFile,
} from '../shared/arm/clients';
import { type ApprovalStore } from '../shared/domain/approvals';
import type { RuleSettings } from '../shared/domain/model';
import type { LogPort, PauseStore } from '../shared/domain/ports';
import { postJson } from '../shared/http/webhook';
import { loadSettings, type Settings } from '../shared/platform/config';
import { startTelemetry, withOutcomeEvents, withRunEvents } from '../shared/platform/telemetry';
import { type StoredApproval, TableApprovalStore } from '../shared/stores/approvals';
import { TableAudit } from '../shared/stores/audit';
import { TablePauseStore } from '../shared/stores/pause';
import { TableRunStore } from '../shared/stores/runs';
import { contextLog, jsonLog, setAppInsightsExport } from './logging';

/** The composition root: settings, credentials, clients and activities, made once. */
export interface Services {
  settings: Settings;
  activities: Activities & ReturnType<typeof createApprovalActivities>;
  /** Approval requests, with what was asked when the requester kept it (the plan). */
  approvals: ApprovalStore & {
    get(instanceId: string): Promise<StoredApproval | undefined>;
    listPending(now: Date): Promise<StoredApproval[]>;
  };
  audit: TableAudit;
  runs: TableRunStore;
  /**
   * The pause switch. The routes turn it on and off; activities take it as a `PauseGate`
   * (`{ get(): Promise<PauseState> }`) and read it before they take a VM down.
   */
  pause: PauseStore;
  arm: ArmFactory;
  rules: RuleSettings;
  log: LogPort;
  /** The durable client of an invocation (its `durableClient` input binding). */
  durable: (context: InvocationContext) => DurableClient;
}

let services: Services | undefined;

export function getServices(): Services {
  if (!services) {
    const settings = loadSettings();
    // Outcome events and log records go to Application Insights when it is configured; once
    // per process. Logs then leave as records with their fields alone (functions/logging.ts).
    startTelemetry(settings.appInsightsConnectionString);
    setAppInsightsExport(settings.appInsightsConnectionString !== '');
    services = compose(settings);
  }
  return services;
}

// Structured logs (functions/logging.ts): the composition root says where they go.
export { contextLog, jsonLog };

export function compose(settings: Settings, log: LogPort = jsonLog): Services {
  const credential: TokenCredential = isLoopbackEndpoint(settings.armEndpoint)
    ? localCredential(settings.selfPrincipalId || 'accelnet')
    : new DefaultAzureCredential();
  const caPem = readCaFile(settings.armCaFile);
  const arm = createArmFactory({
    endpoint: settings.armEndpoint,
    credential,
    ...(caPem !== undefined ? { caPem } : {}),
    timeScale: settings.armTimeScale,
  });
  const audit = TableAudit.fromConnectionString(settings.storageConnection, settings.auditTable);
  const runs = TableRunStore.fromConnectionString(settings.storageConnection, settings.runsTable);
  const pause = TablePauseStore.fromConnectionString(
    settings.storageConnection,
    settings.controlTable,
  );
  const rules: RuleSettings = {
    exemptTag: settings.exemptTag,
    allowUnknownOs: settings.allowUnknownOs,
    allowDynamicPublicIp: settings.allowDynamicPublicIp,
    allowAvailabilitySets: settings.allowAvailabilitySets,
    allowManaWithoutDriver: settings.allowManaWithoutDriver,
  };
  const activities = createActivities({
    arm,
    // Outcomes are also OpenTelemetry events (Application Insights customEvents).
    audit: withOutcomeEvents(audit),
    log,
    rules,
    runs: withRunEvents(runs, log),
    // Read at the point of no return: while paused, no run takes another VM down.
    pause,
    pollIntervalMs: settings.pollIntervalMs,
    armTimeScale: settings.armTimeScale,
  });
  const approvals = TableApprovalStore.fromConnectionString(
    settings.storageConnection,
    settings.approvalsTable,
  );
  const approvalActivities = createApprovalActivities({
    store: approvals,
    secret: settings.approvalSecret,
    publicUrl: settings.publicUrl,
    webhookUrl: settings.approvalWebhookUrl,
    post: postJson,
    log,
  });
  return {
    settings,
    activities: { ...activities, ...approvalActivities },
    approvals,
    audit,
    runs,
    pause,
    arm,
    rules,
    log,
    durable: (context) => df.getClient(context),
  };
}

/**
 * Against the local ARM emulator no Entra ID is involved: the token is an unsigned JWT whose
 * `oid` claim is the caller's principal id (what the emulator reads), unique per process like
 * a real token, so a leak of it into logs can be told apart from the principal id.
 */
function localCredential(principal: string): TokenCredential {
  const part = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
  const token = [
    part({ alg: 'none', typ: 'JWT' }),
    part({ oid: principal, appid: principal, jti: globalThis.crypto.randomUUID() }),
    Buffer.from(globalThis.crypto.randomUUID()).toString('base64url'),
  ].join('.');
  return {
    getToken: (): Promise<AccessToken> =>
      Promise.resolve({ token, expiresOnTimestamp: Date.now() + 3_600_000 }),
  };
}
