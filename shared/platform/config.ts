import { homedir } from 'node:os';
import path from 'node:path';

import { z } from 'zod';

import { AccelnetError } from './errors';

/** ISO 8601 duration (PnDTnHnMnS) to milliseconds; undefined when it is not one. */
export function parseIsoDuration(text: string): number | undefined {
  const m =
    /^P(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(
      text,
    );
  if (!m || text === 'P' || text.endsWith('T')) return undefined;
  const [, d, h, min, s] = m;
  return (
    ((Number(d ?? 0) * 24 + Number(h ?? 0)) * 60 + Number(min ?? 0)) * 60_000 +
    Number(s ?? 0) * 1000
  );
}

const bool = (name: string) =>
  z
    .enum(['true', 'false', '1', '0'], { message: `${name} must be true or false` })
    .transform((v) => v === 'true' || v === '1');

/**
 * Every setting accelnet reads, with its default and what it means. The one place that
 * reads process.env; everything else takes a Settings object.
 */
export const SETTINGS = {
  ACCELNET_MODE: {
    doc: 'Event-triggered runs: report (assess and log only), approval (wait for approval), enforce (remediate).',
    default: 'report',
    schema: z.enum(['report', 'approval', 'enforce'], {
      message: 'ACCELNET_MODE must be report, approval or enforce',
    }),
  },
  ACCELNET_ARM_ENDPOINT: {
    doc: 'Azure Resource Manager endpoint. Empty means https://management.azure.com.',
    default: 'https://management.azure.com',
    schema: z
      .url({ message: 'ACCELNET_ARM_ENDPOINT must be an https URL' })
      .refine((u) => u.startsWith('https://'), 'ACCELNET_ARM_ENDPOINT must be an https URL'),
  },
  ACCELNET_ARM_CA_FILE: {
    doc: 'PEM file of an extra CA to trust for the ARM endpoint (the local emulator).',
    default: '',
    schema: z.string(),
  },
  ACCELNET_SELF_PRINCIPAL_ID: {
    doc: "The service's own principal id: writes it makes are not remediated again.",
    default: '',
    schema: z.string(),
  },
  ACCELNET_EXEMPT_TAG: {
    doc: 'Tag (on a VM or its resource group) that opts it out of remediation.',
    default: 'accelnet-exempt',
    schema: z.string().min(1, 'ACCELNET_EXEMPT_TAG must not be empty'),
  },
  ACCELNET_ALLOW_UNKNOWN_OS: {
    doc: 'Remediate VMs whose OS cannot be determined.',
    default: 'false',
    schema: bool('ACCELNET_ALLOW_UNKNOWN_OS'),
  },
  ACCELNET_ALLOW_DYNAMIC_PUBLIC_IP: {
    doc: 'Remediate VMs with a dynamic public IP (its address changes on deallocation).',
    default: 'false',
    schema: bool('ACCELNET_ALLOW_DYNAMIC_PUBLIC_IP'),
  },
  ACCELNET_ALLOW_MANA_WITHOUT_DRIVER: {
    doc: 'Deallocate VMs of sizes that may land on MANA hardware even when their guest is not known to carry the MANA driver (it may then run without AN).',
    default: 'false',
    schema: bool('ACCELNET_ALLOW_MANA_WITHOUT_DRIVER'),
  },
  ACCELNET_ALLOW_AVAILABILITY_SETS: {
    doc: 'Remediate availability sets as a whole (all VMs down at once), after approval.',
    default: 'false',
    schema: bool('ACCELNET_ALLOW_AVAILABILITY_SETS'),
  },
  ACCELNET_APPROVAL_WEBHOOK_URL: {
    doc: 'Where approval requests are posted (the Logic App HTTP trigger).',
    default: '',
    schema: z.union([
      z.literal(''),
      z.url({ message: 'ACCELNET_APPROVAL_WEBHOOK_URL must be a URL' }),
    ]),
  },
  ACCELNET_APPROVAL_TIMEOUT: {
    doc: 'ISO 8601 duration to wait for an approval before the run ends rejected.',
    default: 'PT24H',
    schema: z
      .string()
      .refine(
        (v) => parseIsoDuration(v) !== undefined,
        'ACCELNET_APPROVAL_TIMEOUT must be an ISO 8601 duration such as PT24H',
      ),
  },
  ACCELNET_APPROVAL_SECRET: {
    doc: 'Secret that signs the single-use approve/reject links (at least 32 characters; `accelnet start` generates one).',
    default: '',
    schema: z.union([
      z.literal(''),
      z.string().min(32, 'ACCELNET_APPROVAL_SECRET must be at least 32 characters'),
    ]),
  },
  ACCELNET_PUBLIC_URL: {
    doc: "This service's public base URL, for approval links (default https://$WEBSITE_HOSTNAME in Azure).",
    default: '',
    schema: z.union([z.literal(''), z.url({ message: 'ACCELNET_PUBLIC_URL must be a URL' })]),
  },
  ACCELNET_APPROVALS_TABLE: {
    doc: 'Azure Table storage table of approval requests and their decisions (single use).',
    default: 'accelnetApprovals',
    schema: z
      .string()
      .regex(
        /^[A-Za-z][A-Za-z0-9]{2,62}$/,
        'ACCELNET_APPROVALS_TABLE must be 3-63 letters and digits, starting with a letter',
      ),
  },
  ACCELNET_POLL_INTERVAL_MS: {
    doc: 'The shortest wait between polls of a long-running ARM operation, in ARM milliseconds (ACCELNET_ARM_TIME_SCALE scales it).',
    default: '2000',
    schema: z.coerce
      .number({ message: 'ACCELNET_POLL_INTERVAL_MS must be a number' })
      .int()
      .min(1)
      .max(60_000),
  },
  ACCELNET_ARM_TIME_SCALE: {
    doc: "ARM's clock against real time, for polling and request pacing: 1 for Azure; the emulator's time scale locally.",
    default: '1',
    schema: z.coerce
      .number({ message: 'ACCELNET_ARM_TIME_SCALE must be a number' })
      .min(0)
      .max(100),
  },
  ACCELNET_RETRY_INTERVAL_MS: {
    doc: 'First wait before an activity that failed with a retryable error is tried again (doubling, up to 5 attempts), in ARM milliseconds (ACCELNET_ARM_TIME_SCALE scales it).',
    default: '5000',
    schema: z.coerce
      .number({ message: 'ACCELNET_RETRY_INTERVAL_MS must be a number' })
      .int()
      .min(1)
      .max(600_000),
  },
  ACCELNET_AUDIT_TABLE: {
    doc: 'Azure Table storage table of the audit trail.',
    default: 'accelnetAudit',
    schema: z
      .string()
      .regex(
        /^[A-Za-z][A-Za-z0-9]{2,62}$/,
        'ACCELNET_AUDIT_TABLE must be 3-63 letters and digits, starting with a letter',
      ),
  },
  ACCELNET_RUNS_TABLE: {
    doc: 'Azure Table storage table of bulk runs and their per-VM results.',
    default: 'accelnetRuns',
    schema: z
      .string()
      .regex(
        /^[A-Za-z][A-Za-z0-9]{2,62}$/,
        'ACCELNET_RUNS_TABLE must be 3-63 letters and digits, starting with a letter',
      ),
  },
  ACCELNET_CONTROL_TABLE: {
    doc: 'Azure Table storage table of operator switches: the pause state (POST and DELETE /api/pause).',
    default: 'accelnetControl',
    schema: z
      .string()
      .regex(
        /^[A-Za-z][A-Za-z0-9]{2,62}$/,
        'ACCELNET_CONTROL_TABLE must be 3-63 letters and digits, starting with a letter',
      ),
  },
  AzureWebJobsStorage: {
    doc: 'Storage connection string (Table storage for the audit trail; durable state in Azure).',
    default: 'UseDevelopmentStorage=true',
    schema: z.string().min(1, 'AzureWebJobsStorage must not be empty'),
  },
  ACCELNET_FUNCTION_KEY: {
    doc: 'Function key for /api routes under the local host (in Azure, the host manages keys).',
    default: '',
    schema: z.string(),
  },
  APPLICATIONINSIGHTS_CONNECTION_STRING: {
    doc: 'Application Insights connection string: outcome events are exported there (OpenTelemetry). Empty exports nothing.',
    default: '',
    schema: z.string(),
  },
} as const;

export type SettingName = keyof typeof SETTINGS;

export interface Settings {
  mode: 'report' | 'approval' | 'enforce';
  armEndpoint: string;
  armCaFile: string;
  selfPrincipalId: string;
  exemptTag: string;
  allowUnknownOs: boolean;
  allowDynamicPublicIp: boolean;
  allowAvailabilitySets: boolean;
  allowManaWithoutDriver: boolean;
  approvalWebhookUrl: string;
  approvalTimeoutMs: number;
  /** While paused, how often a waiting run looks at the switch again: a minute of ARM time. */
  pausePollMs: number;
  approvalSecret: string;
  publicUrl: string;
  approvalsTable: string;
  pollIntervalMs: number;
  retryIntervalMs: number;
  armTimeScale: number;
  auditTable: string;
  runsTable: string;
  controlTable: string;
  storageConnection: string;
  functionKey: string;
  appInsightsConnectionString: string;
  /**
   * App Service authentication (Easy Auth) is on for the app: App Service sets
   * WEBSITE_AUTH_ENABLED=True and then vouches for the X-MS-CLIENT-PRINCIPAL header, which
   * approvals record as who decided (shared/http/identity.ts). Off, the header is ignored.
   */
  easyAuthEnabled: boolean;
}

/** Reads and validates every setting once; a bad value fails fast naming the setting. */
export function loadSettings(env: Record<string, string | undefined> = process.env): Settings {
  const read = <N extends SettingName>(name: N): z.output<(typeof SETTINGS)[N]['schema']> => {
    const spec = SETTINGS[name];
    const raw = env[name];
    const value = raw === undefined || raw.trim() === '' ? spec.default : raw.trim();
    const parsed = spec.schema.safeParse(value);
    if (!parsed.success) {
      throw new AccelnetError(
        'InvalidSetting',
        `${name}=${JSON.stringify(raw)}: ${parsed.error.issues[0]?.message ?? 'invalid value'}`,
      );
    }
    return parsed.data as z.output<(typeof SETTINGS)[N]['schema']>;
  };
  const mode = read('ACCELNET_MODE');
  if (mode === 'approval' && read('ACCELNET_APPROVAL_SECRET') === '')
    throw new AccelnetError(
      'InvalidSetting',
      'ACCELNET_APPROVAL_SECRET must be set (32 characters or more) when ACCELNET_MODE=approval: it signs the approval links.',
    );
  return {
    mode,
    armEndpoint: read('ACCELNET_ARM_ENDPOINT').replace(/\/+$/, ''),
    armCaFile: read('ACCELNET_ARM_CA_FILE'),
    selfPrincipalId: read('ACCELNET_SELF_PRINCIPAL_ID'),
    exemptTag: read('ACCELNET_EXEMPT_TAG'),
    allowUnknownOs: read('ACCELNET_ALLOW_UNKNOWN_OS'),
    allowDynamicPublicIp: read('ACCELNET_ALLOW_DYNAMIC_PUBLIC_IP'),
    allowAvailabilitySets: read('ACCELNET_ALLOW_AVAILABILITY_SETS'),
    allowManaWithoutDriver: read('ACCELNET_ALLOW_MANA_WITHOUT_DRIVER'),
    approvalWebhookUrl: read('ACCELNET_APPROVAL_WEBHOOK_URL'),
    approvalTimeoutMs: parseIsoDuration(read('ACCELNET_APPROVAL_TIMEOUT')) ?? 86_400_000,
    approvalSecret: read('ACCELNET_APPROVAL_SECRET'),
    publicUrl: publicUrl(read('ACCELNET_PUBLIC_URL'), env.WEBSITE_HOSTNAME),
    approvalsTable: read('ACCELNET_APPROVALS_TABLE'),
    // Every wait the service makes on ARM's account runs on ARM's clock.
    pollIntervalMs: scaled(read('ACCELNET_POLL_INTERVAL_MS'), read('ACCELNET_ARM_TIME_SCALE')),
    retryIntervalMs: scaled(read('ACCELNET_RETRY_INTERVAL_MS'), read('ACCELNET_ARM_TIME_SCALE')),
    armTimeScale: read('ACCELNET_ARM_TIME_SCALE'),
    pausePollMs: Math.max(250, Math.round(60_000 * read('ACCELNET_ARM_TIME_SCALE'))),
    auditTable: read('ACCELNET_AUDIT_TABLE'),
    runsTable: read('ACCELNET_RUNS_TABLE'),
    controlTable: read('ACCELNET_CONTROL_TABLE'),
    storageConnection: read('AzureWebJobsStorage'),
    functionKey: read('ACCELNET_FUNCTION_KEY'),
    appInsightsConnectionString: read('APPLICATIONINSIGHTS_CONNECTION_STRING'),
    easyAuthEnabled: /^true$/i.test(env.WEBSITE_AUTH_ENABLED?.trim() ?? ''),
  };
}

/** An interval in ARM's time, in real milliseconds (at least 1). */
function scaled(armMs: number, timeScale: number): number {
  return Math.max(1, Math.round(armMs * timeScale));
}

/** Approval links point here: the setting, else the App Service host name, else the local host. */
function publicUrl(configured: string, websiteHostname: string | undefined): string {
  if (configured !== '') return configured.replace(/\/+$/, '');
  const host = websiteHostname?.trim() ?? '';
  // The local host serves plain HTTP on loopback; App Service serves HTTPS.
  if (host !== '')
    return `${/^(127\.|localhost\b|\[::1\])/.test(host) ? 'http' : 'https'}://${host}`;
  return 'http://127.0.0.1:7071';
}

/**
 * What the `accelnet` command reads from its environment, besides its flags (a flag wins).
 * Read once when a command starts, here, like the app's settings: nothing else in cli/ reads
 * process.env.
 */
export const CLI_SETTINGS = {
  ACCELNET_ARM_ENDPOINT:
    'ARM endpoint for start, and for scan and remediate when they run self-contained (--arm-endpoint wins); unset: an embedded emulator.',
  ACCELNET_SERVICE_URL:
    'The running accelnet service that scan, remediate, status, approve, pause and resume act through (--service wins).',
  ACCELNET_FUNCTION_KEY:
    "The service's function key: what `accelnet start` serves with, and what the CLI sends (--key wins).",
  ACCELNET_MODE:
    'The mode of the app `accelnet start` runs (default report; enforce for the demo).',
  AZURE_SUBSCRIPTION_ID:
    'The subscription scan and remediate use when --subscription is not given (as the Azure SDKs read it).',
  ACCELNET_CONFIG_DIR:
    'Where `accelnet start` writes service.json (its URL and key, mode 0600) for the CLI to find; default $XDG_CONFIG_HOME/accelnet, else ~/.config/accelnet.',
  XDG_CONFIG_HOME: "The user's configuration directory (XDG); default ~/.config.",
  NO_COLOR: 'Set to anything: `-o jsonc` prints JSON without colours.',
} as const;

export interface CliSettings {
  armEndpoint?: string;
  serviceUrl?: string;
  functionKey?: string;
  mode?: Settings['mode'];
  /** AZURE_SUBSCRIPTION_ID: the default of --subscription. */
  subscription?: string;
  /** The directory of service.json: ACCELNET_CONFIG_DIR, $XDG_CONFIG_HOME/accelnet, ~/.config/accelnet. */
  configDir: string;
  /** NO_COLOR is set. */
  noColor: boolean;
  /** The operating-system user, for what the service records as who acted. */
  user: string;
}

/** Reads the CLI's environment once; a bad ACCELNET_MODE fails naming it. */
export function loadCliSettings(
  env: Record<string, string | undefined> = process.env,
): CliSettings {
  const text = (name: keyof typeof CLI_SETTINGS): string | undefined => {
    const value = env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  const mode = text('ACCELNET_MODE');
  const parsedMode = mode === undefined ? undefined : SETTINGS.ACCELNET_MODE.schema.safeParse(mode);
  if (parsedMode && !parsedMode.success)
    throw new AccelnetError(
      'InvalidSetting',
      `ACCELNET_MODE=${JSON.stringify(mode)}: ${parsedMode.error.issues[0]?.message ?? 'invalid value'}`,
    );
  const armEndpoint = text('ACCELNET_ARM_ENDPOINT');
  const serviceUrl = text('ACCELNET_SERVICE_URL');
  const functionKey = text('ACCELNET_FUNCTION_KEY');
  const subscription = text('AZURE_SUBSCRIPTION_ID');
  const xdg = text('XDG_CONFIG_HOME');
  const configDir = path.resolve(
    text('ACCELNET_CONFIG_DIR') ??
      path.join(
        xdg !== undefined && path.isAbsolute(xdg) ? xdg : path.join(homedir(), '.config'),
        'accelnet',
      ),
  );
  return {
    ...(armEndpoint !== undefined ? { armEndpoint } : {}),
    ...(serviceUrl !== undefined ? { serviceUrl } : {}),
    ...(functionKey !== undefined ? { functionKey } : {}),
    ...(parsedMode?.success ? { mode: parsedMode.data } : {}),
    ...(subscription !== undefined ? { subscription } : {}),
    configDir,
    noColor: env.NO_COLOR !== undefined && env.NO_COLOR !== '',
    user: env.USER ?? env.USERNAME ?? '',
  };
}
