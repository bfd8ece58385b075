// jest globalSetup: the offline plans of the stack files and of the variants the tests plan (test/variants.ts),
// computed before the workers start into the plan cache every test file reads (test/harness.ts). A test file that
// plans for itself first loads and compiles the whole program in its own module registry; a warm-up process does
// that once and then plans each in about half a second. Two processes, one per core (the runner's two), each
// plan every other one.
const { spawn } = require("child_process");
const path = require("path");

const SHARES = 2;

function planShare(share) {
  const script = `(async () => {
    const { plan, stackSettings, STACK_NAMES } = require("./test/harness");
    const { variants, WARM_PLANS } = require("./test/variants");
    const all = [...STACK_NAMES.flatMap((stack) => [[stack, undefined, "test"], [stack, undefined, "plan"]]), ...WARM_PLANS];
    for (const [index, [stack, variant, mode]] of all.entries()) {
      if (index % ${SHARES} === ${share}) await plan(stack, variant ? variants[variant]() : stackSettings(stack), mode);
    }
  })().catch(() => process.exit(1));`;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["-r", "./scripts/register.js", "-e", script], { cwd: path.join(__dirname, ".."), stdio: "ignore" });
    child.on("error", () => resolve());
    // A plan that fails here fails again in the test that asks for it, which says why: the run goes on.
    child.on("exit", () => resolve());
  });
}

module.exports = async function warmPlans() {
  // Under mutation testing jest starts again for every mutant: the plans are cached already for a mutant outside
  // the program, and never cached for one inside it (test/harness.ts), so warming would only repeat work.
  if (process.env.STRYKER_MUTATOR_WORKER !== undefined) return;
  await Promise.all(Array.from({ length: SHARES }, (_, share) => planShare(share)));
};
