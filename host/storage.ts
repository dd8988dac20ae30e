import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';

/** Azurite's well-known development account (public, documented). */
const DEV_ACCOUNT = 'devstoreaccount1';
const DEV_KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface LocalStorage {
  /** Connection string for the Table endpoint. */
  connectionString: string;
  port: number;
  stop(): Promise<void>;
}

/** Finds a free port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Loaded into Azurite before its own code: it exits once its parent is gone. A host that is
 * SIGKILLed (or crashes) cannot stop its children, and an Azurite it leaves would serve on for
 * ever; its parent id changes (to its reaper's) when the parent dies.
 */
const EXIT_WITH_PARENT = `data:text/javascript,${encodeURIComponent(
  'const parent = process.ppid; setInterval(() => { if (process.ppid !== parent) process.exit(0); }, 500).unref();',
)}`;

/**
 * Starts Azurite's Table service as a child process (in memory, telemetry off) and resolves
 * once it listens; it exits with this process, however this one ends. Used by `accelnet start`
 * and the tests when no storage is configured.
 */
export async function startAzurite(
  options: { log?: (line: string) => void } = {},
): Promise<LocalStorage> {
  // Azurite is the host workspace's dependency: npm may install it in host/node_modules,
  // which the compiled dist/host/ does not see by itself.
  const azurite = require.resolve('azurite/package.json', {
    paths: [__dirname, path.join(__dirname, '../../host')],
  });
  const main = path.join(path.dirname(azurite), 'dist/src/table/main.js');
  for (let attempt = 0; ; attempt += 1) {
    const port = await freePort();
    const child = spawn(
      process.execPath,
      [
        `--import=${EXIT_WITH_PARENT}`,
        main,
        '--tableHost',
        '127.0.0.1',
        '--tablePort',
        String(port),
        '--inMemoryPersistence',
        '--disableTelemetry',
        '--silent',
        '--skipApiVersionCheck',
        '--loose',
      ],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const started = await waitForStart(child);
    if (started === true) {
      options.log?.(`Azurite Table storage on http://127.0.0.1:${port}`);
      return {
        port,
        connectionString: `DefaultEndpointsProtocol=http;AccountName=${DEV_ACCOUNT};AccountKey=${DEV_KEY};TableEndpoint=http://127.0.0.1:${port}/${DEV_ACCOUNT};`,
        stop: () => stopChild(child),
      };
    }
    await stopChild(child);
    if (attempt >= 3) throw new Error(`Azurite did not start: ${started}`);
  }
}

function waitForStart(child: ChildProcess): Promise<true | string> {
  return new Promise((resolve) => {
    let output = '';
    const timer = setTimeout(() => resolve(`no start within 20 s: ${output.slice(-500)}`), 20_000);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString('utf8');
      if (/successfully (started|listening)/i.test(output)) {
        clearTimeout(timer);
        resolve(true);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(`exited with code ${String(code)}: ${output.slice(-500)}`);
    });
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
