/**
 * Leader election on a coordination.k8s.io Lease, as client-go's leaderelection does it: the holder renews
 * every retryPeriod; another candidate takes over once leaseDuration passed without a renewal.
 */
import type { V1Lease } from '@kubernetes/client-node';
import { isConflict, type KubeClient } from './kube-client.ts';

export interface LeaderElectionOptions {
  namespace: string;
  name: string;
  identity: string;
  leaseDurationSec?: number;
  retryPeriodMs?: number;
}

export class LeaderElector {
  private readonly client: KubeClient;
  private readonly o: Required<LeaderElectionOptions>;
  private timer: NodeJS.Timeout | undefined;
  private leading = false;
  private stopped = false;

  constructor(client: KubeClient, options: LeaderElectionOptions) {
    this.client = client;
    this.o = { leaseDurationSec: 15, retryPeriodMs: 2000, ...options };
  }

  /** Resolves once this process leads; onLost is called if it stops leading (the process should exit). */
  run(onLost: () => void): Promise<void> {
    return new Promise((resolve) => {
      const tick = async () => {
        if (this.stopped) return;
        let ok = false;
        try {
          ok = await this.tryAcquireOrRenew();
        } catch {
          ok = false;
        }
        if (ok && !this.leading) {
          this.leading = true;
          resolve();
        } else if (!ok && this.leading) {
          this.leading = false;
          onLost();
        }
        this.timer = setTimeout(tick, this.o.retryPeriodMs);
      };
      void tick();
    });
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const { namespace, name, identity, leaseDurationSec } = this.o;
    const now = microTime(new Date());
    const lease = await this.client.getLease(namespace, name);
    if (!lease) {
      const body: V1Lease = {
        metadata: { name, namespace },
        spec: { holderIdentity: identity, leaseDurationSeconds: leaseDurationSec, acquireTime: now, renewTime: now, leaseTransitions: 0 },
      };
      try {
        await this.client.coordination.createNamespacedLease({ namespace, body });
        return true;
      } catch (err) {
        if (isConflict(err)) return false;
        throw err;
      }
    }
    const spec = lease.spec ?? {};
    const renewed = spec.renewTime ? new Date(spec.renewTime).getTime() : 0;
    const expired = renewed + (spec.leaseDurationSeconds ?? leaseDurationSec) * 1000 < Date.now();
    if (spec.holderIdentity !== identity && !expired) return false;
    const takeover = spec.holderIdentity !== identity;
    lease.spec = {
      ...spec, holderIdentity: identity, leaseDurationSeconds: leaseDurationSec, renewTime: now,
      acquireTime: takeover || !spec.acquireTime ? now : microTime(new Date(spec.acquireTime)),
      ...(takeover ? { leaseTransitions: (spec.leaseTransitions ?? 0) + 1 } : {}),
    };
    try {
      // replace carries resourceVersion: a concurrent writer makes this fail with 409 instead of both leading.
      await this.client.coordination.replaceNamespacedLease({ namespace, name, body: lease });
      return true;
    } catch (err) {
      if (isConflict(err)) return false;
      throw err;
    }
  }
}

/**
 * Lease times are MicroTime (RFC 3339 with exactly 6 fraction digits); the client would send a Date with 3 and be
 * refused, but it passes strings through unchanged.
 */
function microTime(d: Date): Date {
  return d.toISOString().replace(/Z$/, '000Z') as unknown as Date;
}
