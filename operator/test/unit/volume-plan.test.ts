import { describe, expect, it } from 'vitest';
import { quantityValue } from '../../src/api/quantity.ts';
import { planVolumes, type ObservedClaim } from '../../src/reconcile/volume-plan.ts';

const claim = (name: string, requested: string, o: Partial<ObservedClaim> = {}): ObservedClaim => ({ name, requested, storageClassName: 'fast', ...o });
const two = [claim('store-demo-broker-0-0-0', '10Gi', { capacity: '10Gi' }), claim('store-demo-broker-0-1-0', '10Gi', { capacity: '10Gi' })];
const plan = (desired: string, claims = two, expandable = new Map([['fast', true]])) => planVolumes({ generation: 3, desired, claims, expandable });

describe('quantityValue', () => {
  it('reads binary and decimal suffixes, decimals and exponents; refuses what is not a quantity', () => {
    expect(quantityValue('10Gi')).toBe(10 * 2 ** 30);
    expect(quantityValue('1.5Gi')).toBe(1.5 * 2 ** 30);
    expect(quantityValue('5000M')).toBe(5e9);
    expect(quantityValue('1e3')).toBe(1000);
    expect(quantityValue('500m')).toBe(0.5);
    expect(quantityValue(42)).toBe(42);
    expect(quantityValue('10Gi') > quantityValue('10G')).toBe(true);
    expect(() => quantityValue('ten')).toThrow(/not a Kubernetes quantity: ten/);
  });
});

describe('planVolumes', () => {
  it('with no claims (ephemeral, or not made yet) renders the spec size and says nothing', () => {
    expect(plan('20Gi', [])).toEqual({ templateSize: '20Gi', grow: [] });
  });

  it('steady: the template keeps the size and the condition says every PVC requests it', () => {
    expect(plan('10Gi')).toEqual({
      templateSize: '10Gi', grow: [],
      condition: { type: 'VolumeExpansion', status: 'True', reason: 'Resized', message: 'every PVC requests storage.size 10Gi', observedGeneration: 3 },
    });
  });

  it('grows every smaller PVC where the class allows expansion, and reports the resize until capacity follows', () => {
    const p = plan('20Gi');
    expect(p.templateSize).toBe('20Gi');
    expect(p.grow).toEqual(['store-demo-broker-0-0-0', 'store-demo-broker-0-1-0']);
    expect(p.condition).toMatchObject({ status: 'True', reason: 'Resizing', message: expect.stringMatching(/^PVCs store-demo-broker-0-0-0, store-demo-broker-0-1-0 requested 20Gi; waiting for the storage driver/) });
    // The next pass: requests patched, capacity reached.
    expect(plan('20Gi', two.map((c) => ({ ...c, requested: '20Gi', capacity: '20Gi' })))).toMatchObject({ grow: [], condition: { reason: 'Resized' } });
    // The same size written differently is no change.
    expect(plan('10240Mi').grow).toEqual([]);
  });

  it('refuses to grow where a StorageClass does not allow it (or cannot be read), naming class and PVCs, and keeps the template', () => {
    const p = plan('20Gi', [...two, claim('store-demo-broker-1-0-0', '10Gi', { storageClassName: 'slow' })], new Map([['fast', true], ['slow', false]]));
    expect(p).toMatchObject({ templateSize: '10Gi', grow: [] });
    expect(p.condition).toMatchObject({
      status: 'False', reason: 'ExpansionNotAllowed',
      message: 'cannot grow volumes to 20Gi: StorageClass slow (PVCs store-demo-broker-1-0-0) does not allow volume expansion '
        + '(allowVolumeExpansion is not true, or the class cannot be read); volumes and StatefulSet templates stay at 10Gi',
    });
    expect(plan('20Gi', two, new Map()).condition).toMatchObject({ reason: 'ExpansionNotAllowed', message: expect.stringContaining('StorageClass fast (PVCs store-demo-broker-0-0-0, store-demo-broker-0-1-0)') });
    expect(plan('20Gi', [claim('a', '10Gi', { storageClassName: undefined })]).condition).toMatchObject({ reason: 'ExpansionNotAllowed', message: expect.stringContaining('StorageClass (none) (PVCs a)') });
  });

  it('refuses to shrink: nothing is patched and the template stays at what the volumes hold', () => {
    const p = plan('5Gi');
    expect(p).toMatchObject({ templateSize: '10Gi', grow: [] });
    expect(p.condition).toMatchObject({
      status: 'False', reason: 'ShrinkNotSupported',
      message: 'storage.size 5Gi is below what PVCs store-demo-broker-0-0-0, store-demo-broker-0-1-0 hold (10Gi); volumes cannot shrink, so they and the StatefulSet templates stay at 10Gi',
    });
  });
});
