#!/bin/sh
# `pip install` of the package offline, into a fresh virtual environment
# (from a copy, so the source tree stays clean), then a diagnosis through
# the installed package. FLOWLOG_LIBRARY and FLOWLOG_EXAMPLES_DATA as for the
# other binding tests.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
/usr/bin/python3 -c 'import venv, ensurepip' 2>/dev/null || { echo "SKIP: no venv or ensurepip (Debian: python3-venv)"; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$here" "$work/src"
rm -rf "$work/src/build" "$work/src/"*.egg-info
/usr/bin/python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet --no-index --disable-pip-version-check "$work/src" 2>&1 | grep -v DEPRECATION || true
cd "$work"
out=$(env -u PYTHONPATH VIRTUAL_ENV_DIR="$work/venv" "$work/venv/bin/python" -c '
import os, flowlog
d = flowlog.diagnose("10.0.1.25", "10.0.2.10", 3306, paths=os.path.join(os.environ["FLOWLOG_EXAMPLES_DATA"], "lambda-rds-nacl-inbound.log"))
print(flowlog.__file__.startswith(os.environ["VIRTUAL_ENV_DIR"]), d.verdict)' )
[ "$out" = "True blocked" ] || { echo "the installed package printed: $out"; echo "not ok 1 - pip install"; exit 1; }
echo "ok 1 - pip install of bindings/python offline, and a diagnosis through it"
