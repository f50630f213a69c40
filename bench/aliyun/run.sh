#!/bin/sh
# bench/aliyun/run.sh — deploy, no-change and one-file update, status of
# examples/flask (vendored Flask) against the fake Alibaba Cloud
# (tests/fakecloud/fakealiyun.py, which needs node): wall time, peak RSS,
# requests, writes and uploads, median of RUNS runs (the no-change update and
# status also with every answer 20 ms late: a cloud's round trip); then the peak memory of
# a deploy whose zip is 48 MiB and 150 MiB (through OSS, as every zip over
# 4 MiB) against the small deploy measured in the same run.
#
#   sh bench/aliyun/run.sh [HOIST] [RUNS]
#   APIGW=1 sh bench/aliyun/run.sh ...   the stage behind Alibaba Cloud API Gateway
#
# Targets: a no-change update makes read calls only (0 writes, 0 uploads);
# peak memory ≤ 20 MiB whatever the package's size; deploy ≤ 0.4 s and a
# one-file update ≤ 0.3 s, as on AWS.  Functions settle HOIST_FAKE_SETTLE s
# after each change (default here 0.05, as bench/deploy's local emulator).
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../hoist_arg.sh"           # ROOT; HOIST from $1
RUNS=${2:-5}
export HOIST_HTTP_BACKOFF_MS=${HOIST_HTTP_BACKOFF_MS:-1}
export HOIST_POLL_MS=${HOIST_POLL_MS:-1}
export HOIST_FAKE_SETTLE=${HOIST_FAKE_SETTLE:-0.05}
exec "${PYTHON:-/usr/bin/python3}" "$HERE/bench.py" "$HOIST" "$RUNS"
