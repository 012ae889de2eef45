import * as fs from 'node:fs';
import { dirname } from 'node:path';
import { syncDirectory } from './segment-file.ts';

/**
 * A JSON file replaced atomically, with the previous version kept as `<file>.bak`:
 * write `<file>.tmp` and fsync it, copy the current file to .bak, rename tmp over the file,
 * fsync the directory. Loading falls back to .bak when the file is missing or unparsable.
 * Standard JSON only (RocketMQ's fastjson writes some maps with unquoted int keys; we don't).
 */
export class JsonConfigFile<T> {
  readonly path: string;

  constructor(path: string) {
    this.path = path;
  }

  get backupPath(): string {
    return `${this.path}.bak`;
  }

  /** The saved value, or undefined when neither the file nor its backup holds valid JSON. */
  load(): T | undefined {
    return readJson<T>(this.path) ?? readJson<T>(this.backupPath);
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
    if (readJson<T>(this.path) !== undefined) fs.copyFileSync(this.path, this.backupPath);
    fs.renameSync(tmp, this.path);
    syncDirectory(dir);
  }
}

function readJson<T>(path: string): T | undefined {
  let text: string;
  try {
    text = fs.readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}
