import { describe, expect, it } from 'vitest';
import { defaultConsumerGroupSpec } from '../../src/api/consumer-group.ts';
import { setCondition } from '../../src/api/conditions.ts';
import { customResourceDefinitions } from '../../src/api/crds.ts';
import { staleCrdFiles } from '../../src/api/generate-crds.ts';
import * as s from '../../src/api/schema.ts';
import { defaultTopicSpec, PERM_BITS, topicNameOf } from '../../src/api/topic.ts';

describe('CRDs', () => {
  it('the committed crds/ and chart crds/ match what operator/src/api generates (run `make crds`)', () => {
    expect(staleCrdFiles()).toEqual([]);
  });

  it('three namespaced kinds in tern.io/v1alpha1 with a status subresource and printer columns', () => {
    const crds = customResourceDefinitions();
    expect(crds.map((c) => c.metadata.name)).toEqual(['brokerclusters.tern.io', 'topics.tern.io', 'consumergroups.tern.io']);
    for (const c of crds) {
      expect(c.spec.scope).toBe('Namespaced');
      expect(c.spec.versions[0]!.subresources).toEqual({ status: {} });
      expect(c.spec.versions[0]!.additionalPrinterColumns.map((p) => p.name)).toContain('Ready');
    }
  });

  it('every object with nested defaults is itself defaulted to {} so the API server fills them', () => {
    const walk = (schema: s.JsonSchema, at: string, problems: string[]) => {
      for (const [name, p] of Object.entries(schema.properties ?? {})) {
        const nestedDefaults = Object.values(p.properties ?? {}).some((x) => x.default !== undefined);
        if (nestedDefaults && p.default === undefined && !(schema.required ?? []).includes(name)) problems.push(`${at}.${name}`);
        walk(p, `${at}.${name}`, problems);
      }
    };
    for (const c of customResourceDefinitions()) {
      const problems: string[] = [];
      walk(c.spec.versions[0]!.schema.openAPIV3Schema.properties!.spec!, 'spec', problems);
      expect(problems, c.metadata.name).toEqual([]);
    }
  });
});

describe('Topic and ConsumerGroup defaults', () => {
  it('Topic: 8/8 queues, ReadWrite, not ordered, Normal', () => {
    expect(defaultTopicSpec({ clusterRef: { name: 'demo' } })).toEqual({
      clusterRef: { name: 'demo' }, readQueueNums: 8, writeQueueNums: 8, perm: 'ReadWrite', order: false, messageType: 'Normal',
    });
    expect(PERM_BITS).toEqual({ ReadWrite: 6, ReadOnly: 4, WriteOnly: 2, Deny: 0 });
    expect(topicNameOf({ metadata: { name: 'orders', namespace: 'x' }, spec: defaultTopicSpec({ clusterRef: { name: 'd' } }) })).toBe('orders');
    expect(topicNameOf({ metadata: { name: 'orders', namespace: 'x' }, spec: defaultTopicSpec({ clusterRef: { name: 'd' }, topicName: 'Orders_V2' }) })).toBe('Orders_V2');
  });

  it('ConsumerGroup: 16 retries, clustering, enabled', () => {
    expect(defaultConsumerGroupSpec({ clusterRef: { name: 'demo' } })).toEqual({
      clusterRef: { name: 'demo' }, retryMaxTimes: 16, broadcast: false, consumeEnabled: true, consumeFromMinEnabled: true,
    });
  });
});

describe('schema', () => {
  it('applyDefaults fills nested defaults of defaulted objects, keeps given values, and walks arrays and maps', () => {
    const f = s.object({
      a: s.withEmptyDefault(s.object({ x: s.withDefault(s.integer(), 1), y: s.optional(s.string()) })),
      list: s.withDefault(s.array(s.object({ k: s.withDefault(s.string(), 'v') })), []),
      m: s.optional(s.map(s.object({ z: s.withDefault(s.boolean(), true) }))),
    });
    expect(s.applyDefaults(f, {})).toEqual({ a: { x: 1 }, list: [] });
    expect(s.applyDefaults(f, { a: { x: 5 }, list: [{}], m: { q: {} } })).toEqual({ a: { x: 5 }, list: [{ k: 'v' }], m: { q: { z: true } } });
  });

  it('required fields go to the required list; defaulted and optional ones do not', () => {
    const f = s.object({ r: s.string(), d: s.withDefault(s.string(), 'x'), o: s.optional(s.string()) });
    expect(f.schema.required).toEqual(['r']);
  });
});

describe('setCondition', () => {
  it('keeps lastTransitionTime while the status stays, moves it when the status changes', () => {
    const t0 = new Date('2026-01-01T00:00:00Z');
    const t1 = new Date('2026-01-01T00:01:00Z');
    const a = setCondition(undefined, { type: 'Ready', status: 'False', reason: 'A', message: 'a', observedGeneration: 1 }, t0);
    const b = setCondition(a, { type: 'Ready', status: 'False', reason: 'B', message: 'b', observedGeneration: 2 }, t1);
    expect(b).toEqual([{ type: 'Ready', status: 'False', reason: 'B', message: 'b', observedGeneration: 2, lastTransitionTime: '2026-01-01T00:00:00Z' }]);
    const c = setCondition(b, { type: 'Ready', status: 'True', reason: 'C', message: 'c', observedGeneration: 2 }, t1);
    expect(c[0]!.lastTransitionTime).toBe('2026-01-01T00:01:00Z');
    expect(setCondition(c, { type: 'Degraded', status: 'False', reason: 'D', message: 'd' }, t1).map((x) => x.type)).toEqual(['Ready', 'Degraded']);
  });
});
