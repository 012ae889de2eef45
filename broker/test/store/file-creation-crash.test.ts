import * as fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { INDEX_HEADER_SIZE, IndexFile, decodeIndexHeader, indexFileSize } from '../../src/store/index-file.ts';
import { SegmentFile } from '../../src/store/segment-file.ts';
import { SegmentList } from '../../src/store/segment-list.ts';
import { LazyFsMount, lazyFsBinary } from '../../src/tools/faults/lazy-fs.ts';
import { tempDir } from '../../src/harness/temp-dir.ts';

/**
 * A power cut right after a store file is created, on the lazy fs (only fsynced bytes and sizes
 * survive): the file must come back at its full size, or recovery and store verify refuse it.
 */
let binary = '';
let mount: LazyFsMount | undefined;

beforeAll(() => {
  binary = lazyFsBinary();
}, 300_000);

afterEach(async () => {
  await mount?.unmount();
  mount = undefined;
});

async function crashAfter(create: (dir: string) => Promise<() => void> | (() => void)): Promise<string> {
  const root = tempDir('tern-creation-crash-');
  mount = await LazyFsMount.mount(binary, path.join(root, 'synced'), path.join(root, 'store'), path.join(root, 'control.sock'));
  const close = await create(mount.mountPoint);
  await mount.crash(0);
  close();
  await mount.unmount();
  mount = undefined;
  return path.join(root, 'synced');
}

describe('store files survive a crash right after their creation', () => {
  it('a CommitLog/ConsumeQueue segment keeps its full size', async () => {
    const synced = await crashAfter((dir) => {
      const seg = SegmentFile.create(dir, 0, 1024 * 1024);
      return () => seg.close();
    });
    expect(fs.statSync(path.join(synced, '00000000000000000000')).size).toBe(1024 * 1024);
  });

  it('a pre-allocated next segment keeps its full size', async () => {
    const synced = await crashAfter(async (dir) => {
      const list = new SegmentList(dir, 64 * 1024);
      list.findOrCreate(0);
      list.preallocateNext(false, (err) => {
        throw err;
      });
      await list.settle();
      return () => list.closeAll();
    });
    expect(fs.statSync(path.join(synced, '00000000000000065536')).size).toBe(64 * 1024);
  });

  it('an IndexFile keeps the size of its layout', async () => {
    const synced = await crashAfter((dir) => {
      const index = IndexFile.create(dir, '20261203000000000', 100, 400, 0, 0);
      return () => index.close();
    });
    expect(fs.statSync(path.join(synced, '20261203000000000')).size).toBe(indexFileSize(100, 400));
  });

  it('an IndexFile whose header never reached the disk gets a valid one at its next flush', async () => {
    const synced = await crashAfter((dir) => {
      const index = IndexFile.create(dir, '20261203000000000', 100, 400, 0, 0);
      return () => index.close();
    });
    const file = path.join(synced, '20261203000000000');
    const header = () => decodeIndexHeader(fs.readFileSync(file).subarray(0, INDEX_HEADER_SIZE));
    expect(header().indexCount).toBe(0); // torn: all zeros
    const reopened = IndexFile.open(synced, '20261203000000000', 100, 400);
    if (typeof reopened === 'string') throw new Error(reopened);
    reopened.flushNow();
    reopened.close();
    expect(header().indexCount).toBe(1);
  });
});
