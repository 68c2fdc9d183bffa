/**
 * Up-front checks that a file the job reads can be read, and that one it writes can be written, so a typo in a
 * path is a one-line usage error (ConfigError, exit 2) before anything is created or a model call is paid for —
 * not an ENOENT stack trace after the output was already created (or after the whole run, for --summary-json).
 *
 * These are checks, not guarantees: the file system can change between the check and the open (the open's own
 * error then ends the run, as before). Both only stat and access(2): nothing is opened, created or consumed
 * (a FIFO input keeps its data).
 */
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ConfigError } from '../core/errors.ts';

/** `path` exists, is not a directory, and this process may read it. */
export async function assertReadableFile(flag: string, path: string): Promise<void> {
  try {
    const info = await stat(path);
    if (info.isDirectory()) throw new ConfigError(flag, `cannot read ${path}: it is a directory`);
    await access(path, constants.R_OK);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(flag, `cannot read ${path}: ${describe(error)}`);
  }
}

/** `path` can be opened for writing: an existing file we may write, or a new name in a writable directory. */
export async function assertWritableFile(flag: string, path: string): Promise<void> {
  const info = await stat(path).catch((error: unknown) => {
    if (codeOf(error) === 'ENOENT') return undefined;
    throw new ConfigError(flag, `cannot write ${path}: ${describe(error)}`);
  });
  if (info?.isDirectory()) throw new ConfigError(flag, `cannot write ${path}: it is a directory`);
  if (info) {
    await access(path, constants.W_OK).catch((error: unknown) => {
      throw new ConfigError(flag, `cannot write ${path}: ${describe(error)}`);
    });
    return;
  }
  // A new file: its directory must exist and let us create entries (write + search permission).
  const directory = dirname(path);
  const dirInfo = await stat(directory).catch((error: unknown) => {
    const why = codeOf(error) === 'ENOENT' ? 'does not exist' : describe(error);
    throw new ConfigError(flag, `cannot create ${path}: directory ${directory} ${why}`);
  });
  if (!dirInfo.isDirectory()) throw new ConfigError(flag, `cannot create ${path}: ${directory} is not a directory`);
  await access(directory, constants.W_OK | constants.X_OK).catch(() => {
    throw new ConfigError(flag, `cannot create ${path}: directory ${directory} is not writable`);
  });
}

/** The errno code of a file-system error (`ENOENT`, …), if it has one. */
export function codeOf(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null ? (error as NodeJS.ErrnoException).code : undefined;
}

/** `no such file (ENOENT)`, `permission denied (EACCES)`, …; the code alone for the rarer ones. */
function describe(error: unknown): string {
  const code = codeOf(error);
  const words: Record<string, string> = {
    ENOENT: 'no such file',
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    ENOTDIR: 'a part of the path is not a directory',
    ELOOP: 'too many symbolic links',
  };
  if (code && words[code]) return `${words[code]} (${code})`;
  return code ?? String(error);
}
