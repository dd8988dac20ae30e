/**
 * The Azurite a host starts dies with it: a host SIGKILLed (as the crash tests and operators'
 * `kill -9` do) cannot stop its children, so Azurite watches its parent itself.
 */
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import path from 'node:path';

import { ensureBuilt } from '../support/hostProcess';

const STORAGE = path.join(__dirname, '../../dist/host/storage.js');

/** Whether something accepts connections on the port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

beforeAll(() => ensureBuilt());

test('when the process that started Azurite is SIGKILLed, then its Azurite stops serving within seconds', async () => {
  const script = `require(${JSON.stringify(STORAGE)}).startAzurite().then((s) => console.log('port', s.port));`;
  const parent = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    parent.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      const found = /port (\d+)/.exec(out);
      if (found) resolve(Number(found[1]));
    });
    parent.once('exit', (code) => reject(new Error(`exited (${String(code)}): ${out}`)));
  });
  expect(await listening(port)).toBe(true);

  parent.kill('SIGKILL');
  const deadline = Date.now() + 10_000;
  while ((await listening(port)) && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 100));

  expect(await listening(port)).toBe(false);
}, 40_000);
