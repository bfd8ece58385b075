#!/usr/bin/env bash
# The offline plan of one stack in a pull request's CI job: plans the head (this checkout) and, when a checkout
# of the base branch is given, the base; writes the cost difference as Markdown (cost.md) for the job summary and
# the pull-request comment; and exits with the plan's status (README, "The offline plan": 5 is over budget).
#
#   scripts/ci-plan.sh <stack> <out dir> [<base checkout dir>]
set -uo pipefail

stack=$1
out=$2
base=${3:-}
mkdir -p "$out"

npm run --silent plan -- --stack "$stack" --json --out "$out/manifests" > "$out/plan.json" 2> "$out/plan.err"
status=$?
cat "$out/plan.err" >&2
npm run --silent plan -- --stack "$stack" --no-cost > "$out/summary.txt" 2>/dev/null || true

# The base may predate the stack, the estimate or this script: whatever it cannot plan counts as nothing.
if [ -n "$base" ] && [ -f "$base/stacks/Pulumi.$stack.yaml" ]; then
  (cd "$base" && npm run --silent plan -- --stack "$stack" --json) > "$out/base.json" 2>/dev/null || rm -f "$out/base.json"
fi

if [ -s "$out/plan.json" ]; then
  npm run --silent cost-diff -- --stack "$stack" "$out/base.json" "$out/plan.json" > "$out/cost.md"
else
  # shellcheck disable=SC2016 # the backquotes are Markdown, not a command substitution
  printf '#### Cost of `%s` per month\n\nNo estimate: the plan failed (exit %s).\n' "$stack" "$status" > "$out/cost.md"
fi
if [ "$status" -eq 5 ]; then
  { echo; echo "**Over budget:** $(cat "$out/plan.err")"; } >> "$out/cost.md"
fi
if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
  cat "$out/cost.md" >> "$GITHUB_STEP_SUMMARY"
fi
exit "$status"
