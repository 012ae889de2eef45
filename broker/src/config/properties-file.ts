import fs from 'node:fs';

/**
 * java.util.Properties text (key=value, # comments) as RocketMQ's config files use it. What the keys mean
 * and how values convert is the config table's business (config-table.ts).
 */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

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

/** Renders a config back to properties text (GET_BROKER_CONFIG answers in this form). */
export function toPropertiesText(config: object): string {
  return Object.entries(config)
    .filter(([, v]) => v !== undefined && v !== null)
    .map(([k, v]) => `${k}=${v}`)
    .join('\n') + '\n';
}
