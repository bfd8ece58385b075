#!/usr/bin/env bash
# The offline plan of one stack in a pull request's CI job: plans the head (this checkout) and, when a checkout
# of the base branch is given, the base; writes the cost difference (cost.md) and the upgrade-safety diff
# (safety.md) as Markdown for the job summary and the pull-request comment; and exits with the plan's status, or
# else the diff's (README, "The offline plan": 5 is over budget, 4 a dangerous change).
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

# A maintainer accepts a danger knowingly by labelling the pull request allow-danger (ALLOW_DANGER=true).
allow=()
if [ "${ALLOW_DANGER:-false}" = "true" ]; then allow=(--allow-danger); fi
diff_status=0
if [ -s "$out/base.json" ]; then
  npm run --silent plan -- --stack "$stack" --diff "$out/base.json" --base-dir "$base" --markdown "${allow[@]}" > "$out/safety.md"
  diff_status=$?
  if grep -q '^\*\*[1-9][0-9]* danger\*\*' "$out/safety.md"; then
    if [ "$diff_status" -eq 4 ]; then
      { echo; echo "**This pull request would destroy data, or make a change AWS or an operator refuses.** docs/operations.md (\"Change data safely\") says how to make each change safely. A maintainer who accepts it knowingly labels the pull request \`allow-danger\`."; } >> "$out/safety.md"
    else
      { echo; echo "Accepted knowingly: the pull request is labelled \`allow-danger\`."; } >> "$out/safety.md"
    fi
  fi
else
  # shellcheck disable=SC2016 # the backquotes are Markdown, not a command substitution
  printf '#### Upgrade safety of `%s`\n\nNo base plan to compare with (a new stack, or the base does not plan).\n' "$stack" > "$out/safety.md"
fi

if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
  cat "$out/cost.md" "$out/safety.md" >> "$GITHUB_STEP_SUMMARY"
fi
if [ "$status" -ne 0 ]; then exit "$status"; fi
exit "$diff_status"
