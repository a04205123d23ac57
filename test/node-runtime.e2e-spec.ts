import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const major = (version: string) => Number(version.replace(/^[^\d]*/, '').split('.')[0]);
const readJson = (path: string) => JSON.parse(readFileSync(path, 'utf8'));

describe('the Node that runs Gatehouse', () => {
  it('is 22 or newer: on a machine whose own Node is older, npm scripts run on the Node 24 that npm ci installed', () => {
    expect(major(process.versions.node)).toBeGreaterThanOrEqual(22);
    expect(readJson('package.json').engines.node).toBe('>=22');
  });

  it('is 24 wherever it is named: .nvmrc, .node-version, node-runtime/ and @types/node', () => {
    const named = [
      readFileSync('.nvmrc', 'utf8').trim(),
      readFileSync('.node-version', 'utf8').trim(),
      readJson('node-runtime/package.json').version,
      ...Object.values(readJson('node-runtime/package.json').optionalDependencies as Record<string, string>),
      readJson('package.json').devDependencies['@types/node'],
      readJson('examples/resource-server/package.json').devDependencies['@types/node'],
    ];
    expect(named.map(major)).toEqual(named.map(() => 24));
  });

  it('comes from nowhere on Node 22 or newer: scripts/node-runtime.mjs --env prints nothing and installs nothing', async () => {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['scripts/node-runtime.mjs', '--env'], { timeout: 30_000 });
    expect(stdout).toBe('');
    expect(stderr).toBe('');
  });
});
