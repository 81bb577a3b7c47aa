#!/usr/bin/env bash
# Runs the libFuzzer fuzzers built by fuzz/fuzz.mk (fuzz/README.md).
#
#   scripts/fuzz.sh ci NAME...    every input of fuzz/regress/NAME/ once, then
#                                 FUZZ_SECONDS of fuzzing from fuzz/corpus/NAME/;
#                                 one line per check, then "N passed, N failed, N skipped"
#   scripts/fuzz.sh long NAME...  FUZZ_SECONDS of each with FUZZ_JOBS processes, going
#                                 on after a crash; the corpus grows in build/fuzz/corpus/NAME/
#
# Crashes are kept in $FUZZ_OUT/crashes/NAME/. The tree's corpus is only read.
set -u
cd "$(dirname "$0")/.." || exit 1
out=${FUZZ_OUT:-build/fuzz}
seconds=${FUZZ_SECONDS:-60}
jobs=${FUZZ_JOBS:-2}
mode=${1:-}
shift || true
passed=0 failed=0 skipped=0
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT

# Extra libFuzzer flags of one fuzzer, from fuzz/NAME.flags (whitespace-separated,
# lines starting with # ignored), into the array extra.
flags_of() {
	extra=()
	[ -f "fuzz/$1.flags" ] || return 0
	read -r -d '' -a extra < <(grep -v '^#' "fuzz/$1.flags")
}

# regress NAME: runs each regression input once; one check each.
regress() {
	local name=$1 bin=$out/fuzz_$1 f extra
	[ -d "fuzz/regress/$name" ] || return 0
	flags_of "$name"
	for f in "fuzz/regress/$name"/*; do
		[ -f "$f" ] || continue
		if "$bin" "${extra[@]}" "$f" >"$logs/regress.log" 2>&1; then
			echo "PASS fuzz $name regression $(basename "$f")"
			passed=$((passed + 1))
		else
			tail -n 30 "$logs/regress.log"
			echo "FAIL fuzz $name regression $(basename "$f"): crashes again"
			failed=$((failed + 1))
		fi
	done
}

# What a libFuzzer log says about speed: the final average of a plain run, or the
# last status line's executions over its time (fork mode's own exec/s is per job).
execs_per_second() {
	local v
	v=$(grep -oE 'stat::average_exec_per_sec: *[0-9]+' "$1" | grep -oE '[0-9]+$' | tail -n 1)
	[ -n "$v" ] || v=$(grep -E '^#[0-9]+:.* time: [0-9]+s' "$1" | tail -n 1 |
		sed -E 's/^#([0-9]+):.* time: ([0-9]+)s.*/\1 \2/' | awk '{ if ($2 > 0) print int($1 / $2) }')
	echo "${v:-?}"
}

# What was found, from a crash's log: a fuzzer's own "FINDING: ..." line (the
# convention of fuzz/README.md), else the sanitizer's summary.
finding_of() {
	local f
	f=$(grep -m1 -E '^FINDING: ' "$1")
	[ -n "$f" ] || f=$(grep -m1 -E '^SUMMARY: ' "$1")
	[ -n "$f" ] || f=$(grep -m1 -E 'ERROR: |runtime error: ' "$1" | sed -E 's/^==[0-9]+==//')
	echo "${f:-unknown}"
}

# distinct_crashes NAME STAMP: runs each crash newer than STAMP once (at most 200)
# and prints one line per distinct finding (addresses and sizes left out) with its
# count and an example.
distinct_crashes() {
	local name=$1 stamp=$2 bin=$out/fuzz_$1 f
	find "$out/crashes/$name" -type f -newer "$stamp" | head -n 200 | while read -r f; do
		timeout 120 "$bin" "$f" >"$logs/repro.log" 2>&1
		printf '%s\t%s\n' "$(finding_of "$logs/repro.log")" "$f"
	done | sed -E 's/0x[0-9a-f]+/N/g; s/(mode|size|times) [0-9]+/\1 N/g' | sort |
		awk -F '\t' '{ n[$1]++; if (!($1 in ex)) ex[$1] = $2 }
		END { for (k in n) printf "  %d x %s\n      e.g. %s\n", n[k], k, ex[k] }'
}

# ci_fuzz NAME: one bounded run from a fresh scratch corpus seeded by the tree's.
ci_fuzz() {
	local name=$1 bin=$out/fuzz_$1 scratch=$out/ci-corpus/$1 crashes=$out/crashes/$1
	local log=$logs/$1.log seeds=() status new extra
	flags_of "$name"
	rm -rf "$scratch"
	mkdir -p "$scratch" "$crashes"
	[ -d "fuzz/corpus/$name" ] && seeds=("fuzz/corpus/$name")
	nice "$bin" "${extra[@]}" -max_total_time="$seconds" -print_final_stats=1 -timeout=30 \
		-artifact_prefix="$crashes/" "$scratch" "${seeds[@]}" >"$log" 2>&1
	status=$?
	new=$(grep -oE "Test unit written to [^ ]+" "$log" | tail -n 1 | sed 's/Test unit written to //')
	if [ "$status" -eq 0 ]; then
		echo "PASS fuzz $name: $(execs_per_second "$log") exec/s for ${seconds} s, nothing found"
		passed=$((passed + 1))
	else
		tail -n 40 "$log"
		echo "FAIL fuzz $name: $(execs_per_second "$log") exec/s; found $(finding_of "$log"); input ${new:-?}" \
			"(reproduce: $bin ${new:-INPUT})"
		failed=$((failed + 1))
	fi
}

# long_fuzz NAME: forked workers, going on after crashes and timeouts.
long_fuzz() {
	local name=$1 bin=$out/fuzz_$1 corpus=$out/corpus/$1 crashes=$out/crashes/$1 seeds=() extra
	flags_of "$name"
	mkdir -p "$corpus" "$crashes"
	[ -d "fuzz/corpus/$name" ] && seeds=("fuzz/corpus/$name")
	echo "=== fuzz $name: $seconds s, $jobs jobs, corpus $corpus, crashes $crashes/"
	touch "$logs/$name.stamp"
	nice "$bin" "${extra[@]}" -fork="$jobs" -ignore_crashes=1 -max_total_time="$seconds" -timeout=30 \
		-artifact_prefix="$crashes/" "$corpus" "${seeds[@]}" 2>&1 | tee "$logs/$name.log" | grep -E '^#'
	echo "fuzz $name: $(execs_per_second "$logs/$name.log") exec/s;" \
		"$(find "$crashes" -type f -newer "$logs/$name.stamp" | wc -l) new crash inputs"
	distinct_crashes "$name" "$logs/$name.stamp"
}

case "$mode" in
ci)
	for name in "$@"; do
		regress "$name"
		ci_fuzz "$name"
	done
	echo "$passed passed, $failed failed, $skipped skipped"
	[ "$failed" -eq 0 ]
	;;
long)
	for name in "$@"; do
		long_fuzz "$name"
	done
	echo
	echo "Crashes are in $out/crashes/NAME/. Reproduce one with $out/fuzz_NAME FILE; once the bug"
	echo "is fixed, move the file into fuzz/regress/NAME/ so that CI runs it every time."
	;;
*)
	echo "usage: scripts/fuzz.sh ci|long NAME..." >&2
	exit 2
	;;
esac
