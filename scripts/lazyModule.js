// A module's stand-in that loads the real module on its first use. @pulumi/pulumi requires two large modules as
// it loads, each for one feature an offline plan or a test never uses:
// - TypeScript (the 9 MB compiler, through its typescript-shim.js) to serialize JavaScript closures
//   (runtime/closure/parseFunction.js);
// - @npmcli/arborist (with pacote, sigstore and npm's fetch stack, about 0.25 s) to find the packages a
//   serialized function needs (runtime/closure/codePaths.js, computeCodePaths).
// scripts/register.js stands in for both in the plan; jest.config.js maps both to test/lazyModules/ in the tests.

/**
 * The stand-in's exports. `esModule`: answer `__esModule: true` without loading, for a module the SDK imports
 * with TypeScript's __importStar (which would otherwise copy every key, so load it at once).
 */
function lazyExports(load, { esModule = false } = {}) {
  let real;
  const get = () => (real ??= load());
  return new Proxy({}, {
    get: (_, key) => (esModule && key === "__esModule" ? true : get()[key]),
    has: (_, key) => key in get(),
    ownKeys: () => Reflect.ownKeys(get()),
    getOwnPropertyDescriptor: (_, key) => Object.getOwnPropertyDescriptor(get(), key),
  });
}

module.exports = { lazyExports };
