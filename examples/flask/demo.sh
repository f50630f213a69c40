#!/bin/sh
# demo.sh — what `make demo` runs: deploy this Flask example to the local
# provider and show its answer from the live URL.
#
#   sh examples/flask/demo.sh [HOIST]      (HOIST defaults to build/hoist)
#
# Makes examples/flask/.venv with Debian's python3 and fills it with Flask
# and its dependencies copied from /usr/lib/python3/dist-packages (python3-flask
# is installed by `make deps-test`), so no network is needed.  Deploys stage
# "dev" (or updates it when it is already deployed), requests the URL, prints
# the response and leaves the stage running.
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
HOIST=${1:-$ROOT/build/hoist}
case $HOIST in /*) ;; *) HOIST=$ROOT/$HOIST ;; esac
PYTHON=${PYTHON:-/usr/bin/python3}
DIST=/usr/lib/python3/dist-packages

cd "$ROOT/examples/flask"
if [ ! -x .venv/bin/python ]; then
	echo "Creating examples/flask/.venv ($PYTHON -m venv)" >&2
	"$PYTHON" -m venv --without-pip .venv
fi
SITE=$(.venv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
for pkg in flask werkzeug jinja2 markupsafe itsdangerous click blinker; do
	[ -e "$SITE/$pkg" ] && continue
	if [ ! -d "$DIST/$pkg" ]; then
		echo "demo: $DIST/$pkg is missing; run 'make deps-test' (python3-flask)" >&2
		exit 1
	fi
	cp -r "$DIST/$pkg" "$SITE/"
	find "$SITE/$pkg" -xtype l -delete  # Debian links jquery.js to a package not needed here
	for meta in "$DIST/$pkg"-*.dist-info "$DIST/$pkg"-*.egg-info \
		    "$DIST"/[A-Z]*.egg-info; do
		[ -e "$meta" ] || continue
		name=$(basename "$meta" | cut -d- -f1 | tr 'A-Z' 'a-z')
		[ "$name" = "$pkg" ] && cp -r "$meta" "$SITE/"
	done
done
export VIRTUAL_ENV="$PWD/.venv"

if "$HOIST" status dev >/dev/null 2>&1; then
	URL=$("$HOIST" update dev)
else
	URL=$("$HOIST" deploy dev)
fi
echo >&2
echo "GET $URL/" >&2
curl -fsS "$URL/"
echo >&2
echo "The stage is still running: 'cd examples/flask && $HOIST tail dev' to watch it," \
     "'$HOIST undeploy dev -y' to remove it." >&2
