import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readInt64BE } from '../../src/message/int64.ts';
import { javaStringHash } from '../../src/message/java-string-hash.ts';
import { decodeStoredMessage, decodeStoredMessages } from '../../src/message/stored-message.ts';
import { MessageSysFlag } from '../../src/message/sys-flag.ts';
import { INDEX_HEADER_SIZE, indexFileSize, indexKeyHash } from '../../src/store/index-file.ts';
import { IndexService } from '../../src/store/index-service.ts';
import type { MessageStore } from '../../src/store/message-store.ts';
import { message, openStore, useStores } from './store-fixtures.ts';
import { removeTempDirs, tempDir } from '../../src/harness/temp-dir.ts';

const store = useStores();
afterAll(removeTempDirs);

const ALL_TIME = [0, Number.MAX_SAFE_INTEGER] as const;
const SMALL_INDEX = { maxHashSlotNum: 50, maxIndexNum: 200 };

function indexFiles(root: string): string[] {
  return fs.readdirSync(join(root, 'index')).filter((n) => /^\d{17}$/.test(n)).sort();
}

function bodiesOf(records: Buffer[]): string[] {
  return records.map((r) => decodeStoredMessage(r).body.toString());
}

describe('IndexFile and key queries', () => {
  it('writes RocketMQ’s exact layout: header, slot, entry', async () => {
    const root = tempDir();
    const s = await store(root, { maxHashSlotNum: 1000, maxIndexNum: 4000 });
    const r = await s.putMessage(message('Layout', 0, 'body', { KEYS: 'order-1', UNIQ_KEY: 'UNIQ1' }));
    await s.shutdown();
    const [name] = indexFiles(root);
    expect(name).toMatch(/^20\d{15}$/);
    const file = fs.readFileSync(join(root, 'index', name!));
    expect(file.length).toBe(indexFileSize(1000, 4000));
    expect(file.length).toBe(40 + 1000 * 4 + 4000 * 20);
    // Header: begin/end timestamp and phy offset, hashSlotCount, indexCount (starts at 1, two keys added).
    expect(readInt64BE(file, 0)).toBe(r.storeTimestamp);
    expect(readInt64BE(file, 8)).toBe(r.storeTimestamp);
    expect([readInt64BE(file, 16), readInt64BE(file, 24)]).toEqual([r.wroteOffset, r.wroteOffset]);
    expect([file.readInt32BE(32), file.readInt32BE(36)]).toEqual([2, 3]);
    // UNIQ_KEY first (entry 1), then KEYS (entry 2), keyed by topic#key with abs(String.hashCode()).
    const uniqHash = Math.abs(javaStringHash('Layout#UNIQ1'));
    const keyHash = Math.abs(javaStringHash('Layout#order-1'));
    expect(file.readInt32BE(INDEX_HEADER_SIZE + (uniqHash % 1000) * 4)).toBe(1);
    expect(file.readInt32BE(INDEX_HEADER_SIZE + (keyHash % 1000) * 4)).toBe(2);
    const entry2 = INDEX_HEADER_SIZE + 1000 * 4 + 2 * 20;
    expect(file.readInt32BE(entry2)).toBe(keyHash);
    expect(readInt64BE(file, entry2 + 4)).toBe(r.wroteOffset);
    expect(file.readInt32BE(entry2 + 12)).toBe(0); // seconds after beginTimestamp
    expect(file.readInt32BE(entry2 + 16)).toBe(0); // no earlier entry in the bucket
    // Entry 0 is never used.
    expect(file.subarray(INDEX_HEADER_SIZE + 1000 * 4, INDEX_HEADER_SIZE + 1000 * 4 + 20).every((b) => b === 0)).toBe(true);
  });

  it('hashes like Java, Integer.MIN_VALUE included', () => {
    expect(indexKeyHash('T#a')).toBe(Math.abs(javaStringHash('T#a')));
    // "polygenelubricants".hashCode() is Integer.MIN_VALUE; Java's Math.abs keeps it negative, RocketMQ then uses 0.
    expect(javaStringHash('polygenelubricants')).toBe(-2147483648);
    expect(indexKeyHash('polygenelubricants')).toBe(0);
  });

  it('finds messages by KEYS token and by UNIQ_KEY, within the topic, oldest first', async () => {
    const s = await store(tempDir());
    for (let i = 0; i < 20; i++) {
      await s.putMessage(message('Orders', i % 3, `o${i}`, { KEYS: `order-${i} customer-${i % 4}`, UNIQ_KEY: `U${i}` }));
    }
    await s.putMessage(message('Other', 0, 'elsewhere', { KEYS: 'customer-1' }));
    expect(bodiesOf(s.queryMessage('Orders', 'order-7', 32, ...ALL_TIME).messages)).toEqual(['o7']);
    expect(bodiesOf(s.queryMessage('Orders', 'customer-1', 32, ...ALL_TIME).messages)).toEqual(['o1', 'o5', 'o9', 'o13', 'o17']);
    expect(bodiesOf(s.queryMessage('Other', 'customer-1', 32, ...ALL_TIME).messages)).toEqual(['elsewhere']);
    expect(s.queryMessageByUniqueKey('Orders', 'U12').map((m) => m.body.toString())).toEqual(['o12']);
    expect(s.queryMessage('Orders', 'nope', 32, ...ALL_TIME).messages).toEqual([]);
    // maxNum caps the count; the newest win (chains are walked newest first).
    expect(bodiesOf(s.queryMessage('Orders', 'customer-1', 2, ...ALL_TIME).messages)).toEqual(['o13', 'o17']);
    const q = s.queryMessage('Orders', 'order-3', 32, ...ALL_TIME);
    expect(q.body).toEqual(q.messages[0]);
    expect(q.indexLastUpdatePhyoffset).toBeGreaterThan(0);
  });

  it('checks candidates, so colliding keys never answer for each other', async () => {
    // "Aa" and "BB" have the same Java hashCode, so T#Aa and T#BB share hash and bucket.
    expect(javaStringHash('T#Aa')).toBe(javaStringHash('T#BB'));
    const s = await store(tempDir());
    await s.putMessage(message('T', 0, 'aa', { KEYS: 'Aa' }));
    await s.putMessage(message('T', 0, 'bb', { KEYS: 'BB' }));
    expect(bodiesOf(s.queryMessage('T', 'Aa', 32, ...ALL_TIME).messages)).toEqual(['aa']);
    expect(bodiesOf(s.queryMessage('T', 'BB', 1, ...ALL_TIME).messages)).toEqual(['bb']);
  });

  it('answers only within the store-time range (second precision, as RocketMQ)', async () => {
    const s = await store(tempDir());
    const r = await s.putMessage(message('Time', 0, 'x', { KEYS: 'k' }));
    expect(s.queryMessage('Time', 'k', 32, r.storeTimestamp - 60_000, r.storeTimestamp + 60_000).messages).toHaveLength(1);
    expect(s.queryMessage('Time', 'k', 32, r.storeTimestamp + 2000, r.storeTimestamp + 60_000).messages).toHaveLength(0);
    expect(s.queryMessage('Time', 'k', 32, 0, r.storeTimestamp - 2000).messages).toHaveLength(0);
  });

  it('indexes prepared transaction records but not rollback records', async () => {
    const s = await store(tempDir());
    const tx = (type: number, body: string, key: string) => ({ ...message('Tx', 0, body, { KEYS: key }), sysFlag: type });
    await s.putMessage(tx(MessageSysFlag.TRANSACTION_PREPARED_TYPE, 'half', 'h'));
    await s.putMessage(tx(MessageSysFlag.TRANSACTION_ROLLBACK_TYPE, 'gone', 'r'));
    expect(bodiesOf(s.queryMessage('Tx', 'h', 32, ...ALL_TIME).messages)).toEqual(['half']);
    expect(s.queryMessage('Tx', 'r', 32, ...ALL_TIME).messages).toEqual([]);
  });

  it('rolls to a new file when one is full and queries across files', async () => {
    const root = tempDir();
    const s = await store(root, SMALL_INDEX);
    for (let i = 0; i < 300; i++) await s.putMessage(message('Roll', 0, `r${i}`, { KEYS: `k${i} all` }));
    // 300 messages x 2 keys, 199 entries per file.
    expect(indexFiles(root).length).toBe(4);
    expect(s.runtimeStats().indexFileCount).toBe(4);
    expect(bodiesOf(s.queryMessage('Roll', 'k5', 32, ...ALL_TIME).messages)).toEqual(['r5']);
    expect(bodiesOf(s.queryMessage('Roll', 'k299', 32, ...ALL_TIME).messages)).toEqual(['r299']);
    const all = s.queryMessage('Roll', 'all', 1000, ...ALL_TIME);
    // Capped at maxMsgsNumBatch (64), the newest.
    expect(bodiesOf(all.messages)).toEqual(Array.from({ length: 64 }, (_, i) => `r${236 + i}`));
    const files = indexFiles(root);
    for (const f of files.slice(0, -1)) {
      const head = Buffer.alloc(40);
      const fd = fs.openSync(join(root, 'index', f), 'r');
      fs.readSync(fd, head, 0, 40, 0);
      fs.closeSync(fd);
      expect(head.readInt32BE(36)).toBe(200);
    }
  });

  it('survives a clean restart', async () => {
    const root = tempDir();
    let s = await openStore(root, SMALL_INDEX);
    for (let i = 0; i < 150; i++) await s.putMessage(message('R', 0, `m${i}`, { KEYS: `k${i}`, UNIQ_KEY: `U${i}` }));
    await s.shutdown();
    s = await store(root, SMALL_INDEX);
    expect(s.recovery.redispatchedFrom).toBe(s.recovery.commitLogEnd);
    expect(bodiesOf(s.queryMessage('R', 'k0', 32, ...ALL_TIME).messages)).toEqual(['m0']);
    expect(s.queryMessageByUniqueKey('R', 'U149').map((m) => m.body.toString())).toEqual(['m149']);
    await s.putMessage(message('R', 0, 'after', { KEYS: 'k0' }));
    expect(bodiesOf(s.queryMessage('R', 'k0', 32, ...ALL_TIME).messages)).toEqual(['m0', 'after']);
  });

  it('rebuilds entries after a crash, without duplicates', async () => {
    const root = tempDir();
    const fixtures = new URL('./store-fixtures.ts', import.meta.url).href;
    const checkpointModule = new URL('../../src/store/store-checkpoint.ts', import.meta.url).href;
    // Puts, waits until a ConsumeQueue/index flush has moved the checkpoint (a fixed sleep can be too
    // short on a loaded machine), puts more, dies without shutdown.
    const script = `
      import { message, openStore } from ${JSON.stringify(fixtures)};
      import { StoreCheckpoint } from ${JSON.stringify(checkpointModule)};
      const s = await openStore(${JSON.stringify(root)}, { maxHashSlotNum: 50, maxIndexNum: 200, flushIntervalConsumeQueue: 50 });
      for (let i = 0; i < 120; i++) await s.putMessage(message('C', 0, 'c' + i, { KEYS: 'k' + i + ' all', UNIQ_KEY: 'U' + i }));
      const cp = new StoreCheckpoint(${JSON.stringify(join(root, 'checkpoint'))});
      for (const until = Date.now() + 20_000; (cp.load(), cp.dispatchedOffset === 0); ) {
        if (Date.now() > until) throw new Error('no ConsumeQueue flush reached the checkpoint in 20 s');
        await new Promise((r) => setTimeout(r, 20));
      }
      for (let i = 120; i < 160; i++) await s.putMessage(message('C', 0, 'c' + i, { KEYS: 'k' + i + ' all', UNIQ_KEY: 'U' + i }));
      process.exit(0);
    `;
    execFileSync(process.execPath, ['--input-type=module', '-e', script], { stdio: 'inherit' });
    const s = await store(root, SMALL_INDEX);
    expect(s.recovery.cleanShutdown).toBe(false);
    expect(s.recovery.redispatchedFrom).toBeGreaterThan(0);
    for (const i of [0, 119, 120, 159]) {
      expect(bodiesOf(s.queryMessage('C', `k${i}`, 32, ...ALL_TIME).messages)).toEqual([`c${i}`]);
      expect(s.queryMessageByUniqueKey('C', `U${i}`)).toHaveLength(1);
    }
    expect(new Set(bodiesOf(s.queryMessage('C', 'all', 64, ...ALL_TIME).messages)).size).toBe(64);
  });

  it('keeps a sealed file’s header when a flush that started before the seal ends after it', async () => {
    const dir = join(tempDir(), 'index');
    const open = () => new IndexService({ dir, hashSlotNum: 50, indexNum: 200, maxMsgsNumBatch: 64, warn: () => undefined });
    const index = open();
    index.load();
    // Message i sits at offset 1000 + i, two keys each: file 1 holds 199 entries (messages 0..98 and one key of 99).
    const add = (i: number) => index.add('F', 1000 + i, 1_700_000_000_000 + i, 0, `U${i}`, `k${i}`);
    for (let i = 0; i < 50; i++) add(i);
    index.writePending();
    // The timer's flush snapshots file 1's header (101 entries) and waits for its fdatasync...
    const inFlight = index.flush();
    // ...while dispatch fills file 1, which is sealed with its full header, and opens file 2.
    for (let i = 50; i < 120; i++) add(i);
    index.writePending();
    await inFlight;
    await index.flush();
    index.closeAll();
    const [first] = fs.readdirSync(dir).sort();
    const head = Buffer.alloc(INDEX_HEADER_SIZE);
    const fd = fs.openSync(join(dir, first!), 'r');
    fs.readSync(fd, head, 0, INDEX_HEADER_SIZE, 0);
    fs.closeSync(fd);
    expect(head.readInt32BE(36)).toBe(200);
    expect(readInt64BE(head, 24)).toBe(1099);
    const reopened = open();
    reopened.load();
    reopened.recover(1120, () => -1);
    for (const i of [0, 49, 98, 119]) {
      expect(reopened.queryOffsets('F', `k${i}`, 32, ...ALL_TIME, () => true).phyOffsets).toEqual([1000 + i]);
    }
    reopened.closeAll();
  });

  /**
   * A store whose first (sealed, full) index file has the header builds before the fix could leave:
   * the seal's entries and slots, then the header of a flush that snapshotted it at 120 entries.
   * Returns the file's path and its sealed header.
   */
  async function storeWithStaleSealedHeader(root: string, lastEntryLost: boolean): Promise<{ path: string; sealed: Buffer }> {
    const s = await openStore(root, SMALL_INDEX);
    for (let i = 0; i < 150; i++) await s.putMessage(message('H', 0, `h${i}`, { KEYS: `k${i}`, UNIQ_KEY: `U${i}` }));
    await s.shutdown();
    const path = join(root, 'index', indexFiles(root)[0]!);
    const entryAt = (n: number) => INDEX_HEADER_SIZE + 50 * 4 + n * 20;
    const fd = fs.openSync(path, 'r+');
    const sealed = Buffer.alloc(INDEX_HEADER_SIZE);
    fs.readSync(fd, sealed, 0, INDEX_HEADER_SIZE, 0);
    expect(sealed.readInt32BE(36)).toBe(200);
    const entry120 = Buffer.alloc(20);
    fs.readSync(fd, entry120, 0, 20, entryAt(120));
    const stale = Buffer.from(sealed);
    stale.set(entry120.subarray(4, 12), 24);
    stale.writeInt32BE(120, 32);
    stale.writeInt32BE(121, 36);
    fs.writeSync(fd, stale, 0, INDEX_HEADER_SIZE, 0);
    if (lastEntryLost) fs.writeSync(fd, Buffer.alloc(20), 0, 20, entryAt(199));
    fs.closeSync(fd);
    return { path, sealed };
  }

  function headerOf(path: string): Buffer {
    const head = Buffer.alloc(INDEX_HEADER_SIZE);
    const fd = fs.openSync(path, 'r');
    fs.readSync(fd, head, 0, INDEX_HEADER_SIZE, 0);
    fs.closeSync(fd);
    return head;
  }

  it('restores the header of a sealed file that an overtaken flush rewrote with an older count', async () => {
    const root = tempDir();
    const { path, sealed } = await storeWithStaleSealedHeader(root, false);
    const s = await store(root, SMALL_INDEX);
    expect(s.recovery.notes.join()).toMatch(/restored the header of \d+, sealed full but counting 120 entries/);
    for (const i of [0, 60, 98, 149]) expect(bodiesOf(s.queryMessage('H', `k${i}`, 32, ...ALL_TIME).messages)).toEqual([`h${i}`]);
    expect(s.queryMessageByUniqueKey('H', 'U99').map((m) => m.body.toString())).toEqual(['h99']);
    expect(headerOf(path)).toEqual(sealed);
  });

  it('keeps the counted entries of a sealed file answering when its uncounted ones are not on disk', async () => {
    const root = tempDir();
    const { path } = await storeWithStaleSealedHeader(root, true);
    const s = await store(root, SMALL_INDEX);
    expect(s.recovery.notes.join()).toMatch(/counts 120 of 199 entries and the rest are not on disk/);
    // Entries 1..120 are messages 0..59 (UNIQ_KEY, then KEYS).
    for (const i of [0, 30, 59]) expect(bodiesOf(s.queryMessage('H', `k${i}`, 32, ...ALL_TIME).messages)).toEqual([`h${i}`]);
    expect(headerOf(path).readInt32BE(36)).toBe(121);
  });

  it('repairs slots a crash left pointing past the counted entries', async () => {
    const root = tempDir();
    let s = await openStore(root, { maxHashSlotNum: 1000, maxIndexNum: 4000 });
    for (let i = 0; i < 10; i++) await s.putMessage(message('S', 0, `s${i}`, { KEYS: `k${i}` }));
    await s.shutdown();
    // The slots of a later flush reached the disk, its header did not: point a slot at entry 500.
    const path = join(root, 'index', indexFiles(root)[0]!);
    const fd = fs.openSync(path, 'r+');
    const slot = Buffer.alloc(4);
    slot.writeInt32BE(500);
    const bucket = indexKeyHash('S#k3') % 1000;
    fs.writeSync(fd, slot, 0, 4, INDEX_HEADER_SIZE + bucket * 4);
    fs.closeSync(fd);
    fs.writeFileSync(join(root, 'abort'), '1');
    s = await store(root, { maxHashSlotNum: 1000, maxIndexNum: 4000 });
    expect(s.recovery.notes.join()).toMatch(/rebuilt the hash slots/);
    expect(bodiesOf(s.queryMessage('S', 'k3', 32, ...ALL_TIME).messages)).toEqual(['s3']);
  });

  it('drops entries for records recovery cut, and never serves them', async () => {
    const root = tempDir();
    let s = await openStore(root);
    const rs = [];
    for (let i = 0; i < 10; i++) rs.push(await s.putMessage(message('Cut', 0, `x${i}`, { KEYS: `k${i}` })));
    await s.shutdown();
    // Tear the last record's body, make recovery scan it (no checkpoint), as after a crash.
    const last = rs.at(-1)!;
    const fd = fs.openSync(join(root, 'commitlog', '00000000000000000000'), 'r+');
    fs.writeSync(fd, Buffer.from('!!'), 0, 2, last.wroteOffset + 90);
    fs.closeSync(fd);
    for (const f of ['checkpoint', 'checkpoint.bak']) fs.rmSync(join(root, f));
    fs.writeFileSync(join(root, 'abort'), '1');
    s = await store(root);
    expect(s.recovery.commitLogEnd).toBe(last.wroteOffset);
    expect(s.queryMessage('Cut', 'k9', 32, ...ALL_TIME).messages).toEqual([]);
    expect(bodiesOf(s.queryMessage('Cut', 'k8', 32, ...ALL_TIME).messages)).toEqual(['x8']);
    // The replacement at the same offset is found under its own key only.
    await s.putMessage(message('Cut', 0, 'again', { KEYS: 'k10' }));
    expect(s.queryMessage('Cut', 'k9', 32, ...ALL_TIME).messages).toEqual([]);
    expect(decodeStoredMessages(s.queryMessage('Cut', 'k10', 32, ...ALL_TIME).body)[0]!.commitLogOffset).toBe(last.wroteOffset);
  });

  it('can be turned off', async () => {
    const root = tempDir();
    const s = await store(root, { messageIndexEnable: false });
    await s.putMessage(message('Off', 0, 'x', { KEYS: 'k' }));
    expect(s.queryMessage('Off', 'k', 32, ...ALL_TIME).messages).toEqual([]);
    expect(fs.existsSync(join(root, 'index')) ? indexFiles(root) : []).toEqual([]);
  });
});
