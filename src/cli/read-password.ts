import { createInterface } from 'node:readline';

/** One line from standard input; on a terminal, prompted and not echoed. */
export async function readPassword(prompt: string): Promise<string> {
  const input = process.stdin;
  if (!input.isTTY) {
    const lines = createInterface({ input });
    for await (const line of lines) return line;
    return '';
  }
  // Echo off before the prompt shows: a quick typist's first keys are not echoed either.
  input.setRawMode(true);
  input.setEncoding('utf8');
  process.stderr.write(prompt);
  return new Promise((resolve) => {
    let password = '';
    const onData = (chunk: string) => {
      for (const character of chunk) {
        if (character === '\r' || character === '\n' || character === '\u0004') {
          input.setRawMode(false);
          input.pause();
          input.off('data', onData);
          process.stderr.write('\n');
          return resolve(password);
        }
        if (character === '\u0003') process.exit(130);
        password = character === '\u007f' ? password.slice(0, -1) : password + character;
      }
    };
    input.on('data', onData);
    input.resume();
  });
}
