import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../logging/logger.ts';

const RELOAD_POLL_MS = 1000;

/**
 * A JSON file re-read when it changes (polled each second, so no restart is needed); a missing file is the
 * empty value, and a file that does not parse keeps the value read before, so a half-edited file locks no one out.
 */
export class WatchedJsonFile<T> {
  private current: T;
  private readonly file: string | undefined;
  private readonly parse: (text: string) => T;
  private readonly empty: T;
  private readonly log: Logger;

  constructor(file: string | undefined, parse: (text: string) => T, empty: T, log: Logger) {
    this.file = file;
    this.parse = parse;
    this.empty = empty;
    this.current = empty;
    this.log = log;
    this.reload();
    if (file) fs.watchFile(file, { interval: RELOAD_POLL_MS, persistent: false }, () => this.reload());
  }

  get value(): T {
    return this.current;
  }

  close(): void {
    if (this.file) fs.unwatchFile(this.file);
  }

  /** Reads the file now (after this process wrote it), instead of at the next poll. */
  reload(): void {
    if (!this.file || !fs.existsSync(this.file)) {
      this.current = this.empty;
      return;
    }
    try {
      this.current = this.parse(fs.readFileSync(this.file, 'utf8'));
    } catch (err) {
      this.log.error(`${path.basename(this.file)} ignored, keeping what was read before: ${(err as Error).message}`);
    }
  }
}
