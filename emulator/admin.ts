import { ArmError, invalidRequestContent, notFound } from './arm/errors';
import {
  applyConfigPatch,
  type EmulatorConfig,
  type EmulatorConfigPatch,
  parseConfigPatch,
} from './config';
import type { EventGrid } from './eventgrid';
import type { Middleware, RequestContext } from './http/pipeline';
import { type Fault, type FaultInjector, faultSeed, parseFaults } from './middleware/faults';
import type { OperationLog } from './middleware/operation-log';
import { seedFleet } from './seed';
import type { World } from './world';

/** What the admin API reads and changes of the emulator. */
export interface AdminTarget {
  readonly world: World;
  readonly eventGrid: EventGrid;
  readonly faults: FaultInjector;
  readonly operations: OperationLog;
  caPem(): string;
  baseUrl(): string;
  config(): EmulatorConfig;
  /** The new config, and the PUT body it came from (a `mana.seed` in it starts its draws again). */
  setConfig(config: EmulatorConfig, patch: EmulatorConfigPatch): void;
  /** New faults; with a seed they fire from a seeded sequence (and MANA landings too, unless
   * `mana.seed` is set). */
  setFaults(faults: Fault[], seed: number | undefined): void;
  reset(): void;
}

/**
 * The admin API under `/_emulator/` (not ARM: no bearer token, no throttling, not logged):
 * CA certificate, health, reset, config, faults, the operation log, the subscriptions known
 * (and empty ones added), the VMs' views, seeding and Event Grid subscriptions. Other paths go
 * on to ARM.
 */
export function adminApi(target: AdminTarget): Middleware {
  return (ctx) => {
    if (!ctx.url.pathname.toLowerCase().startsWith('/_emulator/')) return;
    return handleAdmin(target, ctx);
  };
}

async function handleAdmin(target: AdminTarget, ctx: RequestContext): Promise<void> {
  const { method, url } = ctx;
  const path = url.pathname.replace(/\/+$/, '').toLowerCase();
  const json = (): unknown => parseAdminJson(ctx.raw);
  const ok = (body: unknown, status = 200): void => ctx.answer(status, body);
  const faults = (): unknown => ({
    faults: target.faults.list().map(({ pattern: _p, ...f }) => f),
  });

  if (method === 'GET' && path === '/_emulator/ca.pem') {
    ctx.answered = true;
    ctx.res.writeHead(200, { 'Content-Type': 'application/x-pem-file' });
    ctx.res.end(target.caPem());
    return;
  }
  if (method === 'GET' && path === '/_emulator/health') return ok({ status: 'ok' });
  if (method === 'POST' && path === '/_emulator/reset') {
    target.reset();
    return ok({ reset: true });
  }
  if (path === '/_emulator/config') {
    if (method === 'GET') return ok(target.config());
    if (method === 'PUT' || method === 'PATCH') {
      const patch = parseConfigPatch(json());
      target.setConfig(applyConfigPatch(target.config(), patch), patch);
      return ok(target.config());
    }
  }
  if (path === '/_emulator/faults') {
    if (method === 'GET') return ok(faults());
    if (method === 'PUT') {
      const spec = json();
      target.setFaults(parseFaults(spec), faultSeed(spec));
      return ok(faults());
    }
    if (method === 'DELETE') {
      target.faults.clear();
      return ok({ faults: [] });
    }
  }
  if (method === 'GET' && path === '/_emulator/operations') {
    const since = Number.parseInt(url.searchParams.get('since') ?? '0', 10) || 0;
    return ok({ operations: target.operations.since(since) });
  }
  if (method === 'GET' && path === '/_emulator/subscriptions')
    return ok({ value: target.world.subscriptions() });
  const subscription = /^\/_emulator\/subscriptions\/([0-9a-f-]{36})$/i.exec(
    url.pathname.replace(/\/+$/, ''),
  );
  if (method === 'PUT' && subscription?.[1]) {
    target.world.addSubscription(subscription[1]);
    return ok({ subscriptionId: subscription[1] }, 201);
  }
  if (method === 'GET' && path === '/_emulator/vms')
    return ok({ vms: target.world.vmViews(url.searchParams.get('timeline') === 'true') });
  if (method === 'POST' && path === '/_emulator/seed') {
    const events = url.searchParams.get('events') !== 'false';
    return ok(seedFleet(target.world, json(), { baseUrl: target.baseUrl(), events }), 201);
  }
  if (method === 'GET' && path === '/_emulator/eventgrid/stats')
    return ok(target.eventGrid.stats());
  if (method === 'GET' && path === '/_emulator/eventgrid/subscriptions')
    return ok({ value: target.eventGrid.list() });
  const sub = /^\/_emulator\/eventgrid\/subscriptions\/([^/]+)$/i.exec(
    url.pathname.replace(/\/+$/, ''),
  );
  if (sub?.[1]) {
    const name = decodeURIComponent(sub[1]);
    if (method === 'PUT') return ok(await target.eventGrid.put(name, json()));
    if (method === 'GET') {
      const found = target.eventGrid.get(name);
      if (!found)
        throw new ArmError(404, 'ResourceNotFound', `Event subscription '${name}' was not found.`);
      return ok(found);
    }
    if (method === 'DELETE') return ok({ deleted: target.eventGrid.delete(name) }, 200);
  }
  if (/^\/_emulator\/eventgrid\/validate\//.test(path)) return ok({ validated: true });
  throw notFound(`No emulator admin route ${method} ${url.pathname}.`);
}

function parseAdminJson(raw: Buffer): unknown {
  if (raw.length === 0) return {};
  try {
    return JSON.parse(raw.toString('utf8')) as unknown;
  } catch (error) {
    throw invalidRequestContent(error);
  }
}
