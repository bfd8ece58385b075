// `@npmcli/arborist` in the tests (jest.config.js moduleNameMapper): loaded on first use (scripts/lazyModule.js).
const { lazyExports } = require("../../scripts/lazyModule");

module.exports = lazyExports(() => require(require.resolve("@npmcli/arborist", { paths: [require.resolve("@pulumi/pulumi")] })), { esModule: true });
