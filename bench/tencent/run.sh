#!/bin/sh
# bench/tencent/run.sh — `hoist deploy`, a no-change and a one-file
# `hoist update` of examples/flask (vendored Flask) against the fake Tencent Cloud
# (tests/fakecloud/faketencent.py): wall time, requests, writes and uploads,
# median of RUNS runs, and the no-change update and status with every answer
# 20 ms late (a cloud's round trip); then the peak memory (max RSS) of a deploy whose
# package has 6 MiB and 64 MiB more (through COS, as every zip over 4 MiB),
# against the same deploy of the small package measured in the same run.
#
#   sh bench/tencent/run.sh [HOIST] [RUNS]
#
# Targets: a no-change update makes read calls only (0 writes, 0 uploads);
# peak memory ≤ 20 MB whatever the package's size; deploy ≤ 0.4 s and a
# one-file update ≤ 0.3 s, as on AWS.  The fake settles a function after
# two polls (faketencent settle_polls), HOIST_POLL_MS apart (default here 1).
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../hoist_arg.sh"           # ROOT; HOIST from $1
RUNS=${2:-5}
export HOIST_HTTP_BACKOFF_MS=${HOIST_HTTP_BACKOFF_MS:-1}
export HOIST_POLL_MS=${HOIST_POLL_MS:-1}
exec "${PYTHON:-/usr/bin/python3}" "$HERE/bench.py" "$HOIST" "$RUNS"
