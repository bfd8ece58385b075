// jest globalSetup: the offline plans of the stack files, computed before the workers start into the plan cache every
// test file reads (test/harness.ts). On a cold cache (a clean CI clone) each worker would otherwise load the whole
// program for its first plan while the other waits on the same plan's lock. Two processes, one per core (the
// runner's two), each plan a share.
const { spawn } = require("child_process");
const path = require("path");

const SHARES = [[["prod", "test"], ["prod", "plan"]], [["staging", "test"], ["staging", "plan"], ["local", "test"], ["local", "plan"]]];

function planShare(share) {
  const script = `(async () => { const { plan } = require("./test/harness"); for (const [stack, mode] of ${JSON.stringify(share)}) await plan(stack, undefined, mode); })().catch(() => process.exit(1));`;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["-r", "./scripts/register.js", "-e", script], { cwd: path.join(__dirname, ".."), stdio: "ignore" });
    child.on("error", () => resolve());
    // A plan that fails here fails again in the test that asks for it, which says why: the run goes on.
    child.on("exit", () => resolve());
  });
}

module.exports = async function warmPlans() {
  // Mutation testing plans every mutant itself (test/harness.ts), so a cache would be of no use.
  if (process.env.STRYKER_MUTATOR_WORKER !== undefined) return;
  await Promise.all(SHARES.map(planShare));
};
