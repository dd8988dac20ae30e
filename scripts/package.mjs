#!/usr/bin/env node
/**
 * npm run package: compiles the app and writes the zip that
 * `az functionapp deployment source config-zip --src out/accelnet.zip` deploys:
 *
 *   host.json
 *   package.json      main -> dist/functions/index.js; dependencies only, no scripts
 *   dist/**           the app compiled afresh from the sources (tsconfig.build.json, no
 *                     benchmarks, no source maps), not a copy of the work tree's dist/
 *   node_modules/**   the function app's production dependencies only: the root package's
 *                     (npm ci --omit=dev --workspaces=false), not those of the workspaces
 *                     cli/, emulator/ and host/ (the CLI and the local twin), without type
 *                     declarations, source maps, docs and .bin links
 *
 * The package is complete: Azure runs no build on it. Plain Node, no dependencies: the zip
 * is written here (deflate, ZIP64 when it has more than 65,535 entries) with fixed
 * timestamps, so the same inputs give the same bytes.
 *
 * Options: --output FILE (default out/accelnet.zip); the package is staged beside it in
 * <name>-package/. --durable-backend AzureStorage|DurableTaskScheduler (default AzureStorage):
 * the backend the template's durableBackend parameter deployed. AzureStorage ships host.json as
 * it is; DurableTaskScheduler ships it with the storage provider and extension bundle of
 * infra/host.durable-task-scheduler.json, since the backend is chosen in host.json itself.
 */
import { spawnSync } from 'node:child_process';
import {
  closeSync,
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { crc32, deflateRawSync } from 'node:zlib';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The durable backends infra/azuredeploy.json offers (its durableBackend parameter). */
export const DURABLE_BACKENDS = ['AzureStorage', 'DurableTaskScheduler'];

/**
 * The text of host.json for a durable backend: the project's own for Azure Storage, byte for
 * byte; for the Durable Task Scheduler, with infra/host.durable-task-scheduler.json's storage
 * provider and extension bundle in place of its own.
 */
export function hostJsonFor(backend) {
  const text = readFileSync(path.join(root, 'host.json'), 'utf8');
  if (backend === 'AzureStorage') return text;
  if (backend !== 'DurableTaskScheduler') throw new Error(`unknown durable backend ${backend}`);
  const host = JSON.parse(text);
  const scheduler = JSON.parse(
    readFileSync(path.join(root, 'infra', 'host.durable-task-scheduler.json'), 'utf8'),
  );
  host.extensionBundle = scheduler.extensionBundle;
  host.extensions.durableTask.storageProvider = scheduler.extensions.durableTask.storageProvider;
  return `${JSON.stringify(host, null, 2)}\n`;
}

function parseArgs(argv) {
  const options = {
    output: path.join(root, 'out', 'accelnet.zip'),
    durableBackend: 'AzureStorage',
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--output' && argv[i + 1]) options.output = path.resolve(argv[++i]);
    else if (arg === '--durable-backend') {
      const backend = argv[++i] ?? '';
      if (!DURABLE_BACKENDS.includes(backend)) {
        process.stderr.write(
          `package: --durable-backend must be ${DURABLE_BACKENDS.join(' or ')}\n`,
        );
        process.exit(2);
      }
      options.durableBackend = backend;
    } else {
      process.stderr.write(`package: unknown argument ${arg}\n`);
      process.exit(2);
    }
  }
  return options;
}

/** Runs npm (the one running this script when there is one) and fails loudly. */
function npm(args, cwd) {
  const cli = process.env.npm_execpath;
  const [command, prefix] =
    cli && /\.[cm]?js$/.test(cli)
      ? [process.execPath, [cli]]
      : [process.platform === 'win32' ? 'npm.cmd' : 'npm', []];
  const result = spawnSync(command, [...prefix, ...args], {
    cwd,
    stdio: ['ignore', 'inherit', 'inherit'],
    shell: process.platform === 'win32' && prefix.length === 0,
  });
  if (result.status !== 0) {
    throw new Error(`npm ${args.join(' ')} failed (exit ${result.status ?? result.signal})`);
  }
}

/**
 * The npm workspaces of the repository: the CLI and the local twin. Neither their code nor
 * their dependencies run in Azure, so neither is in the function app's package.
 */
export const WORKSPACES = ['cli', 'emulator', 'host'];

/** Files a running app never reads. */

const PRUNE = [
  /\.map$/,
  /\.d\.[cm]?ts$/,
  /\.tsbuildinfo$/,
  /^(README|CHANGELOG|HISTORY)(\.(md|markdown|txt))?$/i,
  /\.(md|markdown)$/i,
];

function prune(dir) {
  let removed = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name === '.bin') {
        rmSync(full, { recursive: true, force: true });
        continue;
      }
      removed += prune(full);
    } else if (PRUNE.some((re) => re.test(entry.name))) {
      rmSync(full, { force: true });
      removed++;
    }
  }
  return removed;
}

/** Every regular file under dir, relative with forward slashes, sorted; symlinks are skipped. */
export function listFiles(dir, base = dir, out = []) {
  const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
  );
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) listFiles(full, base, out);
    else if (entry.isFile()) out.push(path.relative(base, full).split(path.sep).join('/'));
  }
  return out;
}

// 2020-01-01 00:00 in MS-DOS form: fixed, so the zip depends on its contents only.
const DOS_DATE = ((2020 - 1980) << 9) | (1 << 5) | 1;
const DOS_TIME = 0;

/** Writes a zip of `files` (relative to `dir`) to `target`. */
export function writeZip(dir, files, target) {
  const fd = openSync(target, 'w');
  let offset = 0;
  const write = (buffer) => {
    writeSync(fd, buffer);
    offset += buffer.length;
  };
  const central = [];
  try {
    for (const name of files) {
      const full = path.join(dir, name);
      const data = readFileSync(full);
      const mode = lstatSync(full).mode & 0o777;
      const deflated = deflateRawSync(data, { level: 9 });
      const stored = deflated.length >= data.length;
      const body = stored ? data : deflated;
      const crc = crc32(data);
      const nameBytes = Buffer.from(name, 'utf8');
      if (offset > 0xfffffffe || data.length > 0xfffffffe) {
        throw new Error('the package is larger than 4 GB');
      }
      const local = Buffer.alloc(30);
      local.writeUInt32LE(0x04034b50, 0);
      local.writeUInt16LE(20, 4); // version needed
      local.writeUInt16LE(0x0800, 6); // UTF-8 names
      local.writeUInt16LE(stored ? 0 : 8, 8);
      local.writeUInt16LE(DOS_TIME, 10);
      local.writeUInt16LE(DOS_DATE, 12);
      local.writeUInt32LE(crc, 14);
      local.writeUInt32LE(body.length, 18);
      local.writeUInt32LE(data.length, 22);
      local.writeUInt16LE(nameBytes.length, 26);
      local.writeUInt16LE(0, 28);
      const headerOffset = offset;
      write(local);
      write(nameBytes);
      write(body);

      const entry = Buffer.alloc(46);
      entry.writeUInt32LE(0x02014b50, 0);
      entry.writeUInt16LE((3 << 8) | 45, 4); // made by: Unix, spec 4.5
      entry.writeUInt16LE(20, 6);
      entry.writeUInt16LE(0x0800, 8);
      entry.writeUInt16LE(stored ? 0 : 8, 10);
      entry.writeUInt16LE(DOS_TIME, 12);
      entry.writeUInt16LE(DOS_DATE, 14);
      entry.writeUInt32LE(crc, 16);
      entry.writeUInt32LE(body.length, 20);
      entry.writeUInt32LE(data.length, 24);
      entry.writeUInt16LE(nameBytes.length, 28);
      entry.writeUInt32LE((((mode & 0o111 ? 0o755 : 0o644) | 0o100000) << 16) >>> 0, 38);
      entry.writeUInt32LE(headerOffset, 42);
      central.push(entry, nameBytes);
    }
    const centralOffset = offset;
    for (const part of central) write(part);
    const centralSize = offset - centralOffset;
    const count = files.length;
    if (count > 0xfffe || centralOffset > 0xfffffffe) {
      // ZIP64 end of central directory record and its locator.
      const zip64Offset = offset;
      const record = Buffer.alloc(56);
      record.writeUInt32LE(0x06064b50, 0);
      record.writeBigUInt64LE(44n, 4);
      record.writeUInt16LE((3 << 8) | 45, 12);
      record.writeUInt16LE(45, 14);
      record.writeBigUInt64LE(BigInt(count), 24);
      record.writeBigUInt64LE(BigInt(count), 32);
      record.writeBigUInt64LE(BigInt(centralSize), 40);
      record.writeBigUInt64LE(BigInt(centralOffset), 48);
      write(record);
      const locator = Buffer.alloc(20);
      locator.writeUInt32LE(0x07064b50, 0);
      locator.writeBigUInt64LE(BigInt(zip64Offset), 8);
      locator.writeUInt32LE(1, 16);
      write(locator);
    }
    const end = Buffer.alloc(22);
    end.writeUInt32LE(0x06054b50, 0);
    end.writeUInt16LE(Math.min(count, 0xffff), 8);
    end.writeUInt16LE(Math.min(count, 0xffff), 10);
    end.writeUInt32LE(centralSize, 12);
    end.writeUInt32LE(Math.min(centralOffset, 0xffffffff), 16);
    write(end);
  } finally {
    closeSync(fd);
  }
  return offset;
}

function main() {
  const options = parseArgs(process.argv.slice(2));
  const started = Date.now();
  const stage = `${options.output.replace(/\.zip$/i, '')}-package`;
  rmSync(stage, { recursive: true, force: true });
  mkdirSync(stage, { recursive: true });
  writeFileSync(path.join(stage, 'host.json'), hostJsonFor(options.durableBackend));

  // Compiled straight into the package: the work tree's dist/ (which tests and a running
  // host may be reading) is left alone, and the package never holds stale output.
  const dist = path.join(stage, 'dist');
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const build = spawnSync(
    process.execPath,
    [tsc, '-p', 'tsconfig.build.json', '--outDir', dist, '--sourceMap', 'false'],
    { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] },
  );
  if (build.status !== 0) throw new Error(`tsc failed (exit ${build.status ?? build.signal})`);
  for (const local of ['bench', 'test', ...WORKSPACES])
    rmSync(path.join(dist, local), { recursive: true, force: true });

  // The root package's production dependencies at the locked versions, and none of the
  // workspaces': npm ci wants package.json, the lock and the workspaces' manifests in step, so it
  // installs from the project's own; the shipped package.json is written after.
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
  copyFileSync(path.join(root, 'package.json'), path.join(stage, 'package.json'));
  copyFileSync(path.join(root, 'package-lock.json'), path.join(stage, 'package-lock.json'));
  for (const workspace of WORKSPACES) {
    mkdirSync(path.join(stage, workspace), { recursive: true });
    copyFileSync(
      path.join(root, workspace, 'package.json'),
      path.join(stage, workspace, 'package.json'),
    );
  }
  npm(
    [
      'ci',
      '--omit=dev',
      '--workspaces=false',
      '--include-workspace-root',
      '--ignore-scripts',
      '--no-audit',
      '--no-fund',
      '--prefer-offline',
    ],
    stage,
  );
  for (const workspace of WORKSPACES)
    rmSync(path.join(stage, workspace), { recursive: true, force: true });
  const pruned = prune(path.join(stage, 'node_modules'));
  rmSync(path.join(stage, 'package-lock.json'), { force: true });
  const shipped = {
    name: pkg.name,
    version: pkg.version,
    description: pkg.description,
    license: pkg.license,
    private: true,
    main: pkg.main,
    engines: pkg.engines,
    dependencies: pkg.dependencies,
  };
  writeFileSync(path.join(stage, 'package.json'), `${JSON.stringify(shipped, null, 2)}\n`);
  if (!existsSync(path.join(stage, pkg.main))) throw new Error(`${pkg.main} is not in the package`);

  const files = listFiles(stage);
  mkdirSync(path.dirname(options.output), { recursive: true });
  const bytes = writeZip(stage, files, options.output);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  process.stdout.write(
    `${path.relative(process.cwd(), options.output) || options.output}: ${files.length} files, ` +
      `${(bytes / 1024 / 1024).toFixed(1)} MB (${pruned} declaration, map and doc files left out) in ${seconds} s\n` +
      `durable backend: ${options.durableBackend} (deploy the template with durableBackend=${options.durableBackend})\n` +
      `deploy: az functionapp deployment source config-zip -g <resource group> -n <app> --src ${path.relative(root, options.output)}\n`,
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  try {
    main();
  } catch (error) {
    process.stderr.write(`package: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
}
