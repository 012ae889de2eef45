import type { Logger } from '../logging/logger.ts';
import { JsonConfigFile } from '../store/json-config-file.ts';

interface OffsetsFile {
  offsetTable: Record<string, Record<string, number>>;
}

/** Committed consumer offsets, keyed "topic@group" then queue id; persisted to config/consumerOffset.json. */
export class ConsumerOffsetManager {
  private readonly table = new Map<string, Map<number, number>>();
  private readonly file: JsonConfigFile<OffsetsFile>;
  private dirty = false;

  constructor(filePath: string, log: Logger) {
    this.file = new JsonConfigFile<OffsetsFile>(filePath, log);
  }

  load(): void {
    const saved = this.file.load();
    for (const [key, queues] of Object.entries(saved?.offsetTable ?? {})) {
      this.table.set(key, new Map(Object.entries(queues).map(([q, o]) => [Number(q), Number(o)])));
    }
  }

  commit(group: string, topic: string, queueId: number, offset: number): void {
    const key = `${topic}@${group}`;
    let queues = this.table.get(key);
    if (!queues) this.table.set(key, (queues = new Map()));
    queues.set(queueId, offset);
    this.dirty = true;
  }

  /** -1 when the group has never committed an offset for that queue. */
  query(group: string, topic: string, queueId: number): number {
    return this.table.get(`${topic}@${group}`)?.get(queueId) ?? -1;
  }

  /** Offsets of one group on one topic, by queue. */
  queryAll(group: string, topic: string): Map<number, number> {
    return new Map(this.table.get(`${topic}@${group}`) ?? []);
  }

  groupsOfTopic(topic: string): string[] {
    return [...this.table.keys()].filter((k) => k.startsWith(`${topic}@`)).map((k) => k.slice(topic.length + 1));
  }

  topicsOfGroup(group: string): string[] {
    return [...this.table.keys()].filter((k) => k.endsWith(`@${group}`)).map((k) => k.slice(0, -group.length - 1));
  }

  /**
   * A slave merges its master's offsets, keeping the higher one: offsets consumers committed here while the
   * master was away must not be lost when it comes back.
   */
  mergeFrom(offsetTable: Record<string, Record<string, number>>): void {
    for (const [key, queues] of Object.entries(offsetTable ?? {})) {
      let mine = this.table.get(key);
      if (!mine) this.table.set(key, (mine = new Map()));
      for (const [q, o] of Object.entries(queues)) {
        const queueId = Number(q);
        if ((mine.get(queueId) ?? -1) < Number(o)) {
          mine.set(queueId, Number(o));
          this.dirty = true;
        }
      }
    }
  }

  /** Offsets this table holds beyond another's (what consumers committed here that the other has not seen). */
  aheadOf(offsetTable: Record<string, Record<string, number>>): { group: string; topic: string; queueId: number; offset: number }[] {
    const out: { group: string; topic: string; queueId: number; offset: number }[] = [];
    for (const [key, queues] of this.table) {
      const at = key.lastIndexOf('@');
      for (const [queueId, offset] of queues) {
        if (offset > (offsetTable?.[key]?.[String(queueId)] ?? -1)) out.push({ topic: key.slice(0, at), group: key.slice(at + 1), queueId, offset });
      }
    }
    return out;
  }

  removeGroupFromTopic(group: string, topic: string): void {
    if (this.table.delete(`${topic}@${group}`)) this.dirty = true;
  }

  removeTopic(topic: string): void {
    for (const key of [...this.table.keys()]) if (key.startsWith(`${topic}@`)) this.table.delete(key);
    this.dirty = true;
  }

  snapshot(): OffsetsFile {
    const offsetTable: OffsetsFile['offsetTable'] = {};
    for (const [key, queues] of this.table) offsetTable[key] = Object.fromEntries([...queues].map(([q, o]) => [String(q), o]));
    return { offsetTable };
  }

  /** Writes the table if anything changed since the last write (called every flushConsumerOffsetInterval and at shutdown). */
  persist(force = false): void {
    if (!this.dirty && !force) return;
    this.dirty = false;
    this.file.save(this.snapshot());
  }
}
