import * as fs from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { JsonConfigFile } from '../../src/store/json-config-file.ts';
import { removeTempDirs, tempDir } from '../../src/harness/temp-dir.ts';

afterAll(removeTempDirs);

describe('JsonConfigFile', () => {
  it('saves atomically and keeps the previous version as .bak', () => {
    const path = join(tempDir(), 'config', 'topics.json');
    const f = new JsonConfigFile<{ v: number; table: Record<string, number> }>(path);
    expect(f.load()).toBeUndefined();
    f.save({ v: 1, table: { '0': 5 } });
    expect(fs.existsSync(`${path}.bak`)).toBe(false);
    f.save({ v: 2, table: { '0': 6 } });
    expect(f.load()).toEqual({ v: 2, table: { '0': 6 } });
    expect(JSON.parse(fs.readFileSync(`${path}.bak`, 'utf8'))).toEqual({ v: 1, table: { '0': 5 } });
    expect(fs.existsSync(`${path}.tmp`)).toBe(false);
  });

  it('falls back to .bak when the file is corrupt or missing', () => {
    const path = join(tempDir(), 'consumerOffset.json');
    const f = new JsonConfigFile<{ v: number }>(path);
    f.save({ v: 1 });
    f.save({ v: 2 });
    fs.writeFileSync(path, '{"v": 2, trunc');
    expect(f.load()).toEqual({ v: 1 });
    // saving over a corrupt file keeps the good backup
    f.save({ v: 3 });
    expect(JSON.parse(fs.readFileSync(`${path}.bak`, 'utf8'))).toEqual({ v: 1 });
    fs.rmSync(path);
    expect(f.load()).toEqual({ v: 1 });
  });
});
