import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The module graph of docs/ARCHITECTURE.md, checked: which top-level folder of
 * src/ imports which (type-only imports count too), and that no two folders
 * import each other, directly or round a longer loop.
 */
const SOURCE = resolve(import.meta.dirname);

function sourceFiles(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.ts$/.test(entry.name) && !/\.spec\.ts$/.test(entry.name) ? [path] : [];
  });
}

const folderOf = (path: string) => {
  const parts = relative(SOURCE, path).split('/');
  return parts.length > 1 ? parts[0] : '.';
};

function folderGraph(): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const file of sourceFiles(SOURCE)) {
    const from = folderOf(file);
    for (const [, specifier] of readFileSync(file, 'utf8').matchAll(/from '(\.{1,2}\/[^']+)'/g)) {
      const to = folderOf(resolve(dirname(file), specifier));
      if (to === from) continue;
      graph.set(from, (graph.get(from) ?? new Set()).add(to));
    }
  }
  return graph;
}

function findLoop(graph: Map<string, Set<string>>): string[] | null {
  const state = new Map<string, 'visiting' | 'done'>();
  const path: string[] = [];
  const visit = (folder: string): string[] | null => {
    if (state.get(folder) === 'done') return null;
    if (state.get(folder) === 'visiting') return [...path.slice(path.indexOf(folder)), folder];
    state.set(folder, 'visiting');
    path.push(folder);
    for (const next of graph.get(folder) ?? []) {
      const loop = visit(next);
      if (loop) return loop;
    }
    path.pop();
    state.set(folder, 'done');
    return null;
  };
  for (const folder of graph.keys()) {
    const loop = visit(folder);
    if (loop) return loop;
  }
  return null;
}

describe('the folders of src/', () => {
  it('import each other without a loop', () => {
    expect(findLoop(folderGraph())).toBeNull();
  });

  it('keep the leaves leaves: account rules import nothing of the app, configuration only the account rules', () => {
    const graph = folderGraph();
    expect([...(graph.get('account-rules') ?? [])]).toEqual([]);
    expect([...(graph.get('config') ?? [])]).toEqual(['account-rules']);
    expect([...(graph.get('users') ?? [])].sort()).toEqual(['account-rules', 'database', 'metrics', 'security-events']);
  });

  it('keep metrics and the security events below every feature, and nothing but its readers imports the audit trail', () => {
    const graph = folderGraph();
    expect([...(graph.get('security-events') ?? [])]).toEqual(['http']);
    expect([...(graph.get('metrics') ?? [])].sort()).toEqual(['config', 'security-events']);
    const importersOfAudit = [...graph].filter(([, targets]) => targets.has('audit')).map(([folder]) => folder);
    // Features raise events and never read the trail; its readers are the app, the CLI and the two consoles (which show it as GET /audit does).
    expect(importersOfAudit.sort()).toEqual(['.', 'account-console', 'admin-console', 'cli']);
  });

  it('keep the hosted pages infrastructure: they import configuration and http, and the features import them', () => {
    const graph = folderGraph();
    expect([...(graph.get('pages') ?? [])].sort()).toEqual(['config', 'http']);
  });

  it('finds a loop when there is one (the check itself)', () => {
    expect(findLoop(new Map([['a', new Set(['b'])], ['b', new Set(['c'])], ['c', new Set(['a'])]]))).toEqual(['a', 'b', 'c', 'a']);
  });
});
