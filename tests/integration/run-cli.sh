#!/usr/bin/env bash
# Command-line behaviour of `ringvisor`: every configuration error is one line on
# stderr and exit status 2; --help/--version exit 0; --stats and --trace report
# the exits a guest makes (expected counts derived by hand from guests/hello.S).
set -u
RV=${RINGVISOR:-build/ringvisor}
G=${GUESTS_DIR:-build/guests}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0 skipped=0
RUN=("$RV") # how expect_config_error starts ringvisor

pass() { echo "PASS: cli $1"; passed=$((passed + 1)); }
fail() { echo "FAIL: cli $1: $2"; failed=$((failed + 1)); }
skip() { echo "SKIP: cli $1: $2"; skipped=$((skipped + 1)); }

# expect_config_error NAME PATTERN ARGS...: status 2, exactly one stderr line,
# starting "ringvisor: error:" and matching PATTERN (grep -E), nothing on stdout.
expect_config_error() {
	local name=$1 pattern=$2
	shift 2
	"${RUN[@]}" "$@" </dev/null >"$tmp/out" 2>"$tmp/err"
	local status=$? lines
	lines=$(wc -l <"$tmp/err")
	if [ "$status" -ne 2 ]; then
		fail "$name" "status $status, expected 2 (stderr: $(head -c 300 "$tmp/err"))"
	elif [ "$lines" -ne 1 ]; then
		fail "$name" "$lines lines on stderr, expected 1: $(head -c 300 "$tmp/err")"
	elif ! grep -qE "^ringvisor: error: .*$pattern" "$tmp/err"; then
		fail "$name" "stderr does not match '$pattern': $(cat "$tmp/err")"
	elif [ -s "$tmp/out" ]; then
		fail "$name" "unexpected stdout: $(head -c 200 "$tmp/out")"
	else
		pass "$name"
	fi
}

# --- no engine needed ---------------------------------------------------------
if "$RV" --version >"$tmp/out" 2>&1 && grep -qE '^ringvisor [0-9]+\.[0-9]+\.[0-9]+$' "$tmp/out"; then
	pass "--version"
else
	fail "--version" "$(cat "$tmp/out")"
fi
if "$RV" --help >"$tmp/out" 2>&1 && grep -q 'run' "$tmp/out"; then pass "--help"; else fail "--help" "$(cat "$tmp/out")"; fi
if "$RV" run --help >"$tmp/out" 2>&1 && grep -q -- '--engine' "$tmp/out"; then
	pass "run --help"
else
	fail "run --help" "$(cat "$tmp/out")"
fi
"$RV" >/dev/null 2>&1
status=$?
if [ $status -eq 2 ]; then pass "no command exits 2"; else fail "no command exits 2" "status $status"; fi

expect_config_error "unknown command" "unknown command 'frobnicate'" frobnicate
expect_config_error "unknown option" "unknown option '--bogus'" run --bogus "$G/hello.elf"
expect_config_error "option without its value" "needs a value" run "$G/hello.elf" --mem
expect_config_error "no kernel" "no kernel given" run
expect_config_error "two kernels" "unexpected argument" run "$G/hello.elf" "$G/hello.elf"
expect_config_error "mem not a size" "--mem: 'lots'" run --mem lots "$G/hello.elf"
expect_config_error "mem suffix unknown" "--mem: '12Q'" run --mem 12Q "$G/hello.elf"
expect_config_error "unknown engine" "unknown engine 'vmware'" run --engine vmware "$G/hello.elf"
expect_config_error "dbt not yet" "engine dbt is not available yet" run --engine dbt "$G/hello.elf"
expect_config_error "unknown format" "unknown format 'pe'" run --format pe "$G/hello.elf"
expect_config_error "load-addr not a number" "--load-addr: 'here'" run --load-addr here "$G/hello.elf"
long=$(head -c 3000 /dev/zero | tr '\0' a)
expect_config_error "append too long" "longer than 2047 bytes" run --append "$long" "$G/hello.elf"

# /dev/kvm that the user may not open: drop to an unprivileged user, as a
# developer without the kvm group would be.
if [ "$(id -u)" -ne 0 ] || ! command -v setpriv >/dev/null; then
	skip "kvm permission denied" "needs root and setpriv to become an unprivileged user"
elif [ ! -e /dev/kvm ]; then
	expect_config_error "kvm missing" "engine kvm cannot run on this host: /dev/kvm: No such file or directory" \
		run --engine kvm "$G/hello.elf"
else
	cp "$RV" "$tmp/rv" && cp "$G/hello.elf" "$tmp/hello.elf" && chmod 755 "$tmp" "$tmp/rv"
	RUN=(setpriv --reuid=65534 --regid=65534 --clear-groups "$tmp/rv")
	expect_config_error "kvm permission denied" \
		"engine kvm cannot run on this host: /dev/kvm: Permission denied" run --engine kvm "$tmp/hello.elf"
	RUN=("$RV")
fi

# --- kernel and size errors: found while building the VM, after an engine is chosen
engine_line=$("$RV" engines | awk '$2 == "available" { print $1; exit }')
if [ -z "$engine_line" ]; then
	skip "kernel errors" "no engine available on this host ($("$RV" engines | tr '\n' ';'))"
else
	E=(run --engine "$engine_line")
	expect_config_error "missing kernel" "$tmp/nope.elf: No such file or directory" "${E[@]}" "$tmp/nope.elf"
	expect_config_error "kernel is a directory" "not a regular file" "${E[@]}" "$tmp"
	head -c 40 "$G/hello.elf" >"$tmp/trunc.elf"
	expect_config_error "truncated ELF header" "truncated ELF header" "${E[@]}" "$tmp/trunc.elf"
	head -c 100 "$G/hello.elf" >"$tmp/trunc2.elf"
	expect_config_error "truncated ELF segments" "truncated" "${E[@]}" "$tmp/trunc2.elf"
	echo "just some text, not a kernel" >"$tmp/text"
	expect_config_error "unrecognised kernel" "not a kernel ringvisor can load" "${E[@]}" "$tmp/text"
	: >"$tmp/empty"
	expect_config_error "empty flat binary" "empty file" "${E[@]}" --format flat "$tmp/empty"
	head -c 8192 /dev/zero >"$tmp/flat.bin"
	expect_config_error "flat above 1 MiB" "below 1 MiB" "${E[@]}" --format flat --load-addr 0xff000 "$tmp/flat.bin"
	expect_config_error "mem too small" "out of range" "${E[@]}" --mem 1M "$G/hello.elf"
	expect_config_error "mem too large" "out of range" "${E[@]}" --mem 2T "$G/hello.elf"
	expect_config_error "mem not page multiple" "out of range" "${E[@]}" --mem 1000001B "$G/hello.elf"
	expect_config_error "initrd with plain ELF" "no --initrd" "${E[@]}" --initrd "$tmp/text" "$G/hello.elf"
	expect_config_error "missing initrd" "$tmp/none.img: No such file" "${E[@]}" --initrd "$tmp/none.img" \
		"$G/multiboot.elf"
	expect_config_error "load-addr with ELF" "only to --format flat" "${E[@]}" --load-addr 0x8000 "$G/hello.elf"
	head -c $((3 << 20)) /dev/zero >"$tmp/big.img"
	expect_config_error "initrd larger than RAM" "does not fit in guest RAM" "${E[@]}" --mem 2M \
		--initrd "$tmp/big.img" "$G/multiboot.elf"
fi

# --- --stats and --trace on the kvm engine ------------------------------------
kvm=$("$RV" engines | awk '$1 == "kvm" { $1 = ""; print substr($0, 2) }')
if [ "$kvm" != "available" ]; then
	skip "--stats" "kvm engine $kvm"
	skip "--trace" "kvm engine $kvm"
else
	# hello.S: per character one IN of LSR (THRE is always set) and one OUT of the
	# byte; 30 characters, then HLT with IF=0.
	"$RV" run --engine kvm --stats "$G/hello.elf" </dev/null >"$tmp/out" 2>"$tmp/err"
	status=$?
	if [ $status -eq 0 ] && grep -qE '^port-io +60 ' "$tmp/err" && grep -qE '^hlt +1 ' "$tmp/err" &&
		grep -qE '^all exits +61 ' "$tmp/err" && grep -qE '^wall time ' "$tmp/err"; then
		pass "--stats"
	else
		fail "--stats" "status $status; $(cat "$tmp/err")"
	fi
	"$RV" run --engine kvm --trace "$G/hello.elf" </dev/null >"$tmp/out" 2>"$tmp/err"
	outs=$(grep -c 'trace: vcpu0 .* port-io out port=0x3f8' "$tmp/err")
	ins=$(grep -c 'trace: vcpu0 .* port-io in port=0x3fd' "$tmp/err")
	hlts=$(grep -c 'trace: vcpu0 .* hlt if=0' "$tmp/err")
	if [ "$outs" -eq 30 ] && [ "$ins" -eq 30 ] && [ "$hlts" -eq 1 ] &&
		grep -q 'port=0x3f8 size=1 count=1 data=0x48' "$tmp/err"; then
		pass "--trace"
	else
		fail "--trace" "outs=$outs ins=$ins hlts=$hlts"
	fi
fi

# --trace on the interpreter names the exiting instruction, disassembled by Zydis:
# hello.S sends its 30 bytes with `out %al, %dx` (Intel syntax: out dx, al).
"$RV" run --engine interp --trace "$G/hello.elf" </dev/null >"$tmp/out" 2>"$tmp/err"
outs=$(grep -c 'port-io out port=0x3f8 size=1 count=1 data=0x[0-9a-f]* insn="out dx, al"' "$tmp/err")
if [ "$outs" -eq 30 ]; then
	pass "--trace on interp disassembles"
else
	fail "--trace on interp disassembles" "$outs matching lines: $(head -3 "$tmp/err")"
fi

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
