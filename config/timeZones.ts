/**
 * Time zones as the API server and Argo check them: Go's time.LoadLocation, over the IANA zones and links in
 * lib/data/timeZones.json (regenerate with scripts/generateTimeZones.ts when the tz database changes).
 * Case-sensitive, and no abbreviations: ICU (JavaScript's Intl) accepts `europe/berlin` and some abbreviations,
 * Go does not. The API server also refuses `Local` (pkg/apis/batch/validation, validateTimeZone).
 */
import data from "../lib/data/timeZones.json";

const names = new Set(data.names);
const byLowerCase = new Map(data.names.map((name) => [name.toLowerCase(), name]));

export function timeZoneProblem(timeZone: string): string | undefined {
  if (names.has(timeZone)) return undefined;
  const meant = byLowerCase.get(timeZone.toLowerCase());
  if (meant) return `expected an IANA time zone, spelt as the tz database spells it (the API server's check is case-sensitive), got ${JSON.stringify(timeZone)}: did you mean ${meant}?`;
  if (/^[A-Z]{2,5}$/.test(timeZone)) return `expected an IANA time zone such as America/Los_Angeles or Europe/Berlin, got the abbreviation ${JSON.stringify(timeZone)} (the API server accepts no abbreviations)`;
  return `expected an IANA time zone such as UTC or Europe/Berlin, got ${JSON.stringify(timeZone)}`;
}

export function isValidTimeZone(timeZone: string): boolean {
  return timeZoneProblem(timeZone) === undefined;
}
