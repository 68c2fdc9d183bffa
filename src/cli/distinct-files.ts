/**
 * Refuses a job whose input, output, dead-letter (and summary) files are the same file: opening the output
 * truncates it, a fresh file output's dead-letter file is removed, and two writers on one file interleave their
 * lines — so `-i a.jsonl -o a.jsonl` would destroy the input before a line of it is read. Called before anything
 * is opened, truncated or removed; the ConfigError (exit 2) names both flags and the path.
 *
 * "Same file" means the same resolved path, also through symlinks (realpath of an existing file; realpath of the
 * directory + the base name for one that does not exist yet; a dangling symlink is followed to where it would
 * create its target), or the same device + inode when both exist (hard links). Character devices are exempt:
 * `-o /dev/null --dead-letter /dev/null` or two names of one terminal overwrite nothing.
 * Not detected: two spellings of one not-yet-existing name on a case-insensitive file system.
 */
import { lstat, readlink, realpath, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { ConfigError } from '../core/errors.ts';
import { codeOf } from './usable-paths.ts';

export interface JobFile {
  /** The option that named it, as the message names it: `-i`, `-o`, `--dead-letter`, `<dead-letters>`. */
  readonly flag: string;
  readonly path: string;
  /** What it is, for the message: `the input file`, `the output file`, … */
  readonly role: string;
  /** What would happen to it if another of the job's files were the same file: `it would be overwritten`. */
  readonly harm: string;
}

interface Identity {
  readonly real: string;
  readonly inode?: { readonly dev: number; readonly ino: number };
  readonly device: boolean;
}

/** Throws a ConfigError for the first pair of `files` that are one file; earlier entries are named as the victim. */
export async function assertDistinctFiles(files: readonly JobFile[]): Promise<void> {
  const identities = await Promise.all(files.map((file) => identify(file.path)));
  for (let later = 1; later < files.length; later++) {
    for (let earlier = 0; earlier < later; earlier++) {
      if (!sameFile(identities[earlier]!, identities[later]!)) continue;
      const victim = files[earlier]!;
      const other = files[later]!;
      const named = other.path === victim.path ? victim.flag : `${victim.flag} ${victim.path}`;
      throw new ConfigError(other.flag, `${other.path} is ${victim.role} (${named}): ${victim.harm}`);
    }
  }
}

function sameFile(a: Identity, b: Identity): boolean {
  if (a.device || b.device) return false;
  if (a.real === b.real) return true;
  return a.inode !== undefined && b.inode !== undefined && a.inode.dev === b.inode.dev && a.inode.ino === b.inode.ino;
}

/** `hops` bounds a chain of dangling symlinks (a loop fails realpath with ELOOP before this matters). */
async function identify(path: string, hops = 0): Promise<Identity> {
  const absolute = resolve(path);
  try {
    const info = await stat(absolute);
    return {
      real: await realpath(absolute),
      inode: { dev: info.dev, ino: info.ino },
      device: info.isCharacterDevice(),
    };
  } catch (error) {
    if (codeOf(error) !== 'ENOENT') return { real: absolute, device: false }; // unreadable: compared by path only
  }
  const link = await lstat(absolute).catch(() => undefined);
  if (link?.isSymbolicLink() && hops < 8)
    return identify(resolve(dirname(absolute), await readlink(absolute)), hops + 1);
  const directory = await realpath(dirname(absolute)).catch(() => dirname(absolute));
  return { real: join(directory, basename(absolute)), device: false };
}
