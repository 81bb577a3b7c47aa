#!/usr/bin/env bash
# The soak (`make soak`): fresh random seeds for as long as asked, on every
# software engine, with the seeds of anything that failed printed so that
# each failure can be replayed.
#   chaos  tests/integration/chaos.py, round after round, each round with a
#          new seed: random bytes run as guest code in real, protected and
#          long mode; a crash, an engine internal error or a sanitizer report
#          fails (chaos.py keeps the kernel in /tmp).
#   diff   the differential soak (tests/diff, `make diff-soak`): random
#          user-mode sequences against the host CPU.
#
# Usage: tests/integration/soak.sh RINGVISOR [DIFF_TEST]
# Environment:
#   SOAK_SECONDS  how long each part runs (default 600)
#   SOAK_PARTS    which parts, in order (default "chaos diff"; diff needs
#                 DIFF_TEST, the tests/diff binary)
#   SOAK_COUNT    chaos cases per round (default 30)
#   ENGINES       as everywhere (tests/engines.sh); kvm is left out here,
#                 the soak is for the software engines
# Ends with "N passed, N failed, N skipped" (chaos rounds and the diff part)
# and exits 1 if anything failed.
set -u

self_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$self_dir/../.." && pwd)
rv=${1:?usage: soak.sh RINGVISOR [DIFF_TEST]}
diff_test=${2:-}
seconds=${SOAK_SECONDS:-600}
parts=${SOAK_PARTS:-chaos diff}
per_round=${SOAK_COUNT:-30}
# The ASan build also catches a pointer to a dead stack frame (a device's ops
# table on a returned function's stack was one, issue 11).
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_stack_use_after_return=1}
# shellcheck source=tests/engines.sh
. "$root/tests/engines.sh"
software=""
for e in $ENGINES; do
	[[ $e == kvm ]] || software+="${software:+ }$e"
done
passed=0
failed=0
skipped=0
failed_seeds=()

# A seed no earlier round used: 31 random bits from the kernel.
fresh_seed() {
	od -An -N4 -tu4 /dev/urandom | awk '{ print $1 % 2147483648 }'
}

soak_chaos() {
	local end=$((SECONDS + seconds)) rounds=0 seed log status

	echo "soak: chaos on ${software:-no engine} for ${seconds} s, ${per_round} cases per round"
	if [[ -z $software ]]; then
		echo "SKIP: chaos soak: no software engine in ENGINES ($ENGINES)"
		skipped=$((skipped + 1))
		return
	fi
	log=$(mktemp) || return
	while ((SECONDS < end)); do
		seed=$(fresh_seed)
		ENGINES=$software python3 "$root/tests/integration/chaos.py" "$rv" "$per_round" "$seed" >"$log" 2>&1
		status=$?
		rounds=$((rounds + 1))
		if ((status == 0)); then
			passed=$((passed + 1))
		else
			failed=$((failed + 1))
			failed_seeds+=("$seed")
			echo "FAIL: chaos round $rounds, seed $seed:"
			grep -v '^PASS' "$log" | sed 's/^/    /'
			echo "    replay: ENGINES='$software' python3 tests/integration/chaos.py $rv $per_round $seed"
		fi
	done
	rm -f "$log"
	echo "soak: chaos: $rounds rounds of $per_round cases, $((rounds - ${#failed_seeds[@]})) clean"
}

soak_diff() {
	local status

	if [[ -z $diff_test || ! -x $diff_test ]]; then
		echo "SKIP: diff soak: no tests/diff binary (run make diff-test once)"
		skipped=$((skipped + 1))
		return
	fi
	echo "soak: diff on ${software:-no engine} for ${seconds} s"
	# The differential test prints the seed of every failing sequence itself.
	timeout -s INT "$seconds" "$diff_test" ${software:+--sw "${software// /,}"} --soak
	status=$?
	# Interrupted by the timeout (SIGINT) is how this part ends.
	if ((status == 0 || status == 124 || status == 130)); then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		echo "FAIL: diff soak: status $status (see the seeds above)"
	fi
}

for part in $parts; do
	case $part in
	chaos) soak_chaos ;;
	diff) soak_diff ;;
	*)
		echo "FAIL: soak: no part named $part"
		failed=$((failed + 1))
		;;
	esac
done
if ((${#failed_seeds[@]})); then
	echo "chaos seeds that failed: ${failed_seeds[*]}"
fi
echo "$passed passed, $failed failed, $skipped skipped"
((failed == 0))
