#!/usr/bin/env bash
# The whole test suite: start the services the tests need, run ava, summarise.
# Under CI (CI=true) a skipped test fails the run: a skip proves nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

for svc in scripts/services/*.sh; do
	[[ -e "$svc" ]] || continue
	bash "$svc" start
done

# The tests' own runs are audited like any run: into a log of their own,
# never the user's ($XDG_STATE_HOME/tapfleet/audit.db), removed afterwards.
state=$(mktemp -d -t tapfleet-test-state-XXXXXX)
trap 'rm -rf "$state"' EXIT
export XDG_STATE_HOME="$state"
# Warm runners (docs/warm.md) stay off for the suite's many environments, each of
# which would keep one; test/cli/warm.test.ts turns them on for its own runs.
export TAPFLEET_WARM_KEEP="${TAPFLEET_WARM_KEEP:-0}"

set +e
npx --no-install ava --tap "$@" | node scripts/tap-summary.mjs
status=${PIPESTATUS[1]}
exit "$status"
