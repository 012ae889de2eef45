import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BLANK_MAGIC_CODE, decodeStoredMessages } from '../../src/message/stored-message.ts';
import { GetMessageStatus, MessageStore, PutMessageStatus, StoreLockedError } from '../../src/store/message-store.ts';
import { StoreCheckpoint } from '../../src/store/store-checkpoint.ts';
import { message, openStore, smallConfig, useStores } from './store-fixtures.ts';
import { removeTempDirs, tempDir } from '../../src/harness/temp-dir.ts';
import { waitFor } from '../../src/harness/wait-for.ts';

const store = useStores();
afterAll(removeTempDirs);

const SEG = 64 * 1024;
const ALL_TIME = [0, Number.MAX_SAFE_INTEGER] as const;

function segName(start: number): string {
  return String(start).padStart(20, '0');
}

function segmentFiles(root: string): string[] {
  return fs.readdirSync(join(root, 'commitlog')).filter((n) => /^\d{20}$/.test(n)).sort();
}

function bodies(s: MessageStore, topic: string, queueId: number): string[] {
  const out: string[] = [];
  for (let off = s.getMinOffsetInQueue(topic, queueId); off < s.getMaxOffsetInQueue(topic, queueId); ) {
    const g = s.getMessage(topic, queueId, off, 32);
    if (g.status !== GetMessageStatus.FOUND) throw new Error(`${g.status} at ${off}`);
    out.push(...decodeStoredMessages(g.body).map((m) => m.body.toString()));
    off = g.nextBeginOffset;
  }
  return out;
}

/** Marks the store as crashed and, optionally, pretends the last durable points were older. */
function asAfterCrash(root: string, durable?: { flushed?: number; dispatched?: number }): void {
  fs.writeFileSync(join(root, 'abort'), '1');
  if (durable === undefined) return;
  const cp = new StoreCheckpoint(join(root, 'checkpoint'));
  cp.load();
  if (durable.flushed !== undefined) cp.commitLogFlushedOffset = durable.flushed;
  if (durable.dispatched !== undefined) cp.dispatchedOffset = cp.indexedOffset = durable.dispatched;
  cp.persistNow();
}

function patch(path: string, position: number, bytes: Buffer): void {
  const fd = fs.openSync(path, 'r+');
  fs.writeSync(fd, bytes, 0, bytes.length, position);
  fs.closeSync(fd);
}

/** Fills ~2.5 segments with 1 KiB messages, one queue; returns every put's result. */
async function fillPastRollover(root: string) {
  const s = await openStore(root);
  const rs = [];
  for (let i = 0; i < 150; i++) rs.push(await s.putMessage(message('Roll', 0, `m${i}:`.padEnd(1000, '.'), { KEYS: `k${i}` })));
  await s.shutdown();
  return rs;
}

describe('recovery edge cases', () => {
  describe('crash inside a segment rollover', () => {
    it('the next segment never made it: the blank is cut and appends continue in place', async () => {
      const root = tempDir();
      const rs = await fillPastRollover(root);
      const inFirst = rs.filter((r) => r.wroteOffset < SEG);
      const blankAt = inFirst.at(-1)!.wroteOffset + inFirst.at(-1)!.wroteBytes;
      // Lose everything after the first segment, as if the crash came right after its blank.
      for (const f of segmentFiles(root).slice(1)) fs.rmSync(join(root, 'commitlog', f));
      asAfterCrash(root, { flushed: inFirst[10]!.wroteOffset, dispatched: inFirst[10]!.wroteOffset });
      const s = await store(root);
      expect(s.recovery.commitLogEnd).toBe(blankAt);
      expect(bodies(s, 'Roll', 0)).toHaveLength(inFirst.length);
      expect(s.queryMessage('Roll', `k${inFirst.length}`, 32, ...ALL_TIME).messages).toEqual([]);
      const next = await s.putMessage(message('Roll', 0, 'small'));
      expect([next.wroteOffset, next.queueOffset]).toEqual([blankAt, inFirst.length]);
    });

    it('the next segment was created but never sized: it is grown back and used', async () => {
      const root = tempDir();
      const rs = await fillPastRollover(root);
      const inTwo = rs.filter((r) => r.wroteOffset < 2 * SEG);
      fs.rmSync(join(root, 'commitlog', segName(2 * SEG)));
      for (const f of segmentFiles(root).filter((n) => Number(n) > 2 * SEG)) fs.rmSync(join(root, 'commitlog', f));
      fs.writeFileSync(join(root, 'commitlog', segName(2 * SEG)), '');
      asAfterCrash(root, { flushed: SEG, dispatched: SEG });
      const s = await store(root);
      expect(s.recovery.notes.join()).toMatch(/grown back/);
      expect(s.recovery.commitLogEnd).toBe(2 * SEG);
      expect(bodies(s, 'Roll', 0)).toHaveLength(inTwo.length);
      const next = await s.putMessage(message('Roll', 0, 'x'));
      expect(next.wroteOffset).toBe(2 * SEG);
      expect(fs.statSync(join(root, 'commitlog', segName(2 * SEG))).size).toBe(SEG);
    });

    it('the blank itself is torn: recovery ends before it and drops the later segments', async () => {
      const root = tempDir();
      const rs = await fillPastRollover(root);
      const inFirst = rs.filter((r) => r.wroteOffset < SEG);
      const blankAt = inFirst.at(-1)!.wroteOffset + inFirst.at(-1)!.wroteBytes;
      const seg0 = join(root, 'commitlog', segName(0));
      const head = Buffer.alloc(8);
      const fd = fs.openSync(seg0, 'r');
      fs.readSync(fd, head, 0, 8, blankAt);
      fs.closeSync(fd);
      expect(head.readInt32BE(4)).toBe(BLANK_MAGIC_CODE);
      patch(seg0, blankAt + 4, Buffer.alloc(4)); // the magic never reached the disk
      asAfterCrash(root, { flushed: 0, dispatched: 0 });
      const s = await store(root);
      expect(s.recovery.commitLogEnd).toBe(blankAt);
      expect(segmentFiles(root)[0]).toBe(segName(0));
      expect(bodies(s, 'Roll', 0)).toEqual(inFirst.map((_, i) => `m${i}:`.padEnd(1000, '.')));
    });

    it('an empty pre-allocated segment after the end is not a torn tail', async () => {
      const root = tempDir();
      const s1 = await openStore(root);
      await s1.putMessage(message('P', 0, 'x'));
      await waitFor('the pre-allocated second segment', () => segmentFiles(root).length === 2);
      await s1.shutdown();
      asAfterCrash(root);
      const s = await store(root);
      expect(s.recovery.cutTail).toBe(false);
      expect(bodies(s, 'P', 0)).toEqual(['x']);
    });
  });

  describe('crash inside a ConsumeQueue write', () => {
    async function queueStore(root: string) {
      const s = await openStore(root);
      const rs = [];
      for (let i = 0; i < 30; i++) rs.push(await s.putMessage(message('Q', 0, `q${i}`)));
      await s.shutdown();
      return rs;
    }

    it('cuts a torn last unit and garbage after it, then re-dispatches them', async () => {
      const root = tempDir();
      const rs = await queueStore(root);
      // Units for queue offsets 25.. were written after the last ConsumeQueue flush; the crash tore them.
      asAfterCrash(root, { dispatched: rs[25]!.wroteOffset });
      const cqDir = join(root, 'consumequeue', 'Q', '0');
      // 10 units per file (200 bytes): queue offset 29 is unit 9 of the third file.
      patch(join(cqDir, segName(400)), 9 * 20 + 4, Buffer.from([0xde, 0xad, 0xbe, 0xef, 1, 2, 3]));
      patch(join(cqDir, segName(400)), 7 * 20, Buffer.from('garbage!garbage!garb'));
      const s = await store(root);
      expect(s.recovery.repairedQueues).toEqual(['Q/0']);
      expect(s.getMaxOffsetInQueue('Q', 0)).toBe(30);
      expect(bodies(s, 'Q', 0)).toEqual(rs.map((_, i) => `q${i}`));
      expect((await s.putMessage(message('Q', 0, 'next'))).queueOffset).toBe(30);
    });

    it('rebuilds units lost in the middle of the unflushed tail', async () => {
      const root = tempDir();
      const rs = await queueStore(root);
      asAfterCrash(root, { dispatched: rs[21]!.wroteOffset });
      // A page of units never reached the disk (zeros) while later ones did.
      patch(join(root, 'consumequeue', 'Q', '0', segName(400)), 2 * 20, Buffer.alloc(60));
      const s = await store(root);
      expect(bodies(s, 'Q', 0)).toEqual(rs.map((_, i) => `q${i}`));
    });

    it('rebuilds a ConsumeQueue file whose creation was cut short', async () => {
      const root = tempDir();
      const rs = await queueStore(root);
      asAfterCrash(root, { dispatched: rs[20]!.wroteOffset });
      fs.writeFileSync(join(root, 'consumequeue', 'Q', '0', segName(400)), '');
      const s = await store(root);
      expect(bodies(s, 'Q', 0)).toEqual(rs.map((_, i) => `q${i}`));
    });
  });

  describe('empty stores', () => {
    it('opens a new directory and one that crashed before its first message', async () => {
      const root = tempDir();
      let s = await openStore(root);
      expect(s.recovery).toMatchObject({ cleanShutdown: true, commitLogEnd: 0, cutTail: false });
      // Dies without a message: only the abort file and checkpoint are left.
      execFileSync(process.execPath, ['--input-type=module', '-e', `
        import { openStore } from ${JSON.stringify(new URL('./store-fixtures.ts', import.meta.url).href)};
        await openStore(${JSON.stringify(join(root, 'b'))});
        process.exit(0);`]);
      await s.shutdown();
      s = await store(join(root, 'b'));
      expect(s.recovery).toMatchObject({ cleanShutdown: false, commitLogEnd: 0, cutTail: false });
      expect((await s.putMessage(message('E', 0, 'first'))).wroteOffset).toBe(0);
    });

    it('opens a store whose first segment was created but never sized', async () => {
      const root = tempDir();
      fs.mkdirSync(join(root, 'commitlog'), { recursive: true });
      fs.writeFileSync(join(root, 'commitlog', segName(0)), '');
      fs.mkdirSync(join(root, 'index'), { recursive: true });
      fs.writeFileSync(join(root, 'index', '20240101000000000'), '');
      fs.writeFileSync(join(root, 'abort'), '1');
      const s = await store(root);
      expect(s.recovery.commitLogEnd).toBe(0);
      expect(fs.existsSync(join(root, 'index', '20240101000000000'))).toBe(false);
      const r = await s.putMessage(message('E', 0, 'x', { KEYS: 'k' }));
      expect([r.status, r.wroteOffset]).toEqual([PutMessageStatus.PUT_OK, 0]);
      expect(s.queryMessage('E', 'k', 32, ...ALL_TIME).messages).toHaveLength(1);
    });
  });

  describe('a store from another segment size', () => {
    it('keeps the segment size the files were written with', async () => {
      const root = tempDir();
      const rs = await fillPastRollover(root); // 64 KiB segments
      const s = await store(root, { mappedFileSizeCommitLog: 128 * 1024 });
      expect(s.recovery.notes.join()).toMatch(/segments on disk are 65536 bytes \(configured 131072\)/);
      expect(bodies(s, 'Roll', 0)).toHaveLength(150);
      expect(s.lookMessageByOffset(rs[100]!.wroteOffset)?.body.toString()).toBe('m100:'.padEnd(1000, '.'));
      for (let i = 0; i < 70; i++) expect((await s.putMessage(message('Roll', 0, 'y'.repeat(1000)))).status).toBe(PutMessageStatus.PUT_OK);
      for (const f of segmentFiles(root)) expect(fs.statSync(join(root, 'commitlog', f)).size).toBe(SEG);
      expect(bodies(s, 'Roll', 0)).toHaveLength(220);
    });

    it('keeps a single larger segment, and refuses mixed sizes with a clear error', async () => {
      const root = tempDir();
      const big = await openStore(root, { mappedFileSizeCommitLog: 256 * 1024 });
      await big.putMessage(message('Big', 0, 'x'));
      await big.shutdown();
      for (const f of segmentFiles(root).slice(1)) fs.rmSync(join(root, 'commitlog', f));
      const s = await openStore(root);
      expect(bodies(s, 'Big', 0)).toEqual(['x']);
      await s.shutdown();

      const mixed = tempDir();
      await fillPastRollover(mixed);
      fs.truncateSync(join(mixed, 'commitlog', segName(SEG)), SEG / 2);
      await expect(openStore(mixed)).rejects.toThrow(/differs from the store's segment size 65536/);
      // A failed open leaves the store unlocked.
      fs.truncateSync(join(mixed, 'commitlog', segName(SEG)), SEG);
      await (await openStore(mixed)).shutdown();
    });
  });

  describe('checkpoint, abort and lock files', () => {
    it('trusts the checkpoint after a clean stop: no scan, no re-dispatch', async () => {
      const root = tempDir();
      await fillPastRollover(root);
      expect(fs.existsSync(join(root, 'abort'))).toBe(false);
      const s = await store(root);
      const r = s.recovery;
      expect(r.cleanShutdown).toBe(true);
      expect([r.scannedFrom, r.redispatchedFrom]).toEqual([r.commitLogEnd, r.commitLogEnd]);
      expect(fs.readFileSync(join(root, 'lock'), 'utf8')).toContain(`pid ${process.pid}`);
    });

    it('survives a checkpoint torn mid-write through its backup copy', async () => {
      const root = tempDir();
      const rs = await fillPastRollover(root);
      asAfterCrash(root, { flushed: rs[100]!.wroteOffset, dispatched: rs[100]!.wroteOffset });
      patch(join(root, 'checkpoint'), 10, Buffer.from('torn'));
      const s = await store(root);
      expect(s.recovery.notes.join()).toMatch(/recovered from checkpoint.bak/);
      // The scan starts at the backup's durable point, not at the third-last segment.
      expect([s.recovery.scannedFrom, s.recovery.redispatchedFrom]).toEqual([rs[100]!.wroteOffset, rs[100]!.wroteOffset]);
      expect(bodies(s, 'Roll', 0)).toHaveLength(150);
    });

    it('never lets two stores open one directory', async () => {
      const root = tempDir();
      const s = await store(root);
      await expect(MessageStore.open(smallConfig(root))).rejects.toThrow(StoreLockedError);
      await expect(MessageStore.open(smallConfig(root))).rejects.toThrow(/in use by another broker \(pid \d+/);
      await s.shutdown();
      await (await openStore(root)).shutdown();
    });

    it('is locked by a live process and free the moment it is killed', async () => {
      const root = tempDir();
      const fixtures = new URL('./store-fixtures.ts', import.meta.url).href;
      const child = spawn(process.execPath, ['--input-type=module', '-e', `
        import { openStore } from ${JSON.stringify(fixtures)};
        await openStore(${JSON.stringify(root)});
        process.stdout.write('open\\n');
        setInterval(() => {}, 1000);`], { stdio: ['ignore', 'pipe', 'inherit'] });
      await new Promise<void>((resolve) => child.stdout!.on('data', (d: Buffer) => d.toString().includes('open') && resolve()));
      await expect(MessageStore.open(smallConfig(root))).rejects.toThrow(new RegExp(`pid ${child.pid}`));
      const exited = new Promise((resolve) => child.on('exit', resolve));
      child.kill('SIGKILL');
      await exited;
      const s = await store(root);
      expect(s.recovery.cleanShutdown).toBe(false);
    });
  });

  describe('CommitLog segments', () => {
    it('pre-allocates the next segment before a rollover needs it', async () => {
      const root = tempDir();
      const s = await store(root);
      await s.putMessage(message('A', 0, 'x'));
      await waitFor('the pre-allocated second segment', () => segmentFiles(root).length === 2);
      expect(fs.statSync(join(root, 'commitlog', segName(SEG))).size).toBe(SEG);
      for (let i = 0; i < 70; i++) await s.putMessage(message('A', 0, 'y'.repeat(1000)));
      expect(s.getCommitLogMaxOffset()).toBeGreaterThan(SEG);
      await waitFor('the pre-allocated third segment', () => segmentFiles(root).length === 3);
    });

    it('warms a pre-allocated segment when asked: every block written', async () => {
      const root = tempDir();
      const s = await store(root, { warmMapedFileEnable: true });
      await s.putMessage(message('W', 0, 'x'));
      await waitFor('the pre-allocated second segment', () => segmentFiles(root).length === 2);
      expect(fs.statSync(join(root, 'commitlog', segName(SEG))).blocks * 512).toBeGreaterThanOrEqual(SEG);
    });

    it('refuses a body over maxMessageSize with MESSAGE_ILLEGAL and a remark that says why', async () => {
      const s = await store(tempDir(), { maxMessageSize: 4 * 1024 * 1024, mappedFileSizeCommitLog: 8 * 1024 * 1024 });
      const r = await s.putMessage(message('Big', 0, Buffer.alloc(4 * 1024 * 1024 + 1)));
      expect(r.status).toBe(PutMessageStatus.MESSAGE_ILLEGAL);
      expect(r.remark).toBe('the message body is 4194305 bytes, over maxMessageSize (4194304 bytes); send a smaller body');
      expect((await s.putMessage(message('Big', 0, Buffer.alloc(4 * 1024 * 1024)))).status).toBe(PutMessageStatus.PUT_OK);
    });
  });
});
