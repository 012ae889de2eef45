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
