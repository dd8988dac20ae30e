/**
 * Writing the task hub's records (instances and entities) and running what depends on them once
 * they are on disk: checkpoint, then dispatch.
 */
import { errorMessage, type HostLogger } from '../log';
import { InstanceStore } from './store';

/**
 * A record changes several times in one turn of the event loop (a completion delivered, then
 * the episode it starts); each change used to rewrite its whole file (write + rename,
 * synchronously), which at fleet scale was the host's largest single cost. Records are now
 * written once, after the turn, with their latest state, by the store's writer thread, in the
 * order they first changed in that turn; stop() writes what is pending and waits for it, so a
 * restarted hub reads the same state as before.
 */
export class Checkpoint<T> {
  readonly #store: InstanceStore<T>;
  readonly #log: HostLogger;
  /** Whether a record is still the one the hub holds under its id (not purged or replaced). */
  readonly #isCurrent: (id: string, doc: T) => boolean;
  readonly #dirty = new Map<string, T>();
  /** Work to run once the next flush of dirty records is on disk. */
  #waiting: (() => void)[] = [];
  #flush: NodeJS.Immediate | undefined;
  #stopped = false;

  constructor(
    dataDir: string | undefined,
    log: HostLogger,
    isCurrent: (id: string, doc: T) => boolean,
  ) {
    this.#log = log;
    this.#isCurrent = isCurrent;
    this.#store = new InstanceStore<T>(dataDir, (message) =>
      log.error('persisting instances failed', { error: message }),
    );
  }

  loadAll(): T[] {
    return this.#store.loadAll();
  }

  /** Marks a record for writing at the end of this turn. */
  mark(id: string, doc: T): void {
    if (this.#stopped) return;
    this.#dirty.set(id, doc);
    this.#flush ??= setImmediate(() => this.flush());
  }

  /** Runs `then` once the records changed so far are on disk. */
  after(then: () => void): void {
    if (this.#stopped) return;
    this.#waiting.push(then);
    this.#flush ??= setImmediate(() => this.flush());
  }

  /** Forgets a record and removes its file. */
  remove(id: string): void {
    this.#dirty.delete(id);
    if (!this.#stopped) this.#store.remove(id);
  }

  /** Posts the pending writes; what waits for them runs once they are on disk. */
  flush(): void {
    if (this.#flush) clearImmediate(this.#flush);
    this.#flush = undefined;
    if (this.#stopped) return;
    const dirty = [...this.#dirty.entries()];
    this.#dirty.clear();
    const waiting = this.#waiting;
    this.#waiting = [];
    for (const [id, doc] of dirty) {
      if (!this.#isCurrent(id, doc)) continue;
      try {
        this.#store.save(id, doc);
      } catch (err) {
        this.#log.error('persisting an instance failed', {
          instanceId: id,
          error: errorMessage(err),
        });
      }
    }
    if (waiting.length === 0) return;
    void this.#store.written().then(() => {
      if (this.#stopped) return;
      for (const then of waiting) then();
    });
  }

  /** Writes what is pending, waits for it, and stops writing. */
  stop(): void {
    this.flush();
    this.#store.close();
    this.#stopped = true;
  }

  get stopped(): boolean {
    return this.#stopped;
  }
}
