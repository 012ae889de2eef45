import { RemoteError } from '../remoting/index.ts';

/**
 * Everything the client rejects with. `responseCode` is set when a broker or name server answered
 * with an error code (RocketMQ's MQBrokerException); it is absent for local and network failures.
 */
export class ClientError extends Error {
  readonly responseCode: number | undefined;
  /** The address that answered (or failed to), when there was one. */
  readonly address: string | undefined;

  constructor(message: string, options: { responseCode?: number; address?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ClientError';
    this.responseCode = options.responseCode;
    this.address = options.address;
  }
}

/** True for failures of the connection itself: refused, reset, timed out, closed while waiting. */
export function isNetworkError(err: unknown): boolean {
  return err instanceof RemoteError || (err instanceof ClientError && err.cause instanceof RemoteError);
}
