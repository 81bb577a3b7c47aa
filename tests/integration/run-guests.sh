#!/usr/bin/env bash
# Runs the bare-metal test guests (build/guests/, from guests/) under
# Ringvisor on each engine and compares every run with the hand-written
# expectations in tests/guests/:
#   NAME.stdout  the exact standard output (what the guest sent to COM1)
#   NAME.status  the exit status of `ringvisor run`
#   NAME.args    optional: arguments before the kernel, one per line
#   NAME.stdin   optional: fed to ringvisor's standard input (else /dev/null)
#
# Usage: tests/integration/run-guests.sh [CASE|GROUP...]   (default: every case)
# The group `hostile` names the hostile guests (guests/hostile_*, issue 11):
# guests that attack Ringvisor and assert what hardware would do. They run
# with their own, shorter watchdog (HOSTILE_TIMEOUT): a hang is a FAIL that
# says so, never a stuck run.
# Environment:
#   RINGVISOR  the binary (default build/ringvisor of this tree)
#   ENGINES    engines to run on, separated by spaces (default: the list in
#              tests/engines.sh, the one list of the integration suites)
#   TIMEOUT    seconds a case may take (default 60)
#   HOSTILE_TIMEOUT  seconds a hostile case may take (default 20)
#   RUN_ARGS   more options for every run, after --engine (e.g. "--lockstep
#              interp" with ENGINES=dbt: every guest checked block by block)
# Every case fails if Ringvisor's stderr holds a sanitizer report (the ASan
# build exits with status 1 after one, which is also the guests' PASS status).
# Prints one line per case and engine (PASS:, FAIL: with what differed, or
# SKIP: with why), then "N passed, N failed, N skipped". Exits 1 if any
# case failed, else 0.
set -u

self=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")
root=$(cd "$(dirname "$self")/../.." && pwd)
if [[ -n ${RINGVISOR:-} ]]; then
	rv=$RINGVISOR
	[[ $rv == /* ]] || rv=$PWD/$rv
else
	rv=$root/build/ringvisor
fi
# shellcheck source=tests/engines.sh
. "$root/tests/engines.sh"
engines=$ENGINES
case_timeout=${TIMEOUT:-60}
read -r -a run_args <<<"${RUN_ARGS:-}"
hostile_timeout=${HOSTILE_TIMEOUT:-20}
# The ASan build also catches a pointer to a dead stack frame (a device's ops
# table on a returned function's stack was one, issue 11).
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_stack_use_after_return=1}
guest_dir=${GUESTS_DIR:-build/guests}
expect_dir=tests/guests

# The hostile guests, one or more per class of attack (GUEST_HOSTILE in
# guests/guests.mk; hostile_virtq and hostile_virtio_blk, which drive
# Ringvisor's own virtio-rng and virtio-blk, are ELF64 guests of GUEST_C64,
# since QEMU has no device at their address).
hostile_cases=(hostile_smc hostile_evmmio hostile_irqmmio hostile_hcport
	hostile_isa hostile_ramedge hostile_insnlen hostile_wide hostile_nmi
	hostile_cslimit hostile_realwrap hostile_gates hostile_dbt_cpl
	hostile_dbt_remap hostile_dbt_irq hostile_dbt_compat hostile_dbt_flush
	hostile_align_check hostile_global_code hostile_cross_insn hostile_dbt_trace
	hostile_virtq hostile_virtio_blk)
# Cases in order; tty-* run a guest under a pseudo-terminal.
all_cases=(hello hello32 hello16 hypercall pio exit16 exit32 mmio
	triplefault spin hammer multiboot mbaout qemuplat echo timer tty-spin
	tty-triplefault
	modes exceptions64 exceptions32 paging syscall sysenter32 strings smc smc_kvmclock smc_pagewalk
	aluflags sse mmx pvmgaps pvmgaps32 singlestep debugregs amdmsrs mblow snapcount
	"${hostile_cases[@]}")
# Cases that need guest kernel mode run by the CPU itself: on the kvm engine
# they run only where `ringvisor engines` says --engine auto would choose kvm
# (not on the nested PVM /dev/kvm, which emulates guest kernel code).
# The hostile guests run all their attacks in guest kernel mode, so they are
# among these.
needs_hw_kvm=(pvmgaps pvmgaps32 singlestep debugregs amdmsrs "${hostile_cases[@]}")
# Cases whose guest polls RAM a device writes from the I/O thread: under
# --lockstep the two runs of a block may read it before and after the
# device's write, which lockstep would call a divergence of dbt.
device_dma=(hostile_virtq hostile_virtio_blk)
lockstep_reason="polls RAM the I/O thread writes, so the two runs of a lockstep block may see different bytes"

passed=0
failed=0
skipped=0

# --- the part that runs inside the pseudo-terminal -------------------------

# Started by `script` (see run_tty) with the pseudo-terminal as stdin, stdout
# and stderr. Records `stty -g` before and after Ringvisor ran; Ringvisor
# reads the terminal (it may switch it to raw mode) and writes to it.
tty_inner() {
	local dir=$RV_TTY_DIR pid status i

	stty -g >"$dir/before" 2>"$dir/error" || return
	if [[ $RV_TTY_MODE == signal ]]; then
		"$RV_TTY_BIN" run --engine "$RV_TTY_ENGINE" "${run_args[@]}" "$RV_TTY_GUEST" \
			</dev/tty 2>"$dir/stderr" &
		pid=$!
		sleep 1
		kill -TERM "$pid" 2>/dev/null
		for ((i = 0; i < 50; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 "$pid" 2>/dev/null; then
			kill -KILL "$pid" 2>/dev/null
			echo "still running 5 s after SIGTERM" >"$dir/error"
		fi
		wait "$pid"
		status=$?
	else
		# --foreground: stay in the terminal's foreground process group,
		# or Ringvisor's tcsetattr would stop it with SIGTTOU.
		timeout --foreground "$RV_TTY_TIMEOUT" "$RV_TTY_BIN" run \
			--engine "$RV_TTY_ENGINE" "${run_args[@]}" "$RV_TTY_GUEST" \
			</dev/tty 2>"$dir/stderr"
		status=$?
	fi
	echo "$status" >"$dir/status"
	stty -g >"$dir/after"
	# Lets `script` finish: it only ends once its input is closed.
	kill "$RV_TTY_FEEDER" 2>/dev/null
}

if [[ ${1:-} == --tty-inner ]]; then
	tty_inner
	exit 0
fi

# --- reporting ---------------------------------------------------------------

report() {
	local verdict=$1 engine=$2 name=$3 detail=${4:-}

	case $verdict in
	PASS) passed=$((passed + 1)) ;;
	FAIL) failed=$((failed + 1)) ;;
	SKIP) skipped=$((skipped + 1)) ;;
	esac
	if [[ -n $detail ]]; then
		echo "$verdict: $engine $name: $detail"
	else
		echo "$verdict: $engine $name"
	fi
}

# Indented lines under a FAIL: a short diff of stdout or the end of stderr.
indent() {
	head -n "$1" | sed 's/^/    /'
}

# A sanitizer report is shown from its first line, the rest from its end.
show_stderr() {
	if [[ -s $1 ]] && grep -qE '^(==[0-9]+==ERROR|.*runtime error:)' "$1"; then
		echo "    stderr (the sanitizer report):"
		grep -m 1 -A 8 -E '^(==[0-9]+==ERROR|.*runtime error:)' "$1" | indent 9
	elif [[ -s $1 ]]; then
		echo "    stderr (last lines):"
		tail -n 5 "$1" | indent 5
	fi
}

# --- one case ------------------------------------------------------------------

guest_file() {
	case $1 in
	hello16 | modes | hostile_realwrap) echo "$guest_dir/$1.bin" ;;
	tty-*) echo "$guest_dir/${1#tty-}.elf" ;;
	*) echo "$guest_dir/$1.elf" ;;
	esac
}

expected_status() {
	local name=$1 want

	if ! read -r want <"$expect_dir/$name.status"; then
		return 1
	fi
	echo "$want"
}

timeout_of() {
	if [[ $1 == hostile_* ]]; then
		echo "$hostile_timeout"
	else
		echo "$case_timeout"
	fi
}

# Compares what a run produced with what the case expects; prints the verdict.
judge() {
	local engine=$1 name=$2 status=$3 out=$4 err=$5 want joined problems=()

	want=$(expected_status "$name") || {
		report FAIL "$engine" "$name" "no $expect_dir/$name.status"
		return
	}
	if [[ $status == 124 ]]; then
		problems+=("timed out after $(timeout_of "$name") s (a hang: the watchdog stopped it)")
	elif [[ $status != "$want" ]]; then
		problems+=("exit status $status, expected $want")
	fi
	if ! cmp -s "$expect_dir/$name.stdout" "$out"; then
		problems+=("stdout differs")
	fi
	if [[ -f $err ]] && grep -qE 'Sanitizer|runtime error:' "$err"; then
		problems+=("sanitizer report on stderr")
	fi
	if [[ $name == hammer && -f $err ]] &&
		(($(wc -l <"$err") > 70)); then
		problems+=("$(wc -l <"$err") lines on stderr, at most 70 allowed")
	fi
	if ((${#problems[@]} == 0)); then
		report PASS "$engine" "$name"
		return
	fi
	joined=$(printf '%s; ' "${problems[@]}")
	report FAIL "$engine" "$name" "${joined%; }"
	if ! cmp -s "$expect_dir/$name.stdout" "$out"; then
		diff -a -u --label expected --label actual \
			"$expect_dir/$name.stdout" "$out" | indent 15
	fi
	show_stderr "$err"
}

run_plain() {
	local engine=$1 name=$2 dir=$3 args=() status input=/dev/null

	if [[ -f $expect_dir/$name.args ]]; then
		mapfile -t args <"$expect_dir/$name.args"
	fi
	[[ -f $expect_dir/$name.stdin ]] && input=$expect_dir/$name.stdin
	timeout -k 5 "$(timeout_of "$name")" "$rv" run --engine "$engine" "${run_args[@]}" "${args[@]}" \
		"$(guest_file "$name")" <"$input" >"$dir/stdout" 2>"$dir/stderr"
	status=$?
	judge "$engine" "$name" "$status" "$dir/stdout" "$dir/stderr"
}

# spin never ends by itself: SIGTERM after 1 s must end Ringvisor with
# status 143 within 5 s.
run_signal() {
	local engine=$1 name=$2 dir=$3 pid status i

	"$rv" run --engine "$engine" "${run_args[@]}" "$(guest_file "$name")" \
		</dev/null >"$dir/stdout" 2>"$dir/stderr" &
	pid=$!
	sleep 1
	kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < 50; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		report FAIL "$engine" "$name" "still running 5 s after SIGTERM"
		return
	fi
	wait "$pid"
	status=$?
	judge "$engine" "$name" "$status" "$dir/stdout" "$dir/stderr"
}

# Why no pseudo-terminal can be had, or nothing if one can.
pty_problem() {
	local err

	if ! command -v script >/dev/null; then
		echo "no pseudo-terminal: script (util-linux) is not installed"
		return
	fi
	if ! err=$(SHELL=/bin/sh script -qec true /dev/null </dev/null 2>&1 >/dev/null); then
		echo "no pseudo-terminal: ${err:-script failed}"
	fi
}

# Runs the guest under a pseudo-terminal (util-linux `script`), stopped by
# SIGTERM (spin) or ending by itself (triplefault), and checks that the
# terminal settings afterwards equal those before.
run_tty() {
	local engine=$1 name=$2 dir=$3 guest=${2#tty-} mode=wait feed feeder
	local want status before after

	[[ $guest == spin ]] && mode=signal
	# `script` reads its input until EOF and would pass an EOF on to the
	# terminal at once; an idle pipe keeps it quiet until tty_inner is done.
	exec {feed}< <(exec sleep $((case_timeout + 30)))
	feeder=$!
	RV_TTY_DIR=$dir RV_TTY_MODE=$mode RV_TTY_BIN=$rv RV_TTY_ENGINE=$engine \
		RV_TTY_GUEST=$(guest_file "$name") RV_TTY_TIMEOUT=$case_timeout \
		RV_TTY_FEEDER=$feeder SHELL=/bin/sh \
		timeout $((case_timeout + 20)) script -qec \
		"bash $(printf '%q' "$self") --tty-inner" /dev/null \
		<&"$feed" >"$dir/typescript" 2>"$dir/script-stderr"
	exec {feed}<&-
	kill "$feeder" 2>/dev/null

	if [[ ! -s $dir/status ]]; then
		report FAIL "$engine" "$name" \
			"did not finish under the pseudo-terminal$(
				[[ -s $dir/error ]] && echo ": $(head -n 1 "$dir/error")")"
		show_stderr "$dir/stderr"
		return
	fi
	want=$(expected_status "$guest")
	read -r status <"$dir/status"
	before=$(cat "$dir/before")
	after=$(cat "$dir/after")
	if [[ -s $dir/error ]]; then
		report FAIL "$engine" "$name" "$(head -n 1 "$dir/error")"
	elif [[ $status == 124 && $mode == wait ]]; then
		report FAIL "$engine" "$name" "timed out after ${case_timeout} s"
	elif [[ $status != "$want" ]]; then
		report FAIL "$engine" "$name" "exit status $status, expected $want"
		show_stderr "$dir/stderr"
	elif [[ $before != "$after" ]]; then
		report FAIL "$engine" "$name" \
			"terminal not restored: stty -g was $before, is $after"
	else
		report PASS "$engine" "$name"
	fi
}

run_case() {
	local engine=$1 name=$2 dir=$3 guest

	guest=$(guest_file "$name")
	if [[ ! -f $guest ]]; then
		report FAIL "$engine" "$name" "missing $guest (run make)"
		return
	fi
	case $name in
	tty-*)
		if [[ -n $pty_reason ]]; then
			report SKIP "$engine" "$name" "$pty_reason"
		else
			run_tty "$engine" "$name" "$dir"
		fi
		;;
	spin) run_signal "$engine" "$name" "$dir" ;;
	*) run_plain "$engine" "$name" "$dir" ;;
	esac
}

# --- engines -----------------------------------------------------------------

main() {
	local cases=("$@") tmp engine name reason hw_kvm_reason=""

	((${#cases[@]})) || cases=("${all_cases[@]}")
	if [[ " ${cases[*]} " == *" hostile "* ]]; then
		local expanded=() c
		for c in "${cases[@]}"; do
			if [[ $c == hostile ]]; then
				expanded+=("${hostile_cases[@]}")
			else
				expanded+=("$c")
			fi
		done
		cases=("${expanded[@]}")
	fi
	cd "$root" || exit 2
	tmp=$(mktemp -d) || exit 2
	# shellcheck disable=SC2064 # expand $tmp now
	trap "rm -rf '$tmp'" EXIT
	pty_reason=$(pty_problem)
	[[ -x $rv ]] && hw_kvm_reason=$(hw_kvm_problem "$rv")

	for engine in $engines; do
		reason=""
		if [[ ! -x $rv ]]; then
			reason="no ringvisor at $rv (run make)"
		else
			reason=$(engine_problem "$rv" "$engine")
		fi
		for name in "${cases[@]}"; do
			if [[ ! " ${all_cases[*]} " == *" $name "* ]]; then
				report FAIL "$engine" "$name" "no such case"
			elif [[ ! -x $rv ]]; then
				report FAIL "$engine" "$name" "$reason"
			elif [[ -n $reason ]]; then
				report SKIP "$engine" "$name" "$reason"
			elif [[ $engine == kvm && -n $hw_kvm_reason &&
				" ${needs_hw_kvm[*]} " == *" $name "* ]]; then
				report SKIP "$engine" "$name" "$hw_kvm_reason"
			elif [[ " ${run_args[*]} " == *" --lockstep "* && " ${device_dma[*]} " == *" $name "* ]]; then
				report SKIP "$engine" "$name" "$lockstep_reason"
			else
				mkdir -p "$tmp/$engine-$name"
				run_case "$engine" "$name" "$tmp/$engine-$name"
			fi
		done
	done

	echo "$passed passed, $failed failed, $skipped skipped"
	((failed == 0))
}

main "$@"
