import * as fs from 'node:fs';
import { join } from 'node:path';
import { ConsumeQueue } from './consume-queue.ts';

/** All ConsumeQueues under `<root>/consumequeue/<topic>/<queueId>/`. */
export class ConsumeQueueTable {
  readonly dir: string;
  private readonly fileSize: number;
  private readonly table = new Map<string, Map<number, ConsumeQueue>>();

  constructor(dir: string, fileSize: number) {
    this.dir = dir;
    this.fileSize = fileSize;
  }

  load(): void {
    fs.mkdirSync(this.dir, { recursive: true });
    for (const topic of fs.readdirSync(this.dir)) {
      const topicDir = join(this.dir, topic);
      if (!fs.statSync(topicDir).isDirectory()) continue;
      for (const q of fs.readdirSync(topicDir)) {
        if (!/^\d+$/.test(q)) continue;
        const cq = this.create(topic, Number(q));
        cq.load();
      }
    }
  }

  private create(topic: string, queueId: number): ConsumeQueue {
    let queues = this.table.get(topic);
    if (queues === undefined) {
      queues = new Map();
      this.table.set(topic, queues);
    }
    const cq = new ConsumeQueue(join(this.dir, topic, String(queueId)), topic, queueId, this.fileSize);
    queues.set(queueId, cq);
    return cq;
  }

  find(topic: string, queueId: number): ConsumeQueue | undefined {
    return this.table.get(topic)?.get(queueId);
  }

  findOrCreate(topic: string, queueId: number): ConsumeQueue {
    return this.find(topic, queueId) ?? this.create(topic, queueId);
  }

  queuesOf(topic: string): ConsumeQueue[] {
    return [...(this.table.get(topic)?.values() ?? [])];
  }

  topics(): string[] {
    return [...this.table.keys()];
  }

  *all(): IterableIterator<ConsumeQueue> {
    for (const queues of this.table.values()) yield* queues.values();
  }

  /** Closes and deletes every queue of `topic`. */
  deleteTopic(topic: string): void {
    const queues = this.table.get(topic);
    if (queues !== undefined) for (const cq of queues.values()) cq.destroy();
    this.table.delete(topic);
    fs.rmSync(join(this.dir, topic), { recursive: true, force: true });
  }

  async flush(): Promise<void> {
    const work: Promise<void>[] = [];
    for (const cq of this.all()) if (cq.isDirty) work.push(cq.flush());
    await Promise.all(work);
  }

  flushNow(): void {
    for (const cq of this.all()) cq.flushNow();
  }

  closeAll(): void {
    for (const cq of this.all()) cq.close();
  }
}
