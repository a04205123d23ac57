import { spawnSync } from 'node:child_process';

/** Null when Debian's promtool (package `prometheus`) is installed; otherwise why the promtool checks are skipped. In CI a skip is a failure. */
export function promtoolSkipReason(): string | null {
  const found = spawnSync('promtool', ['--version'], { encoding: 'utf8' });
  if (!found.error && found.status === 0) return null;
  if (process.env.CI) throw new Error('promtool is required in CI (.ci/run installs Debian\'s prometheus package)');
  const reason = 'skipped: promtool checks: promtool is not installed (apt-get install prometheus)';
  console.warn(reason);
  return reason;
}

/** Runs promtool with `args` (and `input` on its standard input); what it said, and its exit status. */
export function promtool(args: string[], input?: string): { status: number | null; output: string } {
  const run = spawnSync('promtool', args, { encoding: 'utf8', input, cwd: process.cwd() });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}
