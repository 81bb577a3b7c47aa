# shellcheck shell=bash
# What the Linux boot tests share (linux-boot.sh, linux-disk.sh,
# linux-rootfs.sh, linux-net.sh): PASS/FAIL/SKIP lines and their counts, the test guest
# built from Debian packages, the init's "NAME: value" lines, and the loop over
# the engines of tests/engines.sh that can boot Linux here. Sourced after
# setting suite (the word the lines start with) and log (the guest's output).
: "${suite:?set suite before sourcing linux_lib.sh}" "${log:?set log before sourcing linux_lib.sh}"
rv=${RINGVISOR:-build/ringvisor}
dir=${LINUX_DIR:-build/linux}
# shellcheck source=tests/engines.sh
. "$(dirname "${BASH_SOURCE[0]}")/../engines.sh"
passed=0 failed=0 skipped=0
engine=""
pass() { echo "PASS: $suite $engine $1"; passed=$((passed + 1)); }
fail() { echo "FAIL: $suite $engine $1: $2"; failed=$((failed + 1)); }
skip() { echo "SKIP: $suite $engine $1: $2"; skipped=$((skipped + 1)); }

# The value of the first "NAME: value" line the guest printed.
line() { tr -d '\r' <"$log" | sed -n "s/^$1: //p" | head -1; }

check() { # check NAME DETAIL CONDITION...: PASS if the condition holds
	local name=$1 detail=$2
	shift 2
	if "$@"; then pass "$name"; else fail "$name" "$detail"; fi
}

# The feature bits a virtio features file sets: it is one character per bit,
# bit 0 first (Linux's virtio features_show).
feature_bits() {
	local f=$1 i bits=""
	for ((i = 0; i < ${#f}; i++)); do
		[ "${f:i:1}" = 1 ] && bits="$bits $i"
	done
	echo "${bits# }"
}

# The features file of the first virtio device with ID $1 (e.g. 0x0001):
# the init prints /sys/bus/virtio/devices/*/device and .../features in the
# same (glob) order, so the Nth word of one belongs to the Nth of the other.
features_of_device() {
	local ids features i
	read -r -a ids <<<"$(line virtio-device)"
	read -r -a features <<<"$(line virtio-features)"
	for ((i = 0; i < ${#ids[@]}; i++)); do
		if [ "${ids[i]}" = "$1" ]; then
			echo "${features[i]:-}"
			return
		fi
	done
}

# The test kernel and initramfs in $dir, or one SKIP line and the summary,
# and the script ends.
linux_guest_or_exit() {
	if ! scripts/build-linux-guest.sh "$dir" test >"$dir.log" 2>&1; then
		echo "SKIP: $suite: cannot build the guest from Debian packages: $(tail -1 "$dir.log")"
		echo "0 passed, 0 failed, 1 skipped"
		exit 0
	fi
}

# each_linux_engine FUNC: FUNC with $engine set, for each engine that can run
# Linux here; one SKIP line for each other. An unmodified Linux needs its
# kernel mode run in hardware on kvm: kvm boots it only where `ringvisor
# engines` says --engine auto would choose kvm.
each_linux_engine() {
	local why
	for engine in $ENGINES; do
		why=$(engine_problem "$rv" "$engine")
		[ -z "$why" ] && [ "$engine" = kvm ] && why=$(hw_kvm_problem "$rv")
		if [ -n "$why" ]; then
			echo "SKIP: $suite $engine boot: $why"
			skipped=$((skipped + 1))
		else
			"$1"
		fi
	done
}

# The closing line; the status says whether anything failed.
summary() {
	echo "$passed passed, $failed failed, $skipped skipped"
	[ "$failed" -eq 0 ]
}
