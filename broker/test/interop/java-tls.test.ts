import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../src/harness/temp-dir.ts';
import { startLocalCluster, type LocalCluster } from '../support/local-cluster.ts';
import { consumedKeys, runJava } from '../support/java-interop.ts';
import { createCa, issueCertificate, type CertificateFiles } from '../support/test-certificates.ts';

// The official Java client 5.3.3 with its TLS switch (-Dtls.enable=true) against a Tern namesrv + broker that
// enforce TLS; it checks the server's certificate against our CA (test mode off, authServer on).
const dir = tempDir('tern-java-tls-');
let ca: CertificateFiles;
let otherCa: CertificateFiles;
let cluster: LocalCluster;
let server: CertificateFiles;

const javaTls = (trust: CertificateFiles) =>
  `-Dtls.enable=true -Dtls.test.mode.enable=false -Dtls.client.authServer=true -Dtls.client.trustCertPath=${trust.cert}`;

beforeAll(async () => {
  ca = createCa(dir, 'ca');
  otherCa = createCa(dir, 'other-ca');
  server = issueCertificate(dir, ca, 'server');
  const tls = {
    'tls.server.mode': 'enforcing', 'tls.server.certPath': server.cert, 'tls.server.keyPath': server.key,
    'tls.enable': true, 'tls.client.authServer': true, 'tls.client.trustCertPath': ca.cert,
  } as const;
  cluster = await startLocalCluster(tls, tls);
});
afterAll(async () => {
  await cluster.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('official Java client with -Dtls.enable=true against Tern enforcing TLS', { timeout: 180_000 }, () => {
  it('sends 100 messages and consumes them all', async () => {
    const produced = await runJava(['produce', '-n', cluster.namesrvAddr, '-t', 'java-tls', '-c', '100', '--mode', 'sync', '--key-prefix', 'tls-'],
      { javaOpts: javaTls(ca) });
    expect(produced.stdout, produced.stderr).toMatch(/SENT ok=100 failed=0/);
    const consumed = await runJava(['consume', '-n', cluster.namesrvAddr, '-t', 'java-tls', '-g', 'java-tls-group', '-c', '100'],
      { javaOpts: javaTls(ca) });
    expect(consumed.code, consumed.stderr).toBe(0);
    expect(new Set(consumedKeys(consumed.stdout)).size).toBe(100);
  });

  it('without tls.enable the client is refused (plain connections are closed)', async () => {
    const produced = await runJava(['produce', '-n', cluster.namesrvAddr, '-t', 'java-tls', '-c', '1', '--mode', 'sync']);
    expect(produced.code).not.toBe(0);
    expect(produced.stdout).not.toMatch(/SENT ok=1/);
  });

  it('a client that trusts another CA refuses the server', async () => {
    const produced = await runJava(['produce', '-n', cluster.namesrvAddr, '-t', 'java-tls', '-c', '1', '--mode', 'sync'], { javaOpts: javaTls(otherCa) });
    expect(produced.code).not.toBe(0);
    expect(produced.stdout).not.toMatch(/SENT ok=1/);
  });

  it('with need.client.auth=require, its tls.client.certPath/keyPath certificate is what lets it in', async () => {
    const client = issueCertificate(dir, ca, 'java-client');
    const mutual = {
      'tls.server.mode': 'enforcing', 'tls.server.certPath': server.cert, 'tls.server.keyPath': server.key,
      'tls.server.trustCertPath': ca.cert, 'tls.server.need.client.auth': 'require',
      'tls.enable': true, 'tls.client.authServer': true, 'tls.client.trustCertPath': ca.cert,
      'tls.client.certPath': server.cert, 'tls.client.keyPath': server.key,
    } as const;
    const strict = await startLocalCluster(mutual, mutual);
    try {
      const withCert = `${javaTls(ca)} -Dtls.client.certPath=${client.cert} -Dtls.client.keyPath=${client.key}`;
      const ok = await runJava(['produce', '-n', strict.namesrvAddr, '-t', 'java-mtls', '-c', '10', '--mode', 'sync'], { javaOpts: withCert });
      expect(ok.stdout, ok.stderr).toMatch(/SENT ok=10 failed=0/);
      const without = await runJava(['produce', '-n', strict.namesrvAddr, '-t', 'java-mtls', '-c', '1', '--mode', 'sync'], { javaOpts: javaTls(ca) });
      expect(without.code).not.toBe(0);
      expect(without.stdout).not.toMatch(/SENT ok=1/);
    } finally {
      await strict.stop();
    }
  });
});
