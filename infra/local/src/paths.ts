import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** Root of this package (works from both src/ under vitest and dist/ at run time). */
export const PACKAGE_ROOT = resolve(import.meta.dirname, '..');

/** Root of the repository checkout. */
export const REPO_ROOT = resolve(PACKAGE_ROOT, '../..');

/** Git-ignored state of this checkout: data, logs and pid files of local infrastructure. */
export const LOCAL_DIR = join(REPO_ROOT, '.local');

/** Download cache shared by every checkout on the machine (same rule as infra/toolchain/ensure-node.sh). */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  // `||`, not `??`: the shell rule `${VAR:-default}` treats an empty value as unset.
  return env.SIG_CACHE_DIR || join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'kafka-signaling');
}
