#!/bin/sh
# Install the Debian packages named on the command line; used by the Makefile
# when a build or test dependency is missing.  As root it installs them; as
# anyone else it prints the exact command and fails.
set -e
if [ "$(id -u)" -ne 0 ]; then
	echo "hoist: missing build/test dependencies. Run as root:" >&2
	echo "  apt-get update && apt-get install -y --no-install-recommends $*" >&2
	exit 1
fi
echo "hoist: installing Debian packages: $*" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "$@" >/dev/null
