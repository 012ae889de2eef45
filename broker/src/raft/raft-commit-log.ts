/**
 * A broker's CommitLog replicated by Raft (DLedger mode): the leader proposes each chunk its append pipeline wrote,
 * every member confirms (dispatches to ConsumeQueues, answers puts) only what a majority committed, and the broker
 * is told its role: master once, as leader, everything committed before its term is confirmed; slave otherwise.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../logging/logger.ts';
import type { MessageStore } from '../store/message-store.ts';
import { CommitLogEntryStore, decodeChunkEntry, encodeChunkEntry } from './commit-log-entry-store.ts';
import { RaftGroup } from './raft-group.ts';
import { RaftIndexFile } from './raft-index-file.ts';
import type { Entry, NodeId, Role } from './raft-messages.ts';
import { parseRaftPeers, raftSelfId, type RaftPeer } from './raft-peers.ts';

export interface RaftCommitLogOptions {
  store: MessageStore;
  /** dLegerPeers and dLegerSelfId, as broker.conf spells them. */
  peers: string;
  selfId: string;
  syncFlush: boolean;
  tickMs?: number;
  electionTicks?: number;
  heartbeatTicks?: number;
  log: Logger;
  /** The broker's role follows: 'master' when leading with everything before its term confirmed. */
  onRole: (role: 'master' | 'slave', why: string) => void;
  /** Any change of leader (followers re-learn the master's address from the namesrv). */
  onLeaderChange?: (leader: NodeId, term: number) => void;
}

export interface RaftMemberStatus {
  selfId: string;
  role: Role;
  term: number;
  leaderId: string | null;
  commitIndex: number;
  appliedIndex: number;
  lastIndex: number;
  confirmOffset: number;
}

export class RaftCommitLog {
  private readonly store: MessageStore;
  private readonly entryStore: CommitLogEntryStore;
  private readonly group: RaftGroup;
  private readonly peers: RaftPeer[];
  private readonly log: Logger;
  private readonly opts: RaftCommitLogOptions;
  private brokerRole: 'master' | 'slave' | null = null;
  private raftRole: Role = 'follower';
  private term = 0;
  private unsubscribe: (() => void) | undefined;
  /** Set while unproposed bytes wait to be cut. */
  private cutFrom: number | null = null;

  /** Opens the Raft index beside the store and reconciles it with the CommitLog; start() joins the group. */
  static open(opts: RaftCommitLogOptions): RaftCommitLog {
    const peers = parseRaftPeers(opts.peers);
    const self = peers.find((p) => p.id === raftSelfId(opts.selfId, peers))!;
    const dir = path.join(opts.store.config.storePathRootDir, 'raft');
    fs.mkdirSync(dir, { recursive: true });
    const index = new RaftIndexFile(path.join(dir, 'index'));
    const entryStore = new CommitLogEntryStore(opts.store, index, opts.syncFlush);
    const applied = reconcile(opts.store, entryStore, opts.log);
    return new RaftCommitLog(opts, peers, self, entryStore, applied);
  }

  /** Joins the group: listens for peers and starts the election clock. */
  start(): Promise<void> {
    return this.group.start();
  }

  private constructor(opts: RaftCommitLogOptions, peers: RaftPeer[], self: RaftPeer, entryStore: CommitLogEntryStore, applied: number) {
    this.opts = opts;
    this.store = opts.store;
    this.peers = peers;
    this.log = opts.log;
    this.entryStore = entryStore;
    this.group = new RaftGroup({
      selfId: self.id,
      peers,
      entryStore,
      hardStatePath: path.join(opts.store.config.storePathRootDir, 'raft', 'hard-state'),
      appliedIndex: applied,
      ...(opts.tickMs !== undefined ? { tickMs: opts.tickMs } : {}),
      ...(opts.electionTicks !== undefined ? { electionTicks: opts.electionTicks } : {}),
      ...(opts.heartbeatTicks !== undefined ? { heartbeatTicks: opts.heartbeatTicks } : {}),
      logger: opts.log,
      onCommitted: (entries) => this.onCommitted(entries),
      onRoleChange: (r) => this.onRoleChange(r.role, r.leader, r.term),
    });
    this.unsubscribe = this.store.onAppended((chunk, start) => this.propose(chunk, start));
  }

  /** The Raft name (n0, n1, ...) of a member. */
  nameOf(id: NodeId): string | null {
    return this.peers.find((p) => p.id === id)?.name ?? null;
  }

  /** brokerId this member registers with while it is not the leader: its position among the peers, from 1. */
  get slaveBrokerId(): number {
    return this.peers.findIndex((p) => p.name === this.opts.selfId) + 1;
  }

  status(): RaftMemberStatus {
    return {
      selfId: this.opts.selfId,
      role: this.group.role,
      term: this.group.term,
      leaderId: this.nameOf(this.group.leader),
      commitIndex: this.group.commitIndex,
      appliedIndex: this.group.appliedIndex,
      lastIndex: this.entryStore.lastIndex(),
      confirmOffset: this.store.confirmOffset,
    };
  }

  /** Planned handoff: leadership to the most caught-up follower. False when this member does not lead or it timed out. */
  transferLeadership(to: NodeId | 'best' = 'best'): Promise<boolean> {
    return this.group.transferLeadership(to);
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    await this.group.stop();
    this.entryStore.index.close();
  }

  private propose(chunk: Buffer, physicalStart: number): void {
    // An entry must be readable back in one piece: the CommitLog reads within one segment.
    const segment = this.store.config.mappedFileSizeCommitLog;
    for (let pos = 0; pos < chunk.length;) {
      const start = physicalStart + pos;
      if (this.cutFrom !== null) return;
      const room = segment - (start % segment);
      const piece = chunk.subarray(pos, pos + Math.min(room, chunk.length - pos));
      const r = this.group.propose(encodeChunkEntry(start, piece));
      if (!r.ok) {
        this.cutUnproposed(start, r.reason);
        return;
      }
      pos += piece.length;
    }
  }

  /**
   * Bytes the pipeline wrote after this member stopped leading belong to no entry: refuse further puts and cut them
   * once the write's turn ends (a microtask: no replicated append can come in between).
   */
  private cutUnproposed(from: number, reason: string): void {
    if (this.cutFrom !== null) return;
    this.cutFrom = from;
    this.store.setWritable(false);
    this.log.warn(`CommitLog bytes from ${from} were written but not proposed (${reason}); they are cut from the log`);
    queueMicrotask(() => {
      this.cutFrom = null;
      if (this.store.commitLogEnd > from) this.store.truncateCommitLog(from);
    });
  }

  private onCommitted(entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    const last = entries[entries.length - 1]!;
    const end = last.data === null ? this.entryStore.endOf(last.index) : endOfData(last.data);
    if (end > this.store.confirmOffset) this.store.setConfirmOffset(end);
    // Committing an entry of its own term commits every earlier one: the leader may now serve as master.
    if (this.raftRole === 'leader' && this.brokerRole !== 'master' && entries.some((e) => e.term === this.term)) {
      this.setBrokerRole('master', `leader of term ${this.term}, log confirmed to ${this.store.confirmOffset}`);
    }
  }

  private onRoleChange(role: Role, leader: NodeId, term: number): void {
    const leaderChanged = term !== this.term || role !== this.raftRole;
    this.raftRole = role;
    this.term = term;
    if (role !== 'leader') this.setBrokerRole('slave', leader === 0 ? `${role} in term ${term}, no leader known` : `follower of ${this.nameOf(leader)} in term ${term}`);
    if (leaderChanged) this.opts.onLeaderChange?.(leader, term);
  }

  private setBrokerRole(role: 'master' | 'slave', why: string): void {
    if (this.brokerRole === role) return;
    this.brokerRole = role;
    this.opts.onRole(role, why);
  }
}

function endOfData(data: Uint8Array): number {
  const { offset, chunk } = decodeChunkEntry(data);
  return offset + chunk.length;
}

/**
 * Makes the Raft index and the CommitLog agree after a restart (either may hold a tail the other lost), and returns
 * the last index whose bytes are already confirmed (the application's applied index).
 */
function reconcile(store: MessageStore, entries: CommitLogEntryStore, log: Logger): number {
  const clEnd = store.commitLogEnd;
  const confirm = store.confirmOffset;
  let last = entries.lastIndex();
  while (last > 0 && entries.endOf(last) > clEnd) last--;
  if (last < entries.lastIndex()) {
    log.warn(`Raft index ${last + 1}..${entries.lastIndex()} point past the CommitLog end ${clEnd}: dropped (an unsynced tail lost)`);
    entries.index.truncateFrom(last + 1);
  }
  const indexEnd = entries.endOf(last);
  if (indexEnd < confirm) {
    throw new Error(
      `the CommitLog is confirmed to ${confirm} but its Raft index covers only ${indexEnd} bytes: this store was not written by a Raft ` +
        'group (or its raft/index was lost); start the member with an empty store and let it catch up from the leader',
    );
  }
  if (clEnd > indexEnd) {
    log.warn(`CommitLog bytes ${indexEnd}..${clEnd} belong to no Raft entry (written, never proposed or persisted): cut`);
    store.truncateCommitLog(indexEnd);
  }
  let applied = 0;
  let lo = 1;
  let hi = last;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (entries.endOf(mid) <= confirm) {
      applied = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return applied;
}
