/**
 * Part 3, Event Grid at least once: a burst of VM writes (new VMs lacking Accelerated
 * Networking, enforce mode) delivered with 30% duplicates and random per-delivery delays (so
 * out of order, and some duplicates land after the VM's run has ended); then every delivery is
 * made once more, after all runs have ended, as Event Grid does when an acknowledgement is
 * lost. Each VM gets exactly one run and one deallocation.
 */
import http from 'node:http';

import type { EventGridStats } from '../../emulator/eventgrid';
import { SUB } from '../support/arm';
import { eventWebhook } from '../support/events';
import { closeServer, listen, readAll } from '../support/http';
import { sleep } from '../support/poll';
import { vmRun } from '../support/runs';
import { seedGroup } from '../support/seed';
import { useLocalTwin } from '../support/twin';
import { vmsIn, type VmView } from '../support/views';
import { PartFigures } from './support/figures';
import type { VmOutcome } from './support/fleet';
import { sized } from './support/scale';

const VMS = sized(100, 24);
const RG = 'rg-burst';
const DUPLICATES = 0.3;
/** Up to this long before each delivery attempt: longer than a remediation takes here. */
const DELAY_MS = 3000;

interface AppLine {
  step?: string;
  result?: string;
  vmId?: string;
}

interface Delivery {
  headers: Record<string, string>;
  body: Buffer;
}

interface Proxy {
  url: string;
  deliveries: Delivery[];
  close(): Promise<void>;
}

/**
 * A pass-through in front of the host's webhook that keeps every notification it forwards,
 * so the test can deliver them all again later.
 */
async function recordingProxy(target: () => string): Promise<Proxy> {
  const deliveries: Delivery[] = [];
  const server = http.createServer((req, res) => {
    void readAll(req).then((body) => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers))
        if (typeof v === 'string' && (k.startsWith('aeg-') || k === 'content-type')) headers[k] = v;
      if (headers['aeg-event-type'] === 'Notification') deliveries.push({ headers, body });
      const forwarded =
        req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS'
          ? { method: req.method, headers }
          : { method: req.method ?? 'POST', headers, body };
      fetch(`${target()}${req.url ?? ''}`, forwarded)
        .then(async (r) => {
          const text = await r.text();
          res.writeHead(r.status, {
            'content-type': r.headers.get('content-type') ?? 'text/plain',
          });
          res.end(text);
        })
        .catch(() => {
          res.writeHead(502);
          res.end();
        });
    });
  });
  return { url: await listen(server), deliveries, close: () => closeServer(server) };
}

describe('reliability: Event Grid delivers at least once', () => {
  const figures = new PartFigures('3-eventgrid', 'Part 3: Event Grid duplicates and reordering');
  const appLines: AppLine[] = [];
  const local = useLocalTwin(
    { ACCELNET_MODE: 'enforce' },
    {
      log: (line) => {
        // The app's structured entries: their fields at the top level of the host's line.
        const parsed = JSON.parse(line) as AppLine & { component?: string };
        if (parsed.component !== 'app' || parsed.step === undefined) return;
        appLines.push(parsed);
      },
    },
  );
  let proxy: Proxy;
  let fleet: VmView[];
  let outcomes: VmOutcome[] = [];
  let stats: EventGridStats;
  let redelivered = 0;
  let startedBeforeRedelivery = 0;

  const eventLines = (result: string): AppLine[] =>
    appLines.filter((l) => l.step === 'event' && l.result === result);

  beforeAll(
    async () => {
      const em = local.em;
      proxy = await recordingProxy(() => local.twin.host.url);
      const webhook = eventWebhook(local.twin.functionKey);
      // The local subscription (VM writes only), with Event Grid's bad days turned up.
      await em.eventGrid.put('accelnet-local', {
        endpointUrl: `${proxy.url}${webhook}`,
        schema: 'EventGridSchema',
        includedEventTypes: ['Microsoft.Resources.ResourceWriteSuccess'],
        subjectBeginsWith: `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.Compute/virtualMachines/`,
        maxEventsPerBatch: 2,
        duplicateProbability: DUPLICATES,
        delayMs: DELAY_MS,
      });
      const ids = await seedGroup(em, RG, [{ name: 'vm', count: VMS }]);

      const outcomeOf = async (id: string): Promise<VmOutcome> => {
        const res = await vmRun(local.host, id);
        return res.view ?? { vmId: id, outcome: `HTTP ${res.status}` };
      };
      /** Waits until every VM's run has ended. */
      const settled = async (): Promise<void> => {
        const deadline = Date.now() + sized(300_000, 60_000);
        for (;;) {
          outcomes = await Promise.all(ids.map(outcomeOf));
          if (outcomes.every((o) => !['in-progress', 'HTTP 404'].includes(o.outcome))) return;
          if (Date.now() > deadline) return;
          await sleep(200);
        }
      };

      // Every copy delivered, then every run ended.
      await em.eventGrid.idle(sized(300_000, 60_000));
      await settled();
      stats = em.eventGrid.stats();
      startedBeforeRedelivery = eventLines('started').length;
      // Every delivery once more, late: as if each acknowledgement had been lost.
      for (const d of [...proxy.deliveries]) {
        const res = await fetch(`${local.twin.host.url}${webhook}`, {
          method: 'POST',
          headers: d.headers,
          body: d.body,
        });
        expect(res.status).toBe(202);
        redelivered += 1;
      }
      await settled();
      fleet = await vmsIn(em, RG);

      figures.set('VMs written in one burst', VMS);
      figures.set('VM write events', stats.delivered - stats.duplicated);
      figures.set('duplicate copies (p = 0.3)', stats.duplicated);
      figures.set('copies delivered out of order', stats.reordered);
      figures.set('deliveries made again after the runs ended', redelivered);
      figures.set('deliveries collapsed into a running run', eventLines('collapsed').length);
      figures.set('deliveries of an already-handled write', eventLines('already-handled').length);
      figures.set('runs started (before late redelivery)', startedBeforeRedelivery);
      figures.set('runs started (in all)', eventLines('started').length);
      figures.set('remediated', outcomes.filter((o) => o.outcome === 'remediated').length);
      figures.set(
        'deallocations',
        fleet.reduce((n, v) => n + v.deallocations, 0),
      );
    },
    sized(700_000, 150_000),
  );

  afterAll(async () => {
    figures.report();
    await proxy?.close();
  });

  test('when events come twice, late and out of order, then they did (the test is not vacuous)', () => {
    expect(stats.duplicated).toBeGreaterThan(0);
    expect(stats.reordered).toBeGreaterThan(0);
    expect(stats.delivered).toBe(VMS + stats.duplicated);
    expect(stats).toMatchObject({ dropped: 0, pending: 0 });
    expect(redelivered).toBeGreaterThan(0);
  });

  test('when a burst of VM writes is delivered at least once, then each VM is remediated by exactly one run', () => {
    expect(outcomes.map((o) => o.outcome)).toEqual(outcomes.map(() => 'remediated'));
    const runs = new Map<string, number>();
    for (const line of eventLines('started')) {
      const id = (line.vmId ?? '').toLowerCase();
      runs.set(id, (runs.get(id) ?? 0) + 1);
    }
    const notOnce = fleet
      .map((v) => [v.name, runs.get(v.id.toLowerCase()) ?? 0] as const)
      .filter(([, n]) => n !== 1);
    expect(notOnce).toEqual([]);
  });

  test('when a burst of VM writes is delivered at least once, then each VM is deallocated exactly once and ends running', () => {
    expect(fleet).toHaveLength(VMS);
    const wrong = fleet
      .filter((v) => v.deallocations !== 1 || v.powerState !== 'running')
      .map((v) => `${v.name}: ${v.deallocations} deallocations, ${v.powerState}`);
    expect(wrong).toEqual([]);
    expect(fleet.every((v) => v.nics.every((n) => n.acceleratedNetworkingEffective))).toBe(true);
  });
});
