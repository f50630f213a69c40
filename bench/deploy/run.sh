#!/bin/sh
# bench/deploy/run.sh — wall time and request count of `hoist deploy` and of
# a no-change `hoist update` (examples/flask + vendored Flask) against the
# fake AWS (tests/fakecloud), median of RUNS runs.
#
#   sh bench/deploy/run.sh [HOIST] [RUNS]
#
# Targets (issue 5): deploy <= 1 s against a local emulator; no-change
# update <= 0.3 s with zero uploads.  The fake settles functions after
# HOIST_FAKE_SETTLE seconds (default here 0.05, like a local emulator) and
# refuses a new role once (IAM propagation); HOIST_HTTP_BACKOFF_MS (default
# here 1) is the base of that retry's wait.
set -eu
START=$(pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
HOIST=${1:-$ROOT/build/hoist}
case $HOIST in /*) ;; *) HOIST=$START/$HOIST ;; esac
RUNS=${2:-5}
export HOIST_FAKE_SETTLE=${HOIST_FAKE_SETTLE:-0.05}
export HOIST_HTTP_BACKOFF_MS=${HOIST_HTTP_BACKOFF_MS:-1}
exec "${PYTHON:-/usr/bin/python3}" "$HERE/bench.py" "$HOIST" "$RUNS"
