#!/bin/sh
# go test of the binding against the library just built: a flowlog.pc that
# points at the build tree, and Go's caches in the build tree (no module is
# downloaded: the package uses the standard library alone).
# usage: test.sh LIBDIR INCLUDEDIR WORKDIR
set -eu
libdir=$1 incdir=$2 work=$3
command -v go >/dev/null 2>&1 || { echo "SKIP: go not installed (Debian: golang-go)"; exit 77; }
mkdir -p "$work"
cat > "$work/flowlog.pc" <<PC
Name: flowlog
Description: libflowlog in its build tree
Version: 1
Cflags: -I$incdir
Libs: -L$libdir -lflowlog -Wl,-rpath,$libdir
PC
cd "$(dirname "$0")"
PKG_CONFIG_PATH=$work GOCACHE=$work/cache GOPATH=$work/gopath GOFLAGS=-mod=mod GOPROXY=off GOTOOLCHAIN=local \
    go test -count=1 ./...
