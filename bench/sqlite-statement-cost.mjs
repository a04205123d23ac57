// The CPU one SQLite statement costs through sqlite3 as TypeORM used to load it
// (verbose mode: every call captures an Error and util.inspect's its SQL and
// parameters) and as Gatehouse loads it now (src/database/data-source-options.ts).
// Each mode runs in its own process (verbose mode cannot be turned off once
// on), alternately, several times: a primary-key SELECT of a 16-column row
// shaped like TypeORM's, N times, one at a time; the process's CPU time (every
// thread) per statement. `node bench/sqlite-statement-cost.mjs`
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const STATEMENTS = Number(process.env.STATEMENTS ?? 20000);
const ROUNDS = Number(process.env.ROUNDS ?? 3);

if (process.argv[2] === 'child') {
  const require = createRequire(`${process.cwd()}/package.json`);
  const plain = require('sqlite3');
  const sqlite3 = process.argv[3] === 'verbose' ? plain.verbose() : plain;
  const database = new sqlite3.Database(join(mkdtempSync(join(tmpdir(), 'gatehouse-sqlite-cost-')), 'cost.sqlite'));
  const run = (sql, parameters = []) => new Promise((resolve, reject) => database.run(sql, parameters, (error) => (error ? reject(error) : resolve())));
  const all = (sql, parameters = []) => new Promise((resolve, reject) => database.all(sql, parameters, (error, rows) => (error ? reject(error) : resolve(rows))));
  const columns = Array.from({ length: 16 }, (_, index) => `column_${index}`);
  await run('PRAGMA journal_mode = WAL');
  await run(`CREATE TABLE t (id varchar PRIMARY KEY, ${columns.join(' varchar, ')} varchar)`);
  const hash = 'a'.repeat(64);
  await run(`INSERT INTO t VALUES (?, ${columns.map(() => '?').join(', ')})`, [hash, ...columns.map((column) => `${column}-value`)]);
  // The shape of TypeORM's findOneBy: every column aliased, a bound parameter, LIMIT 1.
  const select = `SELECT ${columns.map((column) => `"T"."${column}" AS "T_${column}"`).join(', ')} FROM "t" "T" WHERE (("T"."id" = ?)) LIMIT 1`;
  for (let index = 0; index < 2000; index++) await all(select, [hash]);
  const before = process.cpuUsage();
  for (let index = 0; index < STATEMENTS; index++) await all(select, [hash]);
  const used = process.cpuUsage(before);
  console.log(JSON.stringify({ microseconds: (used.user + used.system) / STATEMENTS }));
  database.close();
} else {
  const results = { plain: [], verbose: [] };
  for (let round = 0; round < ROUNDS; round++) {
    for (const mode of ['verbose', 'plain']) {
      const child = spawnSync(process.execPath, [import.meta.filename, 'child', mode], { encoding: 'utf8' });
      if (child.status !== 0) throw new Error(child.stderr);
      results[mode].push(JSON.parse(child.stdout).microseconds);
    }
  }
  const median = (values) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)];
  for (const [mode, values] of Object.entries(results)) {
    console.log(`${mode}: ${median(values).toFixed(1)} µs of CPU per statement (median of ${values.map((value) => value.toFixed(1)).join(', ')})`);
  }
  console.log(`verbose mode costs ${(median(results.verbose) - median(results.plain)).toFixed(1)} µs per statement more`);
}
