/**
 * The emulator's resource-type plumbing without HTTP: the router, the state store, and a
 * resource type written the way providers/index.ts asks (one module, one registration).
 */
import { ActivityFeed, type ArmActivity } from '../../emulator/arm/activity';
import { ArmError } from '../../emulator/arm/errors';
import type { JsonObject } from '../../emulator/arm/json';
import { Draws } from '../../emulator/arm/random';
import type { RequestInfo } from '../../emulator/arm/request';
import type { ArmServices } from '../../emulator/arm/services';
import { recordKind, StateStore } from '../../emulator/arm/store';
import { defaultConfig } from '../../emulator/config';
import { Router } from '../../emulator/http/router';
import { LongRunningOperations } from '../../emulator/lro/operations';
import {
  type ItemCall,
  obj,
  putTracked,
  readRoutes,
  type ResourceType,
  route,
  typePaths,
} from '../../emulator/providers/kit';
import { resourceGroups } from '../../emulator/providers/resources/resource-groups';

const SUB = '00000000-0000-0000-0000-000000000001';
const BASE = 'https://127.0.0.1:1';

function services(activities: ArmActivity[] = []): ArmServices {
  const config = defaultConfig();
  return {
    store: new StateStore(),
    operations: new LongRunningOperations(() => config),
    activity: new ActivityFeed('tenant', (a) => activities.push(a)),
    hardwareDraws: new Draws(1),
    config: () => config,
  };
}

function request(method: string, path: string): RequestInfo {
  return {
    principal: 'unit',
    method,
    url: `${BASE}${path}?api-version=2024-07-01`,
    baseUrl: BASE,
    apiVersion: '2024-07-01',
    clientRequestId: 'c',
    correlationId: 'k',
    clientIp: '127.0.0.1',
    ifMatch: undefined,
    ifNoneMatch: undefined,
    lroFailure: undefined,
  };
}

/** Runs one request through the routes, as World.request does. */
function call(router: Router, method: string, path: string, body: JsonObject = {}): unknown {
  const match = router.match(method, path);
  if (!match) throw new Error(`no route for ${method} ${path}`);
  return match.route.handle({
    params: match.params,
    req: request(method, path),
    body,
    query: new URLSearchParams(),
  });
}

describe('the router', () => {
  const router = new Router([
    route(
      'GET',
      '/subscriptions/{sub}/providers/Microsoft.Compute/skus',
      'Microsoft.Compute/skus/read',
      ({ params }) => ({
        status: 200,
        body: params,
      }),
    ),
    route(
      'GET',
      '/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Network/virtualNetworks/{name}',
      'Microsoft.Network/virtualNetworks/read',
      ({ params }) => ({ status: 200, body: params }),
    ),
  ]);

  it('when a path matches a template in another case and with a trailing slash, then its params are decoded', () => {
    const match = router.match(
      'GET',
      `/SUBSCRIPTIONS/${SUB}/resourcegroups/rg%201/providers/microsoft.network/VIRTUALNETWORKS/v.1/`,
    );
    expect(match?.route.operation).toBe('Microsoft.Network/virtualNetworks/read');
    expect(match?.params).toEqual({ sub: SUB, rg: 'rg 1', name: 'v.1' });
  });

  it('when the method or a literal segment differs, then nothing matches', () => {
    expect(
      router.match('PUT', `/subscriptions/${SUB}/providers/Microsoft.Compute/skus`),
    ).toBeUndefined();
    expect(
      router.match('GET', `/subscriptions/${SUB}/providers/MicrosoftXCompute/skus`),
    ).toBeUndefined();
  });

  it('when routes are registered, then their namespaces are known in lower case', () => {
    expect([...router.namespaces].sort()).toEqual(['microsoft.compute', 'microsoft.network']);
  });
});

describe('the state store', () => {
  const THINGS = recordKind<{ id: string; n: number }>('things');

  it('when a record is stored, then any spelling of its id finds it, and a reset forgets it', () => {
    const store = new StateStore();
    store.of(THINGS).set({ id: '/A/b', n: 1 });
    expect(store.of(THINGS).get('/a/B')?.n).toBe(1);
    expect(store.next('ip')).toBe(1);
    expect(store.next('ip')).toBe(2);
    store.reset();
    expect(store.of(THINGS).get('/a/b')).toBeUndefined();
    expect(store.next('ip')).toBe(1);
  });
});

describe('a resource type added as providers/index.ts says', () => {
  // What a new module would hold: its routes, its validation and its rules.
  const TYPE = 'Microsoft.Network/networkSecurityGroups';
  const paths = typePaths(TYPE);
  const networkSecurityGroups: ResourceType = {
    type: TYPE,
    routes: (arm) => [
      route('PUT', paths.item, `${TYPE}/write`, (c: ItemCall) => {
        const { resource, existing } = putTracked(arm, c, TYPE, 'network', () => ({
          securityRules: obj(c.body.properties).securityRules ?? [],
          provisioningState: 'Succeeded',
        }));
        arm.activity.emit(c.req, 'Write', `${TYPE}/write`, resource);
        return { status: existing ? 200 : 201, body: { id: resource.id } };
      }),
      ...readRoutes(arm, TYPE),
    ],
  };

  it('when it is registered beside resource groups, then it is created, read, listed and raises its event', () => {
    const activities: ArmActivity[] = [];
    const arm = services(activities);
    const router = new Router(
      [resourceGroups, networkSecurityGroups].flatMap((t) => t.routes(arm)),
    );
    const rg = `/subscriptions/${SUB}/resourceGroups/rg-new`;
    const nsg = `${rg}/providers/${TYPE}/nsg-1`;

    call(router, 'PUT', rg, { location: 'westus2' });
    expect(call(router, 'PUT', nsg, { location: 'West US 2' })).toMatchObject({ status: 201 });
    expect(call(router, 'GET', nsg)).toMatchObject({
      status: 200,
      body: { name: 'nsg-1', type: TYPE, location: 'westus2', properties: { securityRules: [] } },
    });
    expect(call(router, 'GET', `${rg}/providers/${TYPE}`)).toMatchObject({
      body: { value: [{ name: 'nsg-1' }] },
    });
    expect(activities.map((a) => a.operationName)).toEqual([
      'Microsoft.Resources/subscriptions/resourceGroups/write',
      `${TYPE}/write`,
    ]);
  });

  it('when its group does not exist, then ARM answers 404 ResourceGroupNotFound', () => {
    const arm = services();
    const router = new Router(networkSecurityGroups.routes(arm));
    let error: unknown;
    try {
      call(router, 'GET', `/subscriptions/${SUB}/resourceGroups/nope/providers/${TYPE}/x`);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ArmError);
    expect(error).toMatchObject({ status: 404, code: 'ResourceGroupNotFound' });
  });
});
