/** Instance state on disk: one JSON file per instance, replaced atomically (temp + rename). */
import fs from 'node:fs';
import path from 'node:path';

/** Reads and writes JSON documents under a directory, or keeps nothing when it has none. */
export class InstanceStore<T> {
  readonly #dir: string | undefined;

  constructor(dataDir: string | undefined) {
    this.#dir = dataDir ? path.join(dataDir, 'instances') : undefined;
    if (this.#dir) fs.mkdirSync(this.#dir, { recursive: true });
  }

  #file(id: string): string {
    return path.join(this.#dir ?? '', `${encodeURIComponent(id)}.json`);
  }

  save(id: string, doc: T): void {
    if (!this.#dir) return;
    const file = this.#file(id);
    const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(doc));
    fs.renameSync(tmp, file);
  }

  remove(id: string): void {
    if (!this.#dir) return;
    fs.rmSync(this.#file(id), { force: true });
  }

  loadAll(): T[] {
    if (!this.#dir) return [];
    const docs: T[] = [];
    for (const name of fs.readdirSync(this.#dir)) {
      if (!name.endsWith('.json')) continue;
      docs.push(JSON.parse(fs.readFileSync(path.join(this.#dir, name), 'utf8')) as T);
    }
    return docs;
  }
}
