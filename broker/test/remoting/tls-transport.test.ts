import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logging/logger.ts';
import {
  createRequest, createResponse, RemotingClient, RemotingServer, ResponseCode, type TlsClientSettings, type TlsServerSettings,
} from '../../src/remoting/index.ts';
import { createCa, issueCertificate, type CertificateFiles } from '../support/test-certificates.ts';

const log = createLogger('test');
let dir: string;
let ca: CertificateFiles;
let otherCa: CertificateFiles;
let serverCert: CertificateFiles;
let clientCert: CertificateFiles;
let strangerCert: CertificateFiles;
const servers: RemotingServer[] = [];
const clients: RemotingClient[] = [];

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tern-tls-'));
  ca = createCa(dir, 'ca');
  otherCa = createCa(dir, 'other-ca');
  serverCert = issueCertificate(dir, ca, 'server');
  clientCert = issueCertificate(dir, ca, 'client');
  strangerCert = issueCertificate(dir, otherCa, 'stranger');
});
afterAll(async () => {
  for (const c of clients) await c.close();
  for (const s of servers) await s.shutdown(200);
  fs.rmSync(dir, { recursive: true, force: true });
});

async function startServer(tlsSettings: Partial<TlsServerSettings> & Pick<TlsServerSettings, 'mode'>, cert = serverCert): Promise<string> {
  const server = new RemotingServer({
    port: 0, host: '127.0.0.1', logger: log,
    tls: { certPath: cert.cert, keyPath: cert.key, clientAuth: 'none', ...tlsSettings },
  });
  server.registerProcessor(1000, (req) => createResponse(req, ResponseCode.SUCCESS, undefined, { echo: req.extFields?.x }));
  await server.listen();
  servers.push(server);
  return `127.0.0.1:${server.port}`;
}

function client(tlsSettings?: TlsClientSettings): RemotingClient {
  const c = new RemotingClient({ logger: log, tls: tlsSettings, connectTimeoutMs: 2000 });
  clients.push(c);
  return c;
}

const trusting = (extra: Partial<TlsClientSettings> = {}): TlsClientSettings => ({ trustCertPath: ca.cert, verifyServer: true, ...extra });

async function echo(c: RemotingClient, address: string): Promise<string | undefined> {
  const r = await c.invoke(address, createRequest(1000, { x: 'hi' }), 2000);
  return r.extFields?.echo;
}

async function servedCommonName(c: RemotingClient, address: string): Promise<string | undefined> {
  const connection = await c.connection(address);
  const name = (connection.socket as tls.TLSSocket).getPeerCertificate().subject?.CN;
  c.closeConnection(address);
  return typeof name === 'string' ? name : undefined;
}

describe('TLS on a remoting port (tls.server.mode)', () => {
  it('enforcing serves TLS clients and refuses plain ones', async () => {
    const address = await startServer({ mode: 'enforcing' });
    expect(await echo(client(trusting()), address)).toBe('hi');
    await expect(echo(client(), address)).rejects.toThrow(/closed/);
  });

  it('permissive serves TLS and plain clients on the same port', async () => {
    const address = await startServer({ mode: 'permissive' });
    expect(await echo(client(trusting()), address)).toBe('hi');
    expect(await echo(client(), address)).toBe('hi');
  });

  it('disabled refuses a TLS handshake, as a plain-only port always did', async () => {
    const address = await startServer({ mode: 'disabled' });
    await expect(echo(client(trusting()), address)).rejects.toThrow(/connect to .* failed/);
    expect(await echo(client(), address)).toBe('hi');
  });

  it('a client that trusts another CA refuses the server', async () => {
    const address = await startServer({ mode: 'enforcing' });
    await expect(echo(client({ trustCertPath: otherCa.cert, verifyServer: true }), address)).rejects.toThrow(/certificate/);
  });

  it('a rotated certificate is served to new connections without a restart', async () => {
    const live = { cert: path.join(dir, 'live.pem'), key: path.join(dir, 'live-key.pem') };
    fs.copyFileSync(serverCert.cert, live.cert);
    fs.copyFileSync(serverCert.key, live.key);
    const address = await startServer({ mode: 'enforcing' }, live);
    const c = client(trusting());
    expect(await servedCommonName(c, address)).toBe('server');
    const rotated = issueCertificate(dir, ca, 'server-rotated');
    fs.copyFileSync(rotated.key, live.key);
    fs.copyFileSync(rotated.cert, live.cert);
    const deadline = Date.now() + 10_000;
    let name = await servedCommonName(c, address);
    while (name !== 'server-rotated' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      name = await servedCommonName(c, address);
    }
    expect(name).toBe('server-rotated');
  });

  it('need.client.auth require: a client certificate from the trusted CA is needed', async () => {
    const address = await startServer({ mode: 'enforcing', clientAuth: 'require', trustCertPath: ca.cert });
    expect(await echo(client(trusting({ certPath: clientCert.cert, keyPath: clientCert.key })), address)).toBe('hi');
    await expect(echo(client(trusting()), address)).rejects.toThrow();
    await expect(echo(client(trusting({ certPath: strangerCert.cert, keyPath: strangerCert.key })), address)).rejects.toThrow();
  });

  it('need.client.auth optional: no certificate is fine, an untrusted one is refused', async () => {
    const address = await startServer({ mode: 'enforcing', clientAuth: 'optional', trustCertPath: ca.cert });
    expect(await echo(client(trusting()), address)).toBe('hi');
    expect(await echo(client(trusting({ certPath: clientCert.cert, keyPath: clientCert.key })), address)).toBe('hi');
    await expect(echo(client(trusting({ certPath: strangerCert.cert, keyPath: strangerCert.key })), address)).rejects.toThrow();
  });
});
