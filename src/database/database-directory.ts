import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DatabaseConfiguration } from '../config/configuration.js';

/** SQLite creates its file but not the folder; a fresh clone has no `data/` yet. */
export function ensureDatabaseDirectory(database: DatabaseConfiguration): void {
  if (database.type === 'sqlite') mkdirSync(dirname(database.file), { recursive: true });
}
