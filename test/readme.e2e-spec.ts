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

/** The Postman run of docs/getting-started.md: the sh block of its "Use it from Postman" section, which goes on from the walk-through's service. */
function postmanRun(): string {
  const page = readFileSync('docs/getting-started.md', 'utf8');
  const start = page.indexOf('## Use it from Postman');
  const section = page.slice(start, page.indexOf('\n## ', start + 5));
  const blocks = [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((match) => match[1]);
  expect(blocks).toHaveLength(1);
  return blocks[0].trim();
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

describe("the README's walk-through, then the Postman run of docs/getting-started.md, in order on one fresh data folder", () => {
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

  it("then runs the Postman collection as docs/getting-started.md says, with the walk-through's admin, and no assertion fails", async () => {
    const command = postmanRun();
    // One set of admin credentials throughout: the ones the walk-through started the service with.
    const admin = Object.fromEntries([...start.matchAll(/(ADMIN_USERNAME|ADMIN_PASSWORD)=(\S+)/g)].map((match) => [match[1], match[2]]));
    expect(command).toContain(`--env-var adminUsername=${admin.ADMIN_USERNAME} --env-var adminPassword=${admin.ADMIN_PASSWORD}`);
    const environment = JSON.parse(readFileSync('postman/gatehouse.postman_environment.json', 'utf8')) as { values: { key: string; value: string }[] };
    expect(Object.fromEntries(environment.values.map(({ key, value }) => [key, value]))).toMatchObject({ adminUsername: admin.ADMIN_USERNAME, adminPassword: admin.ADMIN_PASSWORD });
    const result = await promisify(execFile)('bash', ['-euo', 'pipefail', '-c', command.replaceAll(README_URL, server.baseUrl)], { timeout: 240_000, maxBuffer: 64 * 1024 * 1024 }).catch(
      (error: { stdout?: string; code?: number }) => ({ stdout: error.stdout ?? '', failed: error.code ?? 1 }),
    );
    expect('failed' in result ? result.stdout.split('\n').slice(-80).join('\n') : '', 'newman reported failures').toBe('');
    expect(result.stdout).toMatch(/assertions\s*│\s*\d+\s*│\s*0\s*│/);
  }, 300_000);
});
