import path from 'node:path';
import { freePort } from './free-port.ts';
import { tempDir } from './temp-dir.ts';
import { waitFor } from './wait-for.ts';
import { createLogger, LOG_LEVELS, type LogLevel } from '../logging/logger.ts';
import { FileEntryStore, type FileEntryStoreOptions } from '../raft/file-entry-store.ts';
import type { Entry, NodeId } from '../raft/raft-messages.ts';
import { parseRaftPeers, type RaftPeer } from '../raft/raft-peers.ts';
import { RaftGroup, type RaftGroupOptions } from '../raft/raft-group.ts';

/**
 * A Raft group of RaftGroups in this process, on 127.0.0.1 with file-backed stores in a temp folder,
 * for tests and the Raft bench. Each member records what it was handed as committed, and checks that
 * it came in index order from 1 (every start replays from index 1: appliedIndex is not kept).
 */
const isLogLevel = (s: string | undefined): s is LogLevel => (LOG_LEVELS as readonly (string | undefined)[]).includes(s);

export interface LocalMember {
  id: NodeId;
  dir: string;
  group: RaftGroup | null;
  store: FileEntryStore | null;
  /** Data of each committed entry handed over since the last start, by index - 1 (null: a no-op). */
  applied: (Buffer | null)[];
}

export type LocalGroupOptions = Partial<Omit<RaftGroupOptions, 'selfId' | 'peers' | 'entryStore' | 'hardStatePath' | 'logger' | 'onCommitted'>>;

export class LocalRaftCluster {
  readonly peers: RaftPeer[];
  readonly members = new Map<NodeId, LocalMember>();
  private readonly options: LocalGroupOptions;
  private readonly storeOptions: FileEntryStoreOptions;

  private constructor(peers: RaftPeer[], root: string, options: LocalGroupOptions, storeOptions: FileEntryStoreOptions) {
    this.peers = peers;
    this.options = options;
    this.storeOptions = storeOptions;
    for (const p of peers) this.members.set(p.id, { id: p.id, dir: path.join(root, p.name), group: null, store: null, applied: [] });
  }

  static async create(size: number, options: LocalGroupOptions = {}, storeOptions: FileEntryStoreOptions = {}): Promise<LocalRaftCluster> {
    const ports = await Promise.all(Array.from({ length: size }, () => freePort()));
    const peers = parseRaftPeers(ports.map((port, i) => `n${i}-127.0.0.1:${port}`).join(';'));
    return new LocalRaftCluster(peers, tempDir('tern-raft-'), options, storeOptions);
  }

  member(id: NodeId): LocalMember {
    return this.members.get(id)!;
  }

  group(id: NodeId): RaftGroup {
    return this.member(id).group ?? (() => { throw new Error(`raft member ${id} is stopped`); })();
  }

  /** Starts a member, reopening its store from disk as a restarted process would. */
  async start(id: NodeId): Promise<void> {
    const m = this.member(id);
    if (m.group) return;
    m.store = new FileEntryStore(m.dir, { segmentBytes: 16 << 20, ...this.storeOptions });
    m.applied = [];
    const group = new RaftGroup({
      ...this.options,
      selfId: id, peers: this.peers, entryStore: m.store, hardStatePath: path.join(m.dir, 'hard-state'),
      logger: createLogger(`raft-${id}`, { level: isLogLevel(process.env.TERN_LOG_LEVEL) ? process.env.TERN_LOG_LEVEL : 'warn' }),
      onCommitted: (entries: Entry[]) => {
        for (const e of entries) {
          if (e.index !== m.applied.length + 1) throw new Error(`member ${id} handed index ${e.index} after ${m.applied.length}`);
          m.applied.push(e.data === null ? null : Buffer.from(e.data));
        }
      },
    });
    m.group = group;
    await group.start();
  }

  async startAll(): Promise<void> {
    await Promise.all([...this.members.keys()].map((id) => this.start(id)));
  }

  async stop(id: NodeId): Promise<void> {
    const m = this.member(id);
    await m.group?.stop();
    m.store?.close();
    m.group = null;
    m.store = null;
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.members.keys()].map((id) => this.stop(id)));
  }

  running(): LocalMember[] {
    return [...this.members.values()].filter((m) => m.group !== null);
  }

  /** The one leader among running members that all running members agree on, if any. */
  agreedLeader(): NodeId | undefined {
    const live = this.running();
    const leaders = live.filter((m) => m.group!.role === 'leader');
    if (leaders.length !== 1) return undefined;
    const id = leaders[0]!.id;
    return live.every((m) => m.group!.leader === id) ? id : undefined;
  }

  async waitForLeader(timeoutMs = 10_000, intervalMs = 10): Promise<NodeId> {
    return waitFor('one leader all running members follow', () => this.agreedLeader(), timeoutMs, intervalMs);
  }

  /** Waits until every running member was handed entries up to index. */
  async waitForApplied(index: number, timeoutMs = 30_000): Promise<void> {
    await waitFor(`index ${index} handed over on every running member`, (note) => {
      note(this.running().map((m) => `${m.id}:${m.applied.length}`).join(' '));
      return this.running().every((m) => m.applied.length >= index);
    }, timeoutMs, 20);
  }
}
