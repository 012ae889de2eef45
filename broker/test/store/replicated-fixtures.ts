import * as fs from 'node:fs';
import { join } from 'node:path';
import { BLANK_MAGIC_CODE, decodeStoredMessages } from '../../src/message/stored-message.ts';
import { GetMessageStatus } from '../../src/store/message-store.ts';
import type { MessageStore, MessageStoreOptions } from '../../src/store/message-store.ts';
import type { MessageStoreConfig } from '../../src/store/message-store-config.ts';
import { useStores } from './store-fixtures.ts';

export const REPLICATED: MessageStoreOptions = { replicated: true };

/** The chunks a leader store announced, in order: what its Raft layer would propose. */
export interface ChunkLog {
  chunks: { start: number; bytes: Buffer }[];
  /** Chunks from index `from` on, fed to a follower with appendReplicated. */
  replay(follower: MessageStore, from?: number): void;
}

export function recordChunks(leader: MessageStore): ChunkLog {
  const chunks: { start: number; bytes: Buffer }[] = [];
  leader.onAppended((bytes, start) => {
    const last = chunks.at(-1);
    // The announced chunks must tile the log: each starts where the previous one ended.
    if (last !== undefined && last.start + last.bytes.length !== start) {
      throw new Error(`chunk at ${start} does not continue the one ending at ${last.start + last.bytes.length}`);
    }
    chunks.push({ start, bytes: Buffer.from(bytes) });
  });
  return {
    chunks,
    replay(follower, from = 0) {
      for (const c of chunks.slice(from)) follower.appendReplicated(c.start, c.bytes);
    },
  };
}

/** Opens replicated stores (shut down after each test). */
export function useReplicatedStores(): (root: string, over?: Partial<MessageStoreConfig>) => Promise<MessageStore> {
  const open = useStores();
  return (root, over = {}) => open(root, over, REPLICATED);
}

/** Whether a promise settled by the end of the current macrotask turns (a put held for its confirm must not). */
export async function isSettled(p: Promise<unknown>): Promise<boolean> {
  let settled = false;
  void p.then(() => {
    settled = true;
  });
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setImmediate(r));
  return settled;
}

/** Every message body of a queue, read through getMessage from its min to its max offset. */
export function queueBodies(s: MessageStore, topic: string, queueId: number): string[] {
  const out: string[] = [];
  for (let off = s.getMinOffsetInQueue(topic, queueId); off < s.getMaxOffsetInQueue(topic, queueId); ) {
    const g = s.getMessage(topic, queueId, off, 32);
    if (g.status !== GetMessageStatus.FOUND) throw new Error(`${g.status} at ${topic}/${queueId}@${off}`);
    out.push(...decodeStoredMessages(g.body).map((m) => m.body.toString()));
    off = g.nextBeginOffset;
  }
  return out;
}

/** Segment files of a directory holding bytes below `end`, by name. */
export function segmentsBelow(dir: string, end: number): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const name of fs.readdirSync(dir).sort()) {
    if (/^\d{20}$/.test(name) && Number(name) < end) out.set(name, fs.readFileSync(join(dir, name)));
  }
  return out;
}

/** Every file under a directory (relative path -> bytes). */
export function filesUnder(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (rel: string): void => {
    for (const e of fs.readdirSync(join(dir, rel), { withFileTypes: true })) {
      const r = join(rel, e.name);
      if (e.isDirectory()) walk(r);
      else out.set(r, fs.readFileSync(join(dir, r)));
    }
  };
  walk('');
  return out;
}

/** The end offsets of the records (and of a blank's filler) in announced chunks, in log order. */
export function recordEnds(log: ChunkLog): number[] {
  const ends: number[] = [];
  for (const c of log.chunks) {
    let pos = 0;
    while (pos < c.bytes.length) {
      const size = c.bytes.readInt32BE(pos);
      pos = c.bytes.readInt32BE(pos + 4) === BLANK_MAGIC_CODE ? c.bytes.length : pos + size;
      ends.push(c.start + pos);
    }
  }
  return ends;
}

/** The end offset of every announced chunk: where a Raft entry ends, so where a confirm or a cut may fall. */
export function chunkEnds(log: ChunkLog): number[] {
  return log.chunks.map((c) => c.start + c.bytes.length);
}

/** One event-loop turn: the pipeline writes what puts appended (and announces it) by then. */
export function nextTurn(): Promise<void> {
  return new Promise((r) => setImmediate(r));
}
