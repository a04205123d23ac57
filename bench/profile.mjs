// npm run bench:profile: where GET / (Bearer, RS256) spends its CPU. Starts the
// built service under `node --cpu-prof` on one core, loads it with autocannon
// from the other, stops it (SIGTERM: the profile is written on exit), and
// writes bench/profile.md: the functions with the most self time, and the
// inclusive share of the layers a request crosses.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';

const SECONDS = Number(process.env.PROFILE_SECONDS ?? 10);
const directory = mkdtempSync(join(tmpdir(), 'gatehouse-profile-'));
const child = spawn('taskset', ['-c', '0', process.execPath, '--cpu-prof', `--cpu-prof-dir=${directory}`, 'dist/src/main.js'], {
  env: { ...process.env, PORT: '0', DATABASE_URL: `sqlite:${join(directory, 'app.sqlite')}`, BCRYPT_ROUNDS: '4', LOG_LEVEL: 'info' },
  stdio: ['ignore', 'pipe', 'inherit'],
});
const url = await new Promise((resolve) => {
  let output = '';
  child.stdout.on('data', (chunk) => {
    output += chunk;
    const match = /listens on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
    if (match) resolve(match[1]);
  });
});
const user = { username: 'profiled', password: 'profile-password' };
await fetch(`${url}/auth`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(user) });
const { access_token: token } = await (await fetch(`${url}/auth/token`, { method: 'POST', body: new URLSearchParams(user) })).json();
const result = await new Promise((resolve, reject) =>
  autocannon({ url: `${url}/`, connections: 32, duration: SECONDS, headers: { authorization: `Bearer ${token}` } }, (error, done) => (error ? reject(error) : resolve(done))),
);
const exited = new Promise((resolve) => child.once('exit', resolve));
child.kill('SIGTERM');
await exited;

const profile = JSON.parse(readFileSync(join(directory, readdirSync(directory).find((name) => name.endsWith('.cpuprofile'))), 'utf8'));
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const selfTicks = new Map();
for (const sample of profile.samples) selfTicks.set(sample, (selfTicks.get(sample) ?? 0) + 1);
const total = profile.samples.length;
const nameOf = (node) => {
  const { functionName, url: file, lineNumber } = node.callFrame;
  const where = file ? file.replace(/^file:\/\/.*?node_modules\//, '').replace(/^file:\/\/.*?\/dist\//, 'dist/') : '';
  return `${functionName || '(anonymous)'}${where ? ` ${where}:${lineNumber + 1}` : ''}`;
};
const self = new Map();
for (const [id, ticks] of selfTicks) {
  const name = nameOf(byId.get(id));
  self.set(name, (self.get(name) ?? 0) + ticks);
}
// Inclusive share by package (or "gatehouse", "node"), counting each sample once per package on its stack.
const parents = new Map();
for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);
const packageOf = (node) => {
  const file = node.callFrame.url;
  if (!file) return node.callFrame.functionName.startsWith('(') ? node.callFrame.functionName : 'node (native)';
  if (file.startsWith('node:')) return 'node (lib)';
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file);
  return match ? match[1] : file.includes('/dist/') ? 'gatehouse (dist/)' : file;
};
const inclusive = new Map();
for (const [id, ticks] of selfTicks) {
  const seen = new Set();
  for (let current = id; current !== undefined; current = parents.get(current)) seen.add(packageOf(byId.get(current)));
  for (const name of seen) inclusive.set(name, (inclusive.get(name) ?? 0) + ticks);
}
const share = (ticks) => `${((100 * ticks) / total).toFixed(1)} %`;
const top = (map, count) => [...map].sort((a, b) => b[1] - a[1]).slice(0, count);
const report = [
  `# Profile of GET / (Bearer, RS256)`,
  ``,
  `${new Date().toISOString()} · node --cpu-prof, 1 core, autocannon 32 connections for ${SECONDS} s: ${result.requests.average.toFixed(0)} req/s · ${total} samples`,
  ``,
  `## Most self time`,
  ``,
  `| function | self |`,
  `| --- | ---: |`,
  ...top(self, 25).map(([name, ticks]) => `| \`${name}\` | ${share(ticks)} |`),
  ``,
  `## Inclusive, by package (a sample counts once for every package on its stack)`,
  ``,
  `| package | inclusive |`,
  `| --- | ---: |`,
  ...top(inclusive, 20).map(([name, ticks]) => `| \`${name}\` | ${share(ticks)} |`),
  ``,
].join('\n');
writeFileSync('bench/profile.md', report);
console.log(report);
