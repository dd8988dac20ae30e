/**
 * The ARM emulator in its own process (the `accelnet emulator` bin), as ARM does not share the
 * app's CPU: its URL, its CA (served at /_emulator/ca.pem) and an admin client.
 */
import path from 'node:path';

import { call } from '../support';
import { type Child, spawnNode } from './children';
import { EmulatorAdmin } from './emulator-admin';

const CLI_MAIN = path.join(__dirname, '../../cli/main.js');

export interface EmulatorProcessOptions {
  /** Real seconds per Azure second (0: operations complete at once). */
  timeScale: number;
  /** ARM's throttling (default on). */
  throttling?: boolean;
  /** Extra node flags for the child (e.g. --cpu-prof). */
  nodeArgs?: string[];
}

export interface EmulatorProcess {
  child: Child;
  url: string;
  caPem: string;
  admin: EmulatorAdmin;
  stop(): Promise<void>;
}

export async function startEmulatorProcess(
  options: EmulatorProcessOptions,
): Promise<EmulatorProcess> {
  const { child, line } = await spawnNode(
    [
      ...(options.nodeArgs ?? []),
      CLI_MAIN,
      'emulator',
      '--port',
      '0',
      '--time-scale',
      String(options.timeScale),
      ...(options.throttling === false ? ['--no-throttling'] : []),
    ],
    'the emulator',
  );
  try {
    const url = /^ARM emulator listening on (https:\/\/127\.0\.0\.1:\d+)$/.exec(line)?.[1];
    if (!url) throw new Error(`unexpected emulator output: ${line}`);
    const ca = await call(`${url}/_emulator/ca.pem`, { rejectUnauthorized: false, agent: false });
    if (ca.status !== 200) throw new Error(`GET /_emulator/ca.pem answered ${ca.status}`);
    const admin = new EmulatorAdmin(url, ca.body);
    return {
      child,
      url,
      caPem: ca.body,
      admin,
      stop: async () => {
        admin.close();
        await child.stop();
      },
    };
  } catch (error) {
    await child.stop();
    throw error;
  }
}
