/**
 * Standard 5-field cron, as Kubernetes CronJobs (robfig/cron v3 `ParseStandard`, which the API server validates
 * with) and Argo CronWorkflows read it: minute, hour, day of month, month (1-12 or JAN-DEC), day of week (0-7 or
 * SUN-SAT, 7 being Sunday); each field `*`, `?` (day fields), a value, a range `a-b`, a step `*\/n`, `a-b/n` or
 * `a/n`, or a comma list of those. Parsed here rather than with a cron library: the plan evaluates every schedule,
 * and a library with time-zone arithmetic costs more to load than the whole check.
 */
import timeZoneData from "./data/timeZones.json";

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: string[];
}

const FIELDS: FieldSpec[] = [
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day of month", min: 1, max: 31 },
  { name: "month", min: 1, max: 12, names: ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"] },
  { name: "day of week", min: 0, max: 7, names: ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"] },
];

export interface CronSchedule {
  minutes: number[];
  hours: number[];
  daysOfMonth: Set<number>;
  months: Set<number>;
  daysOfWeek: Set<number>;
  /** robfig's star bit: a day field given as `*` or `?` (with or without a step) does not restrict the day. */
  anyDayOfMonth: boolean;
  anyDayOfWeek: boolean;
}

function parseValue(text: string, field: FieldSpec): number | string {
  const index = field.names?.indexOf(text.toUpperCase()) ?? -1;
  if (index >= 0) return index + (field.name === "month" ? 1 : 0);
  if (!/^\d+$/.test(text)) return `"${text}" is not a number${field.names ? " or a name" : ""}`;
  const value = Number(text);
  return value < field.min || value > field.max ? `${value} is outside ${field.min}-${field.max}` : value;
}

/** The values of one field, or why it is invalid; `star` when it covers the whole range by `*` or `?`. */
function parseField(text: string, field: FieldSpec): { values: Set<number>; star: boolean } | string {
  const values = new Set<number>();
  let star = false;
  for (const part of text.split(",")) {
    const [range, stepText, extra] = part.split("/");
    if (extra !== undefined || range === "") return `"${part}" is not a value, range or step`;
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d+$/.test(stepText) || Number(stepText) === 0) return `"${stepText}" is not a positive step`;
      step = Number(stepText);
    }
    let low: number;
    let high: number;
    if (range === "*" || (range === "?" && (field.name === "day of month" || field.name === "day of week"))) {
      [low, high, star] = [field.min, field.max, true];
    } else {
      const [lowText, highText, more] = range.split("-");
      if (more !== undefined) return `"${range}" is not a range`;
      const lowValue = parseValue(lowText, field);
      if (typeof lowValue === "string") return lowValue;
      low = lowValue;
      if (highText !== undefined) {
        const highValue = parseValue(highText, field);
        if (typeof highValue === "string") return highValue;
        high = highValue;
      } else {
        // `a/n` runs from a to the end of the range.
        high = stepText !== undefined ? field.max : low;
      }
      if (low > high) return `the range ${range} runs backwards`;
    }
    for (let value = low; value <= high; value += step) values.add(field.name === "day of week" && value === 7 ? 0 : value);
  }
  return { values, star };
}

/** The schedule of an expression, or why it is invalid. */
export function parseCron(expression: string): CronSchedule | string {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 5) return `expected a 5-field cron expression (minute hour day-of-month month day-of-week), got ${JSON.stringify(expression)} with ${fields.length} fields`;
  const parsed = fields.map((text, i) => ({ text, field: FIELDS[i], result: parseField(text, FIELDS[i]) }));
  const invalid = parsed.find((p) => typeof p.result === "string");
  if (invalid) return `expected a valid cron expression, got ${JSON.stringify(expression)} (${invalid.field.name}: ${invalid.result as string})`;
  const [minute, hour, dom, month, dow] = parsed.map((p) => p.result as { values: Set<number>; star: boolean });
  const sorted = (set: Set<number>) => [...set].sort((a, b) => a - b);
  return {
    minutes: sorted(minute.values),
    hours: sorted(hour.values),
    daysOfMonth: dom.values,
    months: month.values,
    daysOfWeek: dow.values,
    anyDayOfMonth: dom.star,
    anyDayOfWeek: dow.star,
  };
}

const DAY_MS = 24 * 3600 * 1000;
/** A fixed start keeps the result deterministic; a Friday, so weekday-only schedules meet a weekend early. */
const SCAN_START = Date.UTC(2026, 0, 2);
/** Nine years hold two February 29ths; a schedule that has not run twice by then never runs (February 30). */
const SCAN_MAX_DAYS = 9 * 366;

/** robfig/cron dayMatches: with a day field unrestricted both must match; with both restricted either may. */
function runsOnDay(schedule: CronSchedule, day: Date): boolean {
  if (!schedule.months.has(day.getUTCMonth() + 1)) return false;
  const dom = schedule.daysOfMonth.has(day.getUTCDate());
  const dow = schedule.daysOfWeek.has(day.getUTCDay());
  return schedule.anyDayOfMonth || schedule.anyDayOfWeek ? dom && dow : dom || dow;
}

/**
 * The schedule's runs from the scan start on, in wall-clock time (ms), until `enough` says so or it has run no
 * more in five years. Wall-clock, not a zone's: the gaps are widened for daylight saving time separately.
 */
function wallClockRuns(schedule: CronSchedule, enough: (runs: number[]) => boolean): number[] {
  const runs: number[] = [];
  for (let day = 0; day < SCAN_MAX_DAYS; day++) {
    const midnight = SCAN_START + day * DAY_MS;
    if (!runsOnDay(schedule, new Date(midnight))) continue;
    for (const hour of schedule.hours) for (const minute of schedule.minutes) runs.push(midnight + (hour * 60 + minute) * 60000);
    if (enough(runs)) break;
  }
  return runs;
}

/** The runs in the first `days` days of the scan, wall-clock, in ms (for tests against another implementation). */
export function scheduleRuns(expression: string, days: number): number[] {
  const schedule = parseCron(expression);
  if (typeof schedule === "string") throw new Error(schedule);
  const end = SCAN_START + days * DAY_MS;
  return wallClockRuns(schedule, (runs) => runs[runs.length - 1] >= end - DAY_MS).filter((at) => at < end);
}

/** Kubernetes CronJobs and Argo CronWorkflows take standard 5-field cron; we accept nothing else, nor a schedule that never runs. */
/**
 * The predefined schedules the Kubernetes CronJob controller and Argo accept (both parse with robfig/cron v3:
 * robfig/cron v3.0.1 parser.go parseDescriptor, whose fields below are the minimum of each range or all of it;
 * argo-workflows v4.0.6 go.mod pins v3.0.1, docs/new-features.md lists the descriptors), as the 5-field
 * expressions they stand for, so every reader of a schedule (cost, freshness alerts, tests) sees one form.
 */
export const CRON_MACROS: Record<string, string> = {
  "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *", "@weekly": "0 0 * * 0", "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
};

/** A macro as its 5-field expression; anything else as it is. */
export function expandCronMacro(expression: string): string {
  return CRON_MACROS[expression.trim()] ?? expression;
}

export function cronProblem(expression: string): string | undefined {
  if (expression.trim().startsWith("@")) {
    const accepted = Object.keys(CRON_MACROS).join(", ");
    // `@every <duration>` counts from when the controller started, so its runs cannot be known from the config.
    if (expression.trim().startsWith("@every")) return `expected a 5-field cron or one of ${accepted}, got ${JSON.stringify(expression)} (@every counts from the controller's start: its runs cannot be known in advance)`;
    if (!(expression.trim() in CRON_MACROS)) return `expected a 5-field cron or one of ${accepted}, got ${JSON.stringify(expression)}`;
    return undefined;
  }
  const schedule = parseCron(expression);
  if (typeof schedule === "string") return schedule;
  if (wallClockRuns(schedule, (runs) => runs.length > 1).length < 2) {
    return `expected a schedule that runs, got ${JSON.stringify(expression)}, which names no day that exists (e.g. February 30)`;
  }
  return undefined;
}

export interface ScheduleGaps {
  /** Shortest time between two consecutive runs, in seconds. */
  minSeconds: number;
  /** Longest time between two consecutive runs, in seconds (e.g. a weekend for a weekdays-only schedule). */
  maxSeconds: number;
}

/** Eight days hold every weekly pattern; rarer schedules are scanned until they have run a few times. */
const SCAN_MIN_SECONDS = 8 * 24 * 3600;
/** A schedule with no day, month or weekday restriction repeats every day: one day, up to the next day's first run, shows all its gaps. */
const DAILY_PATTERN_SCAN_SECONDS = 24 * 3600;
const SCAN_MIN_RUNS = 4;
const DST_SHIFT_SECONDS = 3600;

const cache = new Map<string, ScheduleGaps>();

/**
 * The gaps between consecutive runs of a schedule in its time zone. Used for a CronJob's starting deadline
 * (shorter than the shortest gap) and for each pipeline's freshness alert (the longest gap plus a margin).
 * The runs are scanned in wall-clock time over a week (a day for daily patterns) and, in a zone that observes
 * daylight saving time, the gaps are widened by the hour a DST change adds or removes.
 */
export function scheduleGaps(expression: string, timeZone: string): ScheduleGaps {
  const key = `${expression}|${timeZone}`;
  const cached = cache.get(key);
  if (cached) return cached;
  const schedule = parseCron(expression);
  if (typeof schedule === "string") throw new Error(schedule);
  const repeatsDaily = expression.trim().split(/\s+/).slice(2).every((field) => field === "*");
  const scanMs = (repeatsDaily ? DAILY_PATTERN_SCAN_SECONDS : SCAN_MIN_SECONDS) * 1000;
  // One run past the window, so the gap from the window's last run to the next one is seen.
  const runs = wallClockRuns(schedule, (found) => found.length > SCAN_MIN_RUNS && found[found.length - 1] - found[0] > scanMs);
  let minSeconds = Infinity;
  let maxSeconds = 0;
  for (let i = 1; i < runs.length; i++) {
    const gap = (runs[i] - runs[i - 1]) / 1000;
    minSeconds = Math.min(minSeconds, gap);
    maxSeconds = Math.max(maxSeconds, gap);
  }
  if (runs.length < 2) throw new Error(`${JSON.stringify(expression)} does not run (cronProblem refuses it)`);
  const shift = observesDaylightSaving(timeZone) && minSeconds > DST_SHIFT_SECONDS ? DST_SHIFT_SECONDS : 0;
  const gaps = { minSeconds: minSeconds - shift, maxSeconds: maxSeconds + shift };
  cache.set(key, gaps);
  return gaps;
}

/**
 * Zones whose UTC offset moves during the year, generated with the zone names (scripts/generateTimeZones.ts):
 * asking Intl here would load ICU's time-zone data, a cost the plan's time budget has no room for.
 */
const daylightSavingZones = new Set(timeZoneData.daylightSaving);

function observesDaylightSaving(timeZone: string): boolean {
  return daylightSavingZones.has(timeZone);
}
