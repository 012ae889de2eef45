import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { GroupCommitService } from '../../src/store/group-commit.ts';
import type { FlushWaiter } from '../../src/store/group-commit.ts';
import { PutMessageStatus } from '../../src/store/message-store.ts';
import type { MessageStore } from '../../src/store/message-store.ts';
import { message, openStore } from './store-fixtures.ts';
import { removeTempDirs, tempDir } from '../../src/harness/temp-dir.ts';
import { waitFor } from '../../src/harness/wait-for.ts';

const open: MessageStore[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.shutdown();
});

function waiter(endOffset: number, log: [number, boolean][]): FlushWaiter {
  return { endOffset, deadline: 0, done: (flushed) => log.push([endOffset, flushed]) };
}

afterAll(removeTempDirs);

describe('SYNC_FLUSH group commit', () => {
  it('answers many concurrent puts with few fdatasyncs', async () => {
    const s = await openStore(tempDir(), { flushDiskType: 'SYNC_FLUSH' });
    open.push(s);
    const results = await Promise.all(Array.from({ length: 500 }, (_, i) => s.putMessage(message('Sync', i % 4, `s${i}`))));
    expect(results.every((r) => r.status === PutMessageStatus.PUT_OK)).toBe(true);
    const stats = s.runtimeStats();
    expect(stats.commitLogFlushedOffset).toBe(stats.commitLogMaxOffset);
    expect(stats.commitLogFlushTimes).toBeLessThanOrEqual(3);
    expect(stats.syncFlushWaiters).toBe(0);
  });

  it('does not wait for the disk when the message says WAIT=false', async () => {
    const s = await openStore(tempDir(), { flushDiskType: 'SYNC_FLUSH' });
    open.push(s);
    const r = await s.putMessage(message('NoWait', 0, 'x', { WAIT: 'false' }));
    expect(r.status).toBe(PutMessageStatus.PUT_OK);
    expect(s.runtimeStats().commitLogFlushTimes).toBe(0);
  });

  it('releases every waiter one flush covers, in order', async () => {
    let flushed = 0;
    let target = 0;
    let release: () => void = () => {};
    const flushes: number[] = [];
    const gc = new GroupCommitService(
      () =>
        new Promise<void>((resolve) => {
          const covers = target; // a flush covers what was written when it started
          flushes.push(covers);
          release = () => {
            flushed = covers;
            resolve();
          };
        }),
      () => flushed,
      5000,
      () => {},
    );
    const log: [number, boolean][] = [];
    target = 300;
    for (const end of [100, 200, 300]) gc.add(waiter(end, log));
    await Promise.resolve();
    target = 500; // more bytes written while the first flush runs
    gc.add(waiter(400, log));
    gc.add(waiter(500, log));
    release();
    await new Promise((r) => setImmediate(r));
    expect(log).toEqual([[100, true], [200, true], [300, true]]);
    release();
    await new Promise((r) => setImmediate(r));
    expect(log.map(([e]) => e)).toEqual([100, 200, 300, 400, 500]);
    expect(flushes).toEqual([300, 500]);
    gc.stop();
  });

  it('times out waiters the disk does not cover, as FLUSH_DISK_TIMEOUT', async () => {
    const gc = new GroupCommitService(() => new Promise<void>(() => {}), () => 0, 20, () => {});
    const log: [number, boolean][] = [];
    gc.add(waiter(10, log));
    gc.add(waiter(20, log));
    await waitFor('both waiters answered', () => log.length === 2, 5000, 5);
    expect(log).toEqual([[10, false], [20, false]]);
    expect(gc.waiting).toBe(0);
    gc.stop();
  });
});

describe('ASYNC_FLUSH', () => {
  it('answers once the bytes are written and fdatasyncs on its interval', async () => {
    const s = await openStore(tempDir(), { flushIntervalCommitLog: 20 });
    open.push(s);
    const r = await s.putMessage(message('Async', 0, 'x'));
    expect(r.status).toBe(PutMessageStatus.PUT_OK);
    expect(s.runtimeStats().commitLogFlushedOffset).toBe(0);
    await waitFor('the interval flush to cover the message', () => s.runtimeStats().commitLogFlushedOffset === r.wroteBytes, 5000, 10);
  });
});
