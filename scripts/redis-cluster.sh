#!/usr/bin/env bash
# A real 3-master Redis Cluster on 127.0.0.1:7101-7103 for the cluster tests (RedisClusterLedgerContractTests).
# Usage: scripts/redis-cluster.sh start|stop|status   (idempotent; state in artifacts/redis-cluster/)
# Env: QUOTA_CLUSTER_PORTS (default "7101 7102 7103").
set -euo pipefail
cd "$(dirname "$0")/.."

PORTS=(${QUOTA_CLUSTER_PORTS:-7101 7102 7103})
DIR="$(pwd)/artifacts/redis-cluster"

ping() { redis-cli -h 127.0.0.1 -p "$1" ping >/dev/null 2>&1; }
state() { redis-cli -h 127.0.0.1 -p "${PORTS[0]}" cluster info 2>/dev/null | tr -d '\r' | sed -n 's/^cluster_state://p'; }
state_ok() { [ "$(state)" = "ok" ]; } # re-read on every try (an argument "$(state)" would be evaluated once)
known() { redis-cli -h 127.0.0.1 -p "${PORTS[0]}" cluster info 2>/dev/null | tr -d '\r' | sed -n 's/^cluster_known_nodes://p'; }

wait_for() { # what, command...
  local what="$1"; shift
  for _ in $(seq 1 300); do "$@" && return 0; sleep 0.1; done
  echo "redis-cluster.sh: timed out waiting for $what" >&2
  return 1
}

start() {
  if ! command -v redis-server >/dev/null 2>&1; then
    echo "redis-cluster.sh: installing redis-server"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq redis-server redis-tools >/dev/null
  fi

  mkdir -p "$DIR"
  for port in "${PORTS[@]}"; do
    if ! ping "$port"; then
      mkdir -p "$DIR/$port"
      redis-server --bind 127.0.0.1 --port "$port" --daemonize yes --save '' --appendonly no \
        --cluster-enabled yes --cluster-config-file "$DIR/$port/nodes.conf" --cluster-node-timeout 5000 \
        --dir "$DIR/$port" --pidfile "$DIR/$port/redis.pid" --logfile "$DIR/$port/redis.log"
    fi
  done
  for port in "${PORTS[@]}"; do wait_for "redis on port $port" ping "$port"; done

  if [ "$(state)" = "ok" ] && [ "$(known)" = "${#PORTS[@]}" ]; then
    echo "redis-cluster.sh: cluster already up on ports ${PORTS[*]}"
    return 0
  fi

  # Fresh nodes (no slots assigned yet): form the cluster.
  if [ "$(redis-cli -h 127.0.0.1 -p "${PORTS[0]}" cluster info | tr -d '\r' | sed -n 's/^cluster_slots_assigned://p')" = "0" ]; then
    local nodes=()
    for port in "${PORTS[@]}"; do nodes+=("127.0.0.1:$port"); done
    redis-cli --cluster create "${nodes[@]}" --cluster-replicas 0 --cluster-yes >"$DIR/create.log" 2>&1 || {
      cat "$DIR/create.log" >&2
      return 1
    }
  fi

  wait_for "cluster_state:ok" state_ok || {
    redis-cli -h 127.0.0.1 -p "${PORTS[0]}" cluster info >&2
    return 1
  }
  # Every node must agree before clients connect, or a MOVED may point at a node that does not know it yet.
  for port in "${PORTS[@]}"; do
    wait_for "node $port to see cluster_state:ok" \
      sh -c "redis-cli -h 127.0.0.1 -p $port cluster info | tr -d '\r' | grep -qx 'cluster_state:ok'"
  done
  echo "redis-cluster.sh: cluster up on ports ${PORTS[*]}"
}

stop() {
  for port in "${PORTS[@]}"; do
    if ping "$port"; then
      redis-cli -h 127.0.0.1 -p "$port" shutdown nosave >/dev/null 2>&1 || true
    fi
  done
  for port in "${PORTS[@]}"; do wait_for "redis on port $port to stop" sh -c "! redis-cli -h 127.0.0.1 -p $port ping >/dev/null 2>&1"; done
  # Cluster membership lives in nodes.conf: remove it so the next start forms a fresh cluster.
  rm -rf "$DIR"
  echo "redis-cluster.sh: stopped"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) echo "cluster_state:$(state) known_nodes:$(known)" ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
