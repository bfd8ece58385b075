#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages the tests run, where they are missing: ShellCheck (the shell scripts),
# promtool and amtool (the real Prometheus rule engine and Alertmanager config check: test/promtool.ts,
# test/alertRules.test.ts), LuaJIT (the Lua engine Fluent Bit embeds: the log routing script's tests) and jq (the
# end-to-end script's manifests, test/local.test.ts).
# Used by .ci/run and by the GitHub workflows that run `npm test`.
set -euo pipefail

missing=()
command -v shellcheck >/dev/null 2>&1 || missing+=(shellcheck)
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
command -v amtool >/dev/null 2>&1 || missing+=(prometheus-alertmanager)
command -v luajit >/dev/null 2>&1 || missing+=(luajit)
command -v jq >/dev/null 2>&1 || missing+=(jq)
if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi
sudo=()
if [ "$(id -u)" -ne 0 ]; then
  sudo=(sudo)
fi
"${sudo[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
