/** The diff of two plans as text (grouped by component) and as Markdown for the job summary and the pull-request comment. */
import type { Change } from "./planDiff";

const MAX_PATHS = 6;
const pathsText = (paths: string[]) => (paths.length === 0 ? "" : ` [${paths.slice(0, MAX_PATHS).join(", ")}${paths.length > MAX_PATHS ? `, +${paths.length - MAX_PATHS} more` : ""}]`);

export function counts(changes: Change[]): Record<Change["risk"], number> {
  const of = (risk: Change["risk"]) => changes.filter((c) => c.risk === risk).length;
  return { danger: of("danger"), caution: of("caution"), unknown: of("unknown"), safe: of("safe") };
}

/** "1 danger, 0 caution, 2 safe", and the undecidable ones only when there are some. */
const tally = ({ danger, caution, unknown, safe }: Record<Change["risk"], number>, strong = false) =>
  `${strong && danger ? "**" : ""}${danger} danger${strong && danger ? "**" : ""}, ${caution} caution, ${unknown ? `${unknown} unknown, ` : ""}${safe} safe`;

export function diffText(stack: string, base: string, changes: Change[]): string {
  const summary = counts(changes);
  const { danger } = summary;
  const out = [`Offline diff of stack "${stack}" against ${base}: ${changes.length} changes (${tally(summary)}).`];
  const components = [...new Set(changes.map((change) => change.component))].sort();
  for (const component of components) {
    out.push("", `  ${component}`);
    for (const change of changes.filter((candidate) => candidate.component === component)) {
      out.push(`    ${change.risk.toUpperCase().padEnd(7)} ${change.action.padEnd(7)} ${change.type} ${change.name}${pathsText(change.paths)}`, `            ${change.reason}`);
    }
  }
  if (danger > 0) out.push("", "Danger: docs/operations.md (\"Change data safely\") says how to make each of these changes without losing data; --allow-danger accepts them.");
  return out.join("\n");
}

const escape = (text: string) => text.replace(/\|/g, "\\|");

export function diffMarkdown(stack: string, changes: Change[]): string {
  const summary = counts(changes);
  const { safe } = summary;
  const out = [`#### Upgrade safety of \`${stack}\``, ""];
  if (changes.length === 0) return [...out, "Nothing changes."].join("\n");
  out.push(`${tally(summary, true)}.`, "");
  const shown = changes.filter((change) => change.risk !== "safe");
  if (shown.length) {
    out.push("| risk | action | resource | inputs | why |", "|---|---|---|---|---|");
    for (const change of shown) out.push(`| ${change.risk} | ${change.action} | ${escape(`${change.component}: ${change.name}`)} | ${escape(change.paths.slice(0, MAX_PATHS).join(", "))} | ${escape(change.reason)} |`);
  }
  if (safe) out.push("", `<details><summary>${safe} safe changes</summary>`, "", ...changes.filter((change) => change.risk === "safe").map((change) => `- ${change.action} ${escape(change.name)} (${change.type})`), "", "</details>");
  return out.join("\n");
}
