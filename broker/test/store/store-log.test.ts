import * as fs from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { MessageStore } from '../../src/store/message-store.ts';
import type { MessageStoreConfig } from '../../src/store/message-store-config.ts';
import { diskUsedRatio } from '../../src/store/retention.ts';
import { capturedLog, type LogLine } from '../support/captured-log.ts';
import { removeTempDirs, tempDir } from '../../src/harness/temp-dir.ts';
import { message, smallConfig } from './store-fixtures.ts';

afterAll(removeTempDirs);
const opened: MessageStore[] = [];
afterEach(async () => {
  for (const s of opened.splice(0)) await s.shutdown();
});

/** Opens a store whose log the test reads (the shared fixture's store is silent). */
async function open(root: string, over: Partial<MessageStoreConfig> = {}): Promise<{ store: MessageStore; lines: LogLine[] }> {
  const { log, lines } = capturedLog('broker a/store');
  const store = await MessageStore.open(smallConfig(root, over), { logger: log });
  opened.push(store);
  return { store, lines };
}

async function closeAll(): Promise<void> {
  for (const s of opened.splice(0)) await s.shutdown();
}

const recoveryLine = (lines: LogLine[]) => lines.find((l) => l.msg.startsWith('recovered '));

describe('what the store tells the broker log', () => {
  it('summarizes a clean restart at INFO', async () => {
    const root = tempDir();
    const first = await open(root);
    expect(first.lines.map((l) => [l.level, l.msg])).toEqual([['info', `opened a new store at ${root}`]]);
    await first.store.putMessage(message('L', 0, 'one'));
    await closeAll();
    const { lines } = await open(root);
    const r = recoveryLine(lines)!;
    expect(r.level).toBe('info');
    expect(r.component).toBe('broker a/store');
    expect(r.msg).toMatch(new RegExp(`^recovered ${root} after a clean shutdown: scanned the commit log from \\d+, it ends at \\d+, nothing to re-dispatch$`));
  });

  it('summarizes an abnormal shutdown with a torn tail at WARN: where it scanned from and what it cut', async () => {
    const root = tempDir();
    const first = await open(root);
    const put = await first.store.putMessage(message('L', 0, 'one'));
    await closeAll();
    const end = put.wroteOffset + put.wroteBytes;
    // A crash: the abort file stays, and half a record sits past the end.
    fs.writeFileSync(join(root, 'abort'), '1');
    const fd = fs.openSync(join(root, 'commitlog', '00000000000000000000'), 'r+');
    fs.writeSync(fd, Buffer.alloc(64, 0xab), 0, 64, end);
    fs.closeSync(fd);
    const { lines } = await open(root);
    const r = recoveryLine(lines)!;
    expect(r.level).toBe('warn');
    expect(r.msg).toContain('after an abnormal shutdown: scanned the commit log from ');
    expect(r.msg).toContain(`it ends at ${end}, a torn tail past it was cut`);
  });

  it('warns naming both checkpoint files when neither is valid', async () => {
    const root = tempDir();
    await open(root);
    await closeAll();
    for (const f of ['checkpoint', 'checkpoint.bak']) fs.writeFileSync(join(root, f), 'garbage');
    const { lines } = await open(root);
    const w = lines.find((l) => l.msg.startsWith('neither '))!;
    expect(w.level).toBe('warn');
    expect(w.msg).toContain(`neither ${join(root, 'checkpoint')} nor ${join(root, 'checkpoint.bak')} is valid`);
  });

  it('names the CommitLog segments retention deleted, and why', async () => {
    const root = tempDir();
    const hour = String(new Date().getHours()).padStart(2, '0');
    const { store, lines } = await open(root, { deleteWhen: hour, fileReservedTime: 0 });
    for (let i = 0; i < 200; i++) await store.putMessage(message('Ret', 0, 'x'.repeat(1000)));
    const run = (await store.cleanFiles(Date.now() + 1000))!;
    expect(run.deletedSegments).toBeGreaterThan(0);
    const w = lines.find((l) => l.msg.startsWith('retention deleted'))!;
    expect(w.level).toBe('warn');
    expect(w.msg).toContain(`retention deleted ${run.deletedSegments} CommitLog segment(s) expired (last written over 0 h ago; deleteWhen ${hour}): 00000000000000000000`);
    expect(w.msg).toContain(`the log now starts at ${run.commitLogMinOffset}`);
  });

  it('logs disk full at ERROR and disk back at WARN', async () => {
    const usedPercent = Math.round(diskUsedRatio(tempDir()) * 100);
    const { store, lines } = await open(tempDir(), { diskSpaceWarningLevelRatio: usedPercent - 1, diskSpaceCleanForciblyRatio: 85 });
    expect(lines.find((l) => l.level === 'error')?.msg).toMatch(/^disk \d+% full \(above \d+%\): refusing puts until it is at or below 85%$/);
    store.config.diskSpaceWarningLevelRatio = 90;
    await store.cleanFiles();
    expect(lines.find((l) => l.msg.startsWith('disk back'))?.level).toBe('warn');
  });
});
