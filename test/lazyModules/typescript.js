// `typescript` in the tests (jest.config.js moduleNameMapper): loaded on first use (scripts/lazyModule.js says why).
// Jest compiles every module again in each test file, so the 9 MB compiler cost about 0.7 s per file that loads the SDK.
const path = require("path");
const { lazyExports } = require("../../scripts/lazyModule");

module.exports = lazyExports(() => require(path.join(__dirname, "..", "..", "node_modules", "typescript", "lib", "typescript.js")));
