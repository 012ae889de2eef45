import net from 'node:net';
import type { Logger } from '../logging/logger.ts';
import { ResponseCode, responseCodeName } from './codes.ts';
import { createResponse, isOneway, type RemotingCommand } from './remoting-command.ts';
import { RemotingConnection, RequestRefusedError, type ConnectionOptions, type RequestHandler } from './remoting-connection.ts';
import { TlsAcceptor, type TlsServerSettings } from './tls-transport.ts';

/** One answered request, for metrics: requests answered later (held pulls) or never (oneway) are not reported. */
export interface AnsweredRequest {
  code: number;
  responseCode: number;
  ms: number;
  /** The response code's name when the request was refused (a RequestRefusedError or an unknown code). */
  refusedAs?: string | undefined;
}

/** Looks at every request before its processor and throws a RequestRefusedError to refuse it (ACL). */
export type RequestGate = (request: RemotingCommand, connection: RemotingConnection) => void;

export interface RemotingServerOptions extends Omit<ConnectionOptions, 'handler'> {
  port: number;
  host?: string;
  /** TLS on this port; absent or mode disabled: plain only, as before. */
  tls?: TlsServerSettings | undefined;
}

/** Accepts connections and routes each request to the processor registered for its code. */
export class RemotingServer {
  private readonly server: net.Server;
  private readonly processors = new Map<number, RequestHandler>();
  private readonly connections = new Set<RemotingConnection>();
  private readonly options: RemotingServerOptions;
  private readonly log: Logger;
  private readonly connectionListeners: ((c: RemotingConnection, event: 'open' | 'close') => void)[] = [];
  private readonly answeredListeners: ((a: AnsweredRequest) => void)[] = [];
  private accepting = true;
  private gate: RequestGate | undefined;
  private readonly tls: TlsAcceptor | undefined;

  constructor(options: RemotingServerOptions) {
    this.options = options;
    this.log = options.logger;
    const tlsOn = options.tls && options.tls.mode !== 'disabled';
    this.tls = tlsOn ? new TlsAcceptor(options.tls!, this.log, (socket) => this.onSocket(socket)) : undefined;
    this.server = net.createServer((socket) => {
      if (this.tls && this.accepting) this.tls.accept(socket);
      else this.onSocket(socket);
    });
  }

  registerProcessor(codes: number | number[], handler: RequestHandler): void {
    for (const code of Array.isArray(codes) ? codes : [codes]) this.processors.set(code, handler);
  }

  /** The one check every request passes before its processor (set once, by the security module). */
  setRequestGate(gate: RequestGate): void {
    this.gate = gate;
  }

  onConnection(listener: (c: RemotingConnection, event: 'open' | 'close') => void): void {
    this.connectionListeners.push(listener);
  }

  onAnswered(listener: (a: AnsweredRequest) => void): void {
    this.answeredListeners.push(listener);
  }

  get port(): number {
    const address = this.server.address();
    return typeof address === 'object' && address ? address.port : this.options.port;
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, this.options.host ?? '0.0.0.0', () => {
        this.server.off('error', reject);
        resolve();
      });
    });
  }

  /** Stop accepting, let in-flight requests finish (up to graceMs), then close every connection. */
  async shutdown(graceMs = 10_000): Promise<void> {
    this.accepting = false;
    this.tls?.close();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    const deadline = Date.now() + graceMs;
    while (Date.now() < deadline && [...this.connections].some((c) => c.inFlight > 0)) {
      await new Promise((r) => setTimeout(r, 20));
    }
    // Give the last responses a tick to leave the corked sockets.
    await new Promise((r) => setImmediate(r));
    for (const c of this.connections) c.socket.end();
    await new Promise((r) => setTimeout(r, 20));
    for (const c of this.connections) c.close('server shutting down');
    await closed;
  }

  private onSocket(socket: net.Socket): void {
    if (!this.accepting) {
      socket.destroy();
      return;
    }
    const connection = new RemotingConnection(socket, {
      ...this.options,
      idleTimeoutMs: this.options.idleTimeoutMs ?? 120_000,
      handler: (request, conn) => this.dispatch(request, conn),
    });
    this.connections.add(connection);
    for (const l of this.connectionListeners) l(connection, 'open');
    connection.onClose((reason) => {
      this.connections.delete(connection);
      this.log.debug(`connection ${connection.remoteAddress} closed: ${reason}`);
      for (const l of this.connectionListeners) l(connection, 'close');
    });
  }

  private dispatch(request: RemotingCommand, connection: RemotingConnection): ReturnType<RequestHandler> {
    if (this.answeredListeners.length === 0 || isOneway(request)) return this.route(request, connection);
    const started = performance.now();
    const answered = (responseCode: number, refusedAs?: string) => {
      const a: AnsweredRequest = { code: request.code, responseCode, ms: performance.now() - started, refusedAs };
      for (const l of this.answeredListeners) l(a);
    };
    const failed = (err: unknown) => {
      if (err instanceof RequestRefusedError) answered(err.responseCode, responseCodeName(err.responseCode));
      else answered(ResponseCode.SYSTEM_ERROR);
    };
    const succeeded = (r: RemotingCommand | undefined) => {
      if (!r) return;
      answered(r.code, r.code === ResponseCode.REQUEST_CODE_NOT_SUPPORTED ? 'REQUEST_CODE_NOT_SUPPORTED' : undefined);
    };
    let result: ReturnType<RequestHandler>;
    try {
      result = this.route(request, connection);
    } catch (err) {
      failed(err);
      throw err;
    }
    if (result instanceof Promise) {
      return result.then((r) => {
        succeeded(r);
        return r;
      }, (err: unknown) => {
        failed(err);
        throw err;
      });
    }
    succeeded(result);
    return result;
  }

  private route(request: RemotingCommand, connection: RemotingConnection): ReturnType<RequestHandler> {
    this.gate?.(request, connection);
    const processor = this.processors.get(request.code);
    if (!processor) {
      return createResponse(request, ResponseCode.REQUEST_CODE_NOT_SUPPORTED, ` request type ${request.code} not supported`);
    }
    return processor(request, connection);
  }
}
