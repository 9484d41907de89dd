// Offline checks of the Istio/Envoy examples in docs/examples/istio (run by scripts/check-authz-docs.sh):
//  1. every YAML object is a known Istio kind, checked against that CRD's schema (@kubernetes-models/istio);
//  2. the parts those CRDs leave free-form (meshConfig.extensionProviders, EnvoyFilter patch values holding Envoy
//     configuration) are checked against the JSON Schemas in ./schemas, written for the fields the examples use,
//     with unknown fields rejected (ajv);
//  3. the files agree with each other and with the sidecar: provider name, service host and port, cluster names,
//     the sidecar's gRPC port and its default Quota:Envoy header and descriptor keys;
//  4. self-test: broken copies of the examples must be rejected, so none of the checks above can pass vacuously.
//
// Usage: node check-istio-examples.mjs <repository root>
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";
import Ajv from "ajv";
import { AuthorizationPolicy } from "@kubernetes-models/istio/security.istio.io/v1/AuthorizationPolicy";
import { EnvoyFilter } from "@kubernetes-models/istio/networking.istio.io/v1alpha3/EnvoyFilter";
import { ServiceEntry } from "@kubernetes-models/istio/networking.istio.io/v1/ServiceEntry";
import { IstioOperator } from "@kubernetes-models/istio/install.istio.io/v1alpha1/IstioOperator";

const root = process.argv[2];
if (!root) {
  console.error("usage: node check-istio-examples.mjs <repository root>");
  process.exit(2);
}

const here = path.dirname(fileURLToPath(import.meta.url));
const examplesDir = path.join(root, "docs", "examples", "istio");
const models = new Map([
  ["security.istio.io/v1/AuthorizationPolicy", AuthorizationPolicy],
  ["networking.istio.io/v1alpha3/EnvoyFilter", EnvoyFilter],
  ["networking.istio.io/v1/ServiceEntry", ServiceEntry],
  ["install.istio.io/v1alpha1/IstioOperator", IstioOperator],
]);

const ajv = new Ajv({ allErrors: true, strict: true });
for (const file of readdirSync(path.join(here, "schemas")).sort()) {
  ajv.addSchema(JSON.parse(readFileSync(path.join(here, "schemas", file), "utf8")));
}

// What the sidecar serves by default: the examples must point at it.
const sidecar = sidecarDefaults(root);

function sidecarDefaults(repo) {
  const settings = JSON.parse(readFileSync(path.join(repo, "src/QuotaSidecar/appsettings.json"), "utf8"));
  const envoyOptions = readFileSync(path.join(repo, "src/QuotaSidecar/Envoy/EnvoyOptions.cs"), "utf8");
  const rateLimitOptions = readFileSync(path.join(repo, "src/QuotaSidecar/Envoy/EnvoyRateLimitOptions.cs"), "utf8");
  const grab = (text, property, where) => {
    const m = text.match(new RegExp(`public string\\?? ${property} \\{ get; set; \\} = "([^"]+)"`));
    if (!m) throw new Error(`cannot find the default of ${property} in ${where}`);
    return m[1];
  };
  return {
    grpcPort: settings?.Quota?.Grpc?.Port ?? 7070,
    accountHeader: grab(envoyOptions, "AccountHeader", "EnvoyOptions.cs"),
    accountKey: grab(rateLimitOptions, "AccountKey", "EnvoyRateLimitOptions.cs"),
    costKey: grab(rateLimitOptions, "CostKey", "EnvoyRateLimitOptions.cs"),
  };
}

function schemaErrors(id, value, where) {
  const validate = ajv.getSchema(id);
  if (validate(value)) return [];
  return validate.errors.map((e) => `${where}${e.instancePath}: ${e.message}${e.params?.additionalProperty ? ` ('${e.params.additionalProperty}')` : ""}`);
}

function modelErrors(object, where) {
  const model = models.get(`${object?.apiVersion}/${object?.kind}`);
  if (!model) return [`${where}: unexpected apiVersion/kind ${object?.apiVersion}/${object?.kind}`];
  try {
    new model(object).validate();
    return object?.metadata?.name ? [] : [`${where}: metadata.name is required`];
  } catch (e) {
    const details = (e.errors ?? []).map((x) => `${x.instancePath || "/"} ${x.message}${x.params?.allowedValues ? ` (${x.params.allowedValues.join(", ")})` : ""}`);
    return [`${where}: not a valid ${object.kind}: ${details.length ? details.join("; ") : e.message}`];
  }
}

/** Every problem of a set of documents ({ file, object }), as messages naming the file and field. */
function check(documents) {
  const problems = [];
  const byKind = (kind) => documents.filter((d) => d.object?.kind === kind);
  for (const { file, object } of documents) {
    problems.push(...modelErrors(object, file));
  }

  const providers = [];
  for (const { file, object } of byKind("IstioOperator")) {
    const list = object.spec?.meshConfig?.extensionProviders;
    if (!Array.isArray(list) || list.length === 0) {
      problems.push(`${file}: spec.meshConfig.extensionProviders must list the quota sidecar provider`);
      continue;
    }
    list.forEach((p, i) => {
      const where = `${file}: spec.meshConfig.extensionProviders[${i}]`;
      const errors = schemaErrors("istio-ext-authz-grpc-provider", p, where);
      problems.push(...errors);
      if (errors.length === 0) providers.push({ file, where, ...p });
    });
  }

  for (const { file, object } of byKind("AuthorizationPolicy")) {
    const spec = object.spec ?? {};
    if (spec.action !== "CUSTOM") continue;
    if (!providers.some((p) => p.name === spec.provider?.name)) {
      problems.push(`${file}: spec.provider.name '${spec.provider?.name}' is not a meshConfig extension provider (${providers.map((p) => p.name).join(", ") || "none"})`);
    }
    if (!spec.selector?.matchLabels && !spec.targetRefs) {
      problems.push(`${file}: a CUSTOM policy without a selector applies to every workload of the namespace; select the workloads that run the sidecar`);
    }
  }

  const entries = byKind("ServiceEntry");
  for (const p of providers) {
    const grpc = p.envoyExtAuthzGrpc;
    if (grpc.port !== sidecar.grpcPort) {
      problems.push(`${p.where}.envoyExtAuthzGrpc.port is ${grpc.port}, but the sidecar's gRPC port is ${sidecar.grpcPort} (Quota:Grpc:Port)`);
    }
    const host = grpc.service.includes("/") ? grpc.service.split("/")[1] : grpc.service;
    const entry = entries.find((e) => (e.object.spec?.hosts ?? []).includes(host));
    if (!entry) {
      problems.push(`${p.where}.envoyExtAuthzGrpc.service '${grpc.service}' has no ServiceEntry with that host`);
      continue;
    }
    const port = (entry.object.spec.ports ?? []).find((x) => x.number === grpc.port);
    if (!port || !["GRPC", "HTTP2"].includes(port.protocol)) {
      problems.push(`${entry.file}: needs port ${grpc.port} with protocol GRPC for provider '${p.name}'`);
    }
    if (!(entry.object.spec.endpoints ?? []).some((e) => e.address === "127.0.0.1")) {
      problems.push(`${entry.file}: the endpoint must be 127.0.0.1 (the sidecar in the same pod)`);
    }
  }

  for (const { file, object } of byKind("EnvoyFilter")) {
    const clusters = new Map();
    const usedClusters = [];
    (object.spec?.configPatches ?? []).forEach((patch, i) => {
      const where = `${file}: spec.configPatches[${i}].patch.value`;
      const value = patch.patch?.value;
      if (patch.applyTo === "CLUSTER") {
        const errors = schemaErrors("envoy-cluster", value, where);
        problems.push(...errors);
        if (errors.length === 0) {
          clusters.set(value.name, value);
          for (const endpoint of value.load_assignment.endpoints.flatMap((e) => e.lb_endpoints)) {
            const socket = endpoint.endpoint.address.socket_address;
            if (socket && (socket.address !== "127.0.0.1" || socket.port_value !== sidecar.grpcPort)) {
              problems.push(`${where}: the cluster must reach the sidecar at 127.0.0.1:${sidecar.grpcPort} (got ${socket.address}:${socket.port_value})`);
            }
          }
        }
      } else if (patch.applyTo === "HTTP_FILTER") {
        const schema = { "envoy.filters.http.ext_authz": "envoy-ext-authz-filter", "envoy.filters.http.ratelimit": "envoy-ratelimit-filter" }[value?.name];
        if (!schema) {
          problems.push(`${where}.name '${value?.name}' is not a filter these checks know (ext_authz, ratelimit)`);
          return;
        }
        const errors = schemaErrors(schema, value, where);
        problems.push(...errors);
        if (errors.length === 0) {
          const grpc = value.typed_config.grpc_service ?? value.typed_config.rate_limit_service.grpc_service;
          usedClusters.push({ where, name: grpc.envoy_grpc.cluster_name });
        }
      } else if (patch.applyTo === "VIRTUAL_HOST") {
        const errors = schemaErrors("envoy-virtual-host-rate-limits", value, where);
        problems.push(...errors);
        if (errors.length === 0) {
          const actions = value.rate_limits.flatMap((r) => r.actions);
          const account = actions.find((a) => a.request_headers?.descriptor_key === sidecar.accountKey);
          if (!account) {
            problems.push(`${where}: no action sets the descriptor key '${sidecar.accountKey}' (Quota:Envoy:RateLimit:AccountKey)`);
          } else if (account.request_headers.header_name !== sidecar.accountHeader) {
            problems.push(`${where}: the account comes from header '${account.request_headers.header_name}', the documented one is '${sidecar.accountHeader}'`);
          }
          for (const cost of actions.filter((a) => a.generic_key?.descriptor_key === sidecar.costKey)) {
            if (!/^[1-9][0-9]*$/.test(cost.generic_key.descriptor_value)) {
              problems.push(`${where}: the '${sidecar.costKey}' descriptor value must be a whole number of credits (got '${cost.generic_key.descriptor_value}')`);
            }
          }
        }
      } else {
        problems.push(`${where}: applyTo ${patch.applyTo} is not one these checks know`);
      }
    });
    for (const used of usedClusters) {
      if (!clusters.has(used.name)) {
        problems.push(`${used.where}: cluster '${used.name}' is not added by a CLUSTER patch of the same EnvoyFilter`);
      }
    }
  }

  return problems;
}

function load(dir) {
  const documents = [];
  for (const name of readdirSync(dir).filter((f) => f.endsWith(".yaml")).sort()) {
    const text = readFileSync(path.join(dir, name), "utf8");
    for (const doc of parseAllDocuments(text)) {
      if (doc.errors.length) throw new Error(`${name}: YAML error: ${doc.errors[0].message}`);
      const object = doc.toJS();
      if (object !== null) documents.push({ file: `docs/examples/istio/${name}`, object });
    }
  }
  return documents;
}

// ---------------------------------------------------------------------------------------------------------------
const documents = load(examplesDir);
const kinds = new Set(documents.map((d) => d.object.kind));
const problems = check(documents);
for (const kind of ["IstioOperator", "ServiceEntry", "AuthorizationPolicy", "EnvoyFilter"]) {
  if (!kinds.has(kind)) problems.push(`docs/examples/istio has no ${kind}`);
}

const guide = readFileSync(path.join(root, "docs", "authorization.md"), "utf8");
for (const file of new Set(documents.map((d) => path.basename(d.file)))) {
  if (!guide.includes(`examples/istio/${file}`)) problems.push(`docs/authorization.md does not mention examples/istio/${file}`);
}

if (problems.length) {
  console.error(problems.map((p) => `  x ${p}`).join("\n"));
  process.exit(1);
}
for (const d of documents) console.log(`  - ${d.file}: ${d.object.kind} ${d.object.metadata.name} ok`);

// Self-test: each broken copy must be rejected, with a message that contains the expected words.
const mutations = [
  ["an unknown AuthorizationPolicy action", "AuthorizationPolicy", (o) => { o.spec.action = "CUSTOMISE"; }, "not a valid AuthorizationPolicy"],
  ["a provider the mesh does not define", "AuthorizationPolicy", (o) => { o.spec.provider.name = "quota-sidekick"; }, "is not a meshConfig extension provider"],
  ["an unknown EnvoyFilter applyTo", "EnvoyFilter", (o) => { o.spec.configPatches[0].applyTo = "CLUSTERS"; }, "not a valid EnvoyFilter"],
  ["a misspelt ext_authz field", "EnvoyFilter", (o) => { const f = o.spec.configPatches.find((p) => p.patch.value.name === "envoy.filters.http.ext_authz"); if (f) f.patch.value.typed_config.failure_mode_alow = true; else o.spec.configPatches[1].patch.value.typed_config.failure_mode_deny = "yes"; }, "/typed_config"],
  ["a cluster on another port", "EnvoyFilter", (o) => { o.spec.configPatches[0].patch.value.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address.port_value = 7071; }, "must reach the sidecar"],
  ["a provider port that is not the sidecar's", "IstioOperator", (o) => { o.spec.meshConfig.extensionProviders[0].envoyExtAuthzGrpc.port = 7071; }, "the sidecar's gRPC port"],
  ["a misspelt provider field", "IstioOperator", (o) => { o.spec.meshConfig.extensionProviders[0].envoyExtAuthzGrpc.failopen = true; }, "failopen"],
  ["a ServiceEntry without the provider host", "ServiceEntry", (o) => { o.spec.hosts = ["other.local"]; }, "has no ServiceEntry with that host"],
];
let rejected = 0;
for (const [what, kind, mutate, expected] of mutations) {
  const broken = structuredClone(documents);
  broken.filter((d) => d.object.kind === kind).forEach((d) => mutate(d.object));
  const found = check(broken);
  if (!found.some((p) => p.includes(expected))) {
    console.error(`  x self-test: ${what} was not rejected with "${expected}" (got: ${found.join(" | ") || "no problem"})`);
    process.exit(1);
  }
  rejected++;
}
console.log(`  - self-test: ${rejected} broken variants rejected`);
