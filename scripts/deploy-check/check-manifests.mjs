// Offline checks of rendered Kubernetes manifests (helm template output).
//
//   node check-manifests.mjs <work-dir> <manifests.yaml>...
//
// For every document of every file:
//   1. it parses as YAML (duplicate keys are errors) and names apiVersion, kind and metadata.name;
//   2. kubernetes-models validates it against the OpenAPI schema of its kind (types, enums, required
//      fields; these schemas allow unknown fields);
//   3. TypeScript compiles it as a typed literal of its kubernetes-types (or prometheus-operator)
//      type, so an unknown or misspelt field anywhere in the object is an error (excess property check);
//   4. pod templates are consistent: unique container and port names, probes and mounts that refer to
//      declared ports and volumes, $(VAR) references to variables defined earlier in env, and Services
//      and NetworkPolicies whose named ports exist in the pods they select.
// Exits 1 and prints every finding when anything fails.

import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";
import ts from "typescript";

const here = path.dirname(fileURLToPath(import.meta.url));
const nodeModules = path.join(here, "node_modules");

const [workDir, ...files] = process.argv.slice(2);
if (!workDir || files.length === 0) {
  console.error("usage: node check-manifests.mjs <work-dir> <manifests.yaml>...");
  process.exit(2);
}
fs.mkdirSync(workDir, { recursive: true });

const findings = [];
const fail = (where, message) => findings.push(`${where}: ${message}`);

// Where each apiVersion's models and types live. A kind missing here is an error: add it on purpose.
const kinds = {
  "v1": { models: "kubernetes-models/v1", types: "kubernetes-types/core/v1" },
  "apps/v1": { models: "kubernetes-models/apps/v1", types: "kubernetes-types/apps/v1" },
  "policy/v1": { models: "kubernetes-models/policy/v1", types: "kubernetes-types/policy/v1" },
  "networking.k8s.io/v1": { models: "kubernetes-models/networking.k8s.io/v1", types: "kubernetes-types/networking/v1" },
  "monitoring.coreos.com/v1": {
    models: "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1",
    types: "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1",
    typeName: (kind) => `I${kind}`,
  },
};

// ---- 1. parse ------------------------------------------------------------------------------
const manifests = [];
for (const file of files) {
  const text = fs.readFileSync(file, "utf8");
  const docs = parseAllDocuments(text, { uniqueKeys: true, prettyErrors: true });
  const list = Array.isArray(docs) ? docs : [docs];
  list.forEach((doc, index) => {
    const where = `${path.basename(file)}#${index}`;
    for (const error of doc.errors) fail(where, `YAML: ${error.message}`);
    if (doc.errors.length > 0) return;
    const object = doc.toJS();
    if (object === null || object === undefined) return; // an empty document between separators
    if (typeof object !== "object" || Array.isArray(object)) return fail(where, "not a mapping");
    const name = object?.metadata?.name;
    const label = `${path.basename(file)}: ${object.kind}/${name}`;
    if (!object.apiVersion || !object.kind || !name) return fail(where, "apiVersion, kind and metadata.name are required");
    manifests.push({ file, label, object });
  });
}
const byFile = new Map();
for (const m of manifests) {
  if (!byFile.has(m.file)) byFile.set(m.file, []);
  byFile.get(m.file).push(m);
}
for (const file of files) {
  const count = byFile.get(file)?.length ?? 0;
  console.log(`  ${path.basename(file)}: ${count} objects (${(byFile.get(file) ?? []).map((m) => m.object.kind).join(", ")})`);
  if (count === 0) fail(path.basename(file), "renders no object");
}

// ---- 2. OpenAPI schema validation (kubernetes-models) ----------------------------------------
for (const { label, object } of manifests) {
  const home = kinds[object.apiVersion];
  if (!home) {
    fail(label, `no schema known for apiVersion ${object.apiVersion}; add it to check-manifests.mjs`);
    continue;
  }
  const module = await import(home.models);
  const Model = module[object.kind];
  if (!Model) {
    fail(label, `kind ${object.kind} is not in ${home.models}`);
    continue;
  }
  try {
    new Model(object).validate();
  } catch (error) {
    fail(label, `schema: ${error.message}`);
  }
}

// ---- 3. strict typed check (TypeScript excess property checks) ------------------------------
const typedFiles = [];
for (const [file, list] of byFile) {
  const imports = new Map();
  const lines = [];
  list.forEach(({ object }, index) => {
    const home = kinds[object.apiVersion];
    if (!home) return;
    const typeName = home.typeName ? home.typeName(object.kind) : object.kind;
    const alias = `${typeName}_${Object.keys(kinds).indexOf(object.apiVersion)}`;
    imports.set(alias, { typeName, from: home.types });
    lines.push(`// ${object.kind}/${object.metadata.name}`);
    lines.push(`export const doc${index}: ${alias} = ${JSON.stringify(object, null, 2)};`);
  });
  const header = [...imports].map(([alias, { typeName, from }]) => `import type { ${typeName} as ${alias} } from "${from}";`);
  const tsFile = path.join(workDir, `${path.basename(file, path.extname(file))}.ts`);
  fs.writeFileSync(tsFile, [...header, "", ...lines, ""].join("\n"));
  typedFiles.push(tsFile);
}
if (typedFiles.length > 0) {
  const options = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    types: [],
    paths: {
      "kubernetes-types/*": [path.join(nodeModules, "kubernetes-types", "*")],
      "@kubernetes-models/*": [path.join(nodeModules, "@kubernetes-models", "*")],
    },
  };
  const program = ts.createProgram(typedFiles, options);
  for (const diagnostic of ts.getPreEmitDiagnostics(program)) {
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n");
    if (diagnostic.file) {
      const { line } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start ?? 0);
      fail(`${path.relative(process.cwd(), diagnostic.file.fileName)}:${line + 1}`, `type: ${message}`);
    } else {
      fail("typescript", message);
    }
  }
}

// ---- 4. consistency of pod templates and what points at them --------------------------------
const podTemplates = [];
for (const { file, label, object } of manifests) {
  const template = object.kind === "Pod" ? object : object.spec?.template;
  if (!template?.spec) continue;
  const pod = template.spec;
  podTemplates.push({ label, namespace: object.metadata.namespace, labels: template.metadata?.labels ?? {}, pod });

  const containers = [...(pod.initContainers ?? []), ...(pod.containers ?? [])];
  const containerNames = new Set();
  const portNames = new Set();
  const volumes = new Set((pod.volumes ?? []).map((v) => v.name));
  for (const c of containers) {
    if (containerNames.has(c.name)) fail(label, `container name ${c.name} is used twice`);
    containerNames.add(c.name);
    for (const p of c.ports ?? []) {
      if (p.name === undefined) continue;
      if (portNames.has(p.name)) fail(label, `port name ${p.name} is used twice in the pod`);
      if (p.name.length > 15) fail(label, `port name ${p.name} is longer than 15 characters`);
      portNames.add(p.name);
    }
  }
  for (const c of containers) {
    const own = new Set((c.ports ?? []).map((p) => p.name));
    for (const kind of ["startupProbe", "livenessProbe", "readinessProbe"]) {
      const port = c[kind]?.httpGet?.port ?? c[kind]?.tcpSocket?.port;
      if (typeof port === "string" && !own.has(port)) fail(label, `${c.name}.${kind} uses port ${port}, which ${c.name} does not declare`);
    }
    for (const m of c.volumeMounts ?? []) {
      if (!volumes.has(m.name)) fail(label, `${c.name} mounts volume ${m.name}, which the pod does not declare`);
    }
    // Dependent environment variables: $(NAME) expands only when NAME is defined earlier in env or
    // comes from envFrom; otherwise the kubelet leaves the text as it is. envFrom sources rendered in
    // the same file are resolved; one that is not (an operator's Secret) may define anything.
    const defined = new Set();
    let definesAnything = false;
    for (const source of c.envFrom ?? []) {
      const ref = source.configMapRef ?? source.secretRef;
      const kind = source.configMapRef ? "ConfigMap" : "Secret";
      const found = manifests.find((m) => m.file === file && m.object.kind === kind && m.object.metadata.name === ref?.name);
      if (!found) definesAnything = true;
      for (const key of Object.keys(found?.object.data ?? {})) defined.add(`${source.prefix ?? ""}${key}`);
    }
    const check = (where, text) => {
      for (const match of String(text ?? "").matchAll(/(?<!\$)\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g)) {
        if (!defined.has(match[1]) && !definesAnything) fail(label, `${c.name}: ${where} refers to $(${match[1]}), which is not defined before it`);
      }
    };
    for (const e of c.env ?? []) {
      check(`env ${e.name}`, e.value);
      defined.add(e.name);
    }
    for (const arg of [...(c.command ?? []), ...(c.args ?? [])]) check("command/args", arg);
    if (c.restartPolicy !== undefined && !(pod.initContainers ?? []).includes(c)) {
      fail(label, `${c.name}: restartPolicy is allowed on init containers only`);
    }
  }
  for (const c of pod.initContainers ?? []) {
    if (c.restartPolicy !== "Always" && (c.startupProbe || c.livenessProbe || c.readinessProbe)) {
      fail(label, `${c.name}: probes on an init container need restartPolicy: Always (a native sidecar)`);
    }
  }
}

const selects = (selector, labels) => Object.entries(selector ?? {}).every(([k, v]) => labels[k] === v);
const podPortNames = (pod) => new Set([...(pod.initContainers ?? []), ...(pod.containers ?? [])].flatMap((c) => (c.ports ?? []).map((p) => p.name)));
for (const { label, object } of manifests) {
  if (object.kind === "Service" && object.spec?.selector) {
    for (const t of podTemplates.filter((t) => selects(object.spec.selector, t.labels))) {
      const names = podPortNames(t.pod);
      for (const p of object.spec.ports ?? []) {
        if (typeof p.targetPort === "string" && !names.has(p.targetPort)) fail(label, `targetPort ${p.targetPort} is not a port name of ${t.label}`);
      }
    }
  }
  if (object.kind === "NetworkPolicy") {
    for (const t of podTemplates.filter((t) => selects(object.spec?.podSelector?.matchLabels, t.labels))) {
      const names = podPortNames(t.pod);
      for (const rule of object.spec.ingress ?? []) {
        for (const p of rule.ports ?? []) {
          if (typeof p.port === "string" && !names.has(p.port)) fail(label, `port ${p.port} is not a port name of ${t.label}`);
        }
      }
    }
  }
  if (["Deployment", "StatefulSet", "DaemonSet"].includes(object.kind)) {
    const selector = object.spec?.selector?.matchLabels;
    if (!selects(selector, object.spec?.template?.metadata?.labels ?? {})) fail(label, "spec.selector does not match the pod template's labels");
  }
}

if (findings.length > 0) {
  console.error(`\n${findings.length} problem(s) in the rendered manifests:`);
  for (const finding of findings) console.error(`  - ${finding}`);
  process.exit(1);
}
console.log(`  ok: ${manifests.length} objects in ${files.length} file(s) pass schema, typed and consistency checks`);
