#!/usr/bin/env bash
# Command-line behaviour of `ringvisor`: every configuration error is one line on
# stderr and exit status 2; --help/--version exit 0; --stats and --trace report
# the exits a guest makes on every engine of tests/engines.sh (expected counts
# derived by hand from guests/hello.S); --engine auto chooses what `ringvisor
# engines` says it would, for the reasons it gives, and they fit the host.
set -u
# shellcheck source=tests/engines.sh
. "$(dirname "${BASH_SOURCE[0]}")/../engines.sh"
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

# expect_hello_with ARGS: the hello guest, run with the switches ARGS (split
# on spaces), prints its line alone and ends with status 0, nothing on stderr.
expect_hello_with() {
	local out status
	# shellcheck disable=SC2086 # the switches are meant to split
	out=$("$RV" "${E[@]}" $1 "$G/hello.elf" </dev/null 2>"$tmp/err")
	status=$?
	if [ "$status" -eq 0 ] && [ "$out" = "Hello from a Ringvisor guest!" ] && [ ! -s "$tmp/err" ]; then
		pass "run $1"
	else
		fail "run $1" "status $status, stdout '$out', stderr $(head -c 200 "$tmp/err")"
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
expect_config_error "dbt cache size zero" "--dbt-cache-size: '0' is not a whole number of MiB from 1 to 1024" run --dbt-cache-size 0 "$G/hello.elf"
expect_config_error "dbt cache size too big" "--dbt-cache-size: '1025'" run --dbt-cache-size 1025 "$G/hello.elf"
expect_config_error "dbt cache size 2G too big" "--dbt-cache-size: '2G'" run --dbt-cache-size 2G "$G/hello.elf"
expect_config_error "dbt cache size not whole MiB" "--dbt-cache-size: '1536K'" run --dbt-cache-size 1536K "$G/hello.elf"
expect_config_error "dbt cache size not a number" "--dbt-cache-size: 'lots'" run --dbt-cache-size lots "$G/hello.elf"
expect_config_error "lockstep against kvm" "--lockstep: 'kvm' is not a reference engine \\(interp\\)" run --engine dbt --lockstep kvm "$G/hello.elf"
expect_config_error "lockstep without dbt" "--lockstep checks the dbt engine: give --engine dbt \\(not interp\\)" run --engine interp --lockstep interp "$G/hello.elf"
expect_config_error "perfmap without dbt" "--perfmap names dbt's translated code: give --engine dbt \\(not interp\\)" run --engine interp --perfmap "$G/hello.elf"
expect_config_error "unknown cpu model" "--cpu: unknown CPU model 'bogus' \\(baseline, v2, v3, max or host\\)" run --cpu bogus "$G/hello.elf"
# The software engines run every model but host's pass-through by KVM; a model
# an engine cannot provide is refused before the kernel is looked at (the kernel
# named here does not exist).
expect_config_error "cpu host on interp" "--cpu host: the interp engine cannot provide it: " \
	run --cpu host --engine interp "$tmp/nope.elf"
expect_config_error "cpu host on dbt" "--cpu host: the dbt engine cannot provide it: " \
	run --cpu host --engine dbt "$tmp/nope.elf"
expect_config_error "unknown format" "unknown format 'pe'" run --format pe "$G/hello.elf"
expect_config_error "load-addr not a number" "--load-addr: 'here'" run --load-addr here "$G/hello.elf"
expect_config_error "flag given a value" "option '--stats' takes no value" run --stats=1 "$G/hello.elf"
expect_config_error "--rng given a value" "option '--rng' takes no value" run --rng=on "$G/hello.elf"
expect_config_error "--no-rng given a value" "option '--no-rng' takes no value" run --no-rng=yes "$G/hello.elf"
long=$(head -c 3000 /dev/zero | tr '\0' a)
expect_config_error "append too long" "longer than 2047 bytes" run --append "$long" "$G/hello.elf"
expect_config_error "--api-sock empty" "--api-sock: empty path" run --api-sock "" "$G/hello.elf"
# Found after the VM is built, before it runs; the test guest never starts.
expect_config_error "--api-sock in a missing directory" "--api-sock: cannot create $tmp/none/sock" \
	run --api-sock "$tmp/none/sock" "$G/hello.elf"
# run --incoming (docs/migration.md): its address checked first, and no
# kernel nor an option that shapes the machine, which comes from the source.
expect_config_error "--incoming not tcp" "--incoming: 'unix:/tmp/x' is not tcp:HOST:PORT" run --incoming unix:/tmp/x
expect_config_error "--incoming port out of range" "--incoming: 'tcp:127.0.0.1:70000': the port is not a number" \
	run --incoming tcp:127.0.0.1:70000
expect_config_error "--incoming without a port" "is not tcp:HOST:PORT" run --incoming tcp:127.0.0.1
expect_config_error "--incoming with a kernel" "--incoming takes no kernel \('$G/hello.elf'\)" \
	run --incoming tcp:127.0.0.1:4444 "$G/hello.elf"
expect_config_error "--incoming with --mem" "--mem cannot be given with --incoming" \
	run --mem 64M --incoming tcp:127.0.0.1:4444
expect_config_error "--incoming with --append" "--append cannot be given with --incoming" \
	run --incoming tcp:127.0.0.1:4444 --append x
expect_config_error "--incoming given to restore" "--incoming cannot be given to restore" \
	restore "$tmp" --incoming tcp:127.0.0.1:4444
expect_config_error "--incoming with an --api-sock it could not create" "--api-sock: cannot create $tmp/none/sock" \
	run --incoming tcp:127.0.0.1:4444 --api-sock "$tmp/none/sock"
expect_config_error "--incoming on an address not this host's" "--incoming: cannot listen on 192.0.2.1:4444" \
	run --incoming tcp:192.0.2.1:4444
expect_config_error "ctl without a socket" "ringvisor ctl SOCKET COMMAND" ctl
expect_config_error "ctl unknown command" "ctl: unknown command 'reboot'" ctl "$tmp/sock" reboot
expect_config_error "ctl snapshot without a directory" "ctl snapshot takes DIR" ctl "$tmp/sock" snapshot
expect_config_error "ctl to nothing" "$tmp/sock: No such file or directory" ctl "$tmp/sock" status
expect_config_error "ctl --timeout not a number" "--timeout: 'soon'" ctl --timeout soon "$tmp/sock" status
if "$RV" ctl --help >"$tmp/out" 2>&1 && grep -q 'snapshot DIR' "$tmp/out"; then
	pass "ctl --help"
else
	fail "ctl --help" "$(cat "$tmp/out")"
fi

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

# --- CPU models per engine, as `ringvisor engines` lists them -------------------
# "cpu ENGINE: MODEL... (not MODEL: WHY; ...)" for each available engine: each
# model listed must run the hello guest there, each other one must be refused
# with the reason given; "cpu default: MODEL" must be one every available
# engine lists (the highest level they share).
"$RV" engines >"$tmp/engines" 2>&1
default_model=$(sed -n 's/^cpu default: //p' "$tmp/engines")
for engine in $ENGINES; do
	line=$(grep -m 1 "^cpu $engine: " "$tmp/engines")
	if [ -z "$line" ]; then
		skip "cpu models on $engine" "$(engine_problem "$RV" "$engine")"
		continue
	fi
	provided=$(sed -e "s/^cpu $engine: //" -e 's/ (.*//' <<<"$line")
	case " $provided " in
	*" $default_model "*) pass "cpu default $default_model is provided by $engine" ;;
	*) fail "cpu default $default_model is provided by $engine" "$line" ;;
	esac
	for model in baseline v2 v3 max host; do
		case " $provided " in
		*" $model "*)
			E=(run)
			expect_hello_with "--engine $engine --cpu $model"
			;;
		*)
			# The second sed's $ is a character to escape, not an expansion.
			# shellcheck disable=SC2016
			why=$(sed -n "s/.*not $model: \([^;)]*\).*/\1/p" <<<"$line" | sed 's/[][\.*^$()+?{}|]/\\&/g')
			expect_config_error "cpu $model refused on $engine" "--cpu $model: the $engine engine cannot provide it: $why\$" \
				run --engine "$engine" --cpu "$model" "$G/hello.elf"
			;;
		esac
	done
done
if [ "$default_model" != baseline ] && [ "$default_model" != v2 ] && [ "$default_model" != v3 ]; then
	fail "cpu default is a level" "'$default_model'"
fi

# --- kernel and size errors: found while building the VM, after an engine is chosen
engine_line=$("$RV" engines | awk '$2 == "available" { print $1; exit }')
if [ -z "$engine_line" ]; then
	skip "kernel errors" "no engine available on this host ($("$RV" engines | tr '\n' ';'))"
else
	E=(run --engine "$engine_line")
	expect_config_error "missing kernel" "$tmp/nope.elf: No such file or directory" "${E[@]}" "$tmp/nope.elf"
	expect_config_error "kernel is a directory" "$tmp: a directory, not a regular file" "${E[@]}" "$tmp"
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
	# Huge and special files are refused by fstat before anything is read,
	# at once: under a timeout, so that a hang fails (status 124) instead of
	# stalling the suite. A 6 GiB sparse file costs no disk.
	RUN=(timeout 10 "$RV")
	truncate -s 6G "$tmp/huge6g"
	expect_config_error "6 GiB sparse kernel" \
		"$tmp/huge6g: 6442450944 bytes, more than the guest's RAM \(268435456 bytes; see --mem\)" \
		"${E[@]}" "$tmp/huge6g"
	expect_config_error "6 GiB sparse Multiboot module" "$tmp/huge6g: the module \(6442450944 bytes\) does not fit" \
		"${E[@]}" --initrd "$tmp/huge6g" "$G/multiboot.elf"
	mkfifo "$tmp/fifo"
	expect_config_error "FIFO as kernel" "$tmp/fifo: a FIFO, not a regular file" "${E[@]}" "$tmp/fifo"
	expect_config_error "FIFO as Multiboot module" "--initrd $tmp/fifo: a FIFO, not a regular file" \
		"${E[@]}" --initrd "$tmp/fifo" "$G/multiboot.elf"
	expect_config_error "device as kernel" "/dev/zero: a device, not a regular file" "${E[@]}" /dev/zero
	# --disk FILE[,ro]: the image is opened and checked before the VM starts.
	head -c 4096 /dev/zero >"$tmp/disk.img"
	head -c 1000 /dev/zero >"$tmp/odd.img"
	expect_config_error "missing disk image" "--disk $tmp/nodisk.img: No such file or directory" \
		"${E[@]}" --disk "$tmp/nodisk.img" "$G/hello.elf"
	expect_config_error "disk is a directory" "--disk $tmp: not a regular file" "${E[@]}" --disk "$tmp,ro" \
		"$G/hello.elf"
	expect_config_error "disk not whole sectors" "--disk $tmp/odd.img: size 1000 is not a multiple of 512" \
		"${E[@]}" --disk "$tmp/odd.img" "$G/hello.elf"
	expect_config_error "disk FIFO" "--disk $tmp/fifo: not a regular file" "${E[@]}" --disk "$tmp/fifo,ro" \
		"$G/hello.elf"
	# An image the user may not read: root reads anything, so as root the
	# check runs as nobody (setpriv), from a directory nobody may enter.
	pub=$(mktemp -d)
	chmod 755 "$pub"
	head -c 4096 /dev/zero >"$pub/unreadable.img"
	chmod 000 "$pub/unreadable.img"
	if [ "$(id -u)" -ne 0 ]; then
		expect_config_error "unreadable disk" "--disk $pub/unreadable.img: Permission denied" \
			"${E[@]}" --disk "$pub/unreadable.img" "$G/hello.elf"
	elif command -v setpriv >/dev/null; then
		cp "$RV" "$pub/rv" && cp "$G/hello.elf" "$pub/hello.elf"
		RUN=(setpriv --reuid=65534 --regid=65534 --clear-groups "$pub/rv")
		# interp: nobody may not open /dev/kvm.
		expect_config_error "unreadable disk (as nobody)" "--disk $pub/unreadable.img: Permission denied" \
			run --engine interp --disk "$pub/unreadable.img" "$pub/hello.elf"
		RUN=("$RV")
	else
		skip "unreadable disk" "running as root without setpriv (util-linux): root reads any file"
	fi
	rm -rf "$pub"
	expect_config_error "disk unknown suboption" "--disk: unknown suboption 'cache=none'" \
		"${E[@]}" --disk "$tmp/disk.img,cache=none" "$G/hello.elf"
	expect_config_error "disk without a file name" "--disk: no file name" "${E[@]}" --disk ",ro" "$G/hello.elf"
	expect_config_error "same disk twice" "--disk $tmp/disk.img: in use by another process" \
		"${E[@]}" --disk "$tmp/disk.img" --disk "$tmp/disk.img" "$G/hello.elf"
	nine=()
	for _ in 1 2 3 4 5 6 7 8 9; do nine+=(--disk "$tmp/disk.img,ro"); done
	expect_config_error "nine disks" "--disk: more than 8 disks" "${E[@]}" "${nine[@]}" "$G/hello.elf"
	RUN=("$RV")
	# The virtio-rng switches are accepted in any order (the last wins); the
	# guest runs as without them. What the guest sees of the device is
	# linux-boot.sh's and test_vm_virtio's to check.
	for args in "--no-rng" "--rng" "--rng --no-rng" "--no-rng --rng"; do
		expect_hello_with "$args"
	done
	# --net and --virtio-console: QEMU's spelling of user networking; a bad
	# one, or a forwarded host port someone else holds, is a configuration
	# error before the guest runs. The guest and what it does with the
	# devices are linux-net.sh's to check.
	expect_config_error "--net bogus" "--net: 'bogus' is not a network" "${E[@]}" --net bogus "$G/hello.elf"
	expect_config_error "--net user,foo=1" "--net user: unknown parameter 'foo=1'" "${E[@]}" --net user,foo=1 \
		"$G/hello.elf"
	for rule in "tcp::0-:22" "icmp::5-:22" "tcp:1.2.3:5-:22" "tcp::5-:70000" "tcp::5" "tcp:5-:22"; do
		expect_config_error "--net user,hostfwd=$rule" "hostfwd '$rule' is not" "${E[@]}" \
			--net "user,hostfwd=$rule" "$G/hello.elf"
	done
	python3 -c "import socket, time
s = socket.socket()
s.bind(('127.0.0.1', 0))
s.listen()
print(s.getsockname()[1], flush=True)
time.sleep(30)" >"$tmp/held" &
	holder=$!
	for _ in $(seq 50); do [ -s "$tmp/held" ] && break; sleep 0.1; done
	held=$(cat "$tmp/held")
	expect_config_error "--net hostfwd to a host port in use" "hostfwd tcp:127.0.0.1:$held: cannot listen there" \
		"${E[@]}" --net "user,hostfwd=tcp:127.0.0.1:$held-:22" "$G/hello.elf"
	kill "$holder"
	wait "$holder" 2>/dev/null
	for args in "--net none" "--net user" "--net user,hostfwd=udp:127.0.0.1:$held-:53,hostfwd=:127.0.0.1:$held-10.0.2.15:22" \
		"--virtio-console" "--virtio-console --no-virtio-console" "--net user --net none"; do
		expect_hello_with "$args"
	done
fi

# --- Linux bzImage errors, against a synthetic bzImage ---------------------------
# mk_bzimage FILE [CMDLINE_SIZE [INIT_SIZE]]: the smallest bzImage the Linux
# loader accepts, so no kernel build is needed. Header fields and offsets from
# Documentation/arch/x86/boot.rst ("The real-mode kernel header"):
#   0x1f1 setup_sects = 1: the protected-mode kernel starts at (1 + 1) * 512 = 0x400
#   0x1f4 syssize = 0x40: that kernel is 0x40 * 16 = 1 KiB, so the file is 2 KiB
#   0x1fe boot_flag 0xaa55; 0x201 jump byte 0x66: the header ends at 0x268
#   0x202 "HdrS"; 0x206 version 2.12, the first with the 64-bit entry
#   0x211 loadflags LOADED_HIGH; 0x22c initrd_addr_max 0x7fffffff
#   0x234 relocatable_kernel 0: loaded at 1 MiB; 0x236 xloadflags XLF_KERNEL_64
#   0x238 cmdline_size (default 255); 0x260 init_size (default 64 KiB)
# The 64-bit entry is the load address + 0x200 (boot.rst, "64-bit Boot
# Protocol"); there the kernel is `mov al, 42; out 0xf4, al; hlt` (b0 2a e6 f4
# f4), so a loaded image exits through the debug-exit port with (42 << 1) | 1 = 85.
mk_bzimage() {
	python3 - "$1" "${2:-255}" "${3:-65536}" <<'EOF'
import struct, sys
path, cmdline_size, init_size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
kernel = bytearray(0x400)
kernel[0x200:0x205] = bytes([0xB0, 0x2A, 0xE6, 0xF4, 0xF4])
setup = bytearray(0x400)
setup[0x1F1] = 1
struct.pack_into("<I", setup, 0x1F4, len(kernel) // 16)
struct.pack_into("<H", setup, 0x1FE, 0xAA55)
setup[0x201] = 0x66
setup[0x202:0x206] = b"HdrS"
struct.pack_into("<H", setup, 0x206, 0x020C)
setup[0x211] = 0x01
struct.pack_into("<I", setup, 0x22C, 0x7FFFFFFF)
struct.pack_into("<H", setup, 0x236, 0x0001)
struct.pack_into("<I", setup, 0x238, cmdline_size)
struct.pack_into("<Q", setup, 0x258, 0x100000)
struct.pack_into("<I", setup, 0x260, init_size)
with open(path, "wb") as f:
    f.write(setup + kernel)
EOF
}

if [ -n "$engine_line" ]; then
	L=(run --engine "$engine_line" --format linux --mem 16M)
	mk_bzimage "$tmp/bz"
	head -c 4096 /dev/zero >"$tmp/small.img"
	cmdline255=$(head -c 255 /dev/zero | tr '\0' c)
	# The control: with a small initrd and a command line of exactly cmdline_size
	# characters (boot.rst: "at most cmdline_size characters") the image loads and
	# its entry code runs. Every case below changes one thing from this.
	"$RV" "${L[@]}" --initrd "$tmp/small.img" --append "$cmdline255" "$tmp/bz" </dev/null >"$tmp/out" 2>"$tmp/err"
	status=$?
	if [ $status -eq 85 ] && [ ! -s "$tmp/err" ]; then
		pass "linux: synthetic bzImage loads and reaches its 64-bit entry"
	else
		fail "linux: synthetic bzImage loads and reaches its 64-bit entry" \
			"status $status, expected 85: $(head -c 300 "$tmp/err")"
	fi
	expect_config_error "linux: ELF file is not a bzImage" \
		"$G/hello.elf: not a Linux bzImage \\(no \"HdrS\" signature" "${L[@]}" "$G/hello.elf"
	expect_config_error "linux: text file is not a bzImage" \
		"$tmp/text: not a Linux bzImage \\(no \"HdrS\" signature" "${L[@]}" "$tmp/text"
	# Without --engine the engine is chosen automatically; its notice must not
	# make the error a second line.
	expect_config_error "linux: error with the engine chosen automatically" "$tmp/text: not a Linux bzImage" \
		run --format linux "$tmp/text"
	# Cuts: inside the header fields (they run to init_size, 0x260/4), inside the
	# setup code (before 0x400), inside the protected-mode kernel (before 0x800).
	head -c $((0x240)) "$tmp/bz" >"$tmp/bz-hdr"
	expect_config_error "linux: cut inside the setup header" "$tmp/bz-hdr: truncated" "${L[@]}" "$tmp/bz-hdr"
	head -c $((0x300)) "$tmp/bz" >"$tmp/bz-setup"
	expect_config_error "linux: cut inside the setup code" "$tmp/bz-setup: truncated" "${L[@]}" "$tmp/bz-setup"
	head -c $((0x400 + 0x200)) "$tmp/bz" >"$tmp/bz-kernel"
	expect_config_error "linux: cut inside the protected-mode kernel" "$tmp/bz-kernel: truncated" \
		"${L[@]}" "$tmp/bz-kernel"
	# 32 MiB = 33554432 bytes into 16 MiB, where the room above the kernel's end
	# (1 MiB + init_size 64 KiB) is 16777216 - 1114112 = 15663104 bytes.
	truncate -s 32M "$tmp/huge.img"
	expect_config_error "linux: initrd larger than guest RAM" \
		"--initrd $tmp/huge.img: 33554432 bytes do not fit in guest RAM: 15663104 bytes are free" \
		"${L[@]}" --initrd "$tmp/huge.img" "$tmp/bz"
	expect_config_error "linux: missing initrd" "--initrd $tmp/none.img: No such file or directory" \
		"${L[@]}" --initrd "$tmp/none.img" "$tmp/bz"
	[ -p "$tmp/fifo" ] || mkfifo "$tmp/fifo"
	RUN=(timeout 10 "$RV")
	expect_config_error "linux: FIFO as initrd" "--initrd $tmp/fifo: a FIFO, not a regular file" \
		"${L[@]}" --initrd "$tmp/fifo" "$tmp/bz"
	RUN=("$RV")
	expect_config_error "linux: command line over cmdline_size" "command line of 256 bytes .* \\(cmdline_size 255\\)" \
		"${L[@]}" --append "${cmdline255}c" "$tmp/bz"
	# init_size 32 MiB at 1 MiB: the kernel needs 33 MiB.
	mk_bzimage "$tmp/bz-big" 255 $((32 << 20))
	expect_config_error "linux: kernel larger than guest RAM" "$tmp/bz-big: the kernel needs 33 MiB" \
		"${L[@]}" "$tmp/bz-big"
fi

# --- --stats and --trace on every engine of the list (tests/engines.sh) --------
# Expected counts derived by hand from guests/hello.S: per character one IN of
# the LSR (THRE is always set, so the wait loop runs once) and one OUT of the
# byte; 30 characters ("Hello from a Ringvisor guest!\n"), then HLT with IF=0.
# So 60 port-io exits, 1 hlt exit, 61 in all. An engine that counts
# instructions executes 2 + 30 * 8 + 2 = 244 of them: lea and mov before the
# loop; per character mov, in, test, jz (not taken), lodsb, mov, out, loop;
# then cli and hlt.
msg="Hello from a Ringvisor guest!"
for engine in $ENGINES; do
	why=$(engine_problem "$RV" "$engine")
	if [ -n "$why" ]; then
		skip "--stats on $engine" "$why"
		skip "--trace on $engine" "$why"
		continue
	fi
	"$RV" run --engine "$engine" --stats "$G/hello.elf" </dev/null >"$tmp/out" 2>"$tmp/err"
	status=$?
	insns=$(awk '$1 == "instructions" { print $2 }' "$tmp/err")
	if [ $status -eq 0 ] && grep -qE '^port-io +60 ' "$tmp/err" && grep -qE '^hlt +1 ' "$tmp/err" &&
		grep -qE '^all exits +61 ' "$tmp/err" && grep -qE '^wall time ' "$tmp/err" &&
		{ [ -z "$insns" ] || [ "$insns" -eq 244 ]; }; then
		pass "--stats on $engine"
	else
		fail "--stats on $engine" "status $status; $(cat "$tmp/err")"
	fi
	"$RV" run --engine "$engine" --trace "$G/hello.elf" </dev/null >"$tmp/out" 2>"$tmp/err"
	outs=$(grep -c 'trace: vcpu0 .* port-io out port=0x3f8 size=1 count=1 data=' "$tmp/err")
	ins=$(grep -c 'trace: vcpu0 .* port-io in port=0x3fd' "$tmp/err")
	hlts=$(grep -c 'trace: vcpu0 .* hlt if=0' "$tmp/err")
	# The bytes the OUTs carry, in order, spell the message.
	sent=$(sed -n 's/.*port-io out port=0x3f8 size=1 count=1 data=0x\([0-9a-f]*\).*/\1/p' "$tmp/err" |
		while read -r hex; do printf '%b' "\\x$hex"; done)
	if [ "$outs" -eq 30 ] && [ "$ins" -eq 30 ] && [ "$hlts" -eq 1 ] && [ "$sent" = "$msg" ]; then
		pass "--trace on $engine"
	else
		fail "--trace on $engine" "outs=$outs ins=$ins hlts=$hlts sent '$sent'"
	fi
done

# --trace on the interpreter names the exiting instruction, disassembled by Zydis:
# hello.S sends its 30 bytes with `out %al, %dx` (Intel syntax: out dx, al).
"$RV" run --engine interp --trace "$G/hello.elf" </dev/null >"$tmp/out" 2>"$tmp/err"
outs=$(grep -c 'port-io out port=0x3f8 size=1 count=1 data=0x[0-9a-f]* insn="out dx, al"' "$tmp/err")
if [ "$outs" -eq 30 ]; then
	pass "--trace on interp disassembles"
else
	fail "--trace on interp disassembles" "$outs matching lines: $(head -3 "$tmp/err")"
fi

# --- --engine auto -------------------------------------------------------------
# `ringvisor engines` ends with what --engine auto would choose and why it
# passed over the engines before it ("auto: NAME (passed over NAME: WHY; ...)");
# `run --engine auto` must choose the same and give the same reasons, in its one
# notice line.
"$RV" engines >"$tmp/engines" 2>&1
auto=$(sed -n '$s/^auto: //p' "$tmp/engines")
want=${auto%% *}
over=$(sed -n 's/^[^ ]* (passed over \(.*\))$/\1/p' <<<"$auto")
if [ -z "$auto" ] || ! grep -qE '^[a-z0-9]+( \(passed over .+\))?$' <<<"$auto"; then
	fail "engines ends with the auto choice" "last line: $(tail -n 1 "$tmp/engines")"
elif [ "$want" != none ] && ! grep -qx "$want available" "$tmp/engines"; then
	fail "engines ends with the auto choice" "auto chooses $want, which is not listed available"
else
	pass "engines ends with the auto choice ($want)"
fi
if [ -n "$over" ]; then notice="ringvisor: using the $want engine (passed over $over)"; else notice="ringvisor: using the $want engine"; fi
"$RV" run --engine auto "$G/hello.elf" </dev/null >"$tmp/out" 2>"$tmp/err"
status=$?
if [ $status -eq 0 ] && [ "$(cat "$tmp/err")" = "$notice" ] && grep -q "$msg" "$tmp/out"; then
	pass "--engine auto chooses $want as engines says, with the same reasons"
else
	fail "--engine auto chooses $want as engines says" \
		"status $status, stderr: $(head -c 300 "$tmp/err"); expected: $notice"
fi
# The reason for passing over kvm must be the host's: probe facts, not modules.
# /dev/kvm must exist and open for reading and writing; KVM runs guest kernels
# in hardware only with VT-x or AMD-V (the CPU's vmx or svm flag), and the
# nested PVM /dev/kvm runs on a CPU without them. Where the CPU has them and
# /dev/kvm is usable, auto chooses kvm, unless that /dev/kvm is still the PVM
# one (which ringvisor must then name).
kvm_why=$(tr ';' '\n' <<<"$over" | sed -n 's/^ *kvm: //p')
if [ ! -e /dev/kvm ]; then
	host="no /dev/kvm"
	[ "$want" != kvm ] && [ "$kvm_why" = "/dev/kvm: No such file or directory" ]
elif ! open_err=$( (exec 3<>/dev/kvm) 2>&1); then
	host="/dev/kvm does not open: ${open_err##*/dev/kvm: }"
	[ "$want" != kvm ] && [ "$kvm_why" = "/dev/kvm: ${open_err##*/dev/kvm: }" ]
elif ! grep -qx 'kvm available' "$tmp/engines"; then
	# It opens, but lacks what the engine needs: the same reason as in the list.
	host="/dev/kvm opens, the kvm engine's probe refuses it"
	[ "$want" != kvm ] && grep -qxF "kvm unavailable: $kvm_why" "$tmp/engines"
elif ! grep -E '^flags' /proc/cpuinfo | grep -qwE 'vmx|svm'; then
	host="usable /dev/kvm, CPU without VT-x/AMD-V"
	[ "$want" != kvm ] && grep -qE 'PVM|no VT-x or AMD-V' <<<"$kvm_why"
else
	host="usable /dev/kvm, CPU with VT-x/AMD-V"
	[ "$want" = kvm ] || grep -q 'PVM' <<<"$kvm_why"
fi
status=$?
if [ $status -eq 0 ]; then
	pass "--engine auto's choice fits the host ($host)"
else
	fail "--engine auto's choice fits the host ($host)" "auto: $auto"
fi

# --- lockstep: a deliberate translation bug is caught at its instruction -------
# With RINGVISOR_DBT_INJECT_BUG, dbt copies ADC r/m, imm8 as ADD (translate.h).
# guests/lockstep runs one at the label lockstep_adc with CF set: plainly the
# bug shows as a wrong sum (status 3); under --lockstep interp the run must
# stop with status 6 and name that instruction as the first divergent one,
# with RAX one less on dbt than on interp (6 after the first round, SDM ADC:
# 0 + 5 + CF).
if problem=$(engine_problem "$RV" dbt) && [ -n "$problem" ]; then
	skip "lockstep catches an injected bug" "$problem"
else
	adc=$(nm "$G/lockstep.elf" | awk '$3 == "lockstep_adc" { print $1 }')
	adc=$(printf '%#x' "0x$adc")
	RINGVISOR_DBT_INJECT_BUG=1 "$RV" run --engine dbt "$G/lockstep.elf" </dev/null >"$tmp/out" 2>"$tmp/err"
	plain=$?
	RINGVISOR_DBT_INJECT_BUG=1 "$RV" run --engine dbt --lockstep interp "$G/lockstep.elf" \
		</dev/null >"$tmp/out" 2>"$tmp/err"
	status=$?
	if [ "$plain" -ne 3 ]; then
		fail "lockstep catches an injected bug" "the bug did not show without lockstep (status $plain)"
	elif [ "$status" -ne 6 ]; then
		fail "lockstep catches an injected bug" "status $status, expected 6: $(head -c 400 "$tmp/err")"
	elif ! grep -q "^lockstep: first divergent instruction: #[0-9]* at rip $adc;" "$tmp/err"; then
		fail "lockstep catches an injected bug" "not reported at $adc: $(head -c 600 "$tmp/err")"
	elif ! grep -qE '^lockstep: +rax +interp 0x0+6 +dbt 0x0+5$' "$tmp/err"; then
		fail "lockstep catches an injected bug" "RAX not shown as 6 vs 5: $(head -c 600 "$tmp/err")"
	elif ! grep -qE "^lockstep: > $adc +adc rax, 0x05$" "$tmp/err"; then
		fail "lockstep catches an injected bug" "the block listing does not mark the ADC: $(cat "$tmp/err")"
	else
		pass "lockstep catches an injected bug at its instruction ($adc)"
	fi
	"$RV" run --engine dbt --lockstep interp "$G/lockstep.elf" </dev/null >"$tmp/out" 2>"$tmp/err"
	status=$?
	if [ "$status" -eq 1 ] && ! grep -q '^lockstep:' "$tmp/err"; then
		pass "lockstep finds no divergence without the bug"
	else
		fail "lockstep finds no divergence without the bug" "status $status: $(head -c 600 "$tmp/err")"
	fi
fi

# --- --perfmap: each translation named in /tmp/perf-PID.map (perf's JIT map
# format: hex start, hex size, name), the first at the ELF's entry point.
if problem=$(engine_problem "$RV" dbt) && [ -n "$problem" ]; then
	skip "perfmap names the translated blocks" "$problem"
else
	entry=$(readelf -h "$G/lockstep.elf" | awk '/Entry point address/ { print $4 }')
	"$RV" run --engine dbt --perfmap "$G/lockstep.elf" </dev/null >"$tmp/out" 2>"$tmp/err" &
	pid=$!
	wait "$pid"
	map=/tmp/perf-$pid.map
	bad=$(grep -cvE '^[0-9a-f]+ [0-9a-f]+ guest:[0-9a-f]+\[gpa [0-9a-f]+,set [0-2]\]$' "$map" 2>/dev/null)
	if [ ! -s "$map" ]; then
		fail "perfmap names the translated blocks" "no $map: $(head -c 300 "$tmp/err")"
	elif [ "$bad" != 0 ]; then
		fail "perfmap names the translated blocks" "$bad malformed lines in $map: $(head -3 "$map")"
	elif ! grep -q "^[0-9a-f]* [0-9a-f]* guest:${entry#0x}\[" "$map"; then
		fail "perfmap names the translated blocks" "no block at the entry point $entry: $(head -3 "$map")"
	else
		pass "perfmap names the translated blocks ($(wc -l <"$map") lines, one at $entry)"
	fi
	rm -f "$map"
fi

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
