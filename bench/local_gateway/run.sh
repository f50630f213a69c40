#!/bin/sh
# bench/local_gateway/run.sh — requests/second and p50/p99 latency of a
# hello-world route through the local gateway (wrk over HTTP, 2 workers),
# against the floor: the same app through the same handler in a Python loop.
#
#   sh bench/local_gateway/run.sh [HOIST] [SECONDS]
#
# Uses a private XDG_STATE_HOME and undeploys at the end.  Needs wrk (Debian).
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../hoist_arg.sh"           # ROOT; HOIST from $1
SECS=${2:-5}
PY=${PYTHON:-/usr/bin/python3}
WORK=$(mktemp -d)
export XDG_STATE_HOME="$WORK/state"
trap '(cd "$WORK/proj" && "$HOIST" -q undeploy bench -y) >/dev/null 2>&1; rm -rf "$WORK"' EXIT

command -v wrk >/dev/null || { echo "bench: wrk is not installed (apt-get install wrk)" >&2; exit 1; }
mkdir -p "$WORK/proj"
cp "$HERE/app.py" "$WORK/proj/"
cat > "$WORK/proj/hoist.json" <<JSON
{"bench": {"provider": "local", "project_name": "bench", "app_function": "app.app",
           "python": "$PY", "local_concurrency": 2}}
JSON
cd "$WORK/proj"
URL=$("$HOIST" -q deploy bench)
curl -fsS "$URL/" >/dev/null

wrk -t2 -c8 -d"${SECS}s" --latency "$URL/" > "$WORK/wrk.txt"
gw_rps=$(awk '/^Requests\/sec:/ {print $2}' "$WORK/wrk.txt")
to_ms() { awk -v v="$1" 'BEGIN { if (v ~ /us$/) { sub(/us$/, "", v); print v / 1000 }
	else if (v ~ /ms$/) { sub(/ms$/, "", v); print v + 0 }
	else if (v ~ /s$/) { sub(/s$/, "", v); print v * 1000 } }'; }
gw_p50=$(to_ms "$(awk '$1 == "50%" {print $2}' "$WORK/wrk.txt")")
gw_p99=$(to_ms "$(awk '$1 == "99%" {print $2}' "$WORK/wrk.txt")")
errors=$(grep -c "Non-2xx\|Socket errors" "$WORK/wrk.txt" || true)

PKG="$XDG_STATE_HOME/hoist/local/bench-bench/versions/1"
set -- $("$PY" "$HERE/inproc.py" "$PKG" "$SECS")
ip_rps=$1 ip_p50=$2 ip_p99=$3

printf '%-34s %12s %10s %10s\n' "" "requests/s" "p50 ms" "p99 ms"
printf '%-34s %12.0f %10.3f %10.3f\n' "gateway (wrk -t2 -c8, 2 workers)" "$gw_rps" "$gw_p50" "$gw_p99"
printf '%-34s %12.0f %10.3f %10.3f\n' "in-process loop (1 thread)" "$ip_rps" "$ip_p50" "$ip_p99"
awk -v a="$gw_rps" -v b="$ip_rps" 'BEGIN { printf "gateway / in-process throughput: %.2f\n", a / b }'
[ "$errors" = 0 ] || { echo "wrk reported errors:" >&2; cat "$WORK/wrk.txt" >&2; exit 1; }
