#!/usr/bin/env bash
# The README's first command: install what is needed, build, and boot the default
# guest on the best engine this host runs. Extra arguments go to `ringvisor run`.
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh
make -s -j"$(nproc)"
exec build/ringvisor run --engine auto "$@" build/guests/hello.elf
