# shellcheck shell=bash
# What the Linux boot suites share (linux-boot.sh, linux-net.sh), sourced with
# SUITE set to the word their lines start with: the test guest built (or one
# SKIP line and exit 0 when Debian's packages cannot be had), the counters and
# PASS/FAIL lines, `line NAME` (what the guest printed as "NAME: value" in
# $log), `check`, and `for_each_engine FUNC`, which runs FUNC with $engine set
# for every engine of tests/engines.sh that can boot Linux here and prints a
# SKIP line for the others. An unmodified Linux needs its kernel mode run in
# hardware on kvm: kvm boots it only where `ringvisor engines` says
# --engine auto would choose kvm.
rv=${RINGVISOR:-build/ringvisor}
dir=${LINUX_DIR:-build/linux}
# shellcheck source=tests/engines.sh
. "$(dirname "${BASH_SOURCE[0]}")/../engines.sh"
passed=0 failed=0 skipped=0
engine=""
pass() { echo "PASS: $SUITE $engine $1"; passed=$((passed + 1)); }
fail() { echo "FAIL: $SUITE $engine $1: $2"; failed=$((failed + 1)); }

if ! scripts/build-linux-guest.sh "$dir" test >"$dir.log" 2>&1; then
	echo "SKIP: $SUITE: cannot build the guest from Debian packages: $(tail -1 "$dir.log")"
	echo "0 passed, 0 failed, 1 skipped"
	exit 0
fi

line() { tr -d '\r' <"${log:?}" | sed -n "s/^$1: //p" | head -1; }

check() { # check NAME DETAIL CONDITION...: PASS if the condition holds
	local name=$1 detail=$2
	shift 2
	if "$@"; then pass "$name"; else fail "$name" "$detail"; fi
}

for_each_engine() {
	local why
	for engine in $ENGINES; do
		why=$(engine_problem "$rv" "$engine")
		[ -z "$why" ] && [ "$engine" = kvm ] && why=$(hw_kvm_problem "$rv")
		if [ -n "$why" ]; then
			echo "SKIP: $SUITE $engine boot: $why"
			skipped=$((skipped + 1))
		else
			"$1"
		fi
	done
}
