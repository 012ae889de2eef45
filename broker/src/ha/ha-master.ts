import net from 'node:net';
import type { Logger } from '../logging/logger.ts';
import type { MessageStore } from '../store/message-store.ts';
import { encodeTransferHeader, HaStreamReader } from './ha-frames.ts';

export type ReplicaWaitResult = 'OK' | 'FLUSH_SLAVE_TIMEOUT' | 'SLAVE_NOT_AVAILABLE';

export interface HaMasterOptions {
  port: number;
  host: string;
  /** Largest chunk of CommitLog per frame (haTransferBatchSize, 32 KiB). */
  transferBatchSize: number;
  /** Idle heartbeat (haSendHeartbeatInterval, 5 s) and connection expiry (haHousekeepingInterval, 20 s). */
  heartbeatIntervalMs: number;
  housekeepingMs: number;
  /** A slave further behind than this does not count for synchronous replication (haMaxGapNotInSync, 256 MiB). */
  maxGapNotInSync: number;
  /** TLS on the HA port: given the handler of ready sockets, returns what takes each new connection (the broker's TLS acceptor). */
  secureAccept?: (onReady: (socket: net.Socket) => void) => { accept(socket: net.Socket): void; close(): void };
}

export interface ReplicaInfo {
  address: string;
  ackOffset: number;
  lagBytes: number;
  /** Counts for synchronous replication (see inSyncAck): a SYNC_MASTER with one such slave acknowledges sends. */
  inSync: boolean;
}

interface Waiter {
  endOffset: number;
  deadline: number;
  resolve(r: ReplicaWaitResult): void;
}

/** One slave's connection: it reports what it holds; we stream what it lacks. */
class ReplicaConnection {
  readonly socket: net.Socket;
  readonly address: string;
  ackOffset = -1;
  private nextTransfer = -1;
  private lastWrite = Date.now();
  lastRead = Date.now();
  private waitingDrain = false;
  private readonly reader = new HaStreamReader();
  private readonly master: HaMaster;

  constructor(socket: net.Socket, master: HaMaster) {
    this.socket = socket;
    this.master = master;
    this.address = `${socket.remoteAddress?.replace(/^::ffff:/, '')}:${socket.remotePort}`;
    socket.setNoDelay(true);
    socket.on('data', (chunk) => this.onData(chunk));
    socket.on('drain', () => {
      this.waitingDrain = false;
      this.pump();
    });
  }

  private onData(chunk: Buffer): void {
    this.lastRead = Date.now();
    this.reader.push(chunk);
    let report: number | undefined;
    let latest: number | undefined;
    while ((report = this.reader.nextReport()) !== undefined) latest = report;
    if (latest === undefined) return;
    const store = this.master.store;
    if (this.nextTransfer < 0) {
      const max = store.getCommitLogMaxOffset();
      if (latest > max) {
        this.master.log.error(`slave ${this.address} reports offset ${latest} beyond our ${max}: it holds data this master never had; disconnecting`);
        this.socket.destroy();
        return;
      }
      // A new, empty slave starts from our oldest byte, so it ends up with a complete copy.
      this.nextTransfer = latest === 0 ? store.getCommitLogMinOffset() : latest;
      this.master.log.info(`slave ${this.address} connected, replicating from offset ${this.nextTransfer}`);
    }
    this.ackOffset = latest;
    this.master.onAck();
    this.pump();
  }

  /** Streams whatever the slave lacks, until the socket pushes back or we are caught up. */
  pump(): void {
    if (this.nextTransfer < 0 || this.waitingDrain || this.socket.destroyed) return;
    const store = this.master.store;
    for (;;) {
      const chunk = store.readCommitLog(this.nextTransfer, this.master.options.transferBatchSize);
      if (!chunk) return;
      this.socket.cork();
      this.socket.write(encodeTransferHeader(this.nextTransfer, chunk.length));
      const ok = this.socket.write(chunk);
      this.socket.uncork();
      this.nextTransfer += chunk.length;
      this.lastWrite = Date.now();
      if (!ok) {
        this.waitingDrain = true;
        return;
      }
    }
  }

  heartbeat(now: number): void {
    if (this.nextTransfer >= 0 && now - this.lastWrite >= this.master.options.heartbeatIntervalMs && !this.waitingDrain) {
      this.socket.write(encodeTransferHeader(this.nextTransfer, 0));
      this.lastWrite = now;
    }
  }
}

/**
 * The master side of replication: accepts slaves on haListenPort, streams CommitLog bytes to each from the offset
 * it reports, and releases SYNC_MASTER sends once a slave acknowledges their bytes.
 */
export class HaMaster {
  readonly store: MessageStore;
  readonly log: Logger;
  readonly options: HaMasterOptions;
  private readonly server: net.Server;
  private readonly replicas = new Set<ReplicaConnection>();
  private waiters: Waiter[] = [];
  private timer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  private pumpScheduled = false;
  private readonly secure: { accept(socket: net.Socket): void; close(): void } | undefined;

  constructor(store: MessageStore, options: HaMasterOptions, log: Logger) {
    this.store = store;
    this.options = options;
    this.log = log;
    const secure = options.secureAccept?.((socket) => this.onSocket(socket));
    this.secure = secure;
    this.server = net.createServer((socket) => (secure ? secure.accept(socket) : this.onSocket(socket)));
  }

  get port(): number {
    const a = this.server.address();
    return typeof a === 'object' && a ? a.port : this.options.port;
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, this.options.host, () => resolve());
    });
    // New bytes wake the pumps once per burst of messages: a microtask, so a SYNC_MASTER's sends start
    // travelling to the slave in the same turn of the loop that wrote them.
    this.unsubscribe = this.store.onMessageArrived(() => {
      if (this.pumpScheduled || this.replicas.size === 0) return;
      this.pumpScheduled = true;
      queueMicrotask(() => {
        this.pumpScheduled = false;
        for (const r of this.replicas) r.pump();
      });
    });
    this.timer = setInterval(() => this.housekeeping(), 20);
    this.timer.unref();
  }

  private onSocket(socket: net.Socket): void {
    const replica = new ReplicaConnection(socket, this);
    this.replicas.add(replica);
    const drop = (why: string) => {
      if (!this.replicas.delete(replica)) return;
      this.log.warn(`slave ${replica.address} disconnected: ${why}`);
      socket.destroy();
      if (this.replicas.size === 0) this.releaseAll('SLAVE_NOT_AVAILABLE');
    };
    socket.on('error', (err) => drop(err.message));
    socket.on('close', () => drop('connection closed'));
  }

  /** Slaves that count for synchronous replication: connected, reporting, and not hopelessly behind. */
  private inSyncAck(): number {
    const max = this.store.getCommitLogMaxOffset();
    let best = -1;
    for (const r of this.replicas) {
      if (this.isInSync(r, max)) best = Math.max(best, r.ackOffset);
    }
    return best;
  }

  private isInSync(r: ReplicaConnection, max: number): boolean {
    return r.ackOffset >= 0 && max - r.ackOffset <= this.options.maxGapNotInSync;
  }

  /** Resolves once a slave holds the log up to endOffset, or with why it will not. */
  waitForReplica(endOffset: number, timeoutMs: number): Promise<ReplicaWaitResult> {
    const ack = this.inSyncAck();
    if (ack < 0) return Promise.resolve('SLAVE_NOT_AVAILABLE');
    if (ack >= endOffset) return Promise.resolve('OK');
    return new Promise((resolve) => this.waiters.push({ endOffset, deadline: Date.now() + timeoutMs, resolve }));
  }

  /** A slave acknowledged more: one report releases every send it covers. */
  onAck(): void {
    if (this.waiters.length === 0) return;
    const ack = this.inSyncAck();
    let released = 0;
    // Waiters arrive in log order, so the covered ones are a prefix.
    while (released < this.waiters.length && this.waiters[released]!.endOffset <= ack) this.waiters[released++]!.resolve('OK');
    if (released > 0) this.waiters = this.waiters.slice(released);
  }

  private releaseAll(result: ReplicaWaitResult): void {
    const all = this.waiters;
    this.waiters = [];
    for (const w of all) w.resolve(result);
  }

  private housekeeping(): void {
    const now = Date.now();
    if (this.waiters.length > 0) {
      let expired = 0;
      while (expired < this.waiters.length && this.waiters[expired]!.deadline <= now) this.waiters[expired++]!.resolve('FLUSH_SLAVE_TIMEOUT');
      if (expired > 0) this.waiters = this.waiters.slice(expired);
    }
    for (const r of this.replicas) {
      if (now - r.lastRead > this.options.housekeepingMs) {
        this.log.warn(`slave ${r.address} silent for ${now - r.lastRead} ms: closing`);
        r.socket.destroy();
      } else {
        r.heartbeat(now);
      }
    }
  }

  replicaInfo(): ReplicaInfo[] {
    const max = this.store.getCommitLogMaxOffset();
    return [...this.replicas].map((r) => ({
      address: r.address, ackOffset: r.ackOffset, lagBytes: r.ackOffset < 0 ? max : max - r.ackOffset, inSync: this.isInSync(r, max),
    }));
  }

  async shutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.unsubscribe?.();
    this.releaseAll('SLAVE_NOT_AVAILABLE');
    for (const r of this.replicas) r.socket.destroy();
    this.secure?.close();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
