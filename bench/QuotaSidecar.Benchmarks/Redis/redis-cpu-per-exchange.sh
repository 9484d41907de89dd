#!/usr/bin/env bash
# Redis CPU per exchange: the ledger's exchange as EVALSHA of the scripts before the function library (lib.lua +
# exchange.lua, read from git) against FCALL of Scripts/ledger.lua, same workload, same redis-server, same run.
# Each path gets an account with GRANTS grants; INSTANCES instances take turns reporting 100 used and asking for 100
# more (a settle), N calls piped with redis-cli --pipe so the client costs nothing to the figure. The figure is the
# redis-server main thread's CPU time (INFO cpu, user + sys) per call, which a busy machine inflates less than the
# wall time INFO commandstats reports (shown too).
#
#   bench/QuotaSidecar.Benchmarks/Redis/redis-cpu-per-exchange.sh HOST:PORT [N=10000] [GRANTS=1] [INSTANCES=1] [ROUNDS=3]
#
# Writes keys under bench-cpu-* and loads a library named quota_ledger_bench: use a scratch redis-server (it runs
# CONFIG RESETSTAT), e.g. redis-server --port 6501 --save '' --appendonly no.
set -euo pipefail
endpoint=${1:?host:port of a scratch redis-server}
n=${2:-10000}
grants=${3:-1}
instances=${4:-1}
rounds=${5:-3}
host=${endpoint%:*}
port=${endpoint##*:}
root=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
scripts=src/QuotaSidecar.Redis/Scripts
cli() { redis-cli -h "$host" -p "$port" "$@"; }

# The last commit that still had the per-call scripts.
old=$(git -C "$root" rev-list -1 HEAD -- "$scripts/lib.lua")^
old_script() { git -C "$root" show "$old:$scripts/lib.lua"; echo; git -C "$root" show "$old:$scripts/$1.lua"; }
exchange_sha=$(cli SCRIPT LOAD "$(old_script exchange)")
upsert_sha=$(cli SCRIPT LOAD "$(old_script upsert_account)")
grant_sha=$(cli SCRIPT LOAD "$(old_script grant)")
cli FUNCTION LOAD REPLACE "$(sed 's/{version}/bench/g' "$root/$scripts/ledger.lua")" >/dev/null

# Settings every call starts with: now, lease TTL, max share, reclaim window, max entries, grace, max total; the
# library adds the instance record horizon.
common() { echo "$1 30000 0.1 2000 10000 5000 4611686018427387904"; }
keys() { for k in account grants leases exchanges ledger drained_grants; do printf '%s ' "$1:{acct}:$k"; done; }

# RESP for redis-cli --pipe (arguments may be empty strings).
resp() { awk 'BEGIN { RS = "\n" } { n = split($0, a, "\t"); printf "*%d\r\n", n; for (i = 1; i <= n; i++) printf "$%d\r\n%s\r\n", length(a[i]), a[i] }'; }

cpu() { cli INFO cpu | tr -d '\r' | awk -F: '/^used_cpu_(user|sys)_main_thread:/ { s += $2 } END { printf "%.6f", s }'; }

run() { # label, commandstats name, generator
  cli CONFIG RESETSTAT >/dev/null
  local before; before=$(cpu)
  "$3" | resp | cli --pipe >/dev/null
  local after; after=$(cpu)
  local wall; wall=$(cli INFO commandstats | tr -d '\r' | awk -F'usec_per_call=' "/^cmdstat_$2:/ { split(\$2, a, \",\"); print a[1] }")
  awk -v a="$after" -v b="$before" -v n="$n" -v l="$1" -v w="$wall" 'BEGIN { printf "  %-8s cpu %6.1f us/call   (commandstats usec_per_call %s)\n", l, (a - b) * 1e6 / n, w }'
}

start=1767225600000 # 2026-01-01T00:00:00Z
for round in $(seq 1 "$rounds"); do
  old_prefix="bench-cpu-old-$round-$$"
  new_prefix="bench-cpu-new-$round-$$"
  # shellcheck disable=SC2046
  cli EVALSHA "$upsert_sha" 6 $(keys "$old_prefix") $(common $start) 1 1 0 0 "" >/dev/null
  # shellcheck disable=SC2046
  cli FCALL quota_upsert_account_bench 6 $(keys "$new_prefix") $(common $start) 86400000 1 1 0 0 "" >/dev/null
  for g in $(seq 1 "$grants"); do
    # shellcheck disable=SC2046
    cli EVALSHA "$grant_sha" 6 $(keys "$old_prefix") $(common $start) "g$g" 1000000000000 $((50 + g)) 1 "" "" 0 0 "" >/dev/null
    # shellcheck disable=SC2046
    cli FCALL quota_grant_bench 6 $(keys "$new_prefix") $(common $start) 86400000 "g$g" 1000000000000 $((50 + g)) 1 "" "" 0 0 "" >/dev/null
  done
  gen() { # prefix, command head, extra trailing args
    awk -v n="$n" -v inst="$instances" -v start="$start" -v head="$2" -v tail="$3" -v keys="$(keys "$1")" 'BEGIN {
      gsub(/ /, "\t", keys); gsub(/ /, "\t", head)
      for (i = 0; i < n; i++) {
        k = i % inst; seq[k]++
        now = start + 5 * i
        printf "%s\t6\t%s%d\t30000\t0.1\t2000\t10000\t5000\t4611686018427387904%s\ti%d\t%d\t%d\t0\t0\t100\t1\t0\t0%s\n", head, keys, now, (tail == "" ? "" : "\t86400000"), k, seq[k], (seq[k] > 1 ? 100 : 0), tail
      }
    }'
  }
  gen_old() { gen "$old_prefix" "EVALSHA $exchange_sha" ""; }
  gen_new() { gen "$new_prefix" "FCALL quota_exchange_bench" "	"; }
  echo "round $round: $n exchanges, $grants grant(s), $instances instance(s)"
  run "EVALSHA" evalsha gen_old
  run "FCALL" fcall gen_new
done
cli FUNCTION DELETE quota_ledger_bench >/dev/null
