// Where the project is: the --dir given, or the nearest directory at or above the working
// directory that has a policies/ folder (so `joinery compile` works from any subfolder).
import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export function findProjectRoot(cwd: string, explicit: string | undefined): string {
  if (explicit !== undefined) return resolve(cwd, explicit);
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    const candidate = join(dir, 'policies');
    if (existsSync(candidate) && statSync(candidate).isDirectory()) return dir;
    if (dirname(dir) === dir) return resolve(cwd);
  }
}
