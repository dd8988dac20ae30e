/**
 * Which accelnet a command talks to. The service is the centre: `scan`, `remediate`,
 * `status`, `approve`, `pause` and `resume` act through a running accelnet, so that their runs
 * are its runs. In order:
 *
 * 1. `--service URL` (or ACCELNET_SERVICE_URL), with `--key` (or ACCELNET_FUNCTION_KEY);
 * 2. for scan and remediate, a flag of a self-contained run (`--arm-endpoint`, `--azure`,
 *    `--data-dir`, `--time-scale`, `--ca-file`): that run, even when a service is about;
 * 3. the `accelnet start` running on this machine, found through its service.json;
 * 4. for scan and remediate, a self-contained run (ACCELNET_ARM_ENDPOINT, or an embedded
 *    emulator), said in one line on stderr; the other commands need a service and say how to
 *    get one.
 */
import type { CliSettings } from '../shared/platform/config';
import { DEFAULT_SERVICE_URL, parseServiceUrl, ServiceClient } from './service';
import { findService } from './serviceState';
import { UsageError } from './usage';

export interface ServiceFlags {
  service?: string;
  key?: string;
}

export interface ServiceConnection {
  kind: 'service';
  client: ServiceClient;
  /** How it was chosen: a flag, the environment, service.json, or the default URL. */
  source: 'flag' | 'environment' | 'found' | 'default';
  /** How to name this service again on a command line (empty when found or from the environment). */
  flags: string;
}

export interface SelfContained {
  kind: 'self-contained';
  /** Why no service: the line the command prints before it runs self-contained. */
  why: string;
}

const KEY_HELP =
  "pass --key KEY or set ACCELNET_FUNCTION_KEY (`accelnet start` prints it; in Azure it is the app's host key)";

/** The service a command must act through (status, approve, pause, resume). */
export async function connectService(
  flags: ServiceFlags,
  settings: CliSettings,
): Promise<ServiceConnection> {
  const service = await namedOrRunning(flags, settings);
  if (service.kind === 'service') return service;
  const key = flags.key ?? settings.functionKey;
  if (key === undefined)
    throw new UsageError(
      `--service: no accelnet service is configured (--service or ACCELNET_SERVICE_URL) and none runs here (${service.why}): start one with \`accelnet start\`, or pass --service URL and --key KEY.`,
    );
  // A key but no URL: the default of `accelnet start`.
  return {
    kind: 'service',
    client: new ServiceClient(DEFAULT_SERVICE_URL, key),
    source: 'default',
    flags: '',
  };
}

/**
 * The service scan or remediate acts through, or a self-contained run. `localFlags` are the
 * self-contained flags given on the command line.
 */
export async function connectOrSelfContained(
  flags: ServiceFlags,
  localFlags: string[],
  settings: CliSettings,
): Promise<ServiceConnection | SelfContained> {
  const [local] = localFlags;
  if (flags.service !== undefined && local !== undefined)
    throw new UsageError(
      `${local}: it is for a self-contained run, but --service names a running accelnet, which reads ARM itself; drop one of them.`,
    );
  if (local !== undefined)
    return { kind: 'self-contained', why: `${local} given: a self-contained run` };
  const service = await namedOrRunning(flags, settings);
  if (service.kind === 'service') return service;
  return {
    kind: 'self-contained',
    why: `no accelnet service configured (--service, ACCELNET_SERVICE_URL) or running (${service.why})`,
  };
}

/**
 * Steps 1 and 3: the service the flags or the environment name, else the `accelnet start`
 * running here; else why none runs here.
 */
async function namedOrRunning(
  flags: ServiceFlags,
  settings: CliSettings,
): Promise<ServiceConnection | { kind: 'none'; why: string }> {
  const explicit = explicitService(flags, settings);
  if (explicit) return explicit;
  const found = await findService(settings.configDir);
  if (!found.found) return { kind: 'none', why: found.why };
  return {
    kind: 'service',
    client: new ServiceClient(
      found.state.url,
      flags.key ?? settings.functionKey ?? found.state.key,
    ),
    source: 'found',
    flags: '',
  };
}

function explicitService(
  flags: ServiceFlags,
  settings: CliSettings,
): ServiceConnection | undefined {
  let url = flags.service;
  let source: ServiceConnection['source'] = 'flag';
  if (url === undefined && settings.serviceUrl !== undefined) {
    try {
      url = parseServiceUrl(settings.serviceUrl);
    } catch (error) {
      throw new UsageError(
        `ACCELNET_SERVICE_URL: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    source = 'environment';
  }
  if (url === undefined) return undefined;
  const key = flags.key ?? settings.functionKey;
  if (key === undefined)
    throw new UsageError(`--key: the service's function key is needed: ${KEY_HELP}.`);
  return {
    kind: 'service',
    client: new ServiceClient(url, key),
    source,
    flags: source === 'flag' ? `--service ${url} --key …` : '',
  };
}
