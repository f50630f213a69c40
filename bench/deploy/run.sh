#!/bin/sh
# bench/deploy/run.sh — hoist on AWS against the fake (tests/fakecloud):
# deploy, no-change update, one-file update, status, and deploy --all of
# four stages against one stage and against the four one at a time; median
# wall time, peak RSS, requests and writes of each, ratios from the same run
# (bench.py says how).  BASE=/path/to/other/hoist adds an A/B column.
#
#   sh bench/deploy/run.sh [HOIST] [RUNS]
#
# Targets (issue 14): deploy <= 0.4 s, no-change update <= 0.15 s with zero
# writes, one-file update <= 0.3 s, --all of 4 <= 1.5x one stage, peak
# memory <= 20 MiB for every command.  The fake settles functions after
# HOIST_FAKE_SETTLE seconds (default here 0.05, like a local emulator) and
# refuses a new role once (IAM propagation); HOIST_HTTP_BACKOFF_MS (default
# here 1) is the base of that retry's wait.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../hoist_arg.sh"           # ROOT; HOIST from $1
RUNS=${2:-5}
export HOIST_FAKE_SETTLE=${HOIST_FAKE_SETTLE:-0.05}
export HOIST_HTTP_BACKOFF_MS=${HOIST_HTTP_BACKOFF_MS:-1}
exec "${PYTHON:-/usr/bin/python3}" "$HERE/bench.py" "$HOIST" "$RUNS"
