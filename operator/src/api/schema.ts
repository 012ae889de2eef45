/**
 * A small schema builder: each field is written once and yields both its TypeScript type (Infer) and
 * its OpenAPI v3 structural schema for the CRD, so the TypeScript types are the single source of the CRDs.
 * applyDefaults() fills defaults the way the kube-apiserver does, so pure render code and its tests see
 * the same spec the operator reads back from the cluster.
 */

/** The subset of apiextensions.k8s.io/v1 JSONSchemaProps Tern's CRDs use. */
export interface JsonSchema {
  type?: 'object' | 'array' | 'string' | 'integer' | 'boolean' | 'number';
  description?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  additionalProperties?: JsonSchema;
  enum?: unknown[];
  default?: unknown;
  pattern?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  maxItems?: number;
  maxProperties?: number;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-validations'?: CelRule[];
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-map-type'?: 'atomic' | 'granular';
}

/** A CEL validation rule (x-kubernetes-validations). */
export interface CelRule {
  rule: string;
  message: string;
  messageExpression?: string;
  fieldPath?: string;
  reason?: 'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueRequired' | 'FieldValueDuplicate';
}

/**
 * One field. T is its value type; Opt says whether an object may lack it after defaulting (a field with a
 * default or a required field is always present; an optional field without default may be absent).
 */
export interface Field<T, Opt extends boolean> {
  readonly schema: JsonSchema;
  /** Present in the object's `required` list. */
  readonly required: boolean;
  readonly optional: Opt;
  /** Phantom, never set: carries T for Infer. */
  readonly __type?: T;
}

export type Infer<F> = F extends Field<infer T, boolean> ? T : never;

type OptionalKeys<P> = { [K in keyof P]: P[K] extends Field<unknown, true> ? K : never }[keyof P];
type PresentKeys<P> = Exclude<keyof P, OptionalKeys<P>>;
type Simplify<T> = { [K in keyof T]: T[K] } & {};
export type ObjectOf<P extends Record<string, Field<unknown, boolean>>> = Simplify<
  { [K in PresentKeys<P>]: Infer<P[K]> } & { [K in OptionalKeys<P>]?: Infer<P[K]> }
>;

interface Common {
  description?: string;
  rules?: CelRule[];
}

function make<T>(schema: JsonSchema, opts: Common): Field<T, false> {
  const s: JsonSchema = { ...schema };
  if (opts.description) s.description = opts.description;
  if (opts.rules?.length) s['x-kubernetes-validations'] = opts.rules;
  return { schema: s, required: true, optional: false };
}

/** The field, optional: it may be absent and has no default. */
export function optional<T>(f: Field<T, boolean>): Field<T, true> {
  return { schema: f.schema, required: false, optional: true };
}

/** The field with a default: absent input gets the value, so the field is always present after defaulting. */
export function withDefault<T>(f: Field<T, boolean>, value: T): Field<T, false> {
  return { schema: { ...f.schema, default: value }, required: false, optional: false };
}

export function string(opts: Common & { pattern?: string; minLength?: number; maxLength?: number; format?: string } = {}): Field<string, false> {
  const { description, rules, ...rest } = opts;
  return make({ type: 'string', ...rest }, { description, rules });
}

export function enumOf<const V extends readonly string[]>(values: V, opts: Common = {}): Field<V[number], false> {
  return make({ type: 'string', enum: [...values] }, opts);
}

export function integer(opts: Common & { minimum?: number; maximum?: number } = {}): Field<number, false> {
  const { description, rules, ...rest } = opts;
  return make({ type: 'integer', ...rest }, { description, rules });
}

export function boolean(opts: Common = {}): Field<boolean, false> {
  return make({ type: 'boolean' }, opts);
}

/** A Kubernetes resource.Quantity ("10Gi", "500m", 2). */
export function quantity(opts: Common = {}): Field<string, false> {
  return make({
    'x-kubernetes-int-or-string': true,
    pattern: '^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$',
  }, opts);
}

export function object<P extends Record<string, Field<unknown, boolean>>>(props: P, opts: Common = {}): Field<ObjectOf<P>, false> {
  const properties: Record<string, JsonSchema> = {};
  const required: string[] = [];
  for (const [name, f] of Object.entries(props)) {
    properties[name] = f.schema;
    if (f.required) required.push(name);
  }
  const schema: JsonSchema = { type: 'object', properties };
  if (required.length) schema.required = required;
  return make(schema, opts);
}

export function array<T>(item: Field<T, boolean>, opts: Common & { maxItems?: number; listType?: 'atomic' | 'set' | 'map'; mapKeys?: string[] } = {}): Field<T[], false> {
  const schema: JsonSchema = { type: 'array', items: item.schema };
  if (opts.maxItems !== undefined) schema.maxItems = opts.maxItems;
  if (opts.listType) schema['x-kubernetes-list-type'] = opts.listType;
  if (opts.mapKeys) schema['x-kubernetes-list-map-keys'] = opts.mapKeys;
  return make(schema, opts);
}

export function map<T>(value: Field<T, boolean>, opts: Common & { maxProperties?: number } = {}): Field<Record<string, T>, false> {
  const schema: JsonSchema = { type: 'object', additionalProperties: value.schema };
  if (opts.maxProperties !== undefined) schema.maxProperties = opts.maxProperties;
  return make(schema, opts);
}

/**
 * A Kubernetes core type (Affinity, Toleration, ResourceRequirements, ...) passed through as is: the
 * API server keeps it (preserve-unknown-fields) and validates it when it reaches the Pod template.
 */
export function embedded<T>(opts: Common = {}): Field<T, false> {
  return make({ type: 'object', 'x-kubernetes-preserve-unknown-fields': true }, opts);
}

/** Fills schema defaults into a copy of value, as the kube-apiserver's structural defaulting does. */
export function applyDefaults<T>(f: Field<T, boolean>, value: unknown): T {
  return defaultValue(f.schema, value) as T;
}

function defaultValue(schema: JsonSchema, value: unknown): unknown {
  if (value === undefined) return undefined;
  if (schema.type === 'object' && schema.properties && isRecord(value)) {
    const out: Record<string, unknown> = { ...value };
    for (const [name, prop] of Object.entries(schema.properties)) {
      let v = out[name];
      if (v === undefined && prop.default !== undefined) v = structuredClone(prop.default);
      if (v !== undefined) out[name] = defaultValue(prop, v);
    }
    return out;
  }
  if (schema.type === 'object' && schema.additionalProperties && isRecord(value)) {
    const ap = schema.additionalProperties;
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, defaultValue(ap, v)]));
  }
  if (schema.type === 'array' && schema.items && Array.isArray(value)) {
    const items = schema.items;
    return value.map((v) => defaultValue(items, v));
  }
  return value;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** An object field defaulted to {}, so the API server (and applyDefaults) also fills its nested defaults. */
export function withEmptyDefault<T extends object>(f: Field<T, boolean>): Field<T, false> {
  return { schema: { ...f.schema, default: {} }, required: false, optional: false };
}
