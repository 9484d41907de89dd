#!/usr/bin/env bash
# CI smoke run of bench/: every engine micro-benchmark once (BenchmarkDotNet's Dry job) and every end-to-end path
# once for a few seconds (the load tool's --smoke mode). No thresholds: it fails only when something crashed or a
# run errored (a benchmark that did not run, a server that did not start, a request that failed).
# Usage: bench/smoke.sh            (from anywhere; needs the .NET SDK; uses redis-server when on PATH)
set -euo pipefail
cd "$(dirname "$0")/.."

out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

echo "bench/smoke.sh: building the benchmark projects (Release)"
dotnet build bench/QuotaSidecar.Benchmarks/QuotaSidecar.Benchmarks.csproj -c Release -nologo -v minimal
dotnet build bench/QuotaSidecar.LoadTest/QuotaSidecar.LoadTest.csproj -c Release -nologo -v minimal

echo "bench/smoke.sh: micro-benchmarks, dry run"
dotnet run -c Release --no-build --project bench/QuotaSidecar.Benchmarks -- --dry \
  --artifacts "$out/bdn" --exporters json

echo "bench/smoke.sh: end-to-end load tool, smoke mode"
# Bounded by the tool itself (a few seconds of load, a 3-minute deadline); timeout is a second fence.
timeout 300 dotnet run -c Release --no-build --project bench/QuotaSidecar.LoadTest -- --smoke --out "$out/load"

echo "bench/smoke.sh: OK"
