import fs from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import type { Logger } from '../logging/logger.ts';

/** RocketMQ's tls.server.mode: disabled (plain only), permissive (TLS and plain on one port), enforcing (TLS only). */
export type TlsServerMode = 'disabled' | 'permissive' | 'enforcing';
/** RocketMQ's tls.server.need.client.auth. */
export type ClientAuth = 'none' | 'optional' | 'require';

export interface TlsServerSettings {
  mode: TlsServerMode;
  certPath: string;
  keyPath: string;
  keyPassword?: string | undefined;
  /** CA bundle that client certificates must chain to. */
  trustCertPath?: string | undefined;
  clientAuth: ClientAuth;
}

export interface TlsClientSettings {
  /** CA bundle the server's certificate must chain to; empty: the system's roots. */
  trustCertPath?: string | undefined;
  /** false accepts any server certificate (RocketMQ's tls.test.mode.enable); say so loudly where it is set. */
  verifyServer: boolean;
  /** A client certificate for servers that ask for one (mutual TLS). */
  certPath?: string | undefined;
  keyPath?: string | undefined;
  keyPassword?: string | undefined;
}

/** The first byte of a TLS record carrying a handshake; a RocketMQ frame starts with a length, never this. */
const TLS_HANDSHAKE = 0x16;
const RELOAD_POLL_MS = 1000;
const HANDSHAKE_TIMEOUT_MS = 10_000;

function readServerContext(s: TlsServerSettings): tls.SecureContextOptions {
  return {
    cert: fs.readFileSync(s.certPath),
    key: fs.readFileSync(s.keyPath),
    passphrase: s.keyPassword,
    ca: s.trustCertPath ? fs.readFileSync(s.trustCertPath) : undefined,
  };
}

/**
 * The TLS side of a server port: sniffs the first byte of each connection, hands TLS ones to a tls.Server
 * (which never listens itself) and plain ones back, or closes them in enforcing mode. The certificate files
 * are polled and a changed pair serves new connections without a restart; a pair that does not load is logged
 * and the one before is kept, so a half-copied rotation breaks nothing.
 */
export class TlsAcceptor {
  private readonly tlsServer: tls.Server;
  private readonly settings: TlsServerSettings;
  private readonly log: Logger;
  private readonly watched: string[];
  private readonly onReady: (socket: net.Socket) => void;

  /** onReady gets every connection that may be served: TLS ones after the handshake, plain ones in permissive mode. */
  constructor(settings: TlsServerSettings, log: Logger, onReady: (socket: net.Socket) => void) {
    if (settings.mode === 'disabled') throw new Error('TlsAcceptor wants permissive or enforcing');
    this.settings = settings;
    this.log = log;
    this.onReady = onReady;
    this.tlsServer = tls.createServer({
      ...readServerContext(settings),
      requestCert: settings.clientAuth !== 'none',
      rejectUnauthorized: settings.clientAuth === 'require',
      handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
    }, (socket) => {
      // "optional" asks for a certificate; one that is shown must still be trusted.
      if (settings.clientAuth === 'optional' && !socket.authorized && Object.keys(socket.getPeerCertificate()).length > 0) {
        log.warn(`closing ${socket.remoteAddress}: client certificate refused: ${String(socket.authorizationError)}`);
        socket.destroy();
        return;
      }
      onReady(socket);
    });
    this.tlsServer.on('tlsClientError', (err: NodeJS.ErrnoException, socket) => {
      // A peer that hangs up mid-handshake (a port probe) is not worth a warning.
      const line = `TLS handshake with ${socket.remoteAddress ?? 'a closed peer'} failed: ${err.message}`;
      if (err.code === 'ECONNRESET') log.debug(line);
      else log.warn(line);
    });
    this.watched = [settings.certPath, settings.keyPath, ...(settings.trustCertPath ? [settings.trustCertPath] : [])];
    for (const file of this.watched) fs.watchFile(file, { interval: RELOAD_POLL_MS, persistent: false }, () => this.reload());
  }

  /** Takes a fresh connection: a TLS one reaches onReady after its handshake, a plain one at once unless TLS is enforced. */
  accept(socket: net.Socket): void {
    const timer = setTimeout(() => socket.destroy(), HANDSHAKE_TIMEOUT_MS);
    socket.once('error', () => clearTimeout(timer));
    socket.once('close', () => clearTimeout(timer));
    socket.once('data', (first: Buffer) => {
      clearTimeout(timer);
      socket.pause();
      socket.unshift(first);
      if (first[0] === TLS_HANDSHAKE) {
        this.tlsServer.emit('connection', socket);
      } else if (this.settings.mode === 'enforcing') {
        this.log.warn(`closing ${socket.remoteAddress}: plain connection refused, tls.server.mode is enforcing`);
        socket.destroy();
      } else {
        this.onReady(socket);
        socket.resume();
      }
    });
  }

  close(): void {
    for (const file of this.watched) fs.unwatchFile(file);
  }

  private reload(): void {
    try {
      this.tlsServer.setSecureContext(readServerContext(this.settings));
      this.log.info(`TLS certificate reloaded from ${this.settings.certPath}`);
    } catch (err) {
      this.log.error(`TLS certificate reload failed, serving the one before: ${(err as Error).message}`);
    }
  }
}

/** Checks that a server's settings can load before the port opens: a missing file is named at start. */
export function loadableServerSettings(s: TlsServerSettings): string | undefined {
  if (s.mode === 'disabled') return undefined;
  if (!s.certPath || !s.keyPath) return `tls.server.mode ${s.mode} needs tls.server.certPath and tls.server.keyPath`;
  if (s.clientAuth !== 'none' && !s.trustCertPath) return `tls.server.need.client.auth ${s.clientAuth} needs tls.server.trustCertPath`;
  try {
    tls.createSecureContext(readServerContext(s));
  } catch (err) {
    return `TLS certificate cannot be loaded: ${(err as Error).message}`;
  }
  return undefined;
}

/** A socket to host:port and the event that says it can carry data: plain TCP, or TLS when settings are given. */
export function openSocket(host: string, port: number, settings: TlsClientSettings | undefined): { socket: net.Socket; readyEvent: 'connect' | 'secureConnect' } {
  return settings ? { socket: connectTls(host, port, settings), readyEvent: 'secureConnect' } : { socket: net.connect({ host, port }), readyEvent: 'connect' };
}

/** Opens a TLS connection; its `secureConnect` event is what `connect` is for a plain socket. */
export function connectTls(host: string, port: number, s: TlsClientSettings): tls.TLSSocket {
  return tls.connect({
    host,
    port,
    ca: s.trustCertPath ? fs.readFileSync(s.trustCertPath) : undefined,
    cert: s.certPath ? fs.readFileSync(s.certPath) : undefined,
    key: s.keyPath ? fs.readFileSync(s.keyPath) : undefined,
    passphrase: s.keyPassword,
    rejectUnauthorized: s.verifyServer,
    // Brokers are reached by the IP they register (a pod IP no certificate can name): the chain is checked, not the name.
    checkServerIdentity: () => undefined,
    ...(net.isIP(host) ? {} : { servername: host }),
  });
}
