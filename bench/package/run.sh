#!/bin/sh
# bench/package/run.sh — `hoist package` on a Flask app with a realistic
# dependency tree (Flask and its dependencies plus Django, copied from
# Debian's python3 packages: ~9 MB zipped), against the baseline of Info-ZIP
# `zip -r -6` over the same files, measured in the same run.  Prints median
# wall time, peak RSS and the ratio.
#
#   sh bench/package/run.sh [HOIST] [RUNS]
set -eu
START=$(pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
HOIST=${1:-$ROOT/build/hoist}
case $HOIST in /*) ;; *) HOIST=$START/$HOIST ;; esac
RUNS=${2:-5}
PY=${PYTHON:-/usr/bin/python3}
DIST=/usr/lib/python3/dist-packages
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

command -v zip >/dev/null || { echo "bench: zip is not installed (apt-get install zip)" >&2; exit 1; }
mkdir -p "$WORK/proj" "$WORK/site"
cp "$ROOT/examples/flask/app.py" "$ROOT/examples/flask/tasks.py" "$WORK/proj/"
for p in flask werkzeug jinja2 markupsafe itsdangerous click blinker django; do
	[ -e "$DIST/$p" ] && cp -r "$DIST/$p" "$WORK/site/"
done
cat > "$WORK/proj/hoist.json" <<JSON
{"bench": {"provider": "local", "project_name": "bench", "app_function": "app.app",
           "site_packages": "$WORK/site"}}
JSON
cd "$WORK/proj"
"$HOIST" -q package bench -o "$WORK/out.zip" >/dev/null 2>&1
echo "package: $(du -sm "$WORK/site" | cut -f1) MiB of site-packages," \
     "zip $(($(stat -c %s "$WORK/out.zip") / 1024 / 1024)) MiB," \
     "$(unzip -Z1 "$WORK/out.zip" | wc -l) files"
H=$("$PY" "$HERE/../measure.py" "$RUNS" "hoist package" -- "$HOIST" -q package bench -o "$WORK/out.zip")
B=$(cd "$WORK" && "$PY" "$HERE/../measure.py" "$RUNS" "zip -r -6 (baseline)" -- \
	sh -c 'rm -f base.zip; cd proj && zip -q -r -6 ../base.zip . && cd ../site && zip -q -r -6 ../base.zip .')
echo "$H"
echo "$B"
h=$(echo "$H" | sed 's/.*median_s=\([0-9.]*\).*/\1/')
b=$(echo "$B" | sed 's/.*median_s=\([0-9.]*\).*/\1/')
echo "ratio hoist/zip (median wall): $(echo "$h $b" | awk '{printf "%.2f\n", $1/$2}')"
