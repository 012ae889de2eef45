import type { Socket } from 'node:net';
import type { Logger } from '../logging/logger.ts';
import { ResponseCode } from './codes.ts';
import { DEFAULT_MAX_FRAME_LENGTH, decodeFrame, encodeFrame, FrameDecoder, FrameError } from './frame-codec.ts';
import { createResponse, isOneway, isResponse, ONEWAY_FLAG, type RemotingCommand } from './remoting-command.ts';

/** Answers a request; returning undefined sends nothing (oneway requests never get an answer anyway). */
export type RequestHandler = (
  request: RemotingCommand,
  connection: RemotingConnection,
) => Promise<RemotingCommand | undefined> | RemotingCommand | undefined;

export interface ConnectionOptions {
  handler?: RequestHandler;
  logger: Logger;
  maxFrameLength?: number;
  /** A frame begun but not finished within this time marks a stalled (or hostile) peer: close. */
  frameTimeoutMs?: number;
  /** Responses the peer does not read pile up; past this many bytes the connection is closed. */
  maxWriteBufferBytes?: number;
  /** How long the peer may leave written responses unread before the connection is closed. */
  drainTimeoutMs?: number;
  /** Idle connections (no bytes either way) are closed, as Netty's idle handler does (120 s). */
  idleTimeoutMs?: number;
  /** Rewrites each request we send just before it leaves (the ACL signature: RocketMQ's RPCHook). */
  beforeRequest?: (request: RemotingCommand) => RemotingCommand;
}

export class RemoteError extends Error {}

/** Thrown by a processor for a request it refuses: answered with this code and message, logged without a stack. */
export class RequestRefusedError extends Error {
  readonly responseCode: number;
  constructor(responseCode: number, message: string) {
    super(message);
    this.responseCode = responseCode;
  }
}
export class RequestTimeoutError extends RemoteError {}

interface Pending {
  resolve(cmd: RemotingCommand): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

let globalOpaque = 0;

/** One TCP connection carrying requests and responses both ways, matched by opaque. */
export class RemotingConnection {
  readonly socket: Socket;
  readonly remoteAddress: string;
  private readonly decoder: FrameDecoder;
  private readonly pending = new Map<number, Pending>();
  private readonly options: ConnectionOptions;
  private readonly log: Logger;
  private handler: RequestHandler | undefined;
  private corked = false;
  private frameTimer: NodeJS.Timeout | undefined;
  private drainTimer: NodeJS.Timeout | undefined;
  private closedReason: string | undefined;
  private readonly closeListeners: ((reason: string) => void)[] = [];
  /** Requests being handled right now; graceful shutdown waits for these. */
  inFlight = 0;
  /** Free-form per-connection data (client id, groups...) kept by processors. */
  readonly attributes = new Map<string, unknown>();

  constructor(socket: Socket, options: ConnectionOptions) {
    this.socket = socket;
    this.options = options;
    this.log = options.logger;
    this.handler = options.handler;
    this.remoteAddress = `${socket.remoteAddress?.replace(/^::ffff:/, '') ?? '?'}:${socket.remotePort ?? 0}`;
    this.decoder = new FrameDecoder(options.maxFrameLength ?? DEFAULT_MAX_FRAME_LENGTH);
    socket.setNoDelay(true);
    if (options.idleTimeoutMs) {
      socket.setTimeout(options.idleTimeoutMs, () => this.close(`idle for ${options.idleTimeoutMs} ms`));
    }
    socket.on('data', (chunk) => this.onData(chunk));
    socket.on('drain', () => {
      if (this.drainTimer) clearTimeout(this.drainTimer);
      this.drainTimer = undefined;
      socket.resume();
    });
    socket.on('error', (err) => this.close(`socket error: ${err.message}`));
    socket.on('close', () => this.close('peer closed the connection'));
  }

  get closed(): boolean {
    return this.closedReason !== undefined;
  }

  setHandler(handler: RequestHandler): void {
    this.handler = handler;
  }

  onClose(listener: (reason: string) => void): void {
    if (this.closedReason !== undefined) listener(this.closedReason);
    else this.closeListeners.push(listener);
  }

  /** Sends a request and resolves with its response; rejects on timeout or when the connection drops. */
  invoke(request: RemotingCommand, timeoutMs: number): Promise<RemotingCommand> {
    if (this.closedReason !== undefined) return Promise.reject(new RemoteError(`connection to ${this.remoteAddress} is closed: ${this.closedReason}`));
    const opaque = (globalOpaque = (globalOpaque + 1) | 0);
    const cmd = { ...this.prepared(request), opaque, flag: request.flag & ~ONEWAY_FLAG };
    return new Promise<RemotingCommand>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(opaque);
        reject(new RequestTimeoutError(`request ${cmd.code} to ${this.remoteAddress} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(opaque, { resolve, reject, timer });
      this.write(cmd);
    });
  }

  /** Sends a request that gets no response. */
  invokeOneway(request: RemotingCommand): void {
    if (this.closedReason !== undefined) return;
    const opaque = (globalOpaque = (globalOpaque + 1) | 0);
    this.write({ ...this.prepared(request), opaque, flag: request.flag | ONEWAY_FLAG });
  }

  private prepared(request: RemotingCommand): RemotingCommand {
    return this.options.beforeRequest ? this.options.beforeRequest(request) : request;
  }

  /**
   * Writes a frame. Frames written in the same tick leave in one writev: the socket is corked on the first
   * and uncorked on the next tick, which batches the responses of a burst of pipelined requests.
   */
  write(cmd: RemotingCommand): void {
    if (this.closedReason !== undefined) return;
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(() => {
        this.corked = false;
        this.socket.uncork();
      });
    }
    const ok = this.socket.write(encodeFrame(cmd));
    if (!ok) this.onBackpressure();
  }

  close(reason: string): void {
    if (this.closedReason !== undefined) return;
    this.closedReason = reason;
    if (this.frameTimer) clearTimeout(this.frameTimer);
    if (this.drainTimer) clearTimeout(this.drainTimer);
    this.socket.destroy();
    for (const [, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new RemoteError(`connection to ${this.remoteAddress} closed: ${reason}`));
    }
    this.pending.clear();
    for (const listener of this.closeListeners.splice(0)) listener(reason);
  }

  private onBackpressure(): void {
    const limit = this.options.maxWriteBufferBytes ?? 64 * 1024 * 1024;
    if (this.socket.writableLength > limit) {
      this.log.warn(`closing ${this.remoteAddress}: ${this.socket.writableLength} bytes of responses unread (limit ${limit})`);
      this.close('peer does not read its responses');
      return;
    }
    // Stop reading new requests from a peer that does not read our answers.
    this.socket.pause();
    if (!this.drainTimer) {
      const ms = this.options.drainTimeoutMs ?? 30_000;
      this.drainTimer = setTimeout(() => {
        this.log.warn(`closing ${this.remoteAddress}: responses unread for ${ms} ms`);
        this.close('slow reader');
      }, ms);
    }
  }

  private onData(chunk: Buffer): void {
    let frames: Buffer[];
    try {
      frames = this.decoder.push(chunk);
    } catch (err) {
      this.log.warn(`closing ${this.remoteAddress}: ${(err as Error).message}`);
      this.close((err as Error).message);
      return;
    }
    for (const frame of frames) {
      let cmd: RemotingCommand;
      try {
        cmd = decodeFrame(frame);
      } catch (err) {
        const why = err instanceof FrameError ? err.message : `undecodable frame: ${(err as Error).message}`;
        this.log.warn(`closing ${this.remoteAddress}: ${why}`);
        this.close(why);
        return;
      }
      if (isResponse(cmd)) this.onResponse(cmd);
      else this.onRequest(cmd);
      if (this.closedReason !== undefined) return;
    }
    this.watchPartialFrame();
  }

  private watchPartialFrame(): void {
    const ms = this.options.frameTimeoutMs;
    if (!ms) return;
    if (this.decoder.pendingBytes === 0) {
      if (this.frameTimer) clearTimeout(this.frameTimer);
      this.frameTimer = undefined;
    } else if (!this.frameTimer) {
      this.frameTimer = setTimeout(() => {
        this.frameTimer = undefined;
        // While we hold reads back for backpressure the peer is not stalling; the drain timeout judges it.
        if (this.decoder.pendingBytes > 0 && !this.drainTimer) {
          this.log.warn(`closing ${this.remoteAddress}: frame incomplete after ${ms} ms (${this.decoder.pendingBytes} bytes held)`);
          this.close(`frame incomplete after ${ms} ms`);
        }
      }, ms);
    }
  }

  private onResponse(cmd: RemotingCommand): void {
    const p = this.pending.get(cmd.opaque);
    if (!p) {
      this.log.debug(`response with unknown opaque ${cmd.opaque} from ${this.remoteAddress} dropped`);
      return;
    }
    this.pending.delete(cmd.opaque);
    clearTimeout(p.timer);
    p.resolve(cmd);
  }

  private onRequest(cmd: RemotingCommand): void {
    const oneway = isOneway(cmd);
    const handler = this.handler;
    if (!handler) {
      if (!oneway) this.write(createResponse(cmd, ResponseCode.REQUEST_CODE_NOT_SUPPORTED, ` request type ${cmd.code} not supported`));
      return;
    }
    this.inFlight++;
    let result: ReturnType<RequestHandler>;
    try {
      result = handler(cmd, this);
    } catch (err) {
      this.finish(cmd, oneway, undefined, err as Error);
      return;
    }
    if (result instanceof Promise) result.then((r) => this.finish(cmd, oneway, r), (e: Error) => this.finish(cmd, oneway, undefined, e));
    else this.finish(cmd, oneway, result);
  }

  private finish(cmd: RemotingCommand, oneway: boolean, response: RemotingCommand | undefined, err?: Error): void {
    this.inFlight--;
    if (err instanceof RequestRefusedError) {
      this.log.debug(`request ${cmd.code} from ${this.remoteAddress} refused: ${err.message}`);
      response = createResponse(cmd, err.responseCode, err.message);
    } else if (err) {
      this.log.error(`request ${cmd.code} from ${this.remoteAddress} failed: ${err.stack ?? err.message}`);
      response = createResponse(cmd, ResponseCode.SYSTEM_ERROR, `${err.name}: ${err.message}`);
    }
    if (!oneway && response) this.write(response);
  }
}
