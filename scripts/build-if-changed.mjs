// Compiles the service (tsc -p tsconfig.build.json) only when a source is newer
// than the last build, so `npm run user:create` and `npm run keys:rotate` start
// at once (and a password prompt comes at once) when nothing has changed.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

/** Written by every build (tsc rewrites each output), so its time is the build's. */
const BUILD_MARK = 'dist/src/main.js';
const SOURCES = ['src', 'ormconfig.ts', 'tsconfig.json', 'tsconfig.build.json', 'package-lock.json'];

const modified = (path) => statSync(path, { throwIfNoEntry: false })?.mtimeMs ?? 0;

function newest(path) {
  const stats = statSync(path, { throwIfNoEntry: false });
  if (!stats?.isDirectory()) return stats?.mtimeMs ?? 0;
  return Math.max(stats.mtimeMs, ...readdirSync(path).map((entry) => newest(join(path, entry))));
}

if (Math.max(...SOURCES.map(newest)) >= modified(BUILD_MARK)) {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const { status } = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
  process.exit(status ?? 1);
}
