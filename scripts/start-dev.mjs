// npm run start:dev: tsc in watch mode, and the service started again after
// each compilation that has no type error (as `nest start --watch` does, on
// every supported Node version and without the Nest CLI). Ctrl-C stops both.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { once } from 'node:events';

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
/** What tsc prints at the end of each compilation in watch mode. */
const COMPILED = /Found (\d+) errors?\. Watching for file changes/;

let service = null;
let stopping = false;

async function restartService() {
  if (service) {
    const exited = once(service, 'exit');
    service.kill('SIGTERM');
    await exited;
  }
  if (stopping) return;
  service = spawn(process.execPath, ['--enable-source-maps', 'dist/src/main.js'], { stdio: 'inherit' });
  service.once('exit', () => (service = null));
}

const compiler = spawn(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--watch', '--preserveWatchOutput'], { stdio: ['ignore', 'pipe', 'inherit'] });
compiler.stdout.setEncoding('utf8');
let restarts = Promise.resolve();
let partial = '';
compiler.stdout.on('data', (chunk) => {
  process.stdout.write(chunk);
  const lines = (partial + chunk).split('\n');
  partial = lines.pop();
  for (const line of lines) {
    const compiled = COMPILED.exec(line);
    if (!compiled) continue;
    if (compiled[1] === '0') restarts = restarts.then(restartService);
    else console.log('start:dev: the service runs the last build without errors; fix the errors above and it restarts');
  }
});
compiler.once('exit', (code) => {
  if (!stopping) process.exit(code ?? 1);
});

// The terminal sends Ctrl-C to every process of the group: the service finishes its requests, then all leave.
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, async () => {
    stopping = true;
    compiler.kill();
    if (service) {
      service.kill(signal);
      await once(service, 'exit');
    }
    process.exit(0);
  });
}
