import * as fs from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { JsonConfigFile } from '../../src/store/json-config-file.ts';
import { ConsumerOffsetManager } from '../../src/broker/consumer-offset-manager.ts';
import { capturedLog } from '../support/captured-log.ts';
import { removeTempDirs, tempDir } from '../../src/harness/temp-dir.ts';

afterAll(removeTempDirs);

describe('JsonConfigFile', () => {
  it('saves atomically and keeps the previous version as .bak', () => {
    const path = join(tempDir(), 'config', 'topics.json');
    const { log, lines } = capturedLog();
    const f = new JsonConfigFile<{ v: number; table: Record<string, number> }>(path, log);
    expect(f.load()).toBeUndefined();
    f.save({ v: 1, table: { '0': 5 } });
    expect(fs.existsSync(`${path}.bak`)).toBe(false);
    f.save({ v: 2, table: { '0': 6 } });
    expect(f.load()).toEqual({ v: 2, table: { '0': 6 } });
    expect(JSON.parse(fs.readFileSync(`${path}.bak`, 'utf8'))).toEqual({ v: 1, table: { '0': 5 } });
    expect(fs.existsSync(`${path}.tmp`)).toBe(false);
    expect(lines).toEqual([]); // a first start (no file, no backup) is not news
  });

  it('falls back to .bak when the file is corrupt or missing', () => {
    const path = join(tempDir(), 'consumerOffset.json');
    const { log, lines } = capturedLog();
    const f = new JsonConfigFile<{ v: number }>(path, log);
    f.save({ v: 1 });
    f.save({ v: 2 });
    fs.writeFileSync(path, '{"v": 2, trunc');
    expect(f.load()).toEqual({ v: 1 });
    expect(lines).toHaveLength(1);
    expect(lines[0]!.level).toBe('warn');
    expect(lines[0]!.msg).toContain(`${path} is not valid JSON`);
    expect(lines[0]!.msg).toContain(`loaded the previous version from ${path}.bak`);
    // saving over a corrupt file keeps the good backup
    f.save({ v: 3 });
    expect(JSON.parse(fs.readFileSync(`${path}.bak`, 'utf8'))).toEqual({ v: 1 });
    fs.rmSync(path);
    expect(f.load()).toEqual({ v: 1 });
  });

  it('logs an ERROR naming both files when consumerOffset.json and its .bak are both corrupt, then starts empty', () => {
    const path = join(tempDir(), 'config', 'consumerOffset.json');
    const { log, lines, raw } = capturedLog('broker a');
    const before = new ConsumerOffsetManager(path, log);
    before.commit('g', 't', 0, 42);
    before.persist();
    before.commit('g', 't', 0, 43);
    before.persist();
    fs.writeFileSync(path, '{"offsetTable": {"t@g": {"0": 4');
    fs.writeFileSync(`${path}.bak`, '');
    const after = new ConsumerOffsetManager(path, log);
    after.load();
    expect(after.query('g', 't', 0)).toBe(-1);
    const errors = lines.filter((l) => l.level === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]!.msg).toMatch(new RegExp(`^neither ${path} \\(not valid JSON .*\\) nor ${path}\\.bak \\(not valid JSON .*\\) holds valid JSON`));
    // The raw line a grep sees names both files too.
    expect(raw.find((l) => l.includes('"level":"error"'))).toContain(`${path}.bak`);
  });

  it('logs a WARN when only the .bak is left', () => {
    const path = join(tempDir(), 'topics.json');
    const { log, lines } = capturedLog();
    const f = new JsonConfigFile<{ v: number }>(path, log);
    f.save({ v: 1 });
    f.save({ v: 2 });
    fs.rmSync(path);
    expect(f.load()).toEqual({ v: 1 });
    expect(lines.map((l) => [l.level, l.msg])).toEqual([['warn', `${path} is missing: loaded the previous version from ${path}.bak; changes saved after it are lost`]]);
  });
});
