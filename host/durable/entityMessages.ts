/**
 * Entity ids and the messages the Durable extension exchanges with entities, in its JSON form
 * (EntityScheduler/EntityId.cs, RequestMessage.cs, ReleaseMessage.cs, ResponseMessage.cs,
 * EntityMessageEventNames.cs).
 */
import { isRecord } from '../rpc';

/** An entity's name and key (`{name, key}` on the wire; the name lower-cased). */
export interface EntityIdWire {
  name: string;
  key: string;
}

/** An operation (a call or a signal) or a lock request sent to an entity. */
export interface RequestMessage {
  /** The operation name (none for a lock request). */
  op?: string;
  /** A signal expects no response. */
  signal?: boolean;
  /** The operation's input, as JSON text. */
  input?: string;
  /** Unique per request; a response comes back as an event with this name. */
  id: string;
  /** The sending orchestration (or entity); absent when a client signals. */
  parent?: string;
  parentExecution?: string;
  /** The whole lock set of a lock request, sorted. */
  lockset?: EntityIdWire[];
  /** Which entity of the lock set this request is for. */
  pos?: number;
}

/** Frees an entity locked by `parent`. */
export interface ReleaseMessage {
  parent: string;
  /** The lock request that took the lock. */
  id: string;
}

/** The answer to a call or to a whole lock request. */
export interface ResponseMessage {
  result: string | null;
  exceptionType?: string;
}

/** Event names of messages to an entity. */
export const OPERATION_EVENT = 'op';
export const RELEASE_EVENT = 'release';

/** A message delivered to an entity, waiting to be read by its scheduler. */
export type EntityInbound =
  | { name: typeof OPERATION_EVENT; message: RequestMessage }
  | { name: typeof RELEASE_EVENT; message: ReleaseMessage };

/** A message on its way: to an entity, or an entity's response to an orchestration. */
export type Outgoing =
  | ({ to: 'entity'; target: string } & EntityInbound)
  | {
      to: 'orchestration';
      instanceId: string;
      executionId?: string;
      requestId: string;
      response: ResponseMessage;
    };

/** A message to an entity as its receiver keeps it, without the addressing. */
export function inboundOf(m: EntityInbound): EntityInbound {
  return m.name === 'op'
    ? { name: m.name, message: m.message }
    : { name: m.name, message: m.message };
}

/** The text of a lock response (ignored by the receiver; shown in history). */
export const LOCK_GRANTED = 'Lock Acquisition Completed';

/** The scheduler id of an entity: `@name@key`, the name lower-cased (names are case-insensitive). */
export function schedulerId(entity: EntityIdWire): string {
  return `@${entity.name.toLowerCase()}@${entity.key}`;
}

/** The entity a scheduler id names, or undefined when it is not an entity's. */
export function parseSchedulerId(id: string): EntityIdWire | undefined {
  if (!id.startsWith('@')) return undefined;
  const at = id.indexOf('@', 1);
  if (at < 1) return undefined;
  return { name: id.slice(1, at), key: id.slice(at + 1) };
}

/** Entity (and instance) ids are the only ids that start with `@`. */
export function isEntityInstance(id: string): boolean {
  return id.startsWith('@');
}

/** Whether a key has a character the extension refuses (`/ \ # ?` or a control character). */
export function hasInvalidKeyCharacter(key: string): boolean {
  // eslint-disable-next-line no-control-regex
  return /[/\\#?\u0000-\u001f\u007f-\u009f]/.test(key);
}

/** Identifies a message to one entity, so a redelivered copy is recognised and dropped. */
export function deliveryKey(inbound: EntityInbound): string {
  return `${inbound.name}:${inbound.message.id}`;
}

/** An entity id read from JSON (a lock set member or a signal's target). */
export function entityIdFrom(value: unknown): EntityIdWire | undefined {
  if (!isRecord(value) || typeof value.name !== 'string' || typeof value.key !== 'string')
    return undefined;
  return { name: value.name.toLowerCase(), key: value.key };
}
