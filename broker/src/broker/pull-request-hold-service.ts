import type { RemotingCommand, RemotingConnection } from '../remoting/index.ts';

/** A pull that found nothing and waits (long polling) for a message or its deadline. */
export interface HeldPull {
  request: RemotingCommand;
  connection: RemotingConnection;
  topic: string;
  queueId: number;
  pullFromOffset: number;
  deadline: number;
  /** Would a message with this tag hash / these properties satisfy the subscription? */
  matches(tagsCode: number, properties: Map<string, string> | undefined): boolean;
}

/**
 * Holds empty pulls until a message arrives for their queue or they time out, then has them re-executed once
 * (without the right to be held again). Without this, clients would re-pull in a busy loop.
 */
export class PullRequestHoldService {
  private readonly held = new Map<string, HeldPull[]>();
  private readonly reexecute: (pull: HeldPull) => void;
  private readonly maxOffset: (topic: string, queueId: number) => number;
  private timer: NodeJS.Timeout | undefined;

  constructor(reexecute: (pull: HeldPull) => void, maxOffset: (topic: string, queueId: number) => number) {
    this.reexecute = reexecute;
    this.maxOffset = maxOffset;
  }

  start(checkIntervalMs: number): void {
    this.timer = setInterval(() => this.checkAll(), checkIntervalMs);
    this.timer.unref();
  }

  hold(pull: HeldPull): void {
    const key = `${pull.topic}@${pull.queueId}`;
    let list = this.held.get(key);
    if (!list) this.held.set(key, (list = []));
    list.push(pull);
  }

  get size(): number {
    let n = 0;
    for (const list of this.held.values()) n += list.length;
    return n;
  }

  /** Called by the dispatcher for every message it makes visible. */
  notifyMessageArriving(topic: string, queueId: number, maxOffset: number, tagsCode: number, properties?: Map<string, string>): void {
    const key = `${topic}@${queueId}`;
    const list = this.held.get(key);
    if (!list) return;
    const keep: HeldPull[] = [];
    const wake: HeldPull[] = [];
    for (const pull of list) {
      if (pull.connection.closed) continue;
      if (maxOffset > pull.pullFromOffset && pull.matches(tagsCode, properties)) wake.push(pull);
      else keep.push(pull);
    }
    if (keep.length) this.held.set(key, keep);
    else this.held.delete(key);
    for (const pull of wake) this.reexecute(pull);
  }

  /** Periodic sweep: answers pulls whose deadline passed, and any whose queue grew without a notification. */
  checkAll(now = Date.now()): void {
    for (const [key, list] of [...this.held]) {
      const keep: HeldPull[] = [];
      const wake: HeldPull[] = [];
      for (const pull of list) {
        if (pull.connection.closed) continue;
        if (now >= pull.deadline || this.maxOffset(pull.topic, pull.queueId) > pull.pullFromOffset) wake.push(pull);
        else keep.push(pull);
      }
      if (keep.length) this.held.set(key, keep);
      else this.held.delete(key);
      for (const pull of wake) this.reexecute(pull);
    }
  }

  /** Answers every held pull now (shutdown). */
  releaseAll(): void {
    if (this.timer) clearInterval(this.timer);
    const all = [...this.held.values()].flat();
    this.held.clear();
    for (const pull of all) if (!pull.connection.closed) this.reexecute(pull);
  }
}
