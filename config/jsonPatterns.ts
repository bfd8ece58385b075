/**
 * Patterns for the JSON Schema of the stack file (config/jsonSchema.ts), so that an editor flags a malformed cron,
 * time zone or image while typing. Each is as loose as the loader's check or looser, never stricter (a test runs
 * every value the loader accepts through it): the loader's checks (lib/cron.ts, config/timeZones.ts, lib/image.ts)
 * still decide, with the messages.
 */
import { CRON_MACROS } from "../lib/cron";
import { DIGEST_PATTERN, DOMAIN, PATH_COMPONENT, TAG_PATTERN, unanchored } from "../lib/image";

/** One cron item: `*` or `?`, a value or a name, a range, each with an optional step (lib/cron.ts parseField). */
const CRON_ITEM = "(?:\\*|\\?|(?:\\d+|[A-Za-z]{3})(?:-(?:\\d+|[A-Za-z]{3}))?)(?:/\\d+)?";
const CRON_FIELD = `${CRON_ITEM}(?:,${CRON_ITEM})*`;
/** Five fields, or one of the predefined schedules the loader accepts (lib/cron.ts CRON_MACROS). */
export const CRON_JSON_PATTERN = `^\\s*(?:${Object.keys(CRON_MACROS).join("|")}|${CRON_FIELD}(?:\\s+${CRON_FIELD}){4})\\s*$`;

/** A tz database name: `UTC`, `Europe/Berlin`, `America/Argentina/Buenos_Aires`, `Etc/GMT+5`, `EST5EDT`. */
export const TIME_ZONE_JSON_PATTERN = "^[A-Z][A-Za-z0-9_+-]*(?:/[A-Za-z0-9][A-Za-z0-9_+-]*){0,2}$";

// distribution/reference regexp.go, from lib/image.ts's own patterns: an optional registry host, lower-case path
// components, a tag (required here, and not `latest`), an optional sha256 digest.
const [DOMAIN_SOURCE, PATH_SOURCE, TAG_SOURCE, DIGEST_SOURCE] = [DOMAIN, PATH_COMPONENT, TAG_PATTERN, DIGEST_PATTERN].map(unanchored);
export const IMAGE_JSON_PATTERN = `^(?:${DOMAIN_SOURCE}/)?${PATH_SOURCE}(?:/${PATH_SOURCE})*:(?!latest(?:@|$))${TAG_SOURCE}(?:@${DIGEST_SOURCE})?$`;
