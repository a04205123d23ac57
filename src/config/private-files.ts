import { closeSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * The data folder holds the SQLite database (password hashes, token hashes)
 * and generated secrets: what the service creates there is for its own user
 * alone, whatever the umask. Its missing parents are made one by one, not with
 * mkdirSync's `recursive`, which never returns under /proc (Node 20 to 24).
 */
export function makePrivateFolder(path: string, parentMade = false): void {
  try {
    mkdirSync(path, { mode: 0o700 });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // Another process made it meanwhile: as good.
    if (code === 'EEXIST' && statSync(path).isDirectory()) return;
    if (code !== 'ENOENT' || parentMade || dirname(path) === path) throw error;
    makePrivateFolder(dirname(path));
    makePrivateFolder(path, true);
  }
}

/** Creates the file, empty and private, unless it exists (SQLite then creates its journals with the same mode). */
export function makePrivateFile(path: string): void {
  closeSync(openSync(path, 'a', 0o600));
}

/** Those of `paths` that exist and that the group or others may read or enter, with their modes, for a warning. */
export function readableByOthers(paths: string[]): string[] {
  return paths.flatMap((path) => {
    try {
      const mode = statSync(path).mode & 0o777;
      return mode & 0o077 ? [`${path} (mode ${mode.toString(8).padStart(4, '0')})`] : [];
    } catch {
      return [];
    }
  });
}
