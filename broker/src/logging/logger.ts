/** A leaf module every folder may use: levelled lines on stderr, `TERN_LOG_LEVEL` (debug|info|warn|error|silent). */
const LEVELS = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 } as const;
type Level = keyof typeof LEVELS;

export interface Logger {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
  child(component: string): Logger;
}

function threshold(): number {
  const env = (process.env.TERN_LOG_LEVEL ?? 'info').toLowerCase();
  return env in LEVELS ? LEVELS[env as Level] : LEVELS.info;
}

export function createLogger(component: string): Logger {
  const min = threshold();
  const line = (level: Level, msg: string) => {
    if (LEVELS[level] >= min) process.stderr.write(`${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} [${component}] ${msg}\n`);
  };
  return {
    debug: (m) => line('debug', m),
    info: (m) => line('info', m),
    warn: (m) => line('warn', m),
    error: (m) => line('error', m),
    child: (sub) => createLogger(`${component}/${sub}`),
  };
}
