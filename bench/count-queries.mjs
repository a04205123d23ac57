// Loaded with `node --import ./bench/count-queries.mjs` by bench/profile.mjs
// (never by the service itself): counts the SQL statements the SQLite driver
// runs, by their first word, in globalThis.__gatehouseQueries, which the
// profiler reads through the inspector before and after a row. TypeORM loads
// sqlite3 with require(), so wrapping the prototype here sees every statement.
import { createRequire } from 'node:module';

const require = createRequire(`${process.cwd()}/package.json`);
const { Database } = require('sqlite3');
const counts = (globalThis.__gatehouseQueries = {});
for (const method of ['all', 'run', 'get', 'exec', 'each']) {
  const original = Database.prototype[method];
  Database.prototype[method] = function counted(sql, ...rest) {
    const kind = /^\s*(\w+)/.exec(String(sql))?.[1]?.toUpperCase() ?? '?';
    counts[kind] = (counts[kind] ?? 0) + 1;
    return original.call(this, sql, ...rest);
  };
}
