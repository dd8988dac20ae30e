/** Instance state on disk: one JSON file per instance, replaced atomically (temp + rename). */
import fs from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';

/**
 * The writer thread: applies writes (temp + rename) and removals in the order they were
 * posted, then counts them done in the shared counter the owner waits on in flush().
 */
const WRITER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const fs = require('node:fs');
const done = new Int32Array(workerData.counter);
let n = 0;
parentPort.on('message', (op) => {
  try {
    if (op.text === undefined) {
      fs.rmSync(op.file, { force: true });
    } else {
      const tmp = op.file + '.' + process.pid + '.' + (n++) + '.tmp';
      fs.writeFileSync(tmp, op.text);
      fs.renameSync(tmp, op.file);
    }
  } catch (error) {
    parentPort.postMessage(String((error && error.message) || error));
  }
  Atomics.add(done, 0, 1);
  Atomics.notify(done, 0);
  parentPort.postMessage({ written: true });
});
`;

/** How long flush() waits for the writer before it gives up (ms). */
const FLUSH_TIMEOUT_MS = 10_000;

/**
 * Reads and writes JSON documents under a directory, or keeps nothing when it has none.
 *
 * Writes are made on a writer thread, in order: the file system's work (a temp file and a
 * rename per write, some hundreds of microseconds each on ext4) stays off the event loop
 * that runs the orchestrations. flush() (and close()) block until every write posted so far
 * is on disk, so a store reopened after close() reads exactly what was saved.
 */
export class InstanceStore<T> {
  readonly #dir: string | undefined;
  readonly #onError: (message: string) => void;
  #worker: Worker | undefined;
  #done: Int32Array | undefined;
  #posted = 0;
  #broken = false;
  #closed = false;
  /** Callers of written() waiting for the writes posted before they asked. */
  #waiters: { target: number; resolve: () => void }[] = [];

  constructor(dataDir: string | undefined, onError: (message: string) => void = () => {}) {
    this.#dir = dataDir ? path.join(dataDir, 'instances') : undefined;
    this.#onError = onError;
    if (this.#dir) fs.mkdirSync(this.#dir, { recursive: true });
  }

  #file(id: string): string {
    return path.join(this.#dir ?? '', `${encodeURIComponent(id)}.json`);
  }

  save(id: string, doc: T): void {
    if (!this.#dir) return;
    this.#post(this.#file(id), JSON.stringify(doc));
  }

  remove(id: string): void {
    if (!this.#dir) return;
    this.#post(this.#file(id), undefined);
  }

  /** Blocks until every write posted so far is on disk (or the writer is stuck). */
  flush(timeoutMs = FLUSH_TIMEOUT_MS): void {
    const done = this.#done;
    if (!done) return;
    const until = Date.now() + timeoutMs;
    for (;;) {
      const current = Atomics.load(done, 0);
      if (current >= this.#posted) return;
      const left = until - Date.now();
      if (left <= 0 || this.#broken) {
        this.#onError(`${this.#posted - current} instance writes still pending`);
        return;
      }
      Atomics.wait(done, 0, current, left);
    }
  }

  /**
   * Resolves once every write posted so far is on disk, without blocking the event loop: what
   * depends on a state being durable (work dispatched from it) waits for this.
   */
  written(): Promise<void> {
    const done = this.#done;
    const target = this.#posted;
    if (!done || this.#broken || Atomics.load(done, 0) >= target) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ target, resolve }));
  }

  #wake(all = false): void {
    const current = this.#done ? Atomics.load(this.#done, 0) : 0;
    const ready = this.#waiters.filter((w) => all || w.target <= current);
    this.#waiters = this.#waiters.filter((w) => !ready.includes(w));
    for (const w of ready) w.resolve();
  }

  /** Writes what is pending and stops the writer; later writes are made in place, synchronously. */
  close(): void {
    this.flush();
    this.#wake(true);
    this.#closed = true;
    const worker = this.#worker;
    this.#worker = undefined;
    this.#done = undefined;
    this.#posted = 0;
    if (worker) void worker.terminate();
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

  #post(file: string, text: string | undefined): void {
    const worker = this.#writer();
    if (!worker) {
      writeNow(file, text);
      return;
    }
    this.#posted += 1;
    worker.postMessage({ file, text });
  }

  #writer(): Worker | undefined {
    if (this.#broken || this.#closed) return undefined;
    if (this.#worker) return this.#worker;
    try {
      const counter = new SharedArrayBuffer(4);
      const worker = new Worker(WRITER_SOURCE, { eval: true, workerData: { counter } });
      worker.unref();
      worker.on('message', (message: unknown) => {
        if (typeof message === 'string') this.#onError(message);
        else this.#wake();
      });
      worker.on('error', (error) => {
        this.#broken = true;
        this.#onError(`instance writer failed: ${error.message}`);
        this.#wake(true);
      });
      worker.on('exit', () => {
        if (this.#worker === worker) this.#broken = true;
        this.#wake(true);
      });
      this.#worker = worker;
      this.#done = new Int32Array(counter);
      return worker;
    } catch (error) {
      this.#broken = true;
      this.#onError(`no instance writer thread: ${String(error)}`);
      return undefined;
    }
  }
}

function writeNow(file: string, text: string | undefined): void {
  if (text === undefined) {
    fs.rmSync(file, { force: true });
    return;
  }
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
}
