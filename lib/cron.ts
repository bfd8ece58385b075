import { CronExpressionParser } from "cron-parser";

/** Kubernetes CronJobs and Argo CronWorkflows take standard 5-field cron; we accept nothing else. */
export function cronProblem(expression: string): string | undefined {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 5) {
    return `expected a 5-field cron expression (minute hour day-of-month month day-of-week), got ${JSON.stringify(expression)} with ${fields.length} fields`;
  }
  try {
    CronExpressionParser.parse(expression, { tz: "UTC" });
    return undefined;
  } catch (error) {
    return `expected a valid cron expression, got ${JSON.stringify(expression)} (${(error as Error).message})`;
  }
}


export interface ScheduleGaps {
  /** Shortest time between two consecutive runs, in seconds. */
  minSeconds: number;
  /** Longest time between two consecutive runs, in seconds (e.g. a weekend for a weekdays-only schedule). */
  maxSeconds: number;
}

/** A fixed start keeps the result deterministic; a Friday, so weekday-only schedules meet a weekend early. */
const SCAN_START = new Date("2026-01-02T00:00:00Z");
/** Eight days hold every weekly pattern; rarer schedules are scanned until they have run a few times. */
const SCAN_MIN_SECONDS = 8 * 24 * 3600;
/** A schedule with no day, month or weekday restriction repeats every day: one day, up to the next day's first run, shows all its gaps. */
const DAILY_PATTERN_SCAN_SECONDS = 24 * 3600;
const SCAN_MIN_RUNS = 4;
const SCAN_MAX_RUNS = 800;
const DST_SHIFT_SECONDS = 3600;

const cache = new Map<string, ScheduleGaps>();

/**
 * The gaps between consecutive runs of a schedule in its time zone. Used for a CronJob's starting deadline
 * (shorter than the shortest gap) and for each pipeline's freshness alert (the longest gap plus a margin).
 * Scanning a whole year through cron-parser's time-zone arithmetic is slow, so a week is scanned and, in a
 * zone that observes daylight saving time, the gaps are widened by the hour a DST change adds or removes.
 */
export function scheduleGaps(expression: string, timeZone: string): ScheduleGaps {
  const key = `${expression}|${timeZone}`;
  const cached = cache.get(key);
  if (cached) return cached;
  const runs = CronExpressionParser.parse(expression, { tz: timeZone, currentDate: SCAN_START });
  const repeatsDaily = expression.trim().split(/\s+/).slice(2).every((field) => field === "*");
  const scanSeconds = repeatsDaily ? DAILY_PATTERN_SCAN_SECONDS : SCAN_MIN_SECONDS;
  const first = runs.next().getTime();
  let previous = first;
  let minSeconds = Infinity;
  let maxSeconds = 0;
  for (let count = 1; count < SCAN_MAX_RUNS; count++) {
    if (count >= SCAN_MIN_RUNS && (previous - first) / 1000 >= scanSeconds) break;
    const at = runs.next().getTime();
    const gap = (at - previous) / 1000;
    minSeconds = Math.min(minSeconds, gap);
    maxSeconds = Math.max(maxSeconds, gap);
    previous = at;
  }
  const shift = observesDaylightSaving(timeZone) && minSeconds > DST_SHIFT_SECONDS ? DST_SHIFT_SECONDS : 0;
  const gaps = { minSeconds: minSeconds - shift, maxSeconds: maxSeconds + shift };
  cache.set(key, gaps);
  return gaps;
}

function utcOffsetMinutes(timeZone: string, at: Date): number {
  const local = new Date(at.toLocaleString("en-US", { timeZone }));
  const utc = new Date(at.toLocaleString("en-US", { timeZone: "UTC" }));
  return (local.getTime() - utc.getTime()) / 60000;
}

function observesDaylightSaving(timeZone: string): boolean {
  return utcOffsetMinutes(timeZone, new Date("2026-01-15T12:00:00Z")) !== utcOffsetMinutes(timeZone, new Date("2026-07-15T12:00:00Z"));
}
