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

// @pulumi/pulumi loads TypeScript (the devDependency's 9 MB compiler, about 0.3 s) as it loads, for one use only:
// serializing JavaScript closures (runtime/closure/parseFunction.js, through its typescript-shim.js), which an offline
// plan never does. The plan gets a stand-in module that loads TypeScript on first use, as the shim would have.
// Should a later SDK move the shim, nothing is stood in for and the plan is only slower.
const Module = require("module");
let shim;
try {
  shim = require.resolve("@pulumi/pulumi/typescript-shim");
} catch {
  shim = undefined;
}
if (shim && !require.cache[shim]) {
  let typescript;
  const load = () => (typescript ??= (() => {
    try {
      return require(require.resolve("typescript", { paths: [path.dirname(shim)] }));
    } catch {
      return require(path.join(path.dirname(shim), "vendor", "typescript@3.8.3", "typescript.js"));
    }
  })());
  const standIn = new Module(shim, null);
  standIn.filename = shim;
  standIn.loaded = true;
  standIn.exports = new Proxy({}, {
    get: (_, key) => load()[key],
    has: (_, key) => key in load(),
    ownKeys: () => Reflect.ownKeys(load()),
    getOwnPropertyDescriptor: (_, key) => Object.getOwnPropertyDescriptor(load(), key),
  });
  require.cache[shim] = standIn;
}
