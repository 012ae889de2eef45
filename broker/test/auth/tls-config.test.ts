import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tlsConfigTable, tlsServerSettings } from '../../src/auth/tls-config.ts';
import { defaultsOf } from '../../src/config/config-table.ts';
import { defaultBrokerConfig } from '../../src/broker/broker-config.ts';
import { defaultNamesrvConfig } from '../../src/namesrv/namesrv-config.ts';
import { createCa, issueCertificate } from '../support/test-certificates.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tern-tls-config-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('TLS config keys (RocketMQ TlsSystemConfig names)', () => {
  it('default to disabled on the broker and the namesrv: plain TCP as before', () => {
    expect(defaultBrokerConfig()['tls.server.mode']).toBe('disabled');
    expect(defaultNamesrvConfig['tls.server.mode']).toBe('disabled');
    expect(tlsServerSettings(defaultsOf(tlsConfigTable))).toBeUndefined();
  });

  it('refuse to start TLS without a certificate, without a CA for client certificates, or with a file that does not load', () => {
    const c = { ...defaultsOf(tlsConfigTable), 'tls.server.mode': 'enforcing' as const };
    expect(() => tlsServerSettings(c)).toThrow(/needs tls.server.certPath and tls.server.keyPath/);
    const ca = createCa(dir, 'ca');
    const server = issueCertificate(dir, ca, 'server');
    const withCert = { ...c, 'tls.server.certPath': server.cert, 'tls.server.keyPath': server.key };
    expect(tlsServerSettings(withCert)?.mode).toBe('enforcing');
    expect(() => tlsServerSettings({ ...withCert, 'tls.server.need.client.auth': 'require' })).toThrow(/needs tls.server.trustCertPath/);
    expect(() => tlsServerSettings({ ...withCert, 'tls.server.keyPath': ca.key })).toThrow(/cannot be loaded/);
    expect(() => tlsServerSettings({ ...withCert, 'tls.server.certPath': path.join(dir, 'missing.pem') })).toThrow(/missing\.pem/);
  });
});
