import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeTempDirs, tempDir } from '../../src/harness/temp-dir.ts';
import { HardStateCorrupt, readHardState, writeHardState } from '../../src/raft/raft-hard-state-file.ts';
import { INDEX_RECORD_SIZE, RaftIndexFile } from '../../src/raft/raft-index-file.ts';
import { FileEntryStore } from '../../src/raft/file-entry-store.ts';
import type { Entry } from '../../src/raft/raft-messages.ts';

afterAll(removeTempDirs);

const entry = (index: number, term: number, text: string | null): Entry =>
  ({ index, term, data: text === null ? null : Buffer.from(text) });
const texts = (es: Entry[]): (string | null)[] => es.map((e) => (e.data === null ? null : Buffer.from(e.data).toString()));

describe('raft hard state file', () => {
  it('is absent on a new node, round-trips, and replaces the previous state', async () => {
    const file = path.join(tempDir(), 'hard-state');
    expect(readHardState(file)).toEqual({ term: 0, vote: 0, commit: 0 });
    await writeHardState(file, { term: 3, vote: 2, commit: 17 });
    await writeHardState(file, { term: 2 ** 40, vote: 1, commit: 2 ** 45 });
    expect(readHardState(file)).toEqual({ term: 2 ** 40, vote: 1, commit: 2 ** 45 });
    expect(fs.existsSync(`${file}.tmp`)).toBe(false);
  });

  it('refuses a torn or corrupt file instead of forgetting the vote', async () => {
    const file = path.join(tempDir(), 'hard-state');
    await writeHardState(file, { term: 9, vote: 3, commit: 4 });
    const good = fs.readFileSync(file);
    fs.writeFileSync(file, good.subarray(0, 20));
    expect(() => readHardState(file)).toThrow(HardStateCorrupt);
    expect(() => readHardState(file)).toThrow(/refusing to start/);
    for (const at of [0, 8, 16, 24, 39]) {
      const flipped = Buffer.from(good);
      flipped[at]! ^= 0x10;
      fs.writeFileSync(file, flipped);
      expect(() => readHardState(file), `byte ${at}`).toThrow(HardStateCorrupt);
    }
    fs.writeFileSync(file, Buffer.alloc(0));
    expect(() => readHardState(file)).toThrow(/0 bytes/);
  });
});

describe('raft index file', () => {
  it('appends, reads, truncates and cuts a torn tail on reopen', () => {
    const file = path.join(tempDir(), 'raft-index');
    const f = new RaftIndexFile(file);
    const rec = (i: number) => ({ term: 1 + (i >> 2), offset: i * 100, length: i, dataCrc: i * 7, noop: i % 5 === 0 });
    f.append(Array.from({ length: 10 }, (_, i) => rec(i + 1)));
    expect(f.lastIndex()).toBe(10);
    expect(f.read(7)).toEqual(rec(7));
    f.truncateFrom(9);
    expect(f.lastIndex()).toBe(8);
    f.close();
    // A torn append: a valid record, then half of one.
    const torn = Buffer.alloc(INDEX_RECORD_SIZE + 13, 0xab);
    fs.appendFileSync(file, torn);
    const g = new RaftIndexFile(file);
    expect(g.lastIndex()).toBe(8);
    expect(g.cutOnOpen).toBe(2);
    expect(fs.statSync(file).size).toBe(8 * INDEX_RECORD_SIZE);
    expect(g.readRange(1, 9)).toEqual(Array.from({ length: 8 }, (_, i) => rec(i + 1)));
    g.close();
    // A record inside the file that is corrupt is an error on read, not a silent cut.
    const b = fs.readFileSync(file);
    b[3 * INDEX_RECORD_SIZE + 5]! ^= 1;
    fs.writeFileSync(file, b);
    const h = new RaftIndexFile(file);
    expect(h.lastIndex()).toBe(8);
    expect(() => h.read(4)).toThrow(/record 4 is corrupt/);
    h.close();
  });
});

describe('file-backed raft entry store', () => {
  it('stores entries across segments, truncates, and reopens with the same log', async () => {
    const dir = tempDir();
    const s = new FileEntryStore(dir, { segmentBytes: 64 });
    const all = Array.from({ length: 40 }, (_, i) => entry(i + 1, 1 + Math.floor(i / 10), i % 7 === 0 ? null : `entry-${i + 1}-${'x'.repeat(i % 20)}`));
    s.append(all.slice(0, 25));
    s.append(all.slice(25));
    await s.sync();
    expect(s.lastIndex()).toBe(40);
    expect(s.term(0)).toBe(0);
    expect(s.term(40)).toBe(4);
    expect(s.term(41)).toBeUndefined();
    expect(texts(s.entries(1, 41, Infinity))).toEqual(texts(all));
    expect(s.entries(5, 41, 30).length).toBeGreaterThanOrEqual(1);
    expect(s.entries(5, 41, 30).length).toBeLessThan(5);
    expect(s.entries(2, 41, 0)).toHaveLength(1);
    expect(fs.readdirSync(path.join(dir, 'data')).length).toBeGreaterThan(5);

    s.truncateFrom(31);
    s.append([entry(31, 9, 'replaced-31'), entry(32, 9, 'replaced-32')]);
    await s.sync();
    s.close();

    const r = new FileEntryStore(dir, { segmentBytes: 64 });
    expect(r.cutOnOpen).toBe(0);
    expect(r.lastIndex()).toBe(32);
    expect(texts(r.entries(1, 33, Infinity))).toEqual([...texts(all.slice(0, 30)), 'replaced-31', 'replaced-32']);
    expect(r.entries(1, 8, Infinity).map((e) => e.data === null)).toEqual([true, false, false, false, false, false, false]);
    r.close();
  });

  it('cuts a torn tail on reopen: index records whose data never reached the disk, and stray data', async () => {
    const dir = tempDir();
    const s = new FileEntryStore(dir);
    s.append(Array.from({ length: 5 }, (_, i) => entry(i + 1, 1, `payload-${i + 1}`)));
    await s.sync();
    s.close();
    // The last entry's data is cut short, and garbage follows the index.
    const seg = path.join(dir, 'data', '0'.repeat(20));
    fs.truncateSync(seg, fs.statSync(seg).size - 3);
    fs.appendFileSync(path.join(dir, 'raft-index'), Buffer.alloc(7, 1));
    const r = new FileEntryStore(dir);
    expect(r.lastIndex()).toBe(4);
    expect(r.cutOnOpen).toBe(2);
    expect(texts(r.entries(1, 5, Infinity))).toEqual(['payload-1', 'payload-2', 'payload-3', 'payload-4']);
    r.append([entry(5, 2, 'new-5')]);
    expect(texts(r.entries(5, 6, Infinity))).toEqual(['new-5']);
    r.close();
  });
});
