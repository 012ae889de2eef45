/**
 * Where a consumer keeps its progress. CLUSTERING: on the brokers (the group shares one offset per
 * queue). BROADCASTING: in a local JSON file, since every member reads everything.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ClientInstance } from './client-instance.ts';
import { queueKey, type MessageQueue } from './message-queue.ts';

export interface OffsetStore {
  load(): Promise<void>;
  /** The stored offset of a queue, or -1 when there is none. */
  read(mq: MessageQueue): Promise<number>;
  /** Records progress in memory; `persist` writes it out. */
  update(mq: MessageQueue, offset: number): void;
  current(mq: MessageQueue): number | undefined;
  /** Writes the offsets of `queues`. `wait` asks for confirmed writes (shutdown, queue hand-over). */
  persist(queues: readonly MessageQueue[], wait: boolean): Promise<void>;
  remove(mq: MessageQueue): void;
}

export class RemoteOffsetStore implements OffsetStore {
  private readonly instance: ClientInstance;
  private readonly group: string;
  private readonly table = new Map<string, number>();

  constructor(instance: ClientInstance, group: string) {
    this.instance = instance;
    this.group = group;
  }

  async load(): Promise<void> {}

  async read(mq: MessageQueue): Promise<number> {
    const offset = await this.instance.api.queryConsumerOffset(this.instance.requireMember(mq.brokerName), this.group, mq);
    if (offset >= 0) this.table.set(queueKey(mq), offset);
    return offset;
  }

  update(mq: MessageQueue, offset: number): void {
    this.table.set(queueKey(mq), offset);
  }

  current(mq: MessageQueue): number | undefined {
    return this.table.get(queueKey(mq));
  }

  async persist(queues: readonly MessageQueue[], wait: boolean): Promise<void> {
    const api = this.instance.api;
    await Promise.all(queues.map(async (mq) => {
      const offset = this.table.get(queueKey(mq));
      if (offset === undefined) return;
      const broker = this.instance.brokerAddress(mq.brokerName);
      if (!broker) return;
      try {
        if (wait) await api.updateConsumerOffset(broker, this.group, mq, offset);
        else await api.updateConsumerOffsetOneway(broker, this.group, mq, offset);
      } catch (err) {
        this.instance.log.warn(`committing offset ${offset} of ${mq.topic}/${mq.brokerName}/${mq.queueId}: ${(err as Error).message}`);
      }
    }));
  }

  remove(mq: MessageQueue): void {
    this.table.delete(queueKey(mq));
  }
}

/** File layout: `{"offsetTable":{"topic@brokerName@queueId":offset}}`. */
export class LocalOffsetStore implements OffsetStore {
  readonly file: string;
  private readonly table = new Map<string, number>();
  private writing: Promise<void> = Promise.resolve();

  constructor(file: string) {
    this.file = file;
  }

  async load(): Promise<void> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    const parsed = JSON.parse(text) as { offsetTable?: Record<string, number> };
    for (const [key, offset] of Object.entries(parsed.offsetTable ?? {})) {
      if (Number.isInteger(offset) && offset >= 0) this.table.set(key, offset);
    }
  }

  async read(mq: MessageQueue): Promise<number> {
    return this.table.get(queueKey(mq)) ?? -1;
  }

  update(mq: MessageQueue, offset: number): void {
    this.table.set(queueKey(mq), offset);
  }

  current(mq: MessageQueue): number | undefined {
    return this.table.get(queueKey(mq));
  }

  /** Writes the whole table (write to a temp file, then rename, so a crash never leaves half a file). */
  persist(_queues: readonly MessageQueue[], _wait: boolean): Promise<void> {
    const snapshot = JSON.stringify({ offsetTable: Object.fromEntries(this.table) }, null, 1);
    const write = this.writing.catch(() => {}).then(async () => {
      await mkdir(path.dirname(this.file), { recursive: true });
      const tmp = `${this.file}.tmp`;
      await writeFile(tmp, snapshot);
      await rename(tmp, this.file);
    });
    this.writing = write;
    return write;
  }

  /** Broadcasting members keep offsets of queues they stop reading (they read all queues anyway). */
  remove(_mq: MessageQueue): void {}
}
