import { dirname, join } from 'node:path';
import { dataFolderError, type AppConfiguration } from '../config/configuration.js';
import { makePrivateFile, makePrivateFolder, readableByOthers } from '../config/private-files.js';

/**
 * SQLite creates its file but not the folder, and a fresh clone has no
 * `data/` yet: both are made private (0700, 0600). Returns what in the data
 * folder, made earlier or by hand, other users of the machine can read. A
 * folder it cannot write is a ConfigurationError (one line at start-up).
 */
export function prepareDataDirectory({ database, dataDirectory }: Pick<AppConfiguration, 'database' | 'dataDirectory'>): string[] {
  const candidates = [dataDirectory, join(dataDirectory, 'jwt-secret'), join(dataDirectory, 'key-encryption-secret')];
  if (database.type === 'sqlite') {
    try {
      makePrivateFolder(dirname(database.file));
      makePrivateFile(database.file);
    } catch (error) {
      throw dataFolderError(error, database);
    }
    candidates.push(dirname(database.file), database.file, `${database.file}-wal`, `${database.file}-shm`);
  }
  return readableByOthers([...new Set(candidates)]);
}
