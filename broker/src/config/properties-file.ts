import fs from 'node:fs';

/**
 * RocketMQ-style configuration: java.util.Properties text (key=value, # comments) mapped onto a typed
 * config object by a table of known keys. An unknown key is a warning; a value that does not parse is an error
 * naming the key and what it expects.
 */
export type ConfigKeyType = 'string' | 'int' | 'bool' | { oneOf: readonly string[] };

export type ConfigSpec<T> = { [K in keyof T]: ConfigKeyType };

export class ConfigError extends Error {}

export function parseProperties(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
    const m = /^([^=:\s]+)\s*[=:\s]\s*(.*)$/.exec(line);
    if (!m) {
      out.set(line, '');
      continue;
    }
    out.set(m[1]!, m[2]!.trim());
  }
  return out;
}

export function readPropertiesFile(path: string): Map<string, string> {
  let text: string;
  try {
    text = fs.readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return parseProperties(text);
}

function convert(key: string, raw: string, type: ConfigKeyType): string | number | boolean {
  if (type === 'string') return raw;
  if (type === 'int') {
    if (!/^-?\d+$/.test(raw)) throw new ConfigError(`config key "${key}" wants an integer, got "${raw}"`);
    return Number(raw);
  }
  if (type === 'bool') {
    if (raw !== 'true' && raw !== 'false') throw new ConfigError(`config key "${key}" wants true or false, got "${raw}"`);
    return raw === 'true';
  }
  if (!type.oneOf.includes(raw)) throw new ConfigError(`config key "${key}" wants one of ${type.oneOf.join(', ')}, got "${raw}"`);
  return raw;
}

/** Applies properties over defaults. Returns the config and the unknown keys (for the caller to warn about). */
export function applyProperties<T extends object>(
  defaults: T,
  spec: ConfigSpec<T>,
  props: Map<string, string>,
): { config: T; unknownKeys: string[] } {
  const config = { ...defaults } as Record<string, unknown>;
  const unknownKeys: string[] = [];
  for (const [key, raw] of props) {
    const type = (spec as Record<string, ConfigKeyType>)[key];
    if (!type) {
      unknownKeys.push(key);
      continue;
    }
    config[key] = convert(key, raw, type);
  }
  return { config: config as T, unknownKeys };
}

/** Renders a config back to properties text (GET_BROKER_CONFIG answers in this form). */
export function toPropertiesText(config: object): string {
  return Object.entries(config)
    .filter(([, v]) => v !== undefined && v !== null)
    .map(([k, v]) => `${k}=${v}`)
    .join('\n') + '\n';
}
