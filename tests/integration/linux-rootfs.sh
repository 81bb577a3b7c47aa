#!/usr/bin/env bash
# Boots the Debian cloud kernel on a real root file system: the Debian 12
# minbase ext4 image of scripts/build-rootfs.sh (`make rootfs`, built once and
# kept in ROOTFS_DIR, default build/rootfs) as virtio-blk vda, root=/dev/vda,
# and init `/bin/sh -c 'cat /etc/debian_version; apt-get --version'`, on every
# engine of tests/engines.sh (ENGINES overrides it). The test initramfs loads
# the virtio modules, mounts root= and switch_roots to init= with the
# arguments after "--"; when that shell exits, the kernel panics and
# panic=-1 reboots, which ends the VM with status 0.
#
# The image is given read-only (--disk ...,ro; the kernel mounts it
# read-only too), so every run starts from the same bytes.
#
# Checks, against rootfs.expect (read from the tree the image was made of):
# the initramfs reads /etc/debian_version off the ext4 root before handing
# over; the root's own shell prints it again and apt-get prints its version.
# Those need the CPU model's MMX: Debian 12's dynamic loader refuses to start
# a program on a CPU without it ("CPU ISA level is lower than required"),
# which fails them, naming that line.
set -u
suite=linux-rootfs
rootfs=${ROOTFS_DIR:-build/rootfs}
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# shellcheck source=tests/integration/linux_lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/linux_lib.sh"
linux_guest_or_exit
if [ ! -f "$rootfs/rootfs.img" ] || [ ! -f "$rootfs/rootfs.expect" ] ||
	[ "$rootfs/rootfs.img" -ot scripts/build-rootfs.sh ]; then
	mkdir -p "$rootfs"
	if ! scripts/build-rootfs.sh "$rootfs" >"$rootfs.log" 2>&1; then
		echo "SKIP: linux rootfs: cannot build the root file system: $(tail -1 "$rootfs.log")"
		echo "0 passed, 0 failed, 1 skipped"
		exit 0
	fi
fi
want_debian=$(sed -n 's/^debian_version: //p' "$rootfs/rootfs.expect")
want_apt=$(sed -n 's/^apt_version: //p' "$rootfs/rootfs.expect")

rootfs_checks() {
	local start end status
	start=$(date +%s)
	timeout 900 "$rv" run --engine "$engine" --mem 512M --initrd "$dir/initrd-test.gz" \
		--disk "$rootfs/rootfs.img,ro" \
		--append 'console=ttyS0 quiet panic=-1 root=/dev/vda init=/bin/sh -- -c "cat /etc/debian_version; apt-get --version"' \
		"$dir/vmlinuz" </dev/null 2>/dev/null | tr -d '\r' >"$log"
	status=${PIPESTATUS[0]}
	end=$(date +%s)
	if [ "$status" -eq 0 ]; then
		pass "ends with status 0 after init exits ($((end - start)) s)"
	else
		fail "status" "status $status"
	fi
	if grep -qx "root-debian-version: $want_debian" "$log"; then
		pass "the initramfs mounts the ext4 root from vda and reads Debian $want_debian"
	else
		fail "root mount" "$(grep -E 'root-debian-version|ROOT-MOUNT' "$log" | head -1)"
	fi
	if grep -q "CPU ISA level is lower than required" "$log"; then
		fail "the root's /bin/sh and apt-get" "Debian 12's ld.so refuses the guest CPU model: 'CPU ISA level is lower than required'"
		return
	fi
	if grep -qx "$want_debian" "$log"; then
		pass "the root's shell prints /etc/debian_version $want_debian"
	else
		fail "cat /etc/debian_version" "no line '$want_debian'; last: $(grep -v '^\[' "$log" | tail -3 | tr '\n' ';')"
	fi
	if grep -q "^apt $want_apt (amd64)" "$log"; then
		pass "apt-get --version prints apt $want_apt (amd64)"
	else
		fail "apt-get --version" "no line 'apt $want_apt (amd64)'"
	fi
}

each_linux_engine rootfs_checks
summary
