#!/bin/sh
# Install what building and testing libflowlog needs on Debian 12 (as root).
set -eu
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
    meson ninja-build pkgconf gcc g++ clang libclang-rt-14-dev \
    libcmocka-dev zlib1g-dev libisal-dev libjansson-dev libpcre2-dev libsnappy-dev libzstd-dev abigail-tools \
    binutils valgrind python3 python3-venv ca-certificates python3-dask python3-distributed golang-go >/dev/null
