/** durable-functions' own modules (lib/src, not in its public types) that tests hold code to. */
import { createRequire } from 'node:module';

import type { EventType } from '../../host/durable/history';

const nodeRequire = createRequire(__filename);

/** A module of durable-functions' lib/src, e.g. `history/HistoryEventType`. */
export const durableLib = <T>(module: string): T =>
  nodeRequire(`durable-functions/lib/src/${module}`) as T;

/** durable-functions' own numbering of history events (history/HistoryEventType.js). */
export const HistoryEventType = durableLib<{
  HistoryEventType: Record<keyof typeof EventType, number>;
}>('history/HistoryEventType').HistoryEventType;
