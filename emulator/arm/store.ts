/**
 * The state store: every emulated resource, in memory, one collection per kind of record,
 * indexed by resource id without regard to case (as Azure treats ids). Collections keep
 * insertion order, which is the order lists answer in.
 */
import type { JsonObject } from './json';

export interface Stored {
  readonly id: string;
}

/** What every stored resource of a resource group has. */
export interface ResourceRecord extends Stored {
  id: string;
  subscriptionId: string;
  resourceGroup: string;
  name: string;
  location: string;
  tags: JsonObject | undefined;
}

/** Names a collection and, through its type parameter, the shape of its records. */
export interface RecordKind<T extends Stored> {
  readonly name: string;
  /** Never set: carries T. */
  readonly shape?: T;
}

export function recordKind<T extends Stored>(name: string): RecordKind<T> {
  return { name };
}

export class Collection<T extends Stored> {
  private readonly byId = new Map<string, T>();

  /** The record with this id, in any case. */
  get(id: string): T | undefined {
    return this.byId.get(id.toLowerCase());
  }

  /** Adds or replaces the record with this id (a replaced record keeps its place). */
  set(record: T): T {
    this.byId.set(record.id.toLowerCase(), record);
    return record;
  }

  delete(id: string): boolean {
    return this.byId.delete(id.toLowerCase());
  }

  values(): IterableIterator<T> {
    return this.byId.values();
  }

  clear(): void {
    this.byId.clear();
  }
}

export class StateStore {
  private readonly collections = new Map<string, Collection<Stored>>();
  private readonly counters = new Map<string, number>();

  /** The collection of a kind of record (created on first use). */
  of<T extends Stored>(kind: RecordKind<T>): Collection<T> {
    let collection = this.collections.get(kind.name);
    if (!collection) {
      collection = new Collection<Stored>();
      this.collections.set(kind.name, collection);
    }
    return collection as Collection<T>;
  }

  /** The next value of a named counter: 1, 2, 3, ... until reset. */
  next(counter: string): number {
    const value = (this.counters.get(counter) ?? 0) + 1;
    this.counters.set(counter, value);
    return value;
  }

  reset(): void {
    for (const collection of this.collections.values()) collection.clear();
    this.counters.clear();
  }
}
