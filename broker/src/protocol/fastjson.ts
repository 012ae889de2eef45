/**
 * JSON as fastjson writes it for Java beans whose maps have object keys (Map<MessageQueue, ...>): standard JSON
 * cannot express such keys, so fastjson writes the key object itself: {{"brokerName":"b","queueId":0,"topic":"T"}:5}.
 * Java tools (mqadmin, the Java client) parse that form. Bean fields are written sorted, as fastjson does.
 */
export class ObjectKeyMap<K extends object, V> {
  readonly entries: [K, V][];
  constructor(entries: [K, V][] = []) {
    this.entries = entries;
  }
  set(key: K, value: V): this {
    this.entries.push([key, value]);
    return this;
  }
}

function write(value: unknown): string {
  if (value instanceof ObjectKeyMap) {
    return `{${value.entries.map(([k, v]) => `${write(k)}:${write(v)}`).join(',')}}`;
  }
  if (value instanceof Map) {
    return `{${[...value].map(([k, v]) => `${JSON.stringify(String(k))}:${write(v)}`).join(',')}}`;
  }
  if (Array.isArray(value)) return `[${value.map(write).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).filter((k) => (value as Record<string, unknown>)[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${write((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  if (typeof value === 'number' && !Number.isFinite(value)) return '0';
  return JSON.stringify(value) ?? 'null';
}

export function encodeFastJson(value: unknown): Buffer {
  return Buffer.from(write(value), 'utf8');
}

/**
 * Parses JSON as fastjson may write it: object keys ({...}:v, kept as their compact JSON text), bare keys
 * ({0:"a"}) and single-quoted strings. Standard JSON parses the same as with JSON.parse.
 */
export function parseFastJson<T>(body: Buffer | string): T {
  const p = new LenientParser(typeof body === 'string' ? body : body.toString('utf8'));
  const value = p.value();
  p.skipSpace();
  if (!p.atEnd()) p.fail('trailing characters');
  return value as T;
}

class LenientParser {
  private pos = 0;
  private readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
  atEnd(): boolean {
    return this.pos >= this.text.length;
  }
  fail(what: string): never {
    throw new SyntaxError(`${what} at position ${this.pos}`);
  }
  skipSpace(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos]!)) this.pos++;
  }
  value(): unknown {
    this.skipSpace();
    const ch = this.text[this.pos];
    if (ch === '{') return this.object();
    if (ch === '[') return this.array();
    if (ch === '"' || ch === "'") return this.string();
    const m = /^(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)/.exec(this.text.slice(this.pos, this.pos + 40));
    if (!m) this.fail('unexpected character');
    this.pos += m[0].length;
    return JSON.parse(m[0]);
  }
  private object(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    this.pos++;
    this.skipSpace();
    if (this.text[this.pos] === '}') {
      this.pos++;
      return out;
    }
    for (;;) {
      this.skipSpace();
      const ch = this.text[this.pos];
      let key: string;
      if (ch === '{' || ch === '[') key = JSON.stringify(this.value());
      else if (ch === '"' || ch === "'") key = this.string();
      else {
        const m = /^[^\s:,{}\[\]]+/.exec(this.text.slice(this.pos));
        if (!m) this.fail('expected a key');
        key = m[0];
        this.pos += key.length;
      }
      this.skipSpace();
      if (this.text[this.pos] !== ':') this.fail('expected ":"');
      this.pos++;
      out[key] = this.value();
      this.skipSpace();
      const next = this.text[this.pos++];
      if (next === '}') return out;
      if (next !== ',') this.fail('expected "," or "}"');
    }
  }
  private array(): unknown[] {
    const out: unknown[] = [];
    this.pos++;
    this.skipSpace();
    if (this.text[this.pos] === ']') {
      this.pos++;
      return out;
    }
    for (;;) {
      out.push(this.value());
      this.skipSpace();
      const next = this.text[this.pos++];
      if (next === ']') return out;
      if (next !== ',') this.fail('expected "," or "]"');
    }
  }
  private string(): string {
    const quote = this.text[this.pos]!;
    let i = this.pos + 1;
    let raw = '';
    while (i < this.text.length && this.text[i] !== quote) {
      if (this.text[i] === '\\') {
        // \' is fastjson's escape of a single quote; JSON has no such escape.
        raw += this.text[i + 1] === "'" ? "'" : this.text.slice(i, i + 2);
        i += 2;
      } else {
        raw += this.text[i] === '"' ? '\\"' : this.text[i];
        i++;
      }
    }
    if (i >= this.text.length) this.fail('unterminated string');
    this.pos = i + 1;
    return JSON.parse(`"${raw}"`) as string;
  }
}
