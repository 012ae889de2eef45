import * as fs from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeStoredMessages } from '../../src/message/stored-message.ts';
import { GetMessageStatus, PutMessageStatus } from '../../src/store/message-store.ts';
import type { MessageStore } from '../../src/store/message-store.ts';
import { diskUsedRatio, isTimeToDelete } from '../../src/store/retention.ts';
import { message, useStores } from './store-fixtures.ts';
import { removeTempDirs, tempDir } from '../../src/harness/temp-dir.ts';

const store = useStores();
afterAll(removeTempDirs);

const SEG = 64 * 1024;
const ALL_TIME = [0, Number.MAX_SAFE_INTEGER] as const;
/** The disk the tests run on is below this; thresholds under it make "full" real without filling it. */
const usedPercent = Math.round(diskUsedRatio(tempDir()) * 100);
/** Never the current hour, so only disk pressure or a manual trigger deletes. */
const notNow = String((new Date().getHours() + 12) % 24).padStart(2, '0');

function segments(root: string): string[] {
  return fs.readdirSync(join(root, 'commitlog')).filter((n) => /^\d{20}$/.test(n)).sort();
}

/** ~5 segments of 1 KiB messages over 2 queues, each with a key. */
async function fill(s: MessageStore, count = 300): Promise<number[]> {
  const offsets: number[] = [];
  for (let i = 0; i < count; i++) {
    const r = await s.putMessage(message('Ret', i % 2, `r${i}:`.padEnd(1000, '.'), { KEYS: `k${i}` }));
    offsets.push(r.wroteOffset);
  }
  return offsets;
}

describe('retention', () => {
  it('reads the disk like df and the deleteWhen hours like RocketMQ', () => {
    expect(usedPercent).toBeGreaterThan(0);
    expect(usedPercent).toBeLessThan(100);
    expect(isTimeToDelete('04', new Date(2024, 0, 1, 4, 30).getTime())).toBe(true);
    expect(isTimeToDelete('03;04', new Date(2024, 0, 1, 3, 0).getTime())).toBe(true);
    expect(isTimeToDelete('04', new Date(2024, 0, 1, 5, 0).getTime())).toBe(false);
  });

  it('keeps unexpired segments however often it runs, below the disk thresholds', async () => {
    const root = tempDir();
    const s = await store(root, { deleteWhen: notNow });
    await fill(s);
    for (let i = 0; i < 3; i++) expect((await s.cleanFiles())!.deletedSegments).toBe(0);
    expect(segments(root)[0]).toBe('00000000000000000000');
    expect(s.getCommitLogMinOffset()).toBe(0);
    expect(s.getMinOffsetInQueue('Ret', 0)).toBe(0);
  });

  it('deletes expired segments at the deleteWhen hour, oldest first, never the current one', async () => {
    const root = tempDir();
    const hour = String(new Date().getHours()).padStart(2, '0');
    const s = await store(root, { deleteWhen: hour, fileReservedTime: 0 });
    const offsets = await fill(s);
    const max = s.getCommitLogMaxOffset();
    // A second later: a segment written in this very millisecond is not yet "expired" by 0 hours.
    const run = (await s.cleanFiles(Date.now() + 1000))!;
    // Unless the hour turned between the two lines above.
    if (!isTimeToDelete(hour, Date.now() + 1000)) return;
    expect(run.deletedSegments).toBeGreaterThan(0);
    const first = Number(segments(root)[0]);
    expect(s.getCommitLogMinOffset()).toBe(first);
    expect(first).toBe(Math.floor(max / SEG) * SEG);
    expect(s.getCommitLogMaxOffset()).toBe(max);
    // The records before the new start are gone, those after it are still served.
    expect(s.lookMessageByOffset(offsets[0]!)).toBeNull();
    expect(s.lookMessageByOffset(offsets.at(-1)!)?.body.toString()).toMatch(/^r299:/);
  });

  it('moves queue min offsets to the first message left, and consumers behind them there', async () => {
    const root = tempDir();
    const s = await store(root, { deleteWhen: notNow, fileReservedTime: 0 });
    const offsets = await fill(s);
    s.executeDeleteFilesManually();
    const run = (await s.cleanFiles(Date.now() + 1000))!;
    expect(run.deletedSegments).toBe(Math.floor(s.getCommitLogMaxOffset() / SEG));
    expect(run.deletedConsumeQueueFiles).toBeGreaterThan(0);
    const minPhy = s.getCommitLogMinOffset();
    for (const q of [0, 1]) {
      const min = s.getMinOffsetInQueue('Ret', q);
      // The first message of queue q still in the CommitLog.
      const firstLeft = offsets.findIndex((o, i) => i % 2 === q && o >= minPhy);
      expect(min).toBe((firstLeft - q) / 2);
      expect(s.getCommitLogOffsetInQueue('Ret', q, min)).toBeGreaterThanOrEqual(minPhy);
      // A consumer at 0 is told to move to the new minimum.
      const g = s.getMessage('Ret', q, 0, 32);
      expect([g.status, g.nextBeginOffset]).toEqual([GetMessageStatus.OFFSET_TOO_SMALL, min]);
      const m = decodeStoredMessages(s.getMessage('Ret', q, min, 1).body)[0]!;
      expect(m.body.toString()).toMatch(new RegExp(`^r${firstLeft}:`));
    }
    // Queries never return deleted messages, and find the rest.
    expect(s.queryMessage('Ret', 'k0', 32, ...ALL_TIME).messages).toEqual([]);
    expect(s.queryMessage('Ret', 'k299', 32, ...ALL_TIME).messages).toHaveLength(1);

    // The moved minimum survives a restart.
    const mins = [s.getMinOffsetInQueue('Ret', 0), s.getMinOffsetInQueue('Ret', 1)];
    await s.shutdown();
    const again = await store(root, { deleteWhen: notNow });
    expect([again.getMinOffsetInQueue('Ret', 0), again.getMinOffsetInQueue('Ret', 1)]).toEqual(mins);
    expect(again.getMaxOffsetInQueue('Ret', 0)).toBe(150);
  });

  it('deletes index files wholly behind the CommitLog start', async () => {
    const root = tempDir();
    const s = await store(root, { deleteWhen: notNow, fileReservedTime: 0, maxHashSlotNum: 25, maxIndexNum: 100 });
    await fill(s);
    const indexFiles = () => fs.readdirSync(join(root, 'index')).filter((n) => /^\d{17}$/.test(n));
    const before = indexFiles().length;
    s.executeDeleteFilesManually();
    const run = (await s.cleanFiles(Date.now() + 1000))!;
    expect(run.deletedIndexFiles).toBeGreaterThan(0);
    expect(indexFiles().length).toBe(before - run.deletedIndexFiles);
    expect(s.queryMessage('Ret', 'k299', 32, ...ALL_TIME).messages).toHaveLength(1);
  });

  it('deletes expired segments at any hour once the disk is above diskMaxUsedSpaceRatio', async () => {
    const root = tempDir();
    const s = await store(root, { deleteWhen: notNow, fileReservedTime: 0, diskMaxUsedSpaceRatio: usedPercent - 1 });
    await fill(s);
    expect((await s.cleanFiles(Date.now() + 1000))!.deletedSegments).toBeGreaterThan(0);
  });

  it('cleans forcibly above diskSpaceCleanForciblyRatio, expired or not', async () => {
    const root = tempDir();
    const s = await store(root, { deleteWhen: notNow, fileReservedTime: 72, diskSpaceCleanForciblyRatio: usedPercent - 1 });
    await fill(s);
    const run = (await s.cleanFiles())!;
    expect(run.cleanImmediately).toBe(true);
    expect(run.deletedSegments).toBeGreaterThan(0);
    expect(run.diskFull).toBe(false);
  });

  it('refuses puts above diskSpaceWarningLevelRatio with a clear remark, and resumes when space returns', async () => {
    const root = tempDir();
    const s = await store(root, { deleteWhen: notNow, diskSpaceWarningLevelRatio: usedPercent - 1, diskSpaceCleanForciblyRatio: 85 });
    // The first run happens at open: puts are refused from the start.
    expect(s.runtimeStats().diskFull).toBe(true);
    const refused = await s.putMessage(message('Full', 0, 'x'));
    expect(refused.status).toBe(PutMessageStatus.SERVICE_NOT_AVAILABLE);
    expect(refused.remark).toMatch(new RegExp(`disk is full \\(${usedPercent}% used, above diskSpaceWarningLevelRatio ${usedPercent - 1}%\\); writes resume once usage is at or below 85%`));
    const batch = await s.putMessages([message('Full', 0, 'x')]);
    expect(batch.status).toBe(PutMessageStatus.SERVICE_NOT_AVAILABLE);
    // Space returns (here: the threshold moves, as an operator's config change would).
    s.config.diskSpaceWarningLevelRatio = 90;
    await s.cleanFiles();
    expect(s.runtimeStats().diskFull).toBe(false);
    expect((await s.putMessage(message('Full', 0, 'x'))).status).toBe(PutMessageStatus.PUT_OK);
  });

  it('stays full between the forcible and warning ratios, so it does not flap', async () => {
    const root = tempDir();
    const s = await store(root, { deleteWhen: notNow, diskSpaceWarningLevelRatio: usedPercent - 1, diskSpaceCleanForciblyRatio: usedPercent - 2 });
    expect(s.runtimeStats().diskFull).toBe(true);
    s.config.diskSpaceWarningLevelRatio = usedPercent + 1; // now between the two ratios
    await s.cleanFiles();
    expect(s.runtimeStats().diskFull).toBe(true);
    s.config.diskSpaceCleanForciblyRatio = usedPercent; // at or below it: OK again
    await s.cleanFiles();
    expect(s.runtimeStats().diskFull).toBe(false);
  });
});
