#!/usr/bin/env bash
# Guest MIPS of the interp engine on the integer loop: median of 5 runs, with the
# minimum and maximum, from ringvisor's own --stats (instructions / time in guest).
set -eu
rv=$1 guest=$2
runs=()
for _ in 1 2 3 4 5; do
	mips=$("$rv" run --engine interp --stats "$guest" 2>&1 >/dev/null | awk '/^MIPS in guest/ { print $4 }')
	runs+=("$mips")
done
sorted=$(printf '%s\n' "${runs[@]}" | sort -n)
echo "interp integer loop: median $(echo "$sorted" | sed -n 3p) MIPS (min $(echo "$sorted" | head -1), max $(echo "$sorted" | tail -1)) over 5 runs"
