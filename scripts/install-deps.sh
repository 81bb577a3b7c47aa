#!/usr/bin/env bash
# Installs the Debian 12 packages Ringvisor needs to build and test, if missing.
set -eu
packages=(
	gcc make binutils libc6-dev   # the VMM and the freestanding test guests
	libcmocka-dev                 # unit tests
	libzydis-dev                  # x86 decoding for the interp engine
	zlib1g-dev                    # CRC-32 of saved VM state (src/state)
	libjansson-dev                # JSON: a snapshot's configuration, the control socket's API
	libslirp-dev libglib2.0-dev   # user networking (--net user); slirp.pc requires glib-2.0.pc
	pkg-config                    # finds libslirp's flags
	clang-format                  # the tree stays formatted
	clang libclang-rt-14-dev      # fuzzers: clang 14 and its libFuzzer (only recommended by clang)
	shellcheck                    # the test and build scripts stay clean
	util-linux                    # script(1): runs guests under a pseudo-terminal
	python3                       # drives the console test on a pseudo-terminal
	cpio                          # packs the Linux guest's initramfs
	qemu-system-x86               # the reference the Multiboot guests are checked against
	acpica-tools                  # iasl/acpiexec check the ACPI tables independently
	mmdebstrap e2fsprogs          # scripts/build-rootfs.sh: a Debian root file system as an ext4 image
)
missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing: ${missing[*]}"
sudo=
[ "$(id -u)" -eq 0 ] || sudo=sudo
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
