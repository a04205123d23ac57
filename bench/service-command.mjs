// How the bench starts Gatehouse: as `npm start` does, with the node flags of
// package.json's start script (today --max-semi-space-size, see
// docs/PERFORMANCE.md), so that what is measured is what ships.
import { readFileSync } from 'node:fs';

const start = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).scripts.start;
const flags = /^exec node (.*?)\s*dist\/src\/main\.js$/.exec(start);
if (!flags) throw new Error(`package.json's start script is not "exec node [flags] dist/src/main.js": ${start}`);

/** The node flags of `npm start`, before the script. */
export const SERVICE_NODE_FLAGS = flags[1].split(/\s+/).filter(Boolean);
