#!/usr/bin/env bash
# The README's first command: install what is needed, build Ringvisor and the
# default guest (Debian's cloud kernel and a busybox initramfs, from Debian
# packages), and boot it to an interactive shell. Ctrl-A x quits.
# The engine is `auto` (kvm where KVM runs guest kernels in hardware, else dbt;
# ringvisor says which); ENGINE=dbt, ENGINE=interp or ENGINE=kvm forces one. Extra arguments
# go to `ringvisor run`.
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh
make -s -j"$(nproc)"
scripts/build-linux-guest.sh build/linux shell
exec build/ringvisor run --engine "${ENGINE:-auto}" --mem 512M --append "console=ttyS0 quiet" \
	--initrd build/linux/initrd-shell.gz "$@" build/linux/vmlinuz
