// Loads the TypeScript sources of `npm run plan` and `npm run bench` with sucrase, keeping each transpiled file in
// node_modules/.cache so that a plan transpiles only the files that changed since the last one.
const crypto = require("crypto");
const fs = require("fs");
const path = require("path");
const { addHook } = require("pirates");

const cacheDir = path.join(__dirname, "..", "node_modules", ".cache", "etl-platform-ts");
let sucrase;

function transpile(code, filename) {
  const key = crypto.createHash("sha1").update(filename).update("\0").update(code).digest("hex");
  const cached = path.join(cacheDir, `${key}.js`);
  try {
    return fs.readFileSync(cached, "utf8");
  } catch {
    sucrase ??= require("sucrase");
    const output = sucrase.transform(code, { transforms: ["typescript", "imports"], filePath: filename }).code;
    fs.mkdirSync(cacheDir, { recursive: true });
    fs.writeFileSync(cached, output);
    return output;
  }
}

addHook(transpile, { exts: [".ts"], ignoreNodeModules: true });
