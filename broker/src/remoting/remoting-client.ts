import type { Logger } from '../logging/logger.ts';
import type { RemotingCommand } from './remoting-command.ts';
import { RemoteError, RemotingConnection, type RequestHandler } from './remoting-connection.ts';
import { openSocket, type TlsClientSettings } from './tls-transport.ts';

export interface RemotingClientOptions {
  logger: Logger;
  connectTimeoutMs?: number;
  /** Handles requests the server sends us (NOTIFY_CONSUMER_IDS_CHANGED, CHECK_TRANSACTION_STATE...). */
  handler?: RequestHandler;
  /** Rewrites each request before it leaves, on every connection (the ACL signature). */
  beforeRequest?: (request: RemotingCommand) => RemotingCommand;
  /** Connect with TLS (RocketMQ's tls.enable); absent: plain TCP. */
  tls?: TlsClientSettings | undefined;
}

/** Keeps one connection per "host:port" and sends requests over it. */
export class RemotingClient {
  private readonly connections = new Map<string, Promise<RemotingConnection>>();
  private readonly options: RemotingClientOptions;
  private closed = false;

  constructor(options: RemotingClientOptions) {
    this.options = options;
  }

  async invoke(address: string, request: RemotingCommand, timeoutMs = 3000): Promise<RemotingCommand> {
    const connection = await this.connection(address);
    return connection.invoke(request, timeoutMs);
  }

  async invokeOneway(address: string, request: RemotingCommand): Promise<void> {
    const connection = await this.connection(address);
    connection.invokeOneway(request);
  }

  connection(address: string): Promise<RemotingConnection> {
    if (this.closed) return Promise.reject(new RemoteError('remoting client is closed'));
    let existing = this.connections.get(address);
    if (!existing) {
      existing = this.connect(address);
      this.connections.set(address, existing);
      existing.catch(() => this.connections.delete(address));
    }
    return existing;
  }

  /** Addresses with an open connection. */
  connectedAddresses(): string[] {
    return [...this.connections.keys()];
  }

  closeConnection(address: string): void {
    const existing = this.connections.get(address);
    this.connections.delete(address);
    existing?.then((c) => c.close('closed by client'), () => {});
  }

  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.connections.values()];
    this.connections.clear();
    for (const p of all) {
      try {
        (await p).close('client closed');
      } catch {
        // a connection that never opened has nothing to close
      }
    }
  }

  private connect(address: string): Promise<RemotingConnection> {
    const split = address.lastIndexOf(':');
    const host = address.slice(0, split);
    const port = Number(address.slice(split + 1));
    if (split <= 0 || !Number.isInteger(port)) return Promise.reject(new RemoteError(`bad address "${address}", want host:port`));
    const timeoutMs = this.options.connectTimeoutMs ?? 3000;
    return new Promise((resolve, reject) => {
      let opened: ReturnType<typeof openSocket>;
      try {
        opened = openSocket(host, port, this.options.tls);
      } catch (err) {
        reject(new RemoteError(`connect to ${address} failed: ${(err as Error).message}`));
        return;
      }
      const socket = opened.socket;
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new RemoteError(`connect to ${address} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(new RemoteError(`connect to ${address} failed: ${err.message}`));
      });
      socket.once(opened.readyEvent, () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        const connection = new RemotingConnection(socket, {
          logger: this.options.logger, handler: this.options.handler, beforeRequest: this.options.beforeRequest,
        });
        connection.onClose(() => {
          if (this.connections.get(address)) {
            this.connections.get(address)!.then((c) => c === connection && this.connections.delete(address), () => {});
          }
        });
        resolve(connection);
      });
    });
  }
}
