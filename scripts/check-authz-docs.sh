#!/usr/bin/env bash
# Checks the Istio/Envoy authorization examples offline (docs/examples/istio, described in docs/authorization.md):
# Istio CRD schemas (@kubernetes-models/istio), JSON Schemas for the Envoy configuration and meshConfig entries
# they carry (ajv), consistency with each other and with the sidecar's defaults, and a self-test that broken
# copies are rejected. Idempotent; run from anywhere:
#
#   bash scripts/check-authz-docs.sh
#
# Needs node >= 20 and npm (the npm registry is reachable). Leaves scripts/authz-docs-check/node_modules (git-ignored).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
NODE_PROJECT="$ROOT/scripts/authz-docs-check"

die() { printf '\ncheck-authz-docs: FAILED: %s\n' "$*" >&2; exit 1; }

command -v node >/dev/null || die "node is missing (apt-get install -y nodejs npm)"
command -v npm >/dev/null || die "npm is missing (apt-get install -y npm)"

# npm ci wipes node_modules; skip it while node_modules was installed from this very lockfile.
lock_stamp="$NODE_PROJECT/node_modules/.installed-from-lock.sha256"
lock_sum="$(sha256sum "$NODE_PROJECT/package-lock.json" | cut -d' ' -f1)"
if [ ! -f "$lock_stamp" ] || [ "$(cat "$lock_stamp")" != "$lock_sum" ]; then
  (cd "$NODE_PROJECT" && npm ci --no-audit --no-fund --loglevel=error >/dev/null) || die "npm ci in scripts/authz-docs-check"
  echo "$lock_sum" >"$lock_stamp"
fi

echo "==> Istio/Envoy authorization examples (docs/examples/istio)"
node "$NODE_PROJECT/check-istio-examples.mjs" "$ROOT" || die "see the problems above"
echo "check-authz-docs: all checks passed"
