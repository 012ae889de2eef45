import net from 'node:net';
import type { Logger } from '../logging/logger.ts';
import type { MessageStore } from '../store/message-store.ts';
import { encodeReport, HaStreamReader } from './ha-frames.ts';
import { ReplicaRecordSplitter } from './replica-record-splitter.ts';

export interface HaSlaveOptions {
  /** Where the master's HA port is; asked again before every connection attempt (it comes from the namesrv). */
  masterHaAddress: () => string | undefined;
  reportIntervalMs: number;
  reconnectDelayMs: number;
  /** A connection attempt that has not succeeded by then is given up (a dead pod's address drops SYNs: no error for minutes). */
  connectTimeoutMs: number;
  /** Silence from the master (it heartbeats every haSendHeartbeatInterval) after which the connection is dropped. */
  housekeepingMs: number;
  maxFrameBody: number;
  /** Must equal the master's mappedFileSizeCommitLog: segments are copied as they are. */
  segmentSize: number;
  /** Opens the connection to the master (TLS when the broker's tls.enable is set) and names the event that says it is up. */
  openSocket?: (host: string, port: number) => { socket: net.Socket; readyEvent: 'connect' | 'secureConnect' };
}

/**
 * The slave side of replication: connects to the master's HA port, says how far its log goes, appends what the
 * master streams byte for byte (its own dispatcher builds ConsumeQueues), and reports progress after each batch.
 */
export class HaSlave {
  private readonly store: MessageStore;
  private readonly options: HaSlaveOptions;
  private readonly log: Logger;
  private socket: net.Socket | undefined;
  private connectedTo: string | undefined;
  private connectingTo: string | undefined;
  private lastHeard = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private lastConnectAttempt = 0;
  private lastReport = 0;
  /** Highest master offset heard of (frame offset + size), for the lag figure. */
  masterOffsetSeen = 0;

  constructor(store: MessageStore, options: HaSlaveOptions, log: Logger) {
    this.store = store;
    this.options = options;
    this.log = log;
  }

  get masterAddress(): string | undefined {
    return this.connectedTo;
  }

  get lagBytes(): number {
    return Math.max(0, this.masterOffsetSeen - this.store.getCommitLogMaxOffset());
  }

  start(): void {
    this.timer = setInterval(() => this.tick(), 200);
    this.timer.unref();
    this.tick();
  }

  private tick(): void {
    if (this.stopped) return;
    const now = Date.now();
    const address = this.options.masterHaAddress();
    if (!this.socket) {
      if (address && now - this.lastConnectAttempt >= this.options.reconnectDelayMs) {
        this.lastConnectAttempt = now;
        this.connect(address);
      }
      return;
    }
    if (!this.connectedTo) {
      if (address && address !== this.connectingTo) this.drop(`the master is now at ${address}`);
      else if (now - this.lastConnectAttempt >= this.options.connectTimeoutMs) this.drop(`no connection within ${this.options.connectTimeoutMs} ms`);
    } else if (address && address !== this.connectedTo) {
      this.drop(`the name server names a new master at ${address}`);
    } else if (now - this.lastHeard >= this.options.housekeepingMs) {
      this.drop(`nothing from the master for ${now - this.lastHeard} ms`);
    } else if (now - this.lastReport >= this.options.reportIntervalMs) {
      this.report();
    }
  }

  /** Gives up the current connection (or attempt); the next tick connects to whatever address is current. */
  private drop(why: string): void {
    const socket = this.socket;
    if (!socket) return;
    this.socket = undefined;
    this.log.warn(`replication connection to ${this.connectedTo ?? this.connectingTo} ${this.connectedTo ? 'dropped' : 'abandoned'}: ${why}`);
    this.connectedTo = undefined;
    this.connectingTo = undefined;
    // Reconnect on the next tick rather than after reconnectDelayMs: the reason was ours, not a refusal.
    this.lastConnectAttempt = 0;
    socket.destroy();
  }

  private connect(address: string): void {
    const split = address.lastIndexOf(':');
    const host = address.slice(0, split);
    const port = Number(address.slice(split + 1));
    let opened: { socket: net.Socket; readyEvent: 'connect' | 'secureConnect' };
    try {
      opened = this.options.openSocket ? this.options.openSocket(host, port) : { socket: net.connect({ host, port }), readyEvent: 'connect' };
    } catch (err) {
      this.log.error(`cannot connect to master ${address}: ${(err as Error).message}`);
      return;
    }
    const socket = opened.socket;
    this.socket = socket;
    this.connectingTo = address;
    const reader = new HaStreamReader();
    const splitter = new ReplicaRecordSplitter(this.options.segmentSize);
    socket.setNoDelay(true);
    socket.on(opened.readyEvent, () => {
      this.connectedTo = address;
      this.lastHeard = Date.now();
      this.log.info(`replicating from master ${address}, our log ends at ${this.store.getCommitLogMaxOffset()}`);
      this.report();
    });
    socket.on('data', (chunk) => {
      this.lastHeard = Date.now();
      reader.push(chunk);
      let applied = false;
      try {
        let frame;
        while ((frame = reader.nextFrame(this.options.maxFrameBody)) !== undefined) {
          this.masterOffsetSeen = Math.max(this.masterOffsetSeen, frame.offset + frame.body.length);
          if (frame.body.length === 0) continue;
          const ours = this.store.getCommitLogMaxOffset();
          const expected = ours + splitter.pendingBytes;
          if (frame.offset !== expected) throw new Error(`master sent offset ${frame.offset}, we expected ${expected}`);
          const whole = splitter.push(ours, frame.body);
          if (whole.length > 0) {
            this.store.appendReplicated(ours, whole);
            applied = true;
          }
        }
      } catch (err) {
        this.log.error(`replication from ${address} stopped: ${(err as Error).message}`);
        socket.destroy();
        return;
      }
      if (applied) this.report();
    });
    const drop = (why: string) => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      if (this.connectedTo) this.log.warn(`replication connection to ${address} lost: ${why}`);
      this.connectedTo = undefined;
      this.connectingTo = undefined;
      socket.destroy();
    };
    socket.on('error', (err) => drop(err.message));
    socket.on('close', () => drop('closed'));
  }

  private report(): void {
    if (!this.socket || !this.connectedTo) return;
    this.lastReport = Date.now();
    this.socket.write(encodeReport(this.store.getCommitLogMaxOffset()));
  }

  shutdown(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.socket?.destroy();
    this.socket = undefined;
  }
}
