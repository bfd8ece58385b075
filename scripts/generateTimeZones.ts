/**
 * Writes lib/data/timeZones.json: every name Go's time.LoadLocation accepts, which is what the API server
 * (CronJob `timeZone`, pkg/apis/batch/validation) and Argo (CronWorkflow `timezone`) check a time zone with.
 * Those are the IANA tz database's zones and links, case-sensitive ("PST" is none of them; "US/Pacific" is a link).
 * Source: the tz database's `tzdata.zi` (Debian's `tzdata` package installs it), the same data Go embeds.
 *
 *   node -r ./scripts/register.js scripts/generateTimeZones.ts [/usr/share/zoneinfo/tzdata.zi]
 */
import * as fs from "fs";
import * as path from "path";

/** Zone (`Z name ...`) and link (`L target name`) names of a tzdata.zi file, with its version. */
export function timeZoneNames(tzdataZi: string): { version: string; names: string[] } {
  const version = /^# version (\S+)/m.exec(tzdataZi)?.[1] ?? "unknown";
  const names = new Set<string>();
  for (const line of tzdataZi.split("\n")) {
    const fields = line.trim().split(/\s+/);
    if (fields[0] === "Z") names.add(fields[1]);
    if (fields[0] === "L") names.add(fields[2]);
  }
  return { version, names: [...names].sort() };
}

/**
 * The zones whose UTC offset differs between January and July 2026: they observe daylight saving time, so a
 * schedule's gaps there widen by an hour (lib/cron.ts). Read from ICU (Node's Intl) when the file is generated,
 * so that a plan needs no Intl time-zone data (loading it costs the plan's time budget).
 */
export function daylightSavingZones(names: string[]): string[] {
  const offset = (timeZone: string, at: Date) => {
    const part = Object.fromEntries(new Intl.DateTimeFormat("en-US", { timeZone, hourCycle: "h23", year: "numeric", month: "numeric", day: "numeric", hour: "numeric", minute: "numeric" }).formatToParts(at).map(({ type, value }) => [type, Number(value)]));
    return Date.UTC(part.year, part.month - 1, part.day, part.hour, part.minute) - at.getTime();
  };
  return names.filter((name) => {
    try {
      return offset(name, new Date("2026-01-15T12:00:00Z")) !== offset(name, new Date("2026-07-15T12:00:00Z"));
    } catch {
      return false;
    }
  });
}

if (require.main === module) {
  const source = process.argv[2] ?? "/usr/share/zoneinfo/tzdata.zi";
  const { version, names } = timeZoneNames(fs.readFileSync(source, "utf8"));
  const out = path.join(__dirname, "..", "lib", "data", "timeZones.json");
  const daylightSaving = daylightSavingZones(names);
  fs.writeFileSync(out, `${JSON.stringify({ source: `IANA tz database ${version} (tzdata.zi zones and links); daylightSaving: offsets in January and July 2026 differ (ICU ${process.versions.icu}, tz ${process.versions.tz})`, names, daylightSaving }, null, 0)}\n`);
  process.stdout.write(`wrote ${names.length} names from tzdata ${version} to ${out}\n`);
}
