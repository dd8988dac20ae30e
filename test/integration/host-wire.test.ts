/**
 * A contract test of the wire between the local host and durable-functions: the numbers of
 * history events and actions, checked against durable-functions' own (lib/src/history/
 * HistoryEventType.js, lib/src/actions/ActionType.js, the numbering of DTFx's EventType).
 */
import { createRequire } from 'node:module';

import { ActionType } from '../../host/durable/actions';
import { EventType } from '../../host/durable/history';

const nodeRequire = createRequire(__filename);
const lib = (module: string): Record<string, unknown> =>
  nodeRequire(`durable-functions/lib/src/${module}`) as Record<string, unknown>;
const HistoryEventType = lib('history/HistoryEventType').HistoryEventType as Record<
  string,
  number | string
>;
const DfActionType = lib('actions/ActionType').ActionType as Record<string, number | string>;

/** The numeric entries of a TypeScript enum compiled to JS. */
function numbers(e: Record<string, number | string>): Record<string, number> {
  return Object.fromEntries(
    Object.entries(e).filter((entry): entry is [string, number] => typeof entry[1] === 'number'),
  );
}

describe('the wire between the local host and durable-functions', () => {
  test('when history events and actions are numbered, then every number is durable-functions\u2019 own (history/HistoryEventType.js, actions/ActionType.js)', () => {
    const theirs = numbers(HistoryEventType);
    for (const [name, value] of Object.entries(EventType))
      expect([name, theirs[name]]).toEqual([name, value]);
    expect(EventType.ExecutionTerminated).toBe(3);
    const actions = numbers(DfActionType);
    for (const [name, value] of Object.entries(ActionType))
      expect([name, actions[name]]).toEqual([name, value]);
  });
});
