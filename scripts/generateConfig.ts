/**
 * Writes the generated config artefacts: config/stack.schema.json (the stack files' JSON Schema, for editors)
 * and docs/config.md (the config reference). `npm test` fails while either is stale.
 *
 *   npm run generate-config
 */
import * as fs from "fs";
import * as path from "path";
import { stackFileSchema } from "../config/jsonSchema";
import { configReference } from "../config/reference";

export const SCHEMA_FILE = path.join(__dirname, "..", "config", "stack.schema.json");
export const REFERENCE_FILE = path.join(__dirname, "..", "docs", "config.md");

export function generatedFiles(): [string, string][] {
  return [
    [SCHEMA_FILE, `${JSON.stringify(stackFileSchema(), null, 2)}\n`],
    [REFERENCE_FILE, configReference()],
  ];
}

if (require.main === module) {
  for (const [file, content] of generatedFiles()) {
    fs.writeFileSync(file, content);
    process.stdout.write(`wrote ${path.relative(process.cwd(), file)}\n`);
  }
}
