/** Durations as the config writes them (and Go parses them): a whole number of seconds, minutes or hours, e.g. `90s`, `10m`, `6h`. */

export const DURATION_PATTERN = /^\d+[smh]$/;

const UNIT_SECONDS = { s: 1, m: 60, h: 3600 } as const;

/** The duration in seconds, or undefined for anything else (`Never`, `1h30m`). */
export function parseDuration(text: string): number | undefined {
  if (!DURATION_PATTERN.test(text)) return undefined;
  return Number(text.slice(0, -1)) * UNIT_SECONDS[text.slice(-1) as keyof typeof UNIT_SECONDS];
}

/** The duration in seconds; throws for anything else. */
export function durationSeconds(duration: string): number {
  const seconds = parseDuration(duration);
  if (seconds === undefined) throw new Error(`not a duration: ${duration}`);
  return seconds;
}
