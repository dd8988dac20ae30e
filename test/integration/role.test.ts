/**
 * The custom role in infra/azuredeploy.json is least privilege and complete: its actions are
 * exactly the ARM operations the service itself makes during an end-to-end run through the
 * local host (a bulk remediation with an availability set, an event-triggered remediation in
 * enforce mode, the compliance report), plus the linked-access checks Azure makes on a NIC
 * write that the emulator does not log.
 */
import { DEMO_FLEET } from '../../emulator/demo-fleet';
import { SUB } from '../support/arm';
import { api } from '../support/http';
import { roleActions } from '../support/infra';
import { pollFor } from '../support/poll';
import { bulkRun, outcomeFinal, raiseDecision, runEnded, vmRun } from '../support/runs';
import { createVm, JAMMY, seedFleet } from '../support/seed';
import { useLocalTwin } from '../support/twin';
import { opsSince } from '../support/views';

/** The principal the service runs as in this test (its bearer token against the emulator). */
const SELF = 'accelnet-role-test';

/**
 * Azure checks `join` on the subnet, public IP and network security group a NIC references
 * when the NIC is written (linked access), even when they are unchanged. The emulator does
 * not model linked access, so these are allowed on top of what it logs.
 */
const LINKED_ACCESS = [
  'Microsoft.Network/virtualNetworks/subnets/join/action',
  'Microsoft.Network/publicIPAddresses/join/action',
  'Microsoft.Network/networkSecurityGroups/join/action',
];

/**
 * The RBAC action an ARM request needs: the resource type path after the last `providers`
 * segment (types only, names dropped), then `read` (GET), `write` (PUT, PATCH), `delete`, or
 * `<name>/action` (POST).
 */
function actionOf(method: string, requestPath: string): string {
  const segments = requestPath.split('?')[0]!.split('/').filter(Boolean);
  const at = segments.map((s) => s.toLowerCase()).lastIndexOf('providers');
  let types: string[];
  let rest: string[];
  if (at < 0) {
    // /subscriptions/{id}/resourcegroups[/{name}]
    types = ['Microsoft.Resources', 'subscriptions'];
    rest = segments.slice(2);
  } else {
    types = [segments[at + 1] ?? ''];
    rest = segments.slice(at + 2);
  }
  const post = method.toUpperCase() === 'POST';
  const actionName = post && rest.length % 2 === 1 ? rest.pop() : undefined;
  for (let i = 0; i < rest.length; i += 2) types.push(rest[i] ?? '');
  const verb: Record<string, string> = {
    GET: 'read',
    PUT: 'write',
    PATCH: 'write',
    DELETE: 'delete',
  };
  const suffix = actionName !== undefined ? `${actionName}/action` : verb[method.toUpperCase()];
  if (suffix === undefined) throw new Error(`no action for ${method} ${requestPath}`);
  return `${types.join('/')}/${suffix}`;
}

const lower = (names: Iterable<string>): string[] =>
  [...new Set([...names].map((n) => n.toLowerCase()))].sort();

describe('the custom role of the deployment', () => {
  const local = useLocalTwin({ ACCELNET_MODE: 'enforce', ACCELNET_SELF_PRINCIPAL_ID: SELF });

  const call = async (method: string, route: string, body?: unknown): Promise<unknown> => {
    const res = await api(local.host, method, route, { body });
    if (res.status >= 400) throw new Error(`${method} ${route}: ${res.status} ${res.body}`);
    return res.json;
  };
  const until = <T>(what: string, get: () => Promise<T | undefined>): Promise<T> =>
    pollFor(what, get, { timeoutMs: 60_000 });

  test('when the service runs a bulk remediation, an event-triggered remediation and the compliance report, then the operations it makes are exactly the role actions, plus the documented linked-access joins', async () => {
    // A fleet with every kind of VM, and a VM with a static public IP that is remediated through
    // the deallocate cycle (Dsv3; a Dsv5 VM would be fixed in place).
    await seedFleet(
      local.em,
      {
        ...DEMO_FLEET,
        subscriptionId: SUB,
        resourceGroups: [
          ...DEMO_FLEET.resourceGroups,
          {
            name: 'rg-gateway',
            vms: [
              {
                name: 'gw',
                size: 'Standard_D4s_v3',
                image: { ...JAMMY, version: 'latest' },
                publicIp: 'static',
              },
            ],
          },
        ],
      },
      { events: false },
    );

    // A bulk run over the subscription, availability sets included (so it waits for approval).
    const { id } = (await call('POST', '/api/remediations', {
      subscriptionId: SUB,
      maxParallel: 4,
      includeAvailabilitySets: true,
    })) as { id: string };
    // The run is readable once its planning is recorded (404 until then).
    const runView = async () => {
      const res = await bulkRun(local.host, id);
      if (res.status !== 200 && res.status !== 404)
        throw new Error(`GET run: ${res.status} ${res.body}`);
      return res.view;
    };
    await until('the plan to wait for approval', async () => {
      const run = await runView();
      return run?.status === 'pending-approval' ? run : undefined;
    });
    expect(await raiseDecision(local.host, id, { approved: true })).toBeLessThan(400);
    const bulk = await until('the bulk run to end', async () => {
      const run = await runView();
      return run && runEnded(run) ? run : undefined;
    });
    expect(bulk.status).toBe('completed');
    expect(bulk.summary).toMatchObject({ failed: 0 });
    expect(bulk.summary.remediated).toBeGreaterThanOrEqual(6);

    // An event-triggered run in enforce mode.
    const created = await createVm(local.em, 'rg-events', 'fresh', {
      addressPrefix: '10.2.0.0/16',
    });
    const event = await until('the event-triggered run to end', async () => {
      const { view } = await vmRun(local.host, created);
      return view && outcomeFinal(view) ? view : undefined;
    });
    expect(event.outcome).toBe('remediated');

    // The compliance report.
    const rows = (await call('GET', `/api/compliance?subscriptionId=${SUB}`)) as unknown[];
    expect(rows.length).toBeGreaterThan(0);

    const ops = await opsSince(local.em);
    const own = ops.filter((o) => o.principal === SELF);
    expect(own.length).toBeGreaterThan(0);
    // The mapping from request to action agrees with the emulator's own name for it.
    for (const op of own) {
      expect(`${op.method} ${op.path} ${actionOf(op.method, op.path).toLowerCase()}`).toBe(
        `${op.method} ${op.path} ${op.operation.toLowerCase()}`,
      );
    }
    const used = lower(own.map((o) => actionOf(o.method, o.path)));
    const role = roleActions();
    expect(lower(role)).toEqual(lower([...used, ...LINKED_ACCESS]));
    // No wildcards and no duplicates in the role.
    expect(role.filter((a) => a.includes('*'))).toEqual([]);
    expect(new Set(role.map((a) => a.toLowerCase())).size).toBe(role.length);
  }, 180_000);
});
