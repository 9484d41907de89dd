// Keeps values.yaml, values.schema.json and the chart README in step.
//
//   node check-chart-docs.mjs <chart-dir>            check
//   node check-chart-docs.mjs --write <chart-dir>    regenerate the README's values table
//
// Every value the schema declares (down to where it hands over to a Kubernetes object) must have a
// default in values.yaml and a "# --" comment above it there. The README's table between
// <!-- values:start --> and <!-- values:end --> is generated from those: key, default, comment.

import fs from "node:fs";
import path from "node:path";
import { parseDocument, isMap, isScalar } from "yaml";

const args = process.argv.slice(2);
const write = args[0] === "--write";
const chart = write ? args[1] : args[0];
if (!chart) {
  console.error("usage: node check-chart-docs.mjs [--write] <chart-dir>");
  process.exit(2);
}
const readmePath = path.join(chart, "README.md");
const schema = JSON.parse(fs.readFileSync(path.join(chart, "values.schema.json"), "utf8"));
const document = parseDocument(fs.readFileSync(path.join(chart, "values.yaml"), "utf8"));
const values = document.toJS();
const findings = [];

// The documented keys: leaves of the schema, or where it hands over to a Kubernetes object.
const leaves = [];
const walk = (node, prefix) => {
  for (const [key, child] of Object.entries(node.properties ?? {})) {
    const p = prefix ? `${prefix}.${key}` : key;
    if (p === "global") continue;
    if (child.type === "object" && child.properties) walk(child, p);
    else leaves.push(p);
  }
};
walk(schema, "");

// The "# --" comment right above a key in values.yaml.
const commentOf = (p) => {
  let node = document.contents;
  let pair;
  let map;
  for (const key of p.split(".")) {
    if (!isMap(node)) return undefined;
    map = node;
    pair = node.items.find((item) => isScalar(item.key) && item.key.value === key);
    if (!pair) return undefined;
    node = pair.value;
  }
  // The parser hangs a comment above the first key of a nested map on the map itself.
  const comment = pair.key.commentBefore ?? (map.items[0] === pair ? map.commentBefore : undefined) ?? "";
  const lines = comment.split("\n").map((l) => l.trim());
  const start = lines.findIndex((l) => l.startsWith("--"));
  return start < 0 ? undefined : lines.slice(start).join(" ").replace(/^--\s*/, "");
};
const lookup = (p) => p.split(".").reduce((o, k) => (o !== undefined && o !== null && Object.hasOwn(o, k) ? o[k] : undefined), values);
const cell = (text) => text.replace(/\|/g, "\\|");

const rows = [];
for (const p of leaves) {
  const value = lookup(p);
  const comment = commentOf(p);
  if (value === undefined) findings.push(`values.yaml has no default for ${p}`);
  if (!comment) findings.push(`values.yaml has no "# --" comment above ${p}`);
  rows.push(`| \`${p}\` | \`${cell(JSON.stringify(value ?? null))}\` | ${cell(comment ?? "")} |`);
}
const table = ["| Key | Default | Description |", "| --- | --- | --- |", ...rows].join("\n");

const readme = fs.readFileSync(readmePath, "utf8");
const start = "<!-- values:start -->";
const end = "<!-- values:end -->";
const from = readme.indexOf(start);
const to = readme.indexOf(end);
if (from < 0 || to < from) {
  findings.push(`README.md needs the markers ${start} and ${end} around the values table`);
} else {
  const updated = `${readme.slice(0, from + start.length)}\n${table}\n${readme.slice(to)}`;
  if (write) {
    fs.writeFileSync(readmePath, updated);
    console.log(`  wrote ${rows.length} rows to ${readmePath}`);
  } else if (updated !== readme) {
    findings.push(`README.md's values table is out of date: run node scripts/deploy-check/check-chart-docs.mjs --write ${chart}`);
  }
}

if (findings.length > 0) {
  console.error(`\n${findings.length} problem(s) in the chart's documentation:`);
  for (const f of findings) console.error(`  - ${f}`);
  process.exit(1);
}
if (!write) console.log(`  ok: ${rows.length} values have a default, a schema entry, a comment and a README row`);
