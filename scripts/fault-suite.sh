#!/usr/bin/env bash
# Fault-injection suite (tests/QuotaSidecar.FaultTests): builds Release, runs every scenario including the Slow ones
# against real sidecar executables and redis-server child processes, and prints each scenario's figures.
# Usage: scripts/fault-suite.sh [extra dotnet test args, e.g. --filter FullyQualifiedName~Crash]
# Needs redis-server and redis-cli on PATH (./test.sh installs them). Takes about 5-8 minutes on 2 vCPUs.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v redis-server >/dev/null && command -v redis-cli >/dev/null || {
  echo "fault-suite.sh: redis-server and redis-cli are needed (apt-get install redis-server redis-tools)" >&2
  exit 2
}

dotnet build tests/QuotaSidecar.FaultTests -c Release -warnaserror -nologo -v minimal
mkdir -p artifacts
set +e
dotnet test tests/QuotaSidecar.FaultTests -c Release --no-build -nologo \
  --logger "console;verbosity=detailed" "$@" 2>&1 | tee artifacts/fault-suite.log
status=${PIPESTATUS[0]}
set -e

echo
echo "=== fault suite figures ($(nproc) vCPUs, $(date -u +%Y-%m-%dT%H:%MZ)) ==="
# Each passed or failed test's name followed by its standard output (the figures).
awk '/^ *(Passed|Failed) QuotaSidecar\.FaultTests\./ {print; show=1; next}
     /^Test Run|^Total tests|^\[xUnit/ {show=0}
     show && /Standard Output Messages:/ {next}
     show && NF {print}' artifacts/fault-suite.log
exit "$status"
