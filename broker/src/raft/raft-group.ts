import type { Logger } from '../logging/logger.ts';
import { RaftNode, type PeerProgress, type Ready } from './raft-core.ts';
import type { RaftEntryStore } from './raft-entry-store.ts';
import { readHardState, writeHardState } from './raft-hard-state-file.ts';
import { NONE, type Entry, type HardState, type Message, type NodeId, type Role } from './raft-messages.ts';
import type { RaftPeer } from './raft-peers.ts';
import { RaftTransport } from './raft-transport.ts';

/**
 * Runs one member of a Raft group: ticks the core on a timer, steps it with what the transport
 * receives, and runs the Ready loop (send, write entries to the store and sync, fsync a changed term
 * or vote, send what had to wait for that, hand committed entries to the application in order,
 * advance). Proposals made in one event-loop turn leave in one append per follower; leader traffic
 * goes out while the previous Ready's fsync is still running.
 */
/** An append carries at least one entry whatever its size: the peers' frame limit must fit the largest. */
export const MAX_ENTRY_BYTES = 32 << 20;

export interface RaftGroupOptions {
  selfId: NodeId;
  peers: readonly RaftPeer[];
  entryStore: RaftEntryStore;
  hardStatePath: string;
  logger: Logger;
  /** Committed entries, in index order, each exactly once per start (from appliedIndex + 1). */
  onCommitted: (entries: Entry[]) => void | Promise<void>;
  onRoleChange?: (r: RoleChange) => void;
  /** Last index the application applied before this start (default 0: every committed entry again). */
  appliedIndex?: number;
  /** Default 50 ms; with electionTicks 15 a follower campaigns 0.75-1.5 s after its leader went silent. */
  tickMs?: number;
  electionTicks?: number;
  heartbeatTicks?: number;
  maxBytesPerAppend?: number;
  maxEntriesPerAppend?: number;
  maxInflight?: number;
  /** How often a commit index that moved is written to the hard state file (term and vote are written at once). */
  commitPersistMs?: number;
}

export interface RoleChange {
  role: Role;
  leader: NodeId;
  term: number;
}

export type GroupProposeResult = { ok: true; index: number; term: number } | { ok: false; leader: NodeId; reason: string };

export interface RaftGroupStatus extends RoleChange {
  commitIndex: number;
  appliedIndex: number;
  lastIndex: number;
  /** Leader only: where each member stands. */
  peers: PeerProgress[];
}

export class RaftGroup {
  private readonly o: RaftGroupOptions;
  private readonly tickMs: number;
  private readonly electionTicks: number;
  private node: RaftNode | null = null;
  private transport: RaftTransport | null = null;
  private ticker: NodeJS.Timeout | null = null;
  private commitTimer: NodeJS.Timeout | null = null;
  private running = false;
  private failure: string | null = null;
  private scheduled = false;
  /** The Ready being handled, if any (one at a time). */
  private handling: Promise<void> | null = null;
  /** Hard state writes go one after another (they share the temp file). */
  private hardWrites: Promise<void> = Promise.resolve();
  private written: HardState = { term: 0, vote: NONE, commit: 0 };
  private hard: HardState = { term: 0, vote: NONE, commit: 0 };

  constructor(options: RaftGroupOptions) {
    this.o = options;
    this.tickMs = options.tickMs ?? 50;
    this.electionTicks = options.electionTicks ?? 15;
  }

  async start(): Promise<void> {
    if (this.running || this.node) throw new Error('raft group: start() once per instance');
    const o = this.o;
    const stored = readHardState(o.hardStatePath);
    const last = o.entryStore.lastIndex();
    if (stored.commit > last) {
      // Entries written but lost in a crash (async flush): the commit index is learnt again from the leader.
      o.logger.warn('raft commit index beyond the stored log; lowered to it', { commit: stored.commit, lastIndex: last });
      stored.commit = last;
    }
    this.written = { ...stored };
    this.hard = { ...stored };
    this.node = new RaftNode({
      id: o.selfId,
      peers: o.peers.map((p) => p.id),
      electionTicks: this.electionTicks,
      heartbeatTicks: o.heartbeatTicks ?? 2,
      random: Math.random,
      store: o.entryStore,
      hardState: stored,
      applied: o.appliedIndex ?? 0,
      maxBytesPerAppend: o.maxBytesPerAppend,
      // Appends are cut by bytes; the core's count limit (64) would cap a follower's window at 1024 small entries.
      maxEntriesPerAppend: o.maxEntriesPerAppend ?? 4096,
      maxInflight: o.maxInflight,
    });
    this.transport = new RaftTransport({
      selfId: o.selfId, peers: o.peers, logger: o.logger.child('transport'),
      onMessage: (m) => this.receive(m),
      maxFrameBytes: MAX_ENTRY_BYTES + (1 << 20) + (o.maxBytesPerAppend ?? 1 << 20),
    });
    await this.transport.start();
    this.running = true;
    this.ticker = setInterval(() => this.tick(), this.tickMs);
    this.commitTimer = setInterval(() => this.persistCommit(), o.commitPersistMs ?? 1000);
    o.logger.info('raft group started', { self: o.selfId, term: stored.term, vote: stored.vote, commit: stored.commit, lastIndex: last });
    this.schedule();
  }

  /** Stops ticking and talking; lets the Ready in hand finish and records the commit index. The store stays open. */
  async stop(): Promise<void> {
    if (!this.running && this.node === null) return;
    this.running = false;
    if (this.ticker) clearInterval(this.ticker);
    if (this.commitTimer) clearInterval(this.commitTimer);
    this.ticker = null;
    this.commitTimer = null;
    await this.transport?.close();
    await this.handling?.catch(() => {});
    if (this.failure === null) this.persistCommit();
    await this.hardWrites.catch(() => {});
  }

  get role(): Role {
    return this.node?.role ?? 'follower';
  }

  get leader(): NodeId {
    return this.node?.leader ?? NONE;
  }

  get term(): number {
    return this.node?.term ?? 0;
  }

  get commitIndex(): number {
    return this.node?.log.committed ?? 0;
  }

  get appliedIndex(): number {
    return this.node?.log.applied ?? 0;
  }

  /** Why the group stopped on its own (a disk or application error), or null. */
  get failed(): string | null {
    return this.failure;
  }

  status(): RaftGroupStatus {
    const n = this.node;
    return {
      role: this.role, leader: this.leader, term: this.term, commitIndex: this.commitIndex, appliedIndex: this.appliedIndex,
      lastIndex: n?.log.lastIndex() ?? 0, peers: n?.progress() ?? [],
    };
  }

  propose(data: Uint8Array): GroupProposeResult {
    if (!this.running || !this.node) return { ok: false, leader: NONE, reason: this.failure ?? 'raft group is not running' };
    if (data.length > MAX_ENTRY_BYTES) return { ok: false, leader: this.leader, reason: `entry of ${data.length} bytes is over the ${MAX_ENTRY_BYTES} byte limit` };
    const r = this.node.propose(data);
    if (!r.ok) return r;
    this.schedule();
    return { ok: true, index: r.index, term: this.node.term };
  }

  /**
   * Hands leadership to `to`, or with 'best' to the follower holding the most of the log; resolves
   * true once that member leads, false when this node cannot start it or it did not happen in time.
   */
  async transferLeadership(to: NodeId | 'best'): Promise<boolean> {
    const n = this.node;
    if (!this.running || !n || n.role !== 'leader') return false;
    let target = to;
    if (target === 'best') {
      const followers = n.progress().filter((p) => p.id !== this.o.selfId).sort((a, b) => b.match - a.match);
      if (followers.length === 0) return false;
      target = followers[0]!.id;
    }
    if (!n.transferLeadership(target)) return false;
    this.schedule();
    const deadline = performance.now() + 3 * this.electionTicks * this.tickMs;
    while (performance.now() < deadline && this.running) {
      if (n.leader === target && n.role !== 'leader') return true;
      await new Promise((resolve) => setTimeout(resolve, this.tickMs));
    }
    return n.leader === target && n.role !== 'leader';
  }

  private tick(): void {
    if (!this.running) return;
    this.node!.tick();
    this.schedule();
  }

  private receive(m: Message): void {
    if (!this.running) return;
    try {
      this.node!.step(m);
    } catch (err) {
      return this.fail(err);
    }
    this.schedule();
  }

  /** Work waits for the end of the event-loop turn, so that proposals made in it share appends. */
  private schedule(): void {
    if (this.scheduled || !this.running) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    if (!this.running) return;
    const n = this.node!;
    this.sendAll(n.takeMessages());
    if (this.handling !== null || !n.hasReady()) return;
    const rd = n.ready();
    this.handling = this.handle(rd).then(
      () => {
        this.handling = null;
        this.schedule();
      },
      (err: unknown) => {
        this.handling = null;
        this.fail(err);
      },
    );
  }

  private async handle(rd: Ready): Promise<void> {
    const n = this.node!;
    const store = this.o.entryStore;
    this.sendAll(rd.messages);
    if (rd.truncateFrom !== null) store.truncateFrom(rd.truncateFrom);
    if (rd.entries.length > 0) store.append(rd.entries);
    if (rd.truncateFrom !== null || rd.entries.length > 0) await store.sync();
    if (rd.hardState) {
      this.hard = rd.hardState;
      if (rd.hardState.term !== this.written.term || rd.hardState.vote !== this.written.vote) await this.writeHard();
    }
    // The node may have stopped meanwhile: votes and acknowledgements still count once durable.
    this.sendAll(rd.messagesAfterPersist);
    if (rd.roleChange) {
      this.o.logger.info('raft role', { ...rd.roleChange });
      this.o.onRoleChange?.(rd.roleChange);
    }
    if (rd.committedEntries.length > 0) await this.o.onCommitted(rd.committedEntries);
    n.advance(rd);
  }

  private sendAll(messages: readonly Message[]): void {
    if (!this.running) return;
    for (const m of messages) this.transport!.send(m);
  }

  /**
   * Writes the latest hard state, taken when its turn in the queue comes (so a queued write never puts
   * back an older term or vote); its commit only as far as this node's own log is durable.
   */
  private writeHard(): Promise<void> {
    const next = this.hardWrites.then(async () => {
      const hs = { term: this.hard.term, vote: this.hard.vote, commit: Math.min(this.hard.commit, this.node!.log.persistedIndex()) };
      await writeHardState(this.o.hardStatePath, hs);
      this.written = hs;
    });
    this.hardWrites = next.catch(() => {});
    return next;
  }

  /** Records a commit index that moved (lazily: losing it costs only learning it again). */
  private persistCommit(): void {
    if (!this.node || Math.min(this.hard.commit, this.node.log.persistedIndex()) === this.written.commit) return;
    this.writeHard().catch((err: unknown) => this.fail(err));
  }

  private fail(err: unknown): void {
    if (this.failure !== null) return;
    this.failure = `raft group stopped after an error: ${err instanceof Error ? err.message : String(err)}`;
    this.o.logger.error('raft group stopped after an error', { err });
    void this.stop();
  }
}
