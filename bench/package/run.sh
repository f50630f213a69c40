#!/bin/sh
# bench/package/run.sh — `hoist package` cold (--no-cache), warm (nothing
# changed) and after one changed file, against Info-ZIP `zip -r -6` over the
# same files, all measured in the same run, on two trees copied from
# Debian's python3 packages:
#   flask   examples/flask + Flask and its dependencies + Django (~9 MB zipped)
#   7k      the same + botocore + 800 generated modules of the project's own
#           (~7,000 files: the one-changed-file target's tree)
# Prints median wall time and peak RSS of each, and the ratios
# warm/cold, one-change/cold and cold/zip.  BASE=/path/to/other/hoist also
# measures that hoist's cold and one-change packages (its own cache) in the
# same run and prints the ratios this/BASE.
#
#   [BASE=HOIST2] sh bench/package/run.sh [HOIST] [RUNS]
#
# Targets (issue 14): cold <= 0.5 s on the flask tree; warm <= 10 % of cold;
# one changed file in the 7,000-file tree <= 15 % of cold; <= 20 MiB peak.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../hoist_arg.sh"           # ROOT; HOIST from $1
RUNS=${2:-5}
PY=${PYTHON:-/usr/bin/python3}
DIST=/usr/lib/python3/dist-packages
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export XDG_CACHE_HOME="$WORK/cache"
M="$PY $HERE/../measure.py"

command -v zip >/dev/null || { echo "bench: zip is not installed (apt-get install zip)" >&2; exit 1; }

tree() {   # tree NAME PACKAGES... : $WORK/NAME/{proj,site}
	mkdir -p "$WORK/$1/proj" "$WORK/$1/site"
	cp "$ROOT/examples/flask/app.py" "$ROOT/examples/flask/tasks.py" "$WORK/$1/proj/"
	d=$WORK/$1
	shift
	for p in "$@"; do
		[ -e "$DIST/$p" ] && cp -rL "$DIST/$p" "$d/site/" 2>/dev/null || true
	done
	find "$d/site" -name __pycache__ -prune -exec rm -rf {} +
	cat > "$d/proj/hoist.json" <<JSON
{"bench": {"provider": "local", "project_name": "bench", "app_function": "app.app",
           "site_packages": "$d/site"}}
JSON
}

tree flask flask werkzeug jinja2 markupsafe itsdangerous click blinker django
tree 7k flask werkzeug jinja2 markupsafe itsdangerous click blinker django botocore
"$PY" - "$WORK/7k/proj" <<'EOF'
import os, random, sys
random.seed(7)
words = ("def class return self import from for while if else elif try except with "
         "as yield lambda None True False value data item result request response").split()
for i in range(800):
    d = os.path.join(sys.argv[1], "myapp", f"m{i // 50:02d}")
    os.makedirs(d, exist_ok=True)
    lines = ["    " * random.randint(0, 3) + " ".join(random.choice(words)
             for _ in range(random.randint(3, 12))) for _ in range(random.randint(20, 200))]
    with open(os.path.join(d, f"mod{i:03d}.py"), "w") as f:
        f.write("\n".join(lines) + "\n")
EOF

figure() { echo "$1" | sed "s/.*$2=\([0-9.]*\).*/\1/"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }

for t in flask 7k; do
	cd "$WORK/$t/proj"
	OUT="$WORK/$t/out.zip"
	"$HOIST" -q package bench -o "$OUT" >/dev/null 2>&1   # fills the cache
	echo "== $t: $(unzip -Z1 "$OUT" | wc -l) files in the zip, $(($(stat -c %s "$OUT") / 1024 / 1024)) MiB zipped, $(du -sm "$WORK/$t/site" | cut -f1) MiB of site-packages"
	COLD=$($M "$RUNS" "cold (--no-cache)" -- "$HOIST" -q package bench -o "$OUT" --no-cache)
	WARM=$($M "$RUNS" "warm (unchanged)" -- "$HOIST" -q package bench -o "$OUT")
	ONE=$($M "$RUNS" "one file changed" -- sh -c \
		"echo '# edit' >> '$WORK/$t/proj/app.py' && exec '$HOIST' -q package bench -o '$OUT'")
	ZIP=$(cd "$WORK/$t" && $M "$RUNS" "zip -r -6 (baseline)" -- \
		sh -c 'rm -f base.zip; cd proj && zip -q -r -6 ../base.zip . && cd ../site && zip -q -r -6 ../base.zip .')
	printf '%s\n%s\n%s\n%s\n' "$COLD" "$WARM" "$ONE" "$ZIP"
	c=$(figure "$COLD" median_s)
	echo "ratios: warm/cold $(ratio "$(figure "$WARM" median_s)" "$c")," \
	     "one-change/cold $(ratio "$(figure "$ONE" median_s)" "$c")," \
	     "cold/zip $(ratio "$c" "$(figure "$ZIP" median_s)")"
	if [ -n "${BASE:-}" ]; then
		BOUT="$WORK/$t/base.zip"
		XDG_CACHE_HOME="$WORK/cache-base" "$BASE" -q package bench -o "$BOUT" >/dev/null 2>&1
		BCOLD=$($M "$RUNS" "BASE cold (--no-cache)" -- "$BASE" -q package bench -o "$BOUT" --no-cache)
		BONE=$($M "$RUNS" "BASE one file changed" -- sh -c \
			"echo '# edit' >> '$WORK/$t/proj/app.py' && XDG_CACHE_HOME='$WORK/cache-base' exec '$BASE' -q package bench -o '$BOUT'")
		printf '%s\n%s\n' "$BCOLD" "$BONE"
		echo "ratios to BASE: cold $(ratio "$c" "$(figure "$BCOLD" median_s)")," \
		     "one-change $(ratio "$(figure "$ONE" median_s)" "$(figure "$BONE" median_s)")"
	fi
done
