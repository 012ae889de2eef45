import net from 'node:net';
import type { Logger } from '../logging/logger.ts';
import type { Message, NodeId } from './raft-messages.ts';
import type { RaftPeer } from './raft-peers.ts';
import { encodeRaftMessage, RaftFrameDecoder, RaftWireError } from './raft-wire.ts';

/**
 * Raft messages between peers over TCP: each node listens for its peers' messages and dials each peer
 * for its own (one connection per direction). Sending never waits: while a peer is unreachable or its
 * connection is backed up, messages to it are dropped and Raft resends what matters. A malformed
 * frame closes that connection only, with a logged reason.
 * The receiver answers traffic with a one-byte pong (at most every pongMs); a sender that hears no
 * pong for deadAfterMs after sending reconnects, since a peer whose address vanished (a rescheduled
 * pod) sends no reset and TCP alone would take many minutes to notice.
 */
const PONG = Buffer.from([0]);

export interface RaftTransportOptions {
  selfId: NodeId;
  peers: readonly RaftPeer[];
  logger: Logger;
  onMessage: (m: Message) => void;
  /** Largest frame accepted (an append of maxBytesPerAppend plus headers). */
  maxFrameBytes?: number;
  /** Bytes queued on one connection beyond which messages to that peer are dropped. */
  maxQueuedBytes?: number;
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
  pongMs?: number;
  deadAfterMs?: number;
}

interface Outbound {
  peer: RaftPeer;
  socket: net.Socket | null;
  connected: boolean;
  backoffMs: number;
  timer: NodeJS.Timeout | null;
  dropped: number;
  /** First send not followed by a pong yet (performance.now()), or null. */
  unansweredSince: number | null;
}

export class RaftTransport {
  private readonly o: Required<RaftTransportOptions>;
  private readonly self: RaftPeer;
  private readonly out = new Map<NodeId, Outbound>();
  private readonly inbound = new Set<net.Socket>();
  private server: net.Server | null = null;
  private closed = false;
  private deadCheck: NodeJS.Timeout | null = null;

  constructor(options: RaftTransportOptions) {
    this.o = { maxFrameBytes: 64 << 20, maxQueuedBytes: 32 << 20, reconnectMinMs: 50, reconnectMaxMs: 1000, pongMs: 200, deadAfterMs: 3000, ...options };
    const self = options.peers.find((p) => p.id === options.selfId);
    if (!self) throw new Error(`raft transport: self ${options.selfId} is not among the peers`);
    this.self = self;
    for (const peer of options.peers) {
      if (peer.id === self.id) continue;
      this.out.set(peer.id, { peer, socket: null, connected: false, backoffMs: this.o.reconnectMinMs, timer: null, dropped: 0, unansweredSince: null });
    }
  }

  /** Listens on this node's own address and starts dialing the peers. */
  async start(): Promise<void> {
    const server = net.createServer((socket) => this.accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.self.port, this.self.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (err) => this.o.logger.error('raft transport server error', { err }));
    this.server = server;
    for (const o of this.out.values()) this.connect(o);
    this.deadCheck = setInterval(() => this.dropSilentPeers(), Math.max(10, Math.floor(this.o.deadAfterMs / 4)));
  }

  private dropSilentPeers(): void {
    const now = performance.now();
    for (const o of this.out.values()) {
      if (o.connected && o.unansweredSince !== null && now - o.unansweredSince > this.o.deadAfterMs) {
        this.o.logger.warn('raft peer silent; reconnecting', { peer: o.peer.name, silentMs: Math.round(now - o.unansweredSince) });
        o.socket?.destroy();
      }
    }
  }

  /** Messages dropped so far per peer (peer down or backed up). */
  dropped(): Map<NodeId, number> {
    return new Map([...this.out.values()].map((o) => [o.peer.id, o.dropped]));
  }

  send(m: Message): void {
    const o = this.out.get(m.to);
    if (!o) throw new Error(`raft transport: no peer ${m.to}`);
    if (!o.connected || o.socket === null || o.socket.writableLength > this.o.maxQueuedBytes) {
      o.dropped++;
      return;
    }
    o.socket.write(encodeRaftMessage(m));
    o.unansweredSince ??= performance.now();
  }

  private connect(o: Outbound): void {
    if (this.closed) return;
    o.timer = null;
    const socket = net.connect({ host: o.peer.host, port: o.peer.port });
    o.socket = socket;
    socket.setNoDelay(true);
    socket.on('connect', () => {
      o.connected = true;
      o.unansweredSince = null;
      o.backoffMs = this.o.reconnectMinMs;
      this.o.logger.info('raft peer connected', { peer: o.peer.name });
    });
    socket.on('data', () => {
      o.unansweredSince = null;
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      if (o.connected && !this.closed) this.o.logger.warn('raft peer connection lost', { peer: o.peer.name });
      o.connected = false;
      o.socket = null;
      if (this.closed) return;
      o.timer = setTimeout(() => this.connect(o), o.backoffMs);
      o.backoffMs = Math.min(o.backoffMs * 2, this.o.reconnectMaxMs);
    });
  }

  private accept(socket: net.Socket): void {
    if (this.closed) {
      socket.destroy();
      return;
    }
    this.inbound.add(socket);
    socket.setNoDelay(true);
    const decoder = new RaftFrameDecoder(this.o.maxFrameBytes);
    const remote = `${socket.remoteAddress}:${socket.remotePort}`;
    let lastPong = -Infinity;
    let pongTimer: NodeJS.Timeout | null = null;
    const pong = (): void => {
      pongTimer = null;
      lastPong = performance.now();
      if (!socket.destroyed) socket.write(PONG);
    };
    socket.on('data', (chunk: Buffer) => {
      const wait = lastPong + this.o.pongMs - performance.now();
      if (wait <= 0) pong();
      else pongTimer ??= setTimeout(pong, wait);
      let messages: Message[];
      try {
        messages = decoder.push(chunk);
        for (const m of messages) {
          if (m.to !== this.self.id || !this.out.has(m.from)) throw new RaftWireError(`message from ${m.from} to ${m.to} on ${this.self.name}'s port`);
        }
      } catch (err) {
        this.o.logger.warn('raft connection closed: malformed frame', { remote, reason: err instanceof Error ? err.message : String(err) });
        socket.destroy();
        return;
      }
      for (const m of messages) this.o.onMessage(m);
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      if (pongTimer) clearTimeout(pongTimer);
      this.inbound.delete(socket);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.deadCheck) clearInterval(this.deadCheck);
    for (const o of this.out.values()) {
      if (o.timer) clearTimeout(o.timer);
      o.socket?.destroy();
    }
    for (const s of this.inbound) s.destroy();
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
