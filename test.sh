#!/usr/bin/env bash
# Runs every test of the solution on a fresh machine: installs and starts what the tests need
# (a real redis-server on 127.0.0.1), then `dotnet test`. Usage: ./test.sh [extra dotnet test args]
set -euo pipefail
cd "$(dirname "$0")"

# --- what the tests need --------------------------------------------------------------------
if ! command -v redis-server >/dev/null 2>&1; then
  echo "test.sh: installing redis-server"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq redis-server redis-tools >/dev/null
fi

# promtool checks and unit-tests the chart's alert rules (scripts/check-deploy.sh); only the tool is
# used, no Prometheus server is started.
if ! command -v promtool >/dev/null 2>&1; then
  echo "test.sh: installing promtool (Debian's prometheus package)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends prometheus >/dev/null
fi

REDIS_PORT="${QUOTA_TEST_REDIS_PORT:-6391}"
RUN_DIR="$(pwd)/artifacts/redis"
mkdir -p "$RUN_DIR"
if ! redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null 2>&1; then
  echo "test.sh: starting redis-server on 127.0.0.1:$REDIS_PORT"
  redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --daemonize yes --save '' --appendonly no \
    --dir "$RUN_DIR" --pidfile "$RUN_DIR/redis-$REDIS_PORT.pid" --logfile "$RUN_DIR/redis-$REDIS_PORT.log"
  for _ in $(seq 1 50); do redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
fi
export QUOTA_TEST_REDIS="127.0.0.1:$REDIS_PORT"

# A real 3-master Redis Cluster (127.0.0.1:7101-7103) for the cluster contract tests.
bash scripts/redis-cluster.sh start
export QUOTA_TEST_REDIS_CLUSTER="127.0.0.1:7101,127.0.0.1:7102,127.0.0.1:7103"

# --- deployment checks: chart, manifests, Dockerfile; installs the helm the Deploy tests run --
bash scripts/check-deploy.sh

# --- authorization docs: Istio/Envoy examples against CRD schemas and the sidecar's defaults ---
bash scripts/check-authz-docs.sh

# --- the tests ------------------------------------------------------------------------------
dotnet build QuotaSidecar.sln -c Release -warnaserror -nologo -v minimal
# detailed: passing tests' output too (the randomized test's seed and operation count, the figures tests print)
mkdir -p artifacts
set +e
# Everything but the slow fault scenarios (scripts/fault-suite.sh runs those too).
# A test that hangs fails after 10 minutes of silence, named, instead of holding CI until its limit.
# Two runs: the fault scenarios last and alone. They time real processes against budgets (the slowest answer
# <= MaxWait + 50 ms on the sidecars' own histogram); beside the other test projects on two vCPUs, CPU starvation
# alone could push an answer past that.
dotnet test QuotaSidecar.sln -c Release --no-build -nologo --logger "console;verbosity=detailed" \
  --filter "Category!=Slow&FullyQualifiedName!~QuotaSidecar.FaultTests" \
  --blame-hang-timeout 10m --blame-hang-dump-type none "$@" 2>&1 | tee artifacts/test.log
status=${PIPESTATUS[0]}
dotnet test tests/QuotaSidecar.FaultTests -c Release --no-build -nologo --logger "console;verbosity=detailed" --filter "Category!=Slow" \
  --blame-hang-timeout 10m --blame-hang-dump-type none "$@" 2>&1 | tee -a artifacts/test.log
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1
set -e
# awk alone (no grep in a pipeline): with pipefail, a grep that finds no 'Failed:' line would end the script.
passed=$(awk '/^[[:space:]]+Passed: [0-9]+/ {s+=$2} END {print s+0}' artifacts/test.log)
failed=$(awk '/^[[:space:]]+Failed: [0-9]+/ {s+=$2} END {print s+0}' artifacts/test.log)

# --- benchmark smoke: every micro-benchmark once (dry) and every end-to-end path once; no thresholds ---------
if [ "$status" -eq 0 ]; then
  bash bench/smoke.sh || status=$?
fi

# CI shows only the tail of this output: name the failing tests (and the first lines of why) last.
if [ "$failed" -gt 0 ]; then
  echo "--- failing tests (full output in artifacts/test.log) ---"
  awk '/^[[:space:]]+Failed [A-Za-z_.]+/ {n=12} n>0 {print; n--}' artifacts/test.log | cut -c1-300
fi
echo "tests: ${passed} passed, ${failed} failed"
exit "$status"
