import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const made: string[] = [];

/** A new empty folder under `parent` (the OS temp folder unless told); removeTempDirs() deletes it later. */
export function tempDir(prefix = 'tern-test-', parent = os.tmpdir()): string {
  const dir = fs.mkdtempSync(path.join(parent, prefix));
  made.push(dir);
  return dir;
}

/** For afterAll: removes every folder tempDir() made so far (vitest gives each test file its own module state). */
export function removeTempDirs(): void {
  for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}
