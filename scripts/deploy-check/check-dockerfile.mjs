// Lints the Dockerfile and checks what this project needs from it.
//
//   node check-dockerfile.mjs <repo-root>
//
// 1. dockerfile-utils: the Docker builder's syntax rules, with its warnings treated as errors.
// 2. Project rules: base images come from the SDK_IMAGE/RUNTIME_IMAGE build args; build and runtime
//    are separate stages; the image runs as a numeric non-root user; the gRPC and HTTP ports are
//    exposed; the entry point runs QuotaSidecar.dll; the runtime stage runs no shell (so chiseled
//    images work); every file the build copies exists (the host project may not exist yet), is not
//    excluded by .dockerignore, and every root-level file that steers a dotnet build is copied.

import fs from "node:fs";
import path from "node:path";
import { validate, ValidationSeverity } from "dockerfile-utils";
import { DockerfileParser } from "dockerfile-ast";

const root = process.argv[2];
if (!root) {
  console.error("usage: node check-dockerfile.mjs <repo-root>");
  process.exit(2);
}
const dockerfilePath = path.join(root, "Dockerfile");
const content = fs.readFileSync(dockerfilePath, "utf8");
const findings = [];
const fail = (line, message) => findings.push(`Dockerfile${line === undefined ? "" : `:${line + 1}`}: ${message}`);

// ---- 1. dockerfile-utils --------------------------------------------------------------------
const strict = ValidationSeverity.ERROR;
for (const d of validate(content, {
  deprecatedMaintainer: strict,
  directiveCasing: strict,
  emptyContinuationLine: strict,
  instructionCasing: strict,
  instructionCmdMultiple: strict,
  instructionEntrypointMultiple: strict,
  instructionHealthcheckMultiple: strict,
  instructionJSONInSingleQuotes: strict,
  instructionWorkdirRelative: strict,
})) {
  fail(d.range.start.line, `dockerfile-utils: ${d.message}`);
}

// ---- 2. project rules -----------------------------------------------------------------------
const dockerfile = DockerfileParser.parse(content);
const instructions = dockerfile.getInstructions();
const froms = dockerfile.getFROMs();
const line = (i) => i.getRange().start.line;
const args = (i) => i.getArguments().map((a) => a.getValue());

const topArgs = new Map();
for (const i of dockerfile.getInitialARGs()) {
  for (const p of i.getProperties()) topArgs.set(p.getName(), p.getValue());
}
for (const [name, image] of [["SDK_IMAGE", "mcr.microsoft.com/dotnet/sdk:"], ["RUNTIME_IMAGE", "mcr.microsoft.com/dotnet/aspnet:"]]) {
  if (!topArgs.get(name)?.startsWith(image)) fail(undefined, `ARG ${name} must default to ${image}<version> before the first FROM (got ${topArgs.get(name) ?? "nothing"})`);
}
if (froms.length < 2) fail(undefined, `needs a build stage and a runtime stage (found ${froms.length} FROM)`);
const baseOf = (f) => args(f)[0];
if (froms.length >= 2) {
  if (baseOf(froms[0]) !== "${SDK_IMAGE}") fail(line(froms[0]), `the build stage must start FROM \${SDK_IMAGE} (got ${baseOf(froms[0])})`);
  if (baseOf(froms.at(-1)) !== "${RUNTIME_IMAGE}") fail(line(froms.at(-1)), `the runtime stage must start FROM \${RUNTIME_IMAGE} (got ${baseOf(froms.at(-1))})`);
}

const runtimeStart = froms.length > 0 ? line(froms.at(-1)) : 0;
const runtime = instructions.filter((i) => line(i) > runtimeStart);
const stageArgs = new Map(topArgs);
for (const i of runtime.filter((i) => i.getKeyword() === "ARG")) {
  for (const p of i.getProperties()) stageArgs.set(p.getName(), p.getValue());
}
const expand = (text) => text.replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (m, name) => stageArgs.get(name) ?? m);

const users = runtime.filter((i) => i.getKeyword() === "USER");
if (users.length === 0) fail(undefined, "the runtime stage must set USER (a non-root user)");
for (const u of users) {
  const user = expand(args(u).join(" ")).split(":")[0];
  if (!/^\d+$/.test(user)) fail(line(u), `USER must be numeric so the kubelet can check runAsNonRoot (got ${user})`);
  else if (user === "0") fail(line(u), "USER must not be root");
}
if (users.length > 0 && runtime.some((i) => line(i) > line(users.at(-1)) && i.getKeyword() === "USER")) fail(undefined, "one USER only");

const exposed = new Set(runtime.filter((i) => i.getKeyword() === "EXPOSE").flatMap((i) => args(i).map((a) => a.split("/")[0])));
for (const port of ["7070", "9090"]) if (!exposed.has(port)) fail(undefined, `EXPOSE ${port} is missing`);

const entrypoints = runtime.filter((i) => i.getKeyword() === "ENTRYPOINT");
const entry = entrypoints.at(-1);
if (!entry) fail(undefined, "the runtime stage needs an ENTRYPOINT");
else if (!/^\s*\[\s*"dotnet"\s*,\s*"QuotaSidecar\.dll"\s*\]\s*$/.test(entry.getRawArgumentsContent?.() ?? args(entry).join(" "))) {
  fail(line(entry), 'ENTRYPOINT must be ["dotnet", "QuotaSidecar.dll"] (exec form: the process gets SIGTERM itself)');
}
for (const i of runtime.filter((i) => i.getKeyword() === "RUN")) fail(line(i), "the runtime stage must not RUN commands (chiseled runtime images have no shell)");

// COPY sources of the build context: exist, and are not excluded by .dockerignore.
const ignoreLines = fs.existsSync(path.join(root, ".dockerignore"))
  ? fs.readFileSync(path.join(root, ".dockerignore"), "utf8").split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("#"))
  : [];
if (ignoreLines.length === 0) fail(undefined, ".dockerignore is missing or empty");
const globToRegExp = (glob) =>
  new RegExp(
    "^" +
      glob
        .replace(/\/$/, "")
        .split("/")
        .map((part) => (part === "**" ? ".*" : part.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[^/]*").replace(/\?/g, "[^/]")))
        .join("/")
        .replace(/\.\*\//g, "(.*/)?") +
      "(/.*)?$",
  );
// Docker's rule: the last matching line wins; "!" re-includes.
const ignored = (relative) => {
  let result = false;
  for (const l of ignoreLines) {
    const negate = l.startsWith("!");
    if (globToRegExp(negate ? l.slice(1) : l).test(relative)) result = !negate;
  }
  return result;
};
const copied = [];
for (const i of instructions.filter((i) => i.getKeyword() === "COPY" || i.getKeyword() === "ADD")) {
  if (i.getFlags().some((f) => f.getName() === "from")) continue;
  const sources = args(i).slice(0, -1);
  for (const source of sources) {
    const relative = source.replace(/^\.\//, "").replace(/\/$/, "");
    copied.push(relative);
    if (!fs.existsSync(path.join(root, relative))) fail(line(i), `COPY source ${source} does not exist`);
    else if (ignored(relative)) fail(line(i), `COPY source ${source} is excluded by .dockerignore`);
  }
}
for (const name of fs.readdirSync(root)) {
  if (/^(Directory\.(Build|Packages)\.(props|targets)|global\.json|nuget\.config|NuGet\.Config)$/i.test(name) && !copied.includes(name)) {
    fail(undefined, `${name} steers the dotnet build but is not copied into the build stage`);
  }
}
for (const needed of ["src/QuotaSidecar/QuotaSidecar.csproj", "src/QuotaSidecar.Core/QuotaSidecar.Core.csproj"]) {
  if (ignored(needed)) fail(undefined, `.dockerignore excludes ${needed}`);
}
for (const unwanted of ["src/QuotaSidecar/bin/Debug/x.dll", "src/QuotaSidecar/obj/project.assets.json", ".git/HEAD", ".tools/helm/helm", "artifacts/helm/x.yaml"]) {
  if (!ignored(unwanted)) fail(undefined, `.dockerignore lets ${unwanted} into the build context`);
}
if (!fs.existsSync(path.join(root, "src/QuotaSidecar/QuotaSidecar.csproj"))) {
  console.log("  note: src/QuotaSidecar/QuotaSidecar.csproj does not exist yet; the image cannot be built until it does");
}

if (findings.length > 0) {
  console.error(`\n${findings.length} problem(s) in the Dockerfile:`);
  for (const f of findings) console.error(`  - ${f}`);
  process.exit(1);
}
console.log(`  ok: Dockerfile (${froms.length} stages, ${instructions.length} instructions) and .dockerignore pass`);
