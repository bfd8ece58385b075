/**
 * Writes config/data/timeZones.json: every name Go's time.LoadLocation accepts, which is what the API server
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

if (require.main === module) {
  const source = process.argv[2] ?? "/usr/share/zoneinfo/tzdata.zi";
  const { version, names } = timeZoneNames(fs.readFileSync(source, "utf8"));
  const out = path.join(__dirname, "..", "config", "data", "timeZones.json");
  fs.writeFileSync(out, `${JSON.stringify({ source: `IANA tz database ${version} (tzdata.zi zones and links)`, names }, null, 0)}\n`);
  process.stdout.write(`wrote ${names.length} names from tzdata ${version} to ${out}\n`);
}
