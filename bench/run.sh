#!/bin/sh
# bench/run.sh — every benchmark, each against a baseline measured in the
# same run (`make bench`).  Figures are for reading, never asserted in tests.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
HOIST=${1:-$HERE/../build/hoist}
for b in "$HERE"/*/run.sh; do
	echo "== $(basename "$(dirname "$b")")"
	sh "$b" "$HOIST"
done
