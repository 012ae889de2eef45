/** The CustomResourceDefinitions, built from the schema fields (the TypeScript types are their single source). */
import { brokerClusterSpecField, brokerClusterStatusField } from './broker-cluster.ts';
import { consumerGroupSpecField } from './consumer-group.ts';
import { GROUP, VERSION } from './group.ts';
import type { Field, JsonSchema } from './schema.ts';
import { syncStatusField, topicSpecField } from './topic.ts';

interface PrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'date' | 'boolean';
  jsonPath: string;
  description?: string;
  priority?: number;
}

interface CrdInput {
  kind: string;
  plural: string;
  singular: string;
  shortNames: string[];
  description: string;
  spec: Field<unknown, boolean>;
  status: Field<unknown, boolean>;
  columns: PrinterColumn[];
}

const readyColumns: PrinterColumn[] = [
  { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
  { name: 'Reason', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].reason', priority: 1 },
  { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
];

const inputs: CrdInput[] = [
  {
    kind: 'BrokerCluster', plural: 'brokerclusters', singular: 'brokercluster', shortNames: ['tbc'],
    description: 'A Tern (RocketMQ-compatible) cluster: name servers and broker groups.',
    spec: brokerClusterSpecField, status: brokerClusterStatusField,
    columns: [
      { name: 'Groups', type: 'integer', jsonPath: '.spec.brokerGroups.count' },
      { name: 'Replicas', type: 'integer', jsonPath: '.spec.brokerGroups.replicasPerGroup' },
      { name: 'Mode', type: 'string', jsonPath: '.spec.brokerGroups.mode', priority: 1 },
      { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
      ...readyColumns,
    ],
  },
  {
    kind: 'Topic', plural: 'topics', singular: 'topic', shortNames: ['ttopic'],
    description: 'A topic on every broker group of a BrokerCluster.',
    spec: topicSpecField, status: syncStatusField,
    columns: [
      { name: 'Cluster', type: 'string', jsonPath: '.spec.clusterRef.name' },
      { name: 'Read', type: 'integer', jsonPath: '.spec.readQueueNums' },
      { name: 'Write', type: 'integer', jsonPath: '.spec.writeQueueNums' },
      { name: 'Perm', type: 'string', jsonPath: '.spec.perm', priority: 1 },
      ...readyColumns,
    ],
  },
  {
    kind: 'ConsumerGroup', plural: 'consumergroups', singular: 'consumergroup', shortNames: ['tcg'],
    description: 'A consumer (subscription) group on every broker group of a BrokerCluster.',
    spec: consumerGroupSpecField, status: syncStatusField,
    columns: [
      { name: 'Cluster', type: 'string', jsonPath: '.spec.clusterRef.name' },
      { name: 'Broadcast', type: 'boolean', jsonPath: '.spec.broadcast', priority: 1 },
      ...readyColumns,
    ],
  },
];

export interface CustomResourceDefinition {
  apiVersion: 'apiextensions.k8s.io/v1';
  kind: 'CustomResourceDefinition';
  metadata: { name: string; labels: Record<string, string> };
  spec: {
    group: string;
    names: { kind: string; listKind: string; plural: string; singular: string; shortNames: string[]; categories: string[] };
    scope: 'Namespaced';
    versions: Array<{
      name: string; served: boolean; storage: boolean;
      schema: { openAPIV3Schema: JsonSchema };
      subresources: { status: Record<string, never> };
      additionalPrinterColumns: PrinterColumn[];
    }>;
  };
}

export function customResourceDefinitions(): CustomResourceDefinition[] {
  return inputs.map((c) => ({
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${c.plural}.${GROUP}`, labels: { 'app.kubernetes.io/part-of': 'tern' } },
    spec: {
      group: GROUP,
      names: { kind: c.kind, listKind: `${c.kind}List`, plural: c.plural, singular: c.singular, shortNames: c.shortNames, categories: ['tern'] },
      scope: 'Namespaced',
      versions: [{
        name: VERSION,
        served: true,
        storage: true,
        schema: {
          openAPIV3Schema: {
            type: 'object',
            description: c.description,
            required: ['spec'],
            properties: {
              apiVersion: { type: 'string' },
              kind: { type: 'string' },
              metadata: { type: 'object' },
              spec: c.spec.schema,
              status: c.status.schema,
            },
          },
        },
        subresources: { status: {} },
        additionalPrinterColumns: c.columns,
      }],
    },
  }));
}

/** Plural resource name of a kind, for REST paths. */
export function pluralOf(kind: string): string {
  const c = inputs.find((i) => i.kind === kind);
  if (!c) throw new Error(`unknown kind ${kind}`);
  return c.plural;
}
