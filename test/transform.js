// Jest transform: TypeScript to CommonJS with sucrase, as `npm run plan` loads the program (scripts/register.js).
// Type checking is `npm run typecheck`; transpiling only keeps the suite within its time budget.
const { transform } = require("sucrase");

module.exports = {
  process(source, filename) {
    return { code: transform(source, { transforms: ["typescript", "imports"], filePath: filename }).code };
  },
};
