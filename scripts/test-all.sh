#!/usr/bin/env bash
# The README's second command: install what is needed, build both flavours
# (release and ASan+UBSan), and run every test. Ends with one summary line,
# "N passed, N failed, N skipped", counting individual checks.
set -u
cd "$(dirname "$0")/.." || exit 1
scripts/install-deps.sh || { echo "dependency installation failed"; exit 1; }
jobs=$(nproc)
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
passed=0 failed=0 skipped=0 broken=()

# step NAME COMMAND...: runs a step; its output is shown and kept for counting.
step() {
	local name=$1
	shift
	echo "=== $name"
	"$@" 2>&1 | tee "$logs/$name.log"
	local status=${PIPESTATUS[0]}
	[ "$status" -eq 0 ] || broken+=("$name (status $status)")
	# Runners print "N passed, N failed, N skipped"; cmocka prints its own lines.
	local line
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$logs/$name.log" | tail -n 1)
	if [ -n "$line" ]; then
		passed=$((passed + $(echo "$line" | awk '{print $1}')))
		failed=$((failed + $(echo "$line" | awk '{print $3}')))
		skipped=$((skipped + $(echo "$line" | awk '{print $5 + 0}')))
	fi
	passed=$((passed + $(grep -hoE '^\[  PASSED  \] [0-9]+' "$logs/$name.log" | awk '{s += $4} END {print s + 0}')))
	failed=$((failed + $(grep -hoE '^\[  FAILED  \] [0-9]+' "$logs/$name.log" | awk '{s += $4} END {print s + 0}')))
	skipped=$((skipped + $(grep -hoE '^\[  SKIPPED \] [0-9]+' "$logs/$name.log" | awk '{s += $4} END {print s + 0}')))
}

step build make -s -j"$jobs"
step build-asan make -s -j"$jobs" MODE=asan
step layering python3 scripts/check-layering.py
step format make -s check-format
step shellcheck shellcheck scripts/*.sh tests/engines.sh tests/integration/*.sh .ci/run
step unit make -s unit-test
step unit-asan make -s MODE=asan unit-test
step diff make -s diff-test
step diff-asan make -s MODE=asan diff-test
step guests tests/integration/run-guests.sh
step cli tests/integration/run-cli.sh
step snapshot-guests tests/integration/snapshot-guests.sh
# Lockstep runs each block twice and translates it on every entry: smc
# (a 2 MiB translation cache, flushed again and again) takes 50 s of CPU on
# a Zen 3 share, close to the default 60 s watchdog.
step guests-lockstep env ENGINES=dbt RUN_ARGS="--lockstep interp" TIMEOUT=180 HOSTILE_TIMEOUT=60 tests/integration/run-guests.sh
# Every guest's CPL 0 code decoded as traces too (dbt's default is user code
# only), on its own and against interp.
step guests-traces env ENGINES=dbt RUN_ARGS="--dbt-traces all" tests/integration/run-guests.sh
step guests-traces-lockstep env ENGINES=dbt RUN_ARGS="--lockstep interp --dbt-traces all" TIMEOUT=180 HOSTILE_TIMEOUT=60 tests/integration/run-guests.sh
step console python3 tests/integration/console_pty.py build/ringvisor build/guests/echo.elf
step api python3 tests/integration/api_socket.py build/ringvisor build/guests/spin.elf
step api-control python3 tests/integration/api_control.py build/ringvisor build/guests/ticker.elf
step migrate python3 tests/integration/migrate.py build/ringvisor build/guests/ticker.elf build/guests/migdirty.elf
step linux tests/integration/linux-boot.sh
step linux-disk tests/integration/linux-disk.sh
step linux-rootfs tests/integration/linux-rootfs.sh
step linux-net tests/integration/linux-net.sh
step linux-shell python3 tests/integration/linux_shell.py build/ringvisor build/linux
step snapshot-linux python3 tests/integration/snapshot_linux.py build/ringvisor build/linux
step guests-asan env RINGVISOR=build/asan/ringvisor tests/integration/run-guests.sh
step cli-asan env RINGVISOR=build/asan/ringvisor tests/integration/run-cli.sh
step snapshot-guests-asan env RINGVISOR=build/asan/ringvisor tests/integration/snapshot-guests.sh
step console-asan python3 tests/integration/console_pty.py build/asan/ringvisor build/guests/echo.elf
step api-asan python3 tests/integration/api_socket.py build/asan/ringvisor build/guests/spin.elf
step api-control-asan python3 tests/integration/api_control.py build/asan/ringvisor build/guests/ticker.elf
step migrate-asan python3 tests/integration/migrate.py build/asan/ringvisor build/guests/ticker.elf build/guests/migdirty.elf
step chaos-asan python3 tests/integration/chaos.py build/asan/ringvisor 90
step fuzz make -s fuzz-ci
step bench-smoke make -s bench-smoke

echo
for b in "${broken[@]}"; do echo "broken step: $b"; done
echo "$passed passed, $failed failed, $skipped skipped"
[ ${#broken[@]} -eq 0 ] && [ "$failed" -eq 0 ]
