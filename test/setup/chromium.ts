/**
 * e2e global setup: the browser tests need Debian's chromium. Installing it here (once per run,
 * outside any hook timeout) rather than in a test's beforeAll keeps a first run on a fresh machine
 * from timing out.
 */
import { ensureChromium } from '../e2e/browser/support/chromium.js';

export default function setup(): void {
  ensureChromium();
}
