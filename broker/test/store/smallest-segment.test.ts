import * as fs from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GetMessageStatus, PutMessageStatus } from '../../src/store/message-store.ts';
import { removeTempDirs, tempDir } from '../../src/harness/temp-dir.ts';
import { message, useStores } from './store-fixtures.ts';

const store = useStores();
afterAll(removeTempDirs);

describe('the smallest CommitLog segment the config accepts (one 4 KiB page)', () => {
  it('rolls over, serves every message back, and refuses a message larger than a segment', async () => {
    const root = tempDir();
    const s = await store(root, { mappedFileSizeCommitLog: 4096 });
    for (let i = 0; i < 40; i++) expect((await s.putMessage(message('Page', 0, 'x'.repeat(300)))).status).toBe(PutMessageStatus.PUT_OK);
    expect(fs.readdirSync(join(root, 'commitlog')).length).toBeGreaterThan(2);
    let read = 0;
    for (let offset = 0; offset < 40;) {
      const got = s.getMessage('Page', 0, offset, 64);
      expect(got.status).toBe(GetMessageStatus.FOUND);
      read += got.messageCount;
      offset = got.nextBeginOffset;
    }
    expect(read).toBe(40);
    const big = await s.putMessage(message('Page', 0, 'y'.repeat(5000)));
    expect(big.status).toBe(PutMessageStatus.MESSAGE_ILLEGAL);
  });
});
