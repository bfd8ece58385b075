// jest globalSetup: the offline plans of the stack files, computed once in one process before the workers start,
// into the plan cache every test file reads (test/harness.ts). On a cold cache (a clean CI clone) each worker would
// otherwise load the whole program for its first plan, while the other waits on the same plan's lock.
module.exports = async function warmPlans() {
  if (process.env.STRYKER_MUTATOR_WORKER !== undefined) return;
  require("../scripts/register.js");
  const { plan, STACK_NAMES } = require("./harness");
  for (const stack of STACK_NAMES) for (const mode of ["test", "plan"]) await plan(stack, undefined, mode);
};
