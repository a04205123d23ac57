import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { expect } from 'vitest';

/** The URL every page's commands use: a test puts its own server's in its place. */
export const DOCS_URL = 'http://127.0.0.1:3000';

/** The ```sh blocks of a page's section, from its heading to the next heading of the same level. */
export function shellBlocks(page: string, heading: string): string[] {
  const text = readFileSync(page, 'utf8');
  const start = text.indexOf(`${heading}\n`);
  expect(start, `${page} has "${heading}"`).toBeGreaterThan(-1);
  const level = heading.split(' ')[0];
  const end = text.indexOf(`\n${level} `, start + heading.length);
  return [...text.slice(start, end < 0 ? undefined : end).matchAll(/```sh\n([\s\S]*?)```/g)].map((match) => match[1]);
}

/** curl prints no newline after a JSON answer: one after each curl command, as a terminal shows the next prompt on a line of its own. */
export function withNewlines(block: string): string {
  let inCurl = false;
  return block
    .split('\n')
    .map((line) => {
      inCurl ||= line.startsWith('curl ');
      if (!inCurl || line.endsWith('\\')) return line;
      inCurl = false;
      return `${line}\necho`;
    })
    .join('\n');
}

/** Runs a script in bash, stopping at the first failing command, and gives what it printed. */
export async function runAsWritten(script: string, options: { cwd?: string; env?: NodeJS.ProcessEnv; timeout?: number } = {}): Promise<string> {
  const { stdout } = await promisify(execFile)('bash', ['-euo', 'pipefail', '-c', script], { timeout: 60_000, maxBuffer: 16 * 1024 * 1024, ...options });
  return stdout;
}

const pattern = (shown: string) => new RegExp(`^${shown.split('…').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);

/**
 * Every output the block shows after `# → ` (`…` stands for anything) is a
 * line of `stdout`, in the block's order (unless a process in the background
 * prints some of them, when `inOrder` is false).
 */
export function expectShown(stdout: string, block: string, replace: (line: string) => string = (line) => line, inOrder = true): void {
  const shown = block.split('\n').filter((line) => line.startsWith('# → ')).map((line) => replace(line.slice('# → '.length)));
  expect(shown.length, 'the block shows an output').toBeGreaterThan(0);
  const lines = stdout.split('\n');
  let at = 0;
  for (const line of shown) {
    const found = lines.findIndex((output, index) => index >= at && pattern(line).test(output));
    expect(found, `${line}\nin:\n${stdout}`).toBeGreaterThanOrEqual(0);
    if (inOrder) at = found + 1;
  }
}

/**
 * A page's line as the person follows it around `npm run client:create`: the
 * command's output is kept in the file `printed` (a path, or a shell variable
 * such as `$CREATED`), and on the page's `CLIENT_ID=…; CLIENT_SECRET=…` line
 * they type the values it printed. Any other line is unchanged.
 */
export function copyPrintedClient(line: string, printed: string): string {
  const withoutComment = line.replace(/\s+#.*$/, '');
  if (line.startsWith('npm run client:create -- ')) return `${withoutComment} | tee "${printed}"`;
  if (!line.startsWith('CLIENT_ID=…')) return line;
  return withoutComment
    .replace('CLIENT_ID=…', `CLIENT_ID=$(sed -n 's/^ *client_id: *//p' "${printed}")`)
    .replace('CLIENT_SECRET=…', `CLIENT_SECRET=$(sed -n 's/^ *client_secret: *\\([^ ]*\\).*/\\1/p' "${printed}")`);
}
