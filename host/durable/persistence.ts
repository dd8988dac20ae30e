/**
 * The task hub's records (orchestration instances and entities) and their files: every change
 * is marked, written after the turn, and what depends on a state being durable runs once it is
 * on disk (checkpoint, then dispatch).
 */
import type { HostLogger } from '../log';
import { Checkpoint } from './checkpoint';
import { type EntityRecord, isEntityRecord } from './entities';
import type { InstanceRecord } from './records';

/** What the hub writes: an orchestration instance or an entity. */
export type StoredRecord = InstanceRecord | EntityRecord;

export class HubRecords {
  /** Orchestration instances by id (entities live in their own map, Entities). */
  readonly instances = new Map<string, InstanceRecord>();
  readonly #checkpoint: Checkpoint<StoredRecord>;

  /** `entity` finds the hub's current record of an entity, to skip writes of replaced ones. */
  constructor(
    dataDir: string | undefined,
    log: HostLogger,
    entity: (id: string) => EntityRecord | undefined,
  ) {
    this.#checkpoint = new Checkpoint<StoredRecord>(dataDir, log, (id, doc) =>
      isEntityRecord(doc) ? entity(id) === doc : this.instances.get(id) === doc,
    );
  }

  /** Reads every record on disk: instances into the map, entities returned for their owner. */
  load(): EntityRecord[] {
    const entities: EntityRecord[] = [];
    for (const doc of this.#checkpoint.loadAll()) {
      if (isEntityRecord(doc)) entities.push(doc);
      else this.instances.set(doc.instanceId, doc);
    }
    return entities;
  }

  /** Marks a record for writing at the end of this turn. */
  persist(rec: StoredRecord): void {
    this.#checkpoint.mark(isEntityRecord(rec) ? rec.id : rec.instanceId, rec);
  }

  /** Runs `then` once the records changed so far are on disk. */
  afterCheckpoint(then: () => void): void {
    this.#checkpoint.after(then);
  }

  /** Forgets a record's file. */
  remove(id: string): void {
    this.#checkpoint.remove(id);
  }

  /** Writes what is pending, waits for it, and stops writing. */
  stop(): void {
    this.#checkpoint.stop();
  }
}
