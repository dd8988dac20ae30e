/** Extracting a zip for tests: the system's `unzip` when there is one, else a reader here. */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { inflateRawSync } from 'node:zlib';

/** Extracts `zipFile` into `dir`; says which extractor did it. */
export function extractZip(zipFile: string, dir: string): 'unzip' | 'reader' {
  mkdirSync(dir, { recursive: true });
  const probe = spawnSync('unzip', ['-v'], { stdio: 'ignore' });
  if (probe.status === 0) {
    const run = spawnSync('unzip', ['-q', '-o', zipFile, '-d', dir], { encoding: 'utf8' });
    if (run.status !== 0) throw new Error(`unzip failed: ${run.stderr}`);
    return 'unzip';
  }
  for (const entry of readZip(zipFile)) {
    const target = path.join(dir, entry.name);
    if (!target.startsWith(path.resolve(dir) + path.sep))
      throw new Error(`bad entry ${entry.name}`);
    if (entry.name.endsWith('/')) {
      mkdirSync(target, { recursive: true });
      continue;
    }
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, entry.data());
  }
  return 'reader';
}

/** The entries of a zip (deflate or stored, ZIP64 end records understood). */
export function readZip(zipFile: string): { name: string; data: () => Buffer }[] {
  const zip = readFileSync(zipFile);
  const eocd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (eocd < 0) throw new Error('not a zip: no end of central directory');
  let count = zip.readUInt16LE(eocd + 10);
  let offset = zip.readUInt32LE(eocd + 16);
  const locator = eocd - 20;
  if (locator >= 0 && zip.readUInt32LE(locator) === 0x07064b50) {
    const record = Number(zip.readBigUInt64LE(locator + 8));
    count = Number(zip.readBigUInt64LE(record + 32));
    offset = Number(zip.readBigUInt64LE(record + 48));
  }
  const entries: { name: string; data: () => Buffer }[] = [];
  for (let i = 0; i < count; i++) {
    if (zip.readUInt32LE(offset) !== 0x02014b50) throw new Error('bad central directory');
    const method = zip.readUInt16LE(offset + 10);
    const compressed = zip.readUInt32LE(offset + 20);
    const nameLength = zip.readUInt16LE(offset + 28);
    const extraLength = zip.readUInt16LE(offset + 30);
    const commentLength = zip.readUInt16LE(offset + 32);
    const local = zip.readUInt32LE(offset + 42);
    const name = zip.toString('utf8', offset + 46, offset + 46 + nameLength);
    entries.push({
      name,
      data: () => {
        const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
        const body = zip.subarray(start, start + compressed);
        return method === 0 ? Buffer.from(body) : inflateRawSync(body);
      },
    });
    offset += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}
