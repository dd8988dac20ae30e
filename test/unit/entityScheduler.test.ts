import {
  type EntityInbound,
  hasInvalidKeyCharacter,
  parseSchedulerId,
  type RequestMessage,
  schedulerId,
} from '../../host/durable/entityMessages';
import {
  admit,
  grantLock,
  mayDequeue,
  type SchedulerState,
  takeBatch,
} from '../../host/durable/entityScheduler';

const op = (id: string, parent?: string): RequestMessage => ({
  op: 'add',
  id,
  ...(parent ? { parent, parentExecution: `${parent}-x` } : {}),
});
const lockRequest = (id: string, parent: string, keys: string[], pos = 0): RequestMessage => ({
  id,
  parent,
  parentExecution: `${parent}-x`,
  lockset: keys.map((key) => ({ name: 'slot', key })),
  ...(pos > 0 ? { pos } : {}),
});
const request = (message: RequestMessage): EntityInbound => ({ name: 'op', message });
const releaseBy = (parent: string, id: string): EntityInbound => ({
  name: 'release',
  message: { parent, id },
});
const fresh = (): SchedulerState => ({ exists: false, queue: [] });
const ids = (s: SchedulerState): string[] => s.queue.map((m) => m.id);

describe('entity scheduler', () => {
  test('when requests arrive at a free entity, then they queue in arrival order', () => {
    const s = fresh();
    admit(s, [request(op('a', 'o1')), request(op('b')), request(op('c', 'o2'))]);
    expect(ids(s)).toEqual(['a', 'b', 'c']);
  });

  test('when the entity is locked, then the holder’s requests go to the front and others wait behind', () => {
    const s: SchedulerState = { ...fresh(), lockedBy: 'holder', queue: [op('queued', 'other')] };
    admit(s, [request(op('client')), request(op('mine', 'holder')), request(op('theirs', 'o3'))]);
    expect(ids(s)).toEqual(['mine', 'queued', 'client', 'theirs']);
    expect(takeBatch(s, 10).operations.map((m) => m.id)).toEqual(['mine']);
    expect(mayDequeue(s)).toBe(false);
  });

  test('when a release comes from someone other than the holder, then the entity stays locked', () => {
    const s: SchedulerState = { ...fresh(), lockedBy: 'holder' };
    admit(s, [releaseBy('intruder', 'l1')]);
    expect(s.lockedBy).toBe('holder');
    admit(s, [releaseBy('holder', 'l1')]);
    expect(s.lockedBy).toBeUndefined();
  });

  test('when a batch is taken, then it holds operations up to the limit and stops at a lock request', () => {
    const s = fresh();
    admit(s, [
      request(op('1')),
      request(op('2')),
      request(lockRequest('L', 'o1', ['a'])),
      request(op('3')),
    ]);
    const batch = takeBatch(s, 10);
    expect(batch.operations.map((m) => m.id)).toEqual(['1', '2']);
    expect(batch.lockRequest?.id).toBe('L');
    expect(ids(s)).toEqual(['3']);

    const limited = fresh();
    admit(limited, [request(op('1')), request(op('2')), request(op('3'))]);
    expect(takeBatch(limited, 2).operations.map((m) => m.id)).toEqual(['1', '2']);
    expect(ids(limited)).toEqual(['3']);
  });

  test('when a lock is granted, then it goes on to the next entity of the set by position, and the last answers the orchestration under the request id', () => {
    const first = fresh();
    expect(grantLock(first, lockRequest('L', 'o1', ['a', 'b']))).toEqual({
      to: 'entity',
      target: '@slot@b',
      name: 'op',
      message: lockRequest('L', 'o1', ['a', 'b'], 1),
    });
    expect(first.lockedBy).toBe('o1');

    const last = fresh();
    expect(grantLock(last, lockRequest('L', 'o1', ['a', 'b'], 1))).toEqual({
      to: 'orchestration',
      instanceId: 'o1',
      executionId: 'o1-x',
      requestId: 'L',
      response: { result: 'Lock Acquisition Completed' },
    });
    expect(last.lockedBy).toBe('o1');
  });

  test.each([
    [{ name: 'VmLock', key: 'Web-1' }, '@vmlock@Web-1'],
    [{ name: 'counter', key: '' }, '@counter@'],
    [{ name: 'a', key: 'with@at' }, '@a@with@at'],
  ])(
    'when an entity id %j is written as a scheduler id, then it is %s and reads back',
    (id, text) => {
      expect(schedulerId(id)).toBe(text);
      expect(parseSchedulerId(text)).toEqual({ name: id.name.toLowerCase(), key: id.key });
    },
  );

  test.each([
    ['vm-1', false],
    ['a/b', true],
    ['a\\b', true],
    ['a#b', true],
    ['a?b', true],
    ['a\nb', true],
  ])('when a key is %j, then refusing it is %s', (key, refused) => {
    expect(hasInvalidKeyCharacter(key)).toBe(refused);
  });
});
