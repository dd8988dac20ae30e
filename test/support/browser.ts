import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { type BrowserContext, chromium } from 'playwright-core';

/** Debian's Chromium, installed by .ci/install-chromium (Playwright never downloads browsers here). */
export const CHROMIUM = '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface HeadlessChromium {
  context: BrowserContext;
  close(): Promise<void>;
}

const INSTALL_SCRIPT = path.join(__dirname, '..', '..', '.ci', 'install-chromium');

/**
 * Headless Chromium with a fresh profile in a temp dir. Where Chromium is missing, the
 * project's own script installs Debian's package first (a minute or two); where that cannot
 * be done, it fails, never skips, saying what to do.
 */
export async function launchChromium(): Promise<HeadlessChromium> {
  if (!existsSync(CHROMIUM)) {
    const install = spawnSync('bash', [INSTALL_SCRIPT], { encoding: 'utf8', timeout: 600_000 });
    if (install.status !== 0 || !existsSync(CHROMIUM)) {
      throw new Error(
        `${CHROMIUM} is missing and .ci/install-chromium could not install it (${(install.stderr || install.error?.message || '').trim().split('\n').pop() ?? ''}): install Chromium so that ${CHROMIUM} exists, and try again.`,
      );
    }
  }
  const profile = mkdtempSync(path.join(tmpdir(), 'accelnet-chromium-'));
  try {
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1280, height: 900 },
    });
    return {
      context,
      close: async () => {
        await context.close();
        rmSync(profile, { recursive: true, force: true });
      },
    };
  } catch (error) {
    rmSync(profile, { recursive: true, force: true });
    throw error;
  }
}
