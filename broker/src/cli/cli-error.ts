import type { SessionCredentials } from '../protocol/request-signature.ts';
import type { TlsClientSettings } from '../remoting/index.ts';

/** A mistake in how `tern` was called: printed as one line with a hint, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Parses a positive (or zero, when allowed) integer option, or explains what was wrong. */
export function intOption(name: string, value: string | undefined, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} wants an integer >= ${min}, got "${value}"`);
  return n;
}

/** -n, then $NAMESRV_ADDR (what mqadmin reads), then the local default. */
export function namesrvOption(value: string | undefined): string {
  return value ?? process.env.NAMESRV_ADDR ?? '127.0.0.1:9876';
}

/** The options every client command takes for ACL and TLS: parseArgs entries and their lines of usage. */
export const credentialOptions = {
  'access-key': { type: 'string' },
  'secret-key': { type: 'string' },
  tls: { type: 'boolean' },
  'tls-ca': { type: 'string' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
} as const;
export const credentialUsage = `  --access-key AK, --secret-key SK
                       sign requests as this ACL user (default $TERN_ACCESS_KEY, $TERN_SECRET_KEY)
  --tls                connect with TLS; the server's certificate must chain to the system's roots
  --tls-ca FILE        ... or to this PEM CA bundle (implies --tls)
  --tls-cert FILE, --tls-key FILE
                       client certificate for servers that ask for one (implies --tls)`;

/** --access-key/--secret-key, then $TERN_ACCESS_KEY/$TERN_SECRET_KEY; none means unsigned requests. */
export function credentialsOption(values: { 'access-key'?: string | undefined; 'secret-key'?: string | undefined }): SessionCredentials | undefined {
  const accessKey = values['access-key'] ?? process.env.TERN_ACCESS_KEY;
  const secretKey = values['secret-key'] ?? process.env.TERN_SECRET_KEY;
  if (accessKey === undefined && secretKey === undefined) return undefined;
  if (!accessKey || !secretKey) throw new UsageError('an access key needs its secret key: give both --access-key and --secret-key (or TERN_ACCESS_KEY and TERN_SECRET_KEY)');
  return { accessKey, secretKey };
}

/** --tls and its files; none means plain TCP. The server's certificate is always checked. */
export function tlsOption(values: { tls?: boolean | undefined; 'tls-ca'?: string | undefined; 'tls-cert'?: string | undefined; 'tls-key'?: string | undefined }): TlsClientSettings | undefined {
  const { tls, 'tls-ca': ca, 'tls-cert': cert, 'tls-key': key } = values;
  if (!tls && ca === undefined && cert === undefined && key === undefined) return undefined;
  if ((cert === undefined) !== (key === undefined)) throw new UsageError('a client certificate needs its key: give both --tls-cert and --tls-key');
  return { verifyServer: true, trustCertPath: ca, certPath: cert, keyPath: key };
}
