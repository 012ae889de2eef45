import { boolKey, oneOfKey, stringKey, type ConfigOf, type ConfigTable } from '../config/config-table.ts';
import { ConfigError } from '../config/properties-file.ts';
import type { Logger } from '../logging/logger.ts';
import { loadableServerSettings, type TlsClientSettings, type TlsServerSettings } from '../remoting/index.ts';

/**
 * The TLS keys the broker and the namesrv share, under the names of RocketMQ's TlsSystemConfig (there JVM
 * properties or tls.properties; here lines of broker.conf / namesrv.conf). The server keys cover every port
 * the process listens on, the client keys every connection it opens (registration, slave sync, HA).
 */
export const tlsConfigTable = {
  'tls.server.mode': oneOfKey(['disabled', 'permissive', 'enforcing'], {
    default: 'disabled',
    doc: 'disabled: plain TCP only; permissive: TLS and plain on the same port; enforcing: TLS only. Needs certPath and keyPath unless disabled.',
  }),
  'tls.server.certPath': stringKey({ default: '', doc: 'PEM certificate chain the ports serve; re-read when the file changes.' }),
  'tls.server.keyPath': stringKey({ default: '', doc: 'PEM private key of tls.server.certPath; re-read when the file changes.' }),
  'tls.server.keyPassword': stringKey({ default: '', doc: 'Passphrase of an encrypted tls.server.keyPath.' }),
  'tls.server.trustCertPath': stringKey({ default: '', doc: 'PEM CA bundle client certificates must chain to.' }),
  'tls.server.need.client.auth': oneOfKey(['none', 'optional', 'require'], {
    default: 'none',
    doc: 'Client certificates: none (not asked), optional (asked; one shown must chain to trustCertPath), require.',
  }),
  'tls.enable': boolKey({ default: false, doc: 'Connect with TLS to name servers, the master and its HA port.' }),
  'tls.client.authServer': boolKey({
    default: false,
    doc: 'Check the server\'s certificate against tls.client.trustCertPath; false (RocketMQ\'s default) accepts any certificate.',
  }),
  'tls.client.trustCertPath': stringKey({ default: '', doc: 'PEM CA bundle server certificates must chain to (empty: the system roots).' }),
  'tls.client.certPath': stringKey({ default: '', doc: 'PEM certificate shown to servers that ask for one (mutual TLS).' }),
  'tls.client.keyPath': stringKey({ default: '', doc: 'PEM private key of tls.client.certPath.' }),
  'tls.client.keyPassword': stringKey({ default: '', doc: 'Passphrase of an encrypted tls.client.keyPath.' }),
} satisfies ConfigTable;

export type TlsConfig = ConfigOf<typeof tlsConfigTable>;

/** The listening side, or undefined when disabled; a file that cannot be loaded stops the start with its name. */
export function tlsServerSettings(c: TlsConfig): TlsServerSettings | undefined {
  if (c['tls.server.mode'] === 'disabled') return undefined;
  const settings: TlsServerSettings = {
    mode: c['tls.server.mode'],
    certPath: c['tls.server.certPath'],
    keyPath: c['tls.server.keyPath'],
    keyPassword: c['tls.server.keyPassword'] || undefined,
    trustCertPath: c['tls.server.trustCertPath'] || undefined,
    clientAuth: c['tls.server.need.client.auth'],
  };
  const problem = loadableServerSettings(settings);
  if (problem) throw new ConfigError(problem);
  return settings;
}

/** The connecting side, or undefined when tls.enable is false. */
export function tlsClientSettings(c: TlsConfig, log: Logger): TlsClientSettings | undefined {
  if (!c['tls.enable']) return undefined;
  if (!c['tls.client.authServer']) log.warn('tls.enable without tls.client.authServer: server certificates are not checked');
  return {
    verifyServer: c['tls.client.authServer'],
    trustCertPath: c['tls.client.trustCertPath'] || undefined,
    certPath: c['tls.client.certPath'] || undefined,
    keyPath: c['tls.client.keyPath'] || undefined,
    keyPassword: c['tls.client.keyPassword'] || undefined,
  };
}
