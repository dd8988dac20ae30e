import { readFileSync } from 'node:fs';
import path from 'node:path';

import { classifyEvent, parseVmId, vmInstanceId } from '../../shared/domain/events';

const REF = path.join(__dirname, '../fixtures/eventgrid');
const load = (file: string): Record<string, unknown> =>
  JSON.parse(readFileSync(path.join(REF, file), 'utf8')) as Record<string, unknown>;

const SUB = '00000000-0000-0000-0000-000000000001';
const VM = `/subscriptions/${SUB}/resourceGroups/rg-app/providers/Microsoft.Compute/virtualMachines/web-1`;

/** A reference event re-pointed at a VM write by `principal`. */
function vmEvent(
  file: string,
  overrides: { operationName?: string; resourceUri?: string; principal?: string } = {},
): Record<string, unknown> {
  const event = load(file);
  const data = event.data as Record<string, unknown>;
  const resourceUri = overrides.resourceUri ?? VM;
  data.operationName = overrides.operationName ?? 'Microsoft.Compute/virtualMachines/write';
  data.resourceUri = resourceUri;
  data.subscriptionId = SUB;
  (data.authorization as { evidence: Record<string, unknown> }).evidence.principalId =
    overrides.principal ?? 'someone';
  event.subject = resourceUri;
  return event;
}

describe('classifyEvent', () => {
  test.each([
    ['event-grid-schema/resource_write_success.json'],
    ['cloud-events-schema/resource_write_success.json'],
  ])('when a VM write arrives in %s, then it is a vm-write for that VM', (file) => {
    const verdict = classifyEvent(vmEvent(file), 'accelnet-principal');
    expect(verdict).toMatchObject({
      kind: 'vm-write',
      vm: { name: 'web-1', resourceGroup: 'rg-app', subscriptionId: SUB },
      principalId: 'someone',
    });
  });

  test.each([
    [
      'an action event',
      'event-grid-schema/resource_action_success.json',
      {},
      'not Microsoft.Resources.ResourceWriteSuccess',
    ],
    [
      'a delete event',
      'event-grid-schema/resource_delete_success.json',
      {},
      'not Microsoft.Resources.ResourceWriteSuccess',
    ],
    [
      'a CloudEvents delete',
      'cloud-events-schema/resource_delete_success.json',
      {},
      'not Microsoft.Resources.ResourceWriteSuccess',
    ],
    [
      'a NIC write',
      'event-grid-schema/resource_write_success.json',
      { operationName: 'Microsoft.Network/networkInterfaces/write' },
      'is not Microsoft.Compute/virtualMachines/write',
    ],
    [
      'our own write',
      'event-grid-schema/resource_write_success.json',
      { principal: 'ACCELNET-PRINCIPAL' },
      "accelnet's own identity",
    ],
  ])('when %s arrives, then it is ignored with the reason', (_what, file, overrides, reason) => {
    const verdict = classifyEvent(vmEvent(file, overrides), 'accelnet-principal');
    expect(verdict.kind).toBe('ignored');
    expect(verdict.kind !== 'vm-write' && verdict.reason).toContain(reason);
  });

  test.each([
    [
      'a path traversal',
      `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/../../x`,
    ],
    ['a child resource', `${VM}/extensions/ext1`],
    [
      'another resource type',
      `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/sa`,
    ],
    [
      'a non-GUID subscription',
      '/subscriptions/abc/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm',
    ],
  ])('when the resource id is %s, then the event is invalid', (_what, resourceUri) => {
    expect(
      classifyEvent(vmEvent('event-grid-schema/resource_write_success.json', { resourceUri }), '')
        .kind,
    ).toBe('invalid');
  });

  test.each([
    ['null', null],
    ['a string', 'hello'],
    ['an object without a type', { id: '1', data: {} }],
    [
      'a write without data',
      {
        id: '1',
        eventType: 'Microsoft.Resources.ResourceWriteSuccess',
        subject: VM,
        eventTime: 't',
        data: null,
      },
    ],
  ])('when the payload is %s, then it is invalid', (_what, payload) => {
    expect(classifyEvent(payload, '').kind).toBe('invalid');
  });

  test('when subject and resourceUri disagree, then the event is invalid', () => {
    const event = vmEvent('event-grid-schema/resource_write_success.json');
    event.subject = VM.replace('web-1', 'web-2');
    expect(classifyEvent(event, '')).toMatchObject({
      kind: 'invalid',
      reason: expect.stringContaining('different resources') as unknown,
    });
  });
});

describe('vmInstanceId', () => {
  test('when the same VM is named with different casing, then the instance id is the same', () => {
    const a = parseVmId(VM);
    const b = parseVmId(VM.toUpperCase().replace('/SUBSCRIPTIONS/', '/subscriptions/'));
    expect(a && b && vmInstanceId(a)).toBe(b && vmInstanceId(b));
    expect(vmInstanceId({ id: VM })).toMatch(/^accelnet-vm-[0-9a-f]{32}$/);
  });

  test('when two VMs differ, then their instance ids differ', () => {
    expect(vmInstanceId({ id: VM })).not.toBe(vmInstanceId({ id: VM.replace('web-1', 'web-2') }));
  });
});
