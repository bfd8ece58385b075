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

// @pulumi/pulumi loads TypeScript and @npmcli/arborist as it loads, for closure serialization only, which an
// offline plan never does (scripts/lazyModule.js): the plan gets stand-ins that load each on first use, as the
// SDK would have. Should a later SDK move either, nothing is stood in for and the plan is only slower.
const Module = require("module");
const { lazyExports } = require("./lazyModule");

function standIn(file, exports) {
  if (!file || require.cache[file]) return;
  const module = new Module(file, null);
  module.filename = file;
  module.loaded = true;
  module.exports = exports;
  require.cache[file] = module;
}

const resolved = (request, paths) => {
  try {
    return require.resolve(request, paths && { paths });
  } catch {
    return undefined;
  }
};
const shim = resolved("@pulumi/pulumi/typescript-shim");
if (shim) {
  standIn(shim, lazyExports(() => {
    try {
      return require(require.resolve("typescript", { paths: [path.dirname(shim)] }));
    } catch {
      return require(path.join(path.dirname(shim), "vendor", "typescript@3.8.3", "typescript.js"));
    }
  }));
}
const sdk = resolved("@pulumi/pulumi");
const arborist = sdk && resolved("@npmcli/arborist", [path.dirname(sdk)]);
if (arborist) standIn(arborist, lazyExports(() => {
  delete require.cache[arborist];
  return require(arborist);
}, { esModule: true }));
