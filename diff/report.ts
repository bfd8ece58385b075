/** The diff of two plans as text (grouped by component) and as Markdown for the job summary and the pull-request comment. */
import type { Change } from "./planDiff";

const MAX_PATHS = 6;
const pathsText = (paths: string[]) => (paths.length === 0 ? "" : ` [${paths.slice(0, MAX_PATHS).join(", ")}${paths.length > MAX_PATHS ? `, +${paths.length - MAX_PATHS} more` : ""}]`);

export function counts(changes: Change[]): Record<Change["risk"], number> {
  return { danger: changes.filter((c) => c.risk === "danger").length, caution: changes.filter((c) => c.risk === "caution").length, safe: changes.filter((c) => c.risk === "safe").length };
}

export function diffText(stack: string, base: string, changes: Change[]): string {
  const { danger, caution, safe } = counts(changes);
  const out = [`Offline diff of stack "${stack}" against ${base}: ${changes.length} changes (${danger} danger, ${caution} caution, ${safe} safe).`];
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
  const { danger, caution, safe } = counts(changes);
  const out = [`#### Upgrade safety of \`${stack}\``, ""];
  if (changes.length === 0) return [...out, "Nothing changes."].join("\n");
  out.push(`${danger ? "**" : ""}${danger} danger${danger ? "**" : ""}, ${caution} caution, ${safe} safe.`, "");
  const shown = changes.filter((change) => change.risk !== "safe");
  if (shown.length) {
    out.push("| risk | action | resource | inputs | why |", "|---|---|---|---|---|");
    for (const change of shown) out.push(`| ${change.risk} | ${change.action} | ${escape(`${change.component}: ${change.name}`)} | ${escape(change.paths.slice(0, MAX_PATHS).join(", "))} | ${escape(change.reason)} |`);
  }
  if (safe) out.push("", `<details><summary>${safe} safe changes</summary>`, "", ...changes.filter((change) => change.risk === "safe").map((change) => `- ${change.action} ${escape(change.name)} (${change.type})`), "", "</details>");
  return out.join("\n");
}
