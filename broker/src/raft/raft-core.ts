/**
 * The Raft core: a pure, deterministic state machine (no timers, sockets or disk). The application
 * feeds it tick(), step(message), propose(data) and transferLeadership(to); it collects ready(),
 * sends its messages at once while it persists the hard state and entries, then sends
 * messagesAfterPersist, applies the committed entries and reports back with advance(ready). One Ready
 * is outstanding at a time; tick/step/propose may go on meanwhile, and takeMessages() hands out the
 * leader traffic they produce at once (a leader keeps replicating while its own fsync runs, and counts
 * its own entries only once advance() says they are durable). The stable log is read from the
 * application's RaftEntryStore; proposals made between two takeMessages()/ready() calls share appends.
 */
import { RaftLog } from './raft-log.ts';
import { NONE, type Entry, type HardState, type Message, type NodeId, type Role, type VoteRequest } from './raft-messages.ts';
import { Progress } from './progress.ts';
import type { RaftEntryStore } from './raft-entry-store.ts';

export interface RaftConfig {
  id: NodeId;
  /** Every member, this node included; ids are positive. */
  peers: readonly NodeId[];
  /** Election timeout T in ticks: a follower campaigns after a random [T, 2T) ticks without a leader. */
  electionTicks: number;
  heartbeatTicks: number;
  /** Uniform in [0, 1); seeded in tests so that a run replays. */
  random: () => number;
  maxEntriesPerAppend?: number;
  maxBytesPerAppend?: number;
  /** Unacknowledged appends per follower in replicate state. */
  maxInflight?: number;
  preVote?: boolean;
  /** Leader steps down without a majority heard within an election timeout; followers hold a lease. */
  checkQuorum?: boolean;
  /** The stable log: empty for a new node, what it holds for a restart. */
  store: RaftEntryStore;
  /** From storage, for a restart. */
  hardState?: HardState;
  /** Last index the application had applied before the restart. */
  applied?: number;
  /** Stabilized entries kept in memory besides the store, for followers close behind. */
  cacheBytes?: number;
  /** Bound on a Ready's committedEntries (at least one entry), so a restart does not read the whole log at once. */
  maxApplyBytesPerReady?: number;
}

export interface Ready {
  /** Present when term, vote or commit changed; write it with or after entries (its commit may point into them). */
  hardState: HardState | null;
  /** Drop stored entries from this index before writing entries (a conflicting tail was replaced). */
  truncateFrom: number | null;
  entries: Entry[];
  /** Leader traffic that may go out before this Ready is durable (replication overlaps the leader's fsync). */
  messages: Message[];
  /** Votes, vote requests and acknowledgements: only once hardState and entries are durable. */
  messagesAfterPersist: Message[];
  /** Committed and durable: apply in order. */
  committedEntries: Entry[];
  /** Present when role, leader or term changed since the last Ready. */
  roleChange: { role: Role; leader: NodeId; term: number } | null;
}

export type RaftLogView = Pick<RaftLog, 'lastIndex' | 'lastTerm' | 'term' | 'entry' | 'persistedIndex'> & {
  readonly committed: number;
  readonly applied: number;
};

export type ProposeResult = { ok: true; index: number } | { ok: false; leader: NodeId; reason: string };

/** A leader's view of one member (itself included). */
export interface PeerProgress {
  id: NodeId;
  match: number;
  next: number;
  state: 'probe' | 'replicate';
  recentActive: boolean;
}

export class RaftNode {
  readonly id: NodeId;
  private readonly raftLog: RaftLog;
  private readonly peers: readonly NodeId[];
  private readonly electionTicks: number;
  private readonly heartbeatTicks: number;
  private readonly random: () => number;
  private readonly maxEntries: number;
  private readonly maxBytes: number;
  private readonly maxInflight: number;
  private readonly preVote: boolean;
  private readonly checkQuorum: boolean;
  private readonly maxApplyBytes: number;

  #term = 0;
  #vote: NodeId = NONE;
  #role: Role = 'follower';
  #leader: NodeId = NONE;

  private electionElapsed = 0;
  private heartbeatElapsed = 0;
  private randomizedTimeout = 0;
  private votes = new Map<NodeId, boolean>();
  private progressById = new Map<NodeId, Progress>();
  private transferee: NodeId = NONE;
  private transferElapsed = 0;
  private outbox: Message[] = [];
  private outboxAfterPersist: Message[] = [];
  private persistedHard: HardState;
  private reportedRole: { role: Role; leader: NodeId; term: number } | null = null;
  private outstanding = false;
  /** Proposals since the last takeMessages()/ready() not yet broadcast: they go out in one append per follower. */
  private proposed = false;

  constructor(c: RaftConfig) {
    if (c.id <= 0 || !c.peers.includes(c.id)) throw new Error(`raft node id ${c.id} must be positive and among the peers`);
    if (c.heartbeatTicks <= 0 || c.electionTicks <= c.heartbeatTicks) {
      throw new Error(`raft needs 0 < heartbeatTicks (${c.heartbeatTicks}) < electionTicks (${c.electionTicks})`);
    }
    this.id = c.id;
    this.peers = [...new Set(c.peers)];
    this.electionTicks = c.electionTicks;
    this.heartbeatTicks = c.heartbeatTicks;
    this.random = c.random;
    this.maxEntries = c.maxEntriesPerAppend ?? 64;
    this.maxBytes = c.maxBytesPerAppend ?? 1 << 20;
    this.maxInflight = c.maxInflight ?? 16;
    this.preVote = c.preVote ?? true;
    this.checkQuorum = c.checkQuorum ?? true;
    this.maxApplyBytes = c.maxApplyBytesPerReady ?? 16 << 20;
    const hs = c.hardState ?? { term: 0, vote: NONE, commit: 0 };
    this.raftLog = new RaftLog(c.store, hs.commit, c.applied ?? 0, c.cacheBytes ?? 8 << 20);
    this.#term = hs.term;
    this.#vote = hs.vote;
    this.persistedHard = { ...hs };
    this.becomeFollower(hs.term, NONE);
  }

  /** The log, to read: only the core changes it. */
  get log(): RaftLogView {
    return this.raftLog;
  }

  get term(): number {
    return this.#term;
  }

  get vote(): NodeId {
    return this.#vote;
  }

  get role(): Role {
    return this.#role;
  }

  /** The leader this node follows (itself when leading), NONE when it knows none. */
  get leader(): NodeId {
    return this.#leader;
  }

  /** Leader only (empty otherwise): where each member stands. */
  progress(): PeerProgress[] {
    return [...this.progressById.values()].map((p) => ({ id: p.id, match: p.match, next: p.next, state: p.state, recentActive: p.recentActive }));
  }

  private quorum(): number {
    return Math.floor(this.peers.length / 2) + 1;
  }

  private send(m: Message): void {
    const early = m.type === 'append' || m.type === 'heartbeat' || m.type === 'timeoutNow';
    (early ? this.outbox : this.outboxAfterPersist).push(m);
  }

  // ---- role changes ----

  private reset(term: number): void {
    if (term !== this.#term) {
      this.#term = term;
      this.#vote = NONE;
    }
    this.#leader = NONE;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.randomizedTimeout = this.electionTicks + Math.floor(this.random() * this.electionTicks);
    this.votes.clear();
    this.transferee = NONE;
    this.progressById.clear();
  }

  private becomeFollower(term: number, leader: NodeId): void {
    this.reset(term);
    this.#role = 'follower';
    this.#leader = leader;
  }

  private becomeLeader(): void {
    this.reset(this.#term);
    this.#role = 'leader';
    this.#leader = this.id;
    for (const p of this.peers) {
      const pr = new Progress(p, this.raftLog.lastIndex() + 1, this.maxInflight);
      if (p === this.id) {
        pr.match = this.raftLog.persistedIndex();
        pr.recentActive = true;
      }
      this.progressById.set(p, pr);
    }
    // Entries of earlier terms commit only through one of ours (section 5.4.2).
    this.appendOwn(null);
    this.broadcastAppend();
  }

  private campaign(kind: 'pre' | 'real', transfer: boolean): void {
    if (kind === 'pre') {
      this.reset(this.#term);
      this.#role = 'preCandidate';
    } else {
      this.reset(this.#term + 1);
      this.#role = 'candidate';
      this.#vote = this.id;
    }
    const term = kind === 'pre' ? this.#term + 1 : this.#term;
    this.votes.set(this.id, true);
    if (this.tally() === 'won') return this.wonElection(kind);
    for (const p of this.peers) {
      if (p === this.id) continue;
      this.send({
        type: kind === 'pre' ? 'preVote' : 'vote', from: this.id, to: p, term,
        lastIndex: this.raftLog.lastIndex(), lastTerm: this.raftLog.lastTerm(), transfer,
      });
    }
  }

  private tally(): 'won' | 'lost' | 'pending' {
    let granted = 0;
    let rejected = 0;
    for (const g of this.votes.values()) g ? granted++ : rejected++;
    if (granted >= this.quorum()) return 'won';
    if (rejected >= this.quorum()) return 'lost';
    return 'pending';
  }

  private wonElection(kind: 'pre' | 'real'): void {
    if (kind === 'pre') this.campaign('real', false);
    else this.becomeLeader();
  }

  // ---- inputs ----

  tick(): void {
    if (this.#role === 'leader') return this.tickLeader();
    this.electionElapsed++;
    if (this.electionElapsed >= this.randomizedTimeout) {
      this.electionElapsed = 0;
      this.campaign(this.preVote ? 'pre' : 'real', false);
    }
  }

  private tickLeader(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    if (this.transferee !== NONE && ++this.transferElapsed >= this.electionTicks) this.transferee = NONE;
    if (this.electionElapsed >= this.electionTicks) {
      this.electionElapsed = 0;
      if (this.checkQuorum) {
        let active = 0;
        for (const pr of this.progressById.values()) {
          if (pr.recentActive || pr.id === this.id) active++;
          if (pr.id !== this.id) pr.recentActive = false;
        }
        if (active < this.quorum()) return this.becomeFollower(this.#term, NONE);
      }
    }
    if (this.heartbeatElapsed >= this.heartbeatTicks) {
      this.heartbeatElapsed = 0;
      for (const pr of this.progressById.values()) {
        if (pr.id === this.id) continue;
        this.send({ type: 'heartbeat', from: this.id, to: pr.id, term: this.#term, commit: Math.min(pr.match, this.raftLog.committed) });
      }
    }
  }

  propose(data: Uint8Array): ProposeResult {
    if (this.#role !== 'leader') return { ok: false, leader: this.#leader, reason: 'not the leader' };
    if (this.transferee !== NONE) return { ok: false, leader: this.#leader, reason: `leadership is moving to ${this.transferee}` };
    const index = this.appendOwn(data);
    this.proposed = true;
    return { ok: true, index };
  }

  /** Hands leadership to a member once it holds the whole log; false when this node cannot start it. */
  transferLeadership(to: NodeId): boolean {
    if (this.#role !== 'leader' || to === this.id || !this.progressById.has(to)) return false;
    this.transferee = to;
    this.transferElapsed = 0;
    const pr = this.progressById.get(to)!;
    if (pr.match === this.raftLog.lastIndex()) this.send({ type: 'timeoutNow', from: this.id, to, term: this.#term });
    else this.sendAppend(pr);
    return true;
  }

  step(m: Message): void {
    if (m.to !== this.id || !this.peers.includes(m.from)) return;
    if (m.term > this.#term) {
      if ((m.type === 'preVote' || m.type === 'vote') && !m.transfer && this.inLease()) return;
      // A pre-vote (or a grant of ours) is about a term nobody has entered yet.
      const future = m.type === 'preVote' || (m.type === 'preVoteResp' && !m.reject);
      if (!future) {
        const fromLeader = m.type === 'append' || m.type === 'heartbeat' || m.type === 'timeoutNow';
        this.becomeFollower(m.term, fromLeader ? m.from : NONE);
      }
    } else if (m.term < this.#term) {
      // A stale leader learns our term and steps down; a stale pre-candidate learns it lost.
      if (m.type === 'append' || m.type === 'heartbeat') this.send({ type: 'heartbeatResp', from: this.id, to: m.from, term: this.#term });
      else if (m.type === 'preVote') this.send({ type: 'preVoteResp', from: this.id, to: m.from, term: this.#term, reject: true });
      return;
    }
    switch (m.type) {
      case 'preVote':
      case 'vote':
        return this.handleVoteRequest(m);
      case 'preVoteResp':
      case 'voteResp':
        if ((m.type === 'preVoteResp') !== (this.#role === 'preCandidate')) return;
        if (this.#role !== 'preCandidate' && this.#role !== 'candidate') return;
        this.votes.set(m.from, !m.reject);
        switch (this.tally()) {
          case 'won':
            return this.wonElection(this.#role === 'preCandidate' ? 'pre' : 'real');
          case 'lost':
            return this.becomeFollower(this.#term, NONE);
          default:
            return;
        }
      case 'append':
        this.followLeader(m.from);
        return this.handleAppend(m);
      case 'heartbeat':
        this.followLeader(m.from);
        this.raftLog.commitTo(Math.min(m.commit, this.raftLog.lastIndex()));
        return this.send({ type: 'heartbeatResp', from: this.id, to: m.from, term: this.#term });
      case 'timeoutNow':
        if (this.#role === 'leader') return;
        return this.campaign('real', true);
      case 'appendResp':
        return this.handleAppendResponse(m);
      case 'heartbeatResp':
        return this.handleHeartbeatResponse(m.from);
    }
  }

  /** A follower that heard from a live leader within the election timeout ignores (pre)votes. */
  private inLease(): boolean {
    return this.checkQuorum && this.#leader !== NONE && this.electionElapsed < this.electionTicks;
  }

  private handleVoteRequest(m: VoteRequest): void {
    const pre = m.type === 'preVote';
    const canVote = this.#vote === m.from || (this.#vote === NONE && this.#leader === NONE) || (pre && m.term > this.#term);
    const grant = canVote && this.raftLog.isUpToDate(m.lastIndex, m.lastTerm);
    const type = pre ? 'preVoteResp' : 'voteResp';
    if (!grant) return this.send({ type, from: this.id, to: m.from, term: this.#term, reject: true });
    this.send({ type, from: this.id, to: m.from, term: m.term, reject: false });
    if (!pre) {
      this.#vote = m.from;
      this.electionElapsed = 0;
    }
  }

  private followLeader(from: NodeId): void {
    if (this.#role !== 'follower') this.becomeFollower(this.#term, from);
    this.#leader = from;
    this.electionElapsed = 0;
  }

  private handleAppend(m: Extract<Message, { type: 'append' }>): void {
    const reply = { type: 'appendResp' as const, from: this.id, to: m.from, term: this.#term };
    if (m.prevIndex < this.raftLog.committed) {
      return this.send({ ...reply, reject: false, index: this.raftLog.committed, hintIndex: 0, hintTerm: 0 });
    }
    if (!this.raftLog.matchTerm(m.prevIndex, m.prevTerm)) {
      const hintIndex = this.raftLog.lastIndexAtOrBeforeTerm(m.prevIndex, m.prevTerm);
      return this.send({ ...reply, reject: true, index: m.prevIndex, hintIndex, hintTerm: this.raftLog.term(hintIndex)! });
    }
    const lastNew = this.raftLog.appendFromLeader(m.prevIndex, m.entries);
    this.raftLog.commitTo(Math.min(m.commit, lastNew));
    this.send({ ...reply, reject: false, index: lastNew, hintIndex: 0, hintTerm: 0 });
  }

  // ---- leader side ----

  private appendOwn(data: Uint8Array | null): number {
    const index = this.raftLog.lastIndex() + 1;
    this.raftLog.append({ term: this.#term, index, data });
    return index;
  }

  /** commitChanged: followers up to date still get an empty append, to learn the new commit index. */
  private broadcastAppend(commitChanged = false): void {
    for (const pr of this.progressById.values()) if (pr.id !== this.id) this.sendAppend(pr, commitChanged);
  }

  /** Sends what the window allows; an empty append only as a probe or to carry a new commit index. */
  private sendAppend(pr: Progress, carryCommit = false): void {
    while (pr.canSend()) {
      const entries = this.raftLog.slice(pr.next, this.maxEntries, this.maxBytes);
      if (entries.length === 0 && pr.state === 'replicate' && !carryCommit) return;
      carryCommit = false;
      const prevIndex = pr.next - 1;
      this.send({
        type: 'append', from: this.id, to: pr.id, term: this.#term,
        prevIndex, prevTerm: this.raftLog.term(prevIndex)!, entries, commit: this.raftLog.committed,
      });
      pr.sent(prevIndex + entries.length, entries.length);
      if (pr.state === 'probe') return;
    }
  }

  private handleAppendResponse(m: Extract<Message, { type: 'appendResp' }>): void {
    if (this.#role !== 'leader') return;
    const pr = this.progressById.get(m.from)!;
    pr.recentActive = true;
    if (m.reject) {
      const next = this.raftLog.lastIndexAtOrBeforeTerm(m.hintIndex, m.hintTerm) + 1;
      if (pr.rejected(m.index, next)) this.sendAppend(pr);
      return;
    }
    const moved = pr.acknowledge(m.index);
    if (pr.state === 'probe' && (moved || m.index >= pr.match)) pr.becomeReplicate();
    if (moved && this.maybeCommit()) this.broadcastAppend(true);
    else this.sendAppend(pr);
    if (m.from === this.transferee && pr.match === this.raftLog.lastIndex()) {
      this.send({ type: 'timeoutNow', from: this.id, to: m.from, term: this.#term });
    }
  }

  private handleHeartbeatResponse(from: NodeId): void {
    if (this.#role !== 'leader') return;
    const pr = this.progressById.get(from)!;
    pr.recentActive = true;
    if (pr.match >= this.raftLog.lastIndex()) return;
    // A lost append or answer would stall the follower: a heartbeat round trip reopens the probe, and
    // a replicating follower that acknowledged nothing over a whole heartbeat interval is probed again.
    if (pr.state === 'probe') pr.probeSent = false;
    else if (pr.stalledSinceLastHeartbeat()) pr.becomeProbe();
    this.sendAppend(pr);
  }

  /** Commits the highest index a majority holds durably, the leader's own fsync included, if it is of this term. */
  private maybeCommit(): boolean {
    const matches = [...this.progressById.values()].map((pr) => pr.match).sort((a, b) => b - a);
    const index = matches[this.quorum() - 1]!;
    if (index <= this.raftLog.committed || this.raftLog.term(index) !== this.#term) return false;
    return this.raftLog.commitTo(index);
  }

  // ---- output ----

  private flushProposals(): void {
    if (this.proposed && this.#role === 'leader') this.broadcastAppend();
    this.proposed = false;
  }

  /** Leader traffic that may go out now, even while a Ready is outstanding (appends, heartbeats, timeoutNow). */
  takeMessages(): Message[] {
    this.flushProposals();
    const out = this.outbox;
    this.outbox = [];
    return out;
  }

  hasReady(): boolean {
    this.flushProposals();
    return this.outbox.length > 0 || this.outboxAfterPersist.length > 0 || this.raftLog.hasUnstable() || this.hardChanged()
      || this.roleChanged() || this.raftLog.hasToApply();
  }

  private hardChanged(): boolean {
    const h = this.persistedHard;
    return h.term !== this.#term || h.vote !== this.#vote || h.commit !== this.raftLog.committed;
  }

  private roleChanged(): boolean {
    const r = this.reportedRole;
    return r === null || r.role !== this.#role || r.leader !== this.#leader || r.term !== this.#term;
  }

  ready(): Ready {
    if (this.outstanding) throw new Error('raft: advance(ready) before asking for the next Ready');
    this.flushProposals();
    this.outstanding = true;
    const u = this.raftLog.takeUnstable();
    const rd: Ready = {
      hardState: this.hardChanged() ? { term: this.#term, vote: this.#vote, commit: this.raftLog.committed } : null,
      truncateFrom: u.truncateFrom,
      entries: u.entries,
      messages: this.outbox,
      messagesAfterPersist: this.outboxAfterPersist,
      committedEntries: this.raftLog.toApply(this.maxApplyBytes),
      roleChange: this.roleChanged() ? { role: this.#role, leader: this.#leader, term: this.#term } : null,
    };
    this.outbox = [];
    this.outboxAfterPersist = [];
    return rd;
  }

  /** The application persisted rd's hard state and entries, sent all its messages and applied its committed entries. */
  advance(rd: Ready): void {
    if (!this.outstanding) throw new Error('raft: advance without an outstanding ready');
    this.outstanding = false;
    if (rd.hardState) this.persistedHard = rd.hardState;
    if (rd.roleChange) this.reportedRole = rd.roleChange;
    this.raftLog.stabilize();
    const applied = rd.committedEntries.at(-1);
    if (applied) this.raftLog.applied = applied.index;
    if (this.#role === 'leader') {
      const self = this.progressById.get(this.id)!;
      if (self.acknowledge(this.raftLog.persistedIndex()) && this.maybeCommit()) this.broadcastAppend(true);
    }
  }
}
