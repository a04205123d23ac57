// The module graph of docs/ARCHITECTURE.md, made from the code: which
// top-level folder of src/ imports which (relative imports of the .ts files
// that are not specs, type-only imports included), as src/architecture.spec.ts
// computes it to find loops. `node scripts/module-graph.mjs` writes the graph
// between the markers in docs/ARCHITECTURE.md and fails on a loop;
// `--check` only says whether the page is current (test/docs.e2e-spec.ts runs
// it), so the picture cannot drift from the code.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SOURCE = join(ROOT, 'src');
export const ARCHITECTURE_FILE = join(ROOT, 'docs/ARCHITECTURE.md');
const BEGIN = '<!-- module-graph: made by scripts/module-graph.mjs; do not edit by hand -->';
const END = '<!-- module-graph: end -->';

function sourceFiles(folder) {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.ts$/.test(entry.name) && !/\.spec\.ts$/.test(entry.name) ? [path] : [];
  });
}

const folderOf = (path) => {
  const parts = relative(SOURCE, path).split('/');
  return parts.length > 1 ? parts[0] : '.';
};

/** folder → the folders it imports from. */
export function folderGraph() {
  const graph = new Map();
  for (const file of sourceFiles(SOURCE)) {
    const from = folderOf(file);
    if (!graph.has(from)) graph.set(from, new Set());
    for (const [, specifier] of readFileSync(file, 'utf8').matchAll(/from '(\.{1,2}\/[^']+)'/g)) {
      const to = folderOf(resolve(dirname(file), specifier));
      if (to !== from) graph.get(from).add(to);
    }
  }
  return graph;
}

/**
 * The folders from the top down: each after every folder that imports it
 * (Kahn's algorithm, alphabetical among equals); throws on a loop, naming the
 * folders caught in it.
 */
export function layers(graph) {
  const importers = new Map([...graph.keys()].map((folder) => [folder, 0]));
  for (const targets of graph.values()) for (const target of targets) importers.set(target, (importers.get(target) ?? 0) + 1);
  const order = [];
  let ready = [...importers].filter(([, count]) => count === 0).map(([folder]) => folder);
  while (ready.length) {
    ready.sort((a, b) => (a === '.' ? -1 : b === '.' ? 1 : a.localeCompare(b)));
    const folder = ready.shift();
    order.push(folder);
    for (const target of graph.get(folder) ?? []) {
      importers.set(target, importers.get(target) - 1);
      if (importers.get(target) === 0) ready.push(target);
    }
  }
  if (order.length < importers.size) {
    const caught = [...importers].filter(([, count]) => count > 0).map(([folder]) => folder);
    throw new Error(`the folders of src/ import each other in a loop among: ${caught.sort().join(', ')}`);
  }
  return order;
}

const nodeId = (folder) => (folder === '.' ? 'main' : folder.replace(/-/g, '_'));
const label = (folder) => (folder === '.' ? 'main.ts, app.module.ts, configure-app.ts' : `${folder}/`);

/** The mermaid block: every folder, top down, with its arrows. */
export function mermaid(graph = folderGraph()) {
  const order = layers(graph);
  const lines = ['```mermaid', 'graph TD'];
  for (const folder of order) lines.push(`  ${nodeId(folder)}["${label(folder)}"]`);
  for (const folder of order) {
    const targets = [...(graph.get(folder) ?? [])].sort((a, b) => order.indexOf(a) - order.indexOf(b));
    for (const target of targets) lines.push(`  ${nodeId(folder)} --> ${nodeId(target)}`);
  }
  lines.push('```');
  return lines.join('\n');
}

/** The same graph as a table, for reading the page as text: each folder, top down, and what it imports. */
export function table(graph = folderGraph()) {
  const order = layers(graph);
  const rows = order.map((folder) => {
    const targets = [...(graph.get(folder) ?? [])].sort((a, b) => order.indexOf(a) - order.indexOf(b));
    return `| ${folder === '.' ? '`main.ts`, `app.module.ts`, `configure-app.ts`' : `\`${folder}/\``} | ${targets.map((target) => `\`${target}\``).join(', ') || 'nothing of the app'} |`;
  });
  return ['| folder | imports from |', '| --- | --- |', ...rows].join('\n');
}

/** docs/ARCHITECTURE.md with the graph between its markers made anew. */
export function architectureWithGraph(text = readFileSync(ARCHITECTURE_FILE, 'utf8')) {
  const begin = text.indexOf(BEGIN);
  const end = text.indexOf(END);
  if (begin < 0 || end < begin) throw new Error(`docs/ARCHITECTURE.md lacks the markers ${BEGIN} … ${END}`);
  const graph = folderGraph();
  return `${text.slice(0, begin + BEGIN.length)}\n${mermaid(graph)}\n\n${table(graph)}\n${text.slice(end)}`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const current = readFileSync(ARCHITECTURE_FILE, 'utf8');
  const made = architectureWithGraph(current);
  if (process.argv.includes('--check')) {
    if (made !== current) {
      console.error('docs/ARCHITECTURE.md: the module graph is not the code\'s; run node scripts/module-graph.mjs');
      process.exit(1);
    }
    console.log('docs/ARCHITECTURE.md: the module graph is current, without loops');
  } else {
    writeFileSync(ARCHITECTURE_FILE, made);
    console.log(`docs/ARCHITECTURE.md: wrote the module graph (${layers(folderGraph()).length} folders, no loops)`);
  }
}
