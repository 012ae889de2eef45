/**
 * The put/get totals as they stood at the last two local midnights, for GET_BROKER_RUNTIME_INFO's
 * msgPut/GetTotalTodayMorning and ...YesterdayMorning. mqadmin derives "today" as TodayNow - TodayMorning and
 * "yesterday" as TodayMorning - YesterdayMorning; before the first midnight both snapshots are 0, as in RocketMQ.
 */
export interface Totals {
  put: number;
  get: number;
}

export class DailyTotals {
  todayMorning: Totals = { put: 0, get: 0 };
  yesterdayMorning: Totals = { put: 0, get: 0 };
  private readonly read: () => Totals;
  private timer: NodeJS.Timeout | undefined;
  /** Local day of the last snapshot: a timer that fires early (clock changes) must not shift the snapshots twice. */
  private lastDay = localDay(new Date());

  constructor(read: () => Totals) {
    this.read = read;
  }

  start(): void {
    this.timer = setTimeout(() => {
      const day = localDay(new Date());
      if (day !== this.lastDay) {
        this.lastDay = day;
        this.rollover();
      }
      this.start();
    }, msUntilNextLocalMidnight(new Date()));
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
  }

  /** What happens at local midnight: this morning becomes yesterday morning, the current totals this morning. */
  rollover(): void {
    this.yesterdayMorning = this.todayMorning;
    this.todayMorning = { ...this.read() };
  }
}

export function msUntilNextLocalMidnight(now: Date): number {
  const next = new Date(now);
  next.setHours(24, 0, 0, 0);
  return next.getTime() - now.getTime();
}

function localDay(d: Date): string {
  return `${d.getFullYear()}-${d.getMonth()}-${d.getDate()}`;
}
