import { TableClient } from '@azure/data-tables';

import { type LocalStorage, startAzurite } from '../../host/storage';
import { TablePauseStore } from '../../shared/stores/pause';

/** The state of a pause: since when, by whom and (when one was given) why. */
const pausedState = (since: string, by: string, reason?: string) => ({
  paused: true,
  since,
  by,
  ...(reason !== undefined ? { reason } : {}),
});

describe('TablePauseStore on Azurite', () => {
  let storage: LocalStorage;
  beforeAll(async () => {
    storage = await startAzurite();
  }, 30_000);
  afterAll(() => storage.stop());

  const store = (table: string, clock?: () => Date): TablePauseStore =>
    clock
      ? new TablePauseStore(
          TableClient.fromConnectionString(storage.connectionString, table, {
            allowInsecureConnection: true,
          }),
          clock,
        )
      : TablePauseStore.fromConnectionString(storage.connectionString, table);

  test('when nothing was ever paused (not even the table exists), then the state is not paused', async () => {
    expect(await store('pauseTest0').get()).toEqual({ paused: false });
  });

  test('when paused, then every reader of the table sees it, with its reason, since and by; when resumed, then no one does', async () => {
    const at = new Date('2026-03-01T10:00:00.000Z');
    const writer = store('pauseTest1', () => at);
    const reader = store('pauseTest1');

    const paused = await writer.pause('storage maintenance', 'alice');

    const expected = pausedState('2026-03-01T10:00:00.000Z', 'alice', 'storage maintenance');
    expect(paused).toEqual(expected);
    expect(await reader.get()).toEqual(expected);
    expect(await writer.resume('bob')).toEqual({ paused: false });
    expect(await reader.get()).toEqual({ paused: false });
  });

  test('when paused twice, then the first since and by stay; a new reason replaces the old, and none keeps it', async () => {
    let now = new Date('2026-03-01T10:00:00.000Z');
    const pause = store('pauseTest2', () => now);
    await pause.pause(undefined, 'alice');
    now = new Date('2026-03-01T11:00:00.000Z');

    const again = await pause.pause('found the cause', 'bob');
    const thrice = await pause.pause(undefined, 'carol');

    const expected = pausedState('2026-03-01T10:00:00.000Z', 'alice', 'found the cause');
    expect(again).toEqual(expected);
    expect(thrice).toEqual(expected);
    expect(await pause.get()).toEqual(expected);
  });

  test('when resumed and paused again, then since is the new pause; resuming twice is no error', async () => {
    let now = new Date('2026-03-01T10:00:00.000Z');
    const pause = store('pauseTest3', () => now);
    await pause.pause('first', 'alice');
    await pause.resume('alice');
    await pause.resume('alice');
    now = new Date('2026-03-02T10:00:00.000Z');

    expect(await pause.pause(undefined, 'bob')).toEqual(
      pausedState('2026-03-02T10:00:00.000Z', 'bob'),
    );
  });

  test('when eight operators pause at once, each through its own client, then all get the same since and by, and that is what is stored', async () => {
    const stores = Array.from({ length: 8 }, (_, n) =>
      store('pauseTest4', () => new Date(Date.UTC(2026, 2, 1, 10, 0, n))),
    );

    const results = await Promise.all(stores.map((s, n) => s.pause(undefined, `op-${n}`)));

    const stored = await store('pauseTest4').get();
    expect(stored.paused).toBe(true);
    for (const result of results) expect(result).toEqual(stored);
  });

  test.each([
    ['an empty reason', '', 'alice', /reason: must not be empty/],
    ['a reason over 500 characters', 'x'.repeat(501), 'alice', /reason: must be at most 500/],
    ['a reason of two lines', 'one\ntwo', 'alice', /reason: must be one line/],
    ['a terminal escape in by', 'ok', 'eve\u001b[2J', /by: must be one line/],
  ])(
    'when pausing with %s, then it is refused naming the field and nothing is stored',
    async (_, reason, by, message) => {
      const pause = store('pauseTest5');
      await expect(pause.pause(reason, by)).rejects.toMatchObject({
        code: 'InvalidRequest',
        message: expect.stringMatching(message) as unknown,
      });
      expect(await pause.get()).toEqual({ paused: false });
    },
  );

  test('when the row was edited by hand into something else, then reading it fails rather than answering "not paused"', async () => {
    const table = TableClient.fromConnectionString(storage.connectionString, 'pauseTest6', {
      allowInsecureConnection: true,
    });
    await table.createTable();
    await table.upsertEntity({ partitionKey: 'control', rowKey: 'pause', paused: 'yes' });

    await expect(store('pauseTest6').get()).rejects.toMatchObject({ code: 'PauseStateInvalid' });
  });
});
