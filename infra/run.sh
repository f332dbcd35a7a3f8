#!/usr/bin/env bash
# Runs a command on the project's Node 24 toolchain with dependencies installed.
# Every user-facing npm script goes through here, so `npm start` / `npm test` work on a
# fresh machine that only has the host's Node 20 + npm (see infra/toolchain/ensure-node.sh).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

node_bin="$(bash infra/toolchain/ensure-node.sh)"
export PATH="$node_bin:$PATH"
export npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false

# Install dependencies when package-lock.json changed since the last install. A lock keeps two
# concurrent runs (a test run and `npm start`, say) from installing over each other.
stamp="node_modules/.install-stamp"
want="$(node -v) $(sha256sum package-lock.json | cut -d' ' -f1)"
mkdir -p .local
exec 9>.local/install.lock
flock 9
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "[run] installing dependencies (npm ci)" >&2
  # Native addons (if any) must build against Node 24's headers, not a host nodedir.
  npm_config_nodedir="$(dirname "$node_bin")" npm ci --no-audit --no-fund --loglevel=error >&2
  echo "$want" > "$stamp"
fi
flock -u 9

# Compiled workspace packages are what scripts and services execute.
if [ "${SIG_SKIP_BUILD:-}" != "1" ]; then
  npx --no-install tsc -b >&2
  # The demo page's script is a browser bundle (esbuild), not a tsc output.
  node clients/demo/scripts/bundle.mjs >&2
fi

exec "$@"
