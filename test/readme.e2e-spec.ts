import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from './helpers/server.js';

const README_URL = 'http://127.0.0.1:3000';

interface Step {
  command: string;
  /** The lines the README shows after `# → `; `…` stands for anything. */
  expected: string[];
}

/** The README's walk-through: the second sh block of its section, as commands and the outputs shown after them. */
function walkThrough(): { start: string; steps: Step[] } {
  const readme = readFileSync('README.md', 'utf8');
  const section = readme.slice(readme.indexOf('## A walk through with curl'), readme.indexOf('\n## ', readme.indexOf('## A walk through with curl') + 5));
  const [start, script] = [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((match) => match[1]);
  const steps: Step[] = [];
  let command = '';
  for (const line of script.split('\n')) {
    if (line.startsWith('# → ')) steps.at(-1)!.expected.push(line.slice('# → '.length));
    else if (!line.trim() || line.startsWith('#')) continue;
    else {
      command += `${line}\n`;
      if (!line.endsWith('\\')) {
        steps.push({ command: command.trimEnd(), expected: [] });
        command = '';
      }
    }
  }
  return { start, steps };
}

const pattern = (shown: string) => new RegExp(`^${shown.split('…').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);

/** Runs the steps in one shell, as a person pasting them would, and gives each step's output lines. */
async function run(steps: Step[], baseUrl: string): Promise<string[][]> {
  const script = steps.map((step, index) => `printf "\\n@@step ${index}\\n"\n${step.command.replaceAll(README_URL, baseUrl)}`).join('\n');
  const { stdout } = await promisify(execFile)('bash', ['-euo', 'pipefail', '-c', script], { timeout: 60_000 });
  return stdout
    .split(/^@@step \d+\n/m)
    .slice(1)
    .map((output) => output.split('\n').filter(Boolean));
}

describe("the README's walk-through", () => {
  const { start, steps } = walkThrough();
  let server: RunningServer;

  beforeAll(async () => {
    // The start command the README gives: its ADMIN_USERNAME and ADMIN_PASSWORD.
    const admin = Object.fromEntries([...start.matchAll(/(ADMIN_USERNAME|ADMIN_PASSWORD)=(\S+)/g)].map((match) => [match[1], match[2]]));
    expect(Object.keys(admin)).toEqual(['ADMIN_USERNAME', 'ADMIN_PASSWORD']);
    server = await startServer(admin);
  });
  afterAll(() => server?.stop());

  it('shows an output for the steps that print one', () => {
    expect(steps.length).toBeGreaterThan(15);
    expect(steps.filter((step) => step.expected.length).length).toBeGreaterThan(12);
  });

  it('works as written, twice in a row on one database, every output as shown', async () => {
    for (let round = 1; round <= 2; round++) {
      const outputs = await run(steps, server.baseUrl);
      expect(outputs, `round ${round}`).toHaveLength(steps.length);
      steps.forEach((step, index) => {
        if (!step.expected.length) return;
        expect(outputs[index], `round ${round}: ${step.command}`).toHaveLength(step.expected.length);
        step.expected.forEach((shown, line) => expect(outputs[index][line], `round ${round}: ${step.command}`).toMatch(pattern(shown)));
      });
    }
  });
});
