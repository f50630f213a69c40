# bench/hoist_arg.sh — sourced by bench/*/run.sh once HERE is the script's
# directory: ROOT, the repository, and HOIST, the binary to measure ($1, else
# build/hoist; a relative path is taken from where the script was started).
ROOT=$(cd "$HERE/../.." && pwd)
HOIST=${1:-$ROOT/build/hoist}
case $HOIST in /*) ;; *) HOIST=$(pwd)/$HOIST ;; esac
