import * as fs from 'node:fs';
import { dirname } from 'node:path';
import type { Logger } from '../logging/logger.ts';
import { syncDirectory } from './segment-file.ts';

/**
 * A JSON file replaced atomically, with the previous version kept as `<file>.bak`:
 * write `<file>.tmp` and fsync it, copy the current file to .bak, rename tmp over the file,
 * fsync the directory. Loading falls back to .bak when the file is missing or unparsable.
 * Standard JSON only (RocketMQ's fastjson writes some maps with unquoted int keys; we don't).
 */
export class JsonConfigFile<T> {
  readonly path: string;
  private readonly log: Logger;

  constructor(path: string, log: Logger) {
    this.path = path;
    this.log = log;
  }

  get backupPath(): string {
    return `${this.path}.bak`;
  }

  /**
   * The saved value, or undefined when neither the file nor its backup holds valid JSON. Falling
   * back to the backup, or to nothing when either file existed, is logged naming both files.
   */
  load(): T | undefined {
    const main = readJson<T>(this.path);
    if ('value' in main) return main.value;
    const backup = readJson<T>(this.backupPath);
    if ('value' in backup) {
      this.log.warn(`${this.path} is ${main.problem}: loaded the previous version from ${this.backupPath}; changes saved after it are lost`);
      return backup.value;
    }
    if (main.problem !== MISSING || backup.problem !== MISSING) {
      this.log.error(
        `neither ${this.path} (${main.problem}) nor ${this.backupPath} (${backup.problem}) holds valid JSON: ` +
          'starting from an empty table; everything they held is lost',
      );
    }
    return undefined;
  }

  save(value: T): void {
    const dir = dirname(this.path);
    fs.mkdirSync(dir, { recursive: true });
    const tmp = `${this.path}.tmp`;
    const fd = fs.openSync(tmp, 'w');
    try {
      fs.writeSync(fd, JSON.stringify(value, null, 2));
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    // Copy rather than rename, so the main file never disappears between the two steps; a
    // corrupt main file must not overwrite a good backup.
    if ('value' in readJson<T>(this.path)) fs.copyFileSync(this.path, this.backupPath);
    fs.renameSync(tmp, this.path);
    syncDirectory(dir);
  }
}

const MISSING = 'missing';

/** The parsed value, or why there is none ('missing' when the file does not exist). */
function readJson<T>(path: string): { value: T } | { problem: string } {
  let text: string;
  try {
    text = fs.readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { problem: code === 'ENOENT' ? MISSING : `unreadable (${code ?? String(err)})` };
  }
  try {
    return { value: JSON.parse(text) as T };
  } catch (err) {
    return { problem: `not valid JSON (${(err as Error).message})` };
  }
}
