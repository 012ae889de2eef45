import { ConfigError } from './properties-file.ts';

/**
 * One declaration per configuration key: type, default, check and a line of doc. A config is a table of
 * keys; tables compose by spreading (the broker's table is its own keys plus the store's).
 */
export type ConfigKeyType = 'string' | 'int' | 'bool' | { oneOf: readonly string[] };

export interface ConfigKey<V> {
  readonly type: ConfigKeyType;
  /** A function when the default depends on the machine (host name, home directory, environment). */
  readonly default: V | (() => V);
  /** What is wrong with a value ("must be within 0..65535"), or undefined when it is fine. */
  check?(value: V): string | undefined;
  readonly doc: string;
}

interface KeyDeclaration<V> {
  default: V | (() => V);
  check?: (value: V) => string | undefined;
  doc: string;
}

/** Method syntax above keeps ConfigKey<number> assignable here. */
export type ConfigTable = Readonly<Record<string, ConfigKey<unknown>>>;

/** The typed config object a table describes. */
export type ConfigOf<Table> = { -readonly [K in keyof Table]: Table[K] extends ConfigKey<infer V> ? V : never };

export function stringKey(d: KeyDeclaration<string>): ConfigKey<string> {
  return { type: 'string', ...d };
}

export function boolKey(d: KeyDeclaration<boolean>): ConfigKey<boolean> {
  return { type: 'bool', ...d };
}

/** An integer key; min and max are inclusive bounds checked before any other check. */
export function intKey(d: KeyDeclaration<number> & { min?: number; max?: number }): ConfigKey<number> {
  const { min, max, check, ...rest } = d;
  const inRange = (v: number): string | undefined => {
    if (min !== undefined && max !== undefined && (v < min || v > max)) return `must be within ${min}..${max}`;
    if (min !== undefined && v < min) return `must be at least ${min}`;
    if (max !== undefined && v > max) return `must be at most ${max}`;
    return check?.(v);
  };
  return { type: 'int', ...rest, check: inRange };
}

export function oneOfKey<const V extends string>(values: readonly V[], d: KeyDeclaration<NoInfer<V>>): ConfigKey<V> {
  return { type: { oneOf: values }, ...d };
}

function defaultOf<V>(key: ConfigKey<V>): V {
  return typeof key.default === 'function' ? (key.default as () => V)() : key.default;
}

/** A fresh config holding every key's default. */
export function defaultsOf<Table extends ConfigTable>(table: Table): ConfigOf<Table> {
  const out: Record<string, unknown> = {};
  for (const [name, key] of Object.entries(table)) out[name] = defaultOf(key);
  return out as ConfigOf<Table>;
}

/** The table's keys taken from a config that has them (a broker config holds the store's keys). */
export function pickKeys<Table extends ConfigTable>(table: Table, config: ConfigOf<Table>): ConfigOf<Table> {
  const out: Record<string, unknown> = {};
  for (const name of Object.keys(table)) out[name] = (config as Record<string, unknown>)[name];
  return out as ConfigOf<Table>;
}

export function hasKey(table: ConfigTable, name: string): boolean {
  return Object.hasOwn(table, name);
}

function convert(name: string, raw: string, type: ConfigKeyType): string | number | boolean {
  if (type === 'string') return raw;
  if (type === 'int') {
    if (!/^-?\d+$/.test(raw)) throw new ConfigError(`config key "${name}" wants an integer, got "${raw}"`);
    return Number(raw);
  }
  if (type === 'bool') {
    if (raw !== 'true' && raw !== 'false') throw new ConfigError(`config key "${name}" wants true or false, got "${raw}"`);
    return raw === 'true';
  }
  if (!type.oneOf.includes(raw)) throw new ConfigError(`config key "${name}" wants one of ${type.oneOf.join(', ')}, got "${raw}"`);
  return raw;
}

/**
 * Applies properties over a config. A value that does not parse is a ConfigError naming the key; unknown
 * keys are returned for the caller to warn about. Checks are left to checkConfig (some need every key set).
 */
export function applyProperties<Table extends ConfigTable>(
  table: Table,
  base: ConfigOf<Table>,
  props: ReadonlyMap<string, string>,
): { config: ConfigOf<Table>; unknownKeys: string[] } {
  const config = { ...base } as Record<string, unknown>;
  const unknownKeys: string[] = [];
  for (const [name, raw] of props) {
    if (!hasKey(table, name)) {
      unknownKeys.push(name);
      continue;
    }
    config[name] = convert(name, raw, table[name]!.type);
  }
  return { config: config as ConfigOf<Table>, unknownKeys };
}

/** The checks of the named keys (all by default); each problem names its key. */
export function checkConfig<Table extends ConfigTable>(
  table: Table,
  config: ConfigOf<Table>,
  names: Iterable<string> = Object.keys(table),
): string[] {
  const problems: string[] = [];
  for (const name of names) {
    const problem = table[name]?.check?.((config as Record<string, unknown>)[name]);
    if (problem !== undefined) problems.push(`${name} ${problem}`);
  }
  return problems;
}

export interface ConfigRow {
  key: string;
  value: string | number | boolean;
  default: string | number | boolean;
  doc: string;
}

/** One row per key, in declaration order: the effective value beside the default (what --print-config shows). */
export function describeConfig<Table extends ConfigTable>(table: Table, config: ConfigOf<Table>): ConfigRow[] {
  return (Object.entries(table) as [string, ConfigKey<string | number | boolean>][]).map(([name, key]) => ({
    key: name,
    value: (config as Record<string, string | number | boolean>)[name]!,
    default: defaultOf(key),
    doc: key.doc,
  }));
}
