import { spawn } from 'node:child_process';

export interface RunningExample {
  /** What it printed, stdout and stderr together. */
  output: () => string;
  stop: () => void;
}

/**
 * Runs an example application of examples/ (a plain Node file, on the
 * repository's node_modules) with `env` over this process's environment, and
 * resolves once it says it "listens on"; rejects with its output if it exits
 * first or takes more than 20 s.
 */
export function startExample(file: string, env: Record<string, string>): Promise<RunningExample> {
  const child = spawn(process.execPath, [file], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const running: RunningExample = { output: () => output, stop: () => child.kill() };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${file} did not start:\n${output}`)), 20_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('listens on')) {
        clearTimeout(timer);
        resolve(running);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${file} exited with ${code}:\n${output}`)));
  });
}
