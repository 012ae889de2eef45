/**
 * A deterministic simulated network for the Raft core: seeded loss, duplication, delay (hence
 * reordering), partitions (both ways or one way), slow disks and crash + restart from what each node
 * had synced (entries written but not synced are lost). Every step is followed by the Raft safety
 * checks; a violation throws with the seed, so the run replays.
 */
import { RaftNode, type RaftConfig, type Ready } from '../../src/raft/raft-core.ts';
import type { Entry, HardState, Message, NodeId } from '../../src/raft/raft-messages.ts';
import { MemoryEntryStore } from '../../src/raft/memory-entry-store.ts';
import { SeededRandom } from '../../src/harness/seeded-random.ts';

export interface NetworkFaults {
  loss: number;
  /** Chance that a delivered message is delivered a second time, later. */
  duplicate?: number;
  /** Delivery delay in rounds, uniform in [1, maxDelay]. */
  maxDelay: number;
  /** Chance, at each chance to finish, that a node's disk write is still under way. */
  slowDisk: number;
}

const CALM: NetworkFaults = { loss: 0, maxDelay: 1, slowDisk: 0 };

interface SimNode {
  raft: RaftNode | null;
  disk: { hard: HardState; store: MemoryEntryStore };
  /** Highest commit index this incarnation reported: it must never go back. */
  commitSeen: number;
  applied: string[];
  /** A Ready whose entries are written and messages went out, but whose sync has not finished (slow disk). */
  pending: Ready | null;
}

interface InFlight {
  at: number;
  seq: number;
  m: Message;
}

export const keyOf = (e: Entry): string => (e.data === null ? `noop@${e.term}` : Buffer.from(e.data).toString());

export class SimulatedCluster {
  readonly ids: NodeId[];
  readonly rng: SeededRandom;
  readonly nodes = new Map<NodeId, SimNode>();
  faults: NetworkFaults = CALM;
  now = 0;
  /** Messages sent, by type, for the focused tests. */
  readonly sent: Message[] = [];
  private inflight: InFlight[] = [];
  private seq = 0;
  private blocked = new Set<string>();
  /** Nodes whose disk write does not finish until released. */
  private heldDisks = new Set<NodeId>();
  private leadersByTerm = new Map<number, NodeId>();
  /** index -> key applied there, and the applier's term when first applied (for leader completeness). */
  readonly committed = new Map<number, { key: string; atTerm: number }>();
  /** (index, term) -> key and previous term, for log matching. */
  private logShape = new Map<string, { key: string; prevTerm: number }>();
  private readonly config: Omit<RaftConfig, 'id' | 'peers' | 'random' | 'store'>;

  constructor(size: number, seed: number, config: Partial<Omit<RaftConfig, 'id' | 'peers' | 'random' | 'store'>> = {}) {
    this.rng = new SeededRandom(seed);
    this.ids = Array.from({ length: size }, (_, i) => i + 1);
    // No cache: every read of a stable entry goes through the store, as for a follower far behind.
    this.config = { electionTicks: 10, heartbeatTicks: 2, cacheBytes: 0, ...config };
    for (const id of this.ids) {
      this.nodes.set(id, { raft: null, disk: { hard: { term: 0, vote: 0, commit: 0 }, store: new MemoryEntryStore() }, commitSeen: 0, applied: [], pending: null });
      this.start(id);
    }
  }

  fail(what: string): never {
    throw new Error(`raft simulation seed ${this.rng.seed} round ${this.now}: ${what}`);
  }

  raft(id: NodeId): RaftNode {
    return this.nodes.get(id)!.raft ?? this.fail(`node ${id} is down`);
  }

  alive(id: NodeId): boolean {
    return this.nodes.get(id)!.raft !== null;
  }

  leaders(): RaftNode[] {
    return this.ids.filter((id) => this.alive(id) && this.raft(id).role === 'leader').map((id) => this.raft(id));
  }

  /** The leader of the highest term among live nodes, if any. */
  leader(): RaftNode | undefined {
    return this.leaders().sort((a, b) => b.term - a.term)[0];
  }

  private start(id: NodeId): void {
    const n = this.nodes.get(id)!;
    n.applied = [];
    n.commitSeen = n.disk.hard.commit;
    const random = this.rng.fork(`node-${id}-${this.now}`);
    n.raft = new RaftNode({
      ...this.config, id, peers: this.ids, random: () => random.next(),
      hardState: { ...n.disk.hard }, store: n.disk.store, applied: 0,
    });
    this.check(id);
  }

  /** What the disk had not synced is lost. */
  crash(id: NodeId): void {
    const n = this.nodes.get(id)!;
    n.raft = null;
    n.pending = null;
    n.disk.store.loseUnsynced();
  }

  /** Entries the node's store holds (written, synced or not). */
  stored(id: NodeId): Entry[] {
    const store = this.nodes.get(id)!.disk.store;
    return store.lastIndex() === 0 ? [] : store.entries(1, store.lastIndex() + 1, Infinity);
  }

  restart(id: NodeId): void {
    if (!this.alive(id)) this.start(id);
  }

  /** Cuts every link between the two sides (both directions). */
  partition(side: readonly NodeId[]): void {
    for (const a of side) for (const b of this.ids) if (!side.includes(b)) {
      this.blocked.add(`${a}>${b}`);
      this.blocked.add(`${b}>${a}`);
    }
  }

  /** Cuts one direction only: `to` stops hearing from `from` (an asymmetric partition). */
  block(from: NodeId, to: NodeId): void {
    this.blocked.add(`${from}>${to}`);
  }

  holdDisk(id: NodeId): void {
    this.heldDisks.add(id);
  }

  releaseDisk(id: NodeId): void {
    this.heldDisks.delete(id);
  }

  heal(): void {
    this.blocked.clear();
  }

  propose(id: NodeId, data: string): ReturnType<RaftNode['propose']> {
    const r = this.raft(id).propose(Buffer.from(data));
    this.check(id);
    return r;
  }

  transfer(from: NodeId, to: NodeId): boolean {
    const ok = this.raft(from).transferLeadership(to);
    this.check(from);
    return ok;
  }

  /** One round: every live node ticks, then messages due now are delivered. */
  round(): void {
    this.now++;
    for (const id of this.ids) {
      if (!this.alive(id)) continue;
      this.raft(id).tick();
      this.check(id);
    }
    const due = this.inflight.filter((f) => f.at <= this.now).sort((a, b) => a.at - b.at || a.seq - b.seq);
    this.inflight = this.inflight.filter((f) => f.at > this.now);
    for (const { m } of due) {
      if (!this.alive(m.to) || this.blocked.has(`${m.from}>${m.to}`)) continue;
      this.raft(m.to).step(m);
      this.check(m.to);
    }
    for (const id of this.ids) if (this.alive(id)) this.drain(id, false);
  }

  run(rounds: number): void {
    for (let i = 0; i < rounds; i++) this.round();
  }

  /** Runs until cond holds; fails after maxRounds. */
  until(cond: () => boolean, maxRounds: number, what: string): number {
    for (let i = 0; i < maxRounds; i++) {
      if (cond()) return i;
      this.round();
    }
    return cond() ? maxRounds : this.fail(`not within ${maxRounds} rounds: ${what}`);
  }

  /** Safety checks that hold after any step, then the node's Ready unless its disk is slow this time. */
  private check(id: NodeId): void {
    const r = this.raft(id);
    const n = this.nodes.get(id)!;
    if (r.log.committed < n.commitSeen) this.fail(`commit went back on node ${id}: ${n.commitSeen} -> ${r.log.committed}`);
    n.commitSeen = r.log.committed;
    if (r.role === 'leader') {
      const known = this.leadersByTerm.get(r.term);
      if (known !== undefined && known !== id) this.fail(`election safety: ${known} and ${id} both lead term ${r.term}`);
      if (known === undefined) {
        this.leadersByTerm.set(r.term, id);
        for (const [index, c] of this.committed) {
          const e = r.log.entry(index);
          if (c.atTerm < r.term && (e === undefined || keyOf(e) !== c.key)) {
            this.fail(`leader completeness: leader ${id} of term ${r.term} lacks committed index ${index} (${c.key})`);
          }
        }
      }
    }
    this.drain(id, false);
  }

  /**
   * Takes the node's Ready and sends what may go at once; a slow disk leaves the rest (write, the
   * messages that wait for it, apply, advance) for a later round, while the node keeps stepping.
   */
  private drain(id: NodeId, finishSlow: boolean): void {
    const n = this.nodes.get(id)!;
    const r = n.raft!;
    for (;;) {
      if (n.pending) {
        if (this.heldDisks.has(id) || (!finishSlow && this.rng.chance(this.faults.slowDisk))) return;
        const rd = n.pending;
        n.pending = null;
        this.persist(id, rd);
        r.advance(rd);
      }
      if (!r.hasReady()) return;
      n.pending = r.ready();
      this.write(id, n.pending);
      this.transmit(n.pending.messages);
      finishSlow = false;
    }
  }

  private transmit(messages: readonly Message[]): void {
    for (const m of messages) {
      this.sent.push(m);
      if (this.rng.chance(this.faults.loss)) continue;
      this.inflight.push({ at: this.now + this.rng.int(1, this.faults.maxDelay), seq: this.seq++, m });
      if (this.rng.chance(this.faults.duplicate ?? 0)) {
        this.inflight.push({ at: this.now + this.rng.int(1, this.faults.maxDelay + 2), seq: this.seq++, m });
      }
    }
  }

  /** The Ready's entries reach the store at once (the page cache); they are durable only once persist() syncs. */
  private write(id: NodeId, rd: Ready): void {
    const store = this.nodes.get(id)!.disk.store;
    if (rd.truncateFrom !== null) store.truncateFrom(rd.truncateFrom);
    for (const e of rd.entries) {
      if (e.index !== store.lastIndex() + 1) this.fail(`node ${id} writes index ${e.index} after ${store.lastIndex()}`);
      this.checkLogMatching(id, e, store.term(store.lastIndex())!);
      store.append([e]);
    }
  }

  private persist(id: NodeId, rd: Ready): void {
    const n = this.nodes.get(id)!;
    const disk = n.disk;
    void disk.store.sync();
    if (rd.hardState) disk.hard = { ...rd.hardState };
    this.transmit(rd.messagesAfterPersist);
    for (const e of rd.committedEntries) {
      if (e.index !== n.applied.length + 1) this.fail(`node ${id} applies ${e.index} after ${n.applied.length}`);
      const key = keyOf(e);
      const c = this.committed.get(e.index);
      if (c === undefined) this.committed.set(e.index, { key, atTerm: n.raft!.term });
      else if (c.key !== key) this.fail(`state machine safety: index ${e.index} is ${c.key} elsewhere, ${key} on node ${id}`);
      n.applied.push(key);
    }
  }

  private checkLogMatching(id: NodeId, e: Entry, prevTerm: number): void {
    const k = `${e.index}/${e.term}`;
    const key = keyOf(e);
    const seen = this.logShape.get(k);
    if (seen === undefined) this.logShape.set(k, { key, prevTerm });
    else if (seen.key !== key || seen.prevTerm !== prevTerm) {
      this.fail(`log matching: node ${id} has ${key} (prev term ${prevTerm}) at ${k}, another node ${seen.key} (prev term ${seen.prevTerm})`);
    }
  }
}
