/**
 * Real headless Chromium for the browser tests: Debian's `chromium`, installed with apt-get when
 * missing (the test machines run as root), driven by playwright-core (no bundled browser download).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

/** Installs Debian's chromium when it is missing; fails with what to do when that is impossible. */
export function ensureChromium(): void {
  if (existsSync(CHROMIUM)) return;
  if (process.getuid?.() !== 0)
    throw new Error(`${CHROMIUM} is missing and this is not root: run "sudo apt-get install -y chromium"`);
  const aptGet = (...args: string[]): void => {
    execFileSync('apt-get', args, {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      timeout: 900_000,
    });
  };
  console.info('[browser tests] installing chromium with apt-get (first run only)');
  try {
    aptGet('install', '-y', '--no-install-recommends', 'chromium');
  } catch {
    // A fresh machine may have no package lists yet.
    aptGet('update');
    aptGet('install', '-y', '--no-install-recommends', 'chromium');
  }
  if (!existsSync(CHROMIUM)) throw new Error(`apt-get install chromium did not provide ${CHROMIUM}`);
}

/** Launches headless Chromium with fake camera/microphone and no permission prompts. */
export async function launchChromium(): Promise<Browser> {
  ensureChromium();
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--use-fake-device-for-media-stream',
      '--use-fake-ui-for-media-stream',
      // Background pages must keep decoding video and running timers at full rate.
      '--disable-background-timer-throttling',
      '--disable-renderer-backgrounding',
      '--disable-backgrounding-occluded-windows',
    ],
  });
}
