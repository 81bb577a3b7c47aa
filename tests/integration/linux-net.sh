#!/usr/bin/env bash
# Boots the Debian cloud kernel with the test initramfs on every engine of
# tests/engines.sh that can run Linux, with a virtio-net on user networking
# (--net user,hostfwd=...) and a virtio console (--virtio-console), and checks
# what a user of QEMU's user network expects, against values this script made:
# - the guest's NIC has MAC 52:54:00:12:34:56, and DHCP (busybox udhcpc)
#   gives it 10.0.2.15/24, gateway 10.0.2.2 and DNS 10.0.2.3;
# - the guest fetches a file from a web server on the host's loopback through
#   10.0.2.2 (python3 -m http.server; busybox wget): a short random string, and
#   4 MiB of random bytes, checked by SHA-256 (the time is an INFO line);
# - the host connects to a forwarded port (hostfwd=tcp:127.0.0.1:H-:G) and
#   reads a random token from a listener in the guest (busybox nc -l), then
#   the guest's /bin/busybox (about 2 MB through virtio-net's transmitq),
#   checked by SHA-256 against the host's copy (build-linux-guest.sh leaves it
#   in $dir; the time is an INFO line);
# - a line the guest writes to /dev/hvc0 reaches the host's stdout, a line
#   typed on the host's stdin reaches the guest's /dev/hvc0, and with
#   console=hvc0 beside console=ttyS0 a kernel message reaches both;
# - the feature bits the guest negotiated (/sys/bus/virtio/devices/*/features)
#   for each device, derived below from the spec and Linux's drivers;
# - no virtio device needed a reset, and the guest powers off with status 0.
# Ports are picked free at run time. Which engines boot Linux: linux_lib.sh.
# A skipped engine is one SKIP line.
set -u
suite=linux-net
tmp=$(mktemp -d)
server=""
cleanup() {
	[ -n "$server" ] && kill "$server" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
log=$tmp/log
err=$tmp/err
# shellcheck source=tests/integration/linux_lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/linux_lib.sh"
linux_guest_or_exit

# free_port: a TCP port on 127.0.0.1 that nothing listens on now.
free_port() {
	python3 -c "import socket
s = socket.socket()
s.bind(('127.0.0.1', 0))
print(s.getsockname()[1])"
}

# The web server the guest fetches from, on the host's loopback only.
mkdir -p "$tmp/www"
small="host-says-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
echo "$small" >"$tmp/www/small"
head -c 4194304 /dev/urandom >"$tmp/www/big"
big_sha=$(sha256sum <"$tmp/www/big" | cut -d' ' -f1)
http_port=$(free_port)
python3 -m http.server --bind 127.0.0.1 --directory "$tmp/www" "$http_port" >"$tmp/http.log" 2>&1 &
server=$!
for _ in $(seq 50); do
	python3 -c "import socket; socket.create_connection(('127.0.0.1', $http_port), timeout=1)" 2>/dev/null && break
	sleep 0.1
done

# reach_guest HOSTPORT FILE: the first line the guest's listener sends
# through the forward, retried while the guest is not listening yet (slirp
# then closes the host side at once); at most 60 s. What follows the line, to
# the end of the connection, goes to FILE, and FILE.seconds holds how long
# that took.
reach_guest() {
	python3 - "$1" "$2" <<'PY'
import socket, sys, time
deadline = time.time() + 60
while time.time() < deadline:
    try:
        with socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10) as s:
            data = b""
            while b"\n" not in data:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
            if data:
                line, _, rest = data.partition(b"\n")
                start = time.time()
                with open(sys.argv[2], "wb") as f:
                    f.write(rest)
                    while chunk:
                        chunk = s.recv(65536)
                        f.write(chunk)
                with open(sys.argv[2] + ".seconds", "w") as f:
                    f.write("%.2f\n" % (time.time() - start))
                print(line.decode(errors="replace").strip())
                sys.exit(0)
    except OSError:
        pass
    time.sleep(0.5)
sys.exit(1)
PY
}

# What the guest's listener sends after its line (rv_send_file): the
# guest's busybox, of which the host has the very same file.
guest_file_sha=$(sha256sum <"$dir/busybox" | cut -d' ' -f1)

# wait_for PATTERN PID: until the guest's output has a line matching PATTERN
# (status 0), or the VM has ended or 10 minutes have passed (status 1).
wait_for() {
	local i
	for ((i = 0; i < 1200; i++)); do
		grep -q "$1" "$log" 2>/dev/null && return 0
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.5
	done
	return 1
}

# What the guest must negotiate. A driver accepts only bits the device offers
# (virtio 1.x §2.2.1, §3.1.1), and must accept VERSION_1 (§6.1), so each set
# is what the device offers (its header; docs/architecture.md, virtio) that Linux
# 6.1's drivers know. Both devices get the transport's INDIRECT_DESC (28),
# EVENT_IDX (29) and VERSION_1 (32), which Linux's virtio_ring keeps.
# virtio-net offers MAC (5) and STATUS (16), both in virtio_net's feature
# table, and nothing else (no offloads, no MRG_RXBUF, no control queue).
# virtio-console offers no device bit (§5.3.3: no SIZE, MULTIPORT or
# EMERG_WRITE), so one port on receiveq 0 and transmitq 1 (§5.3.2).
expected_net_features="5 16 28 29 32"
expected_console_features="28 29 32"

# net_boot: boots on $engine, answers the guest's listener, then checks.
net_boot() {
	local token fwd_port guest_port start end status got i id typed
	typed="HOST-TYPES-$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')"
	rm -f "$tmp/in"
	mkfifo "$tmp/in"
	# Read-write, so that neither side's open waits for the other and the
	# guest sees no end of input while the test has not typed yet.
	exec 3<>"$tmp/in"
	token=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
	fwd_port=$(free_port)
	guest_port=$((2000 + RANDOM % 6000))
	# Emptied here, not by the VM's redirection: wait_for must not find the
	# previous engine's lines before the new VM has even started.
	: >"$log"
	start=$(date +%s)
	timeout 600 "$rv" run --engine "$engine" --mem 512M \
		--net "user,hostfwd=tcp:127.0.0.1:$fwd_port-:$guest_port" --virtio-console \
		--append "console=ttyS0 console=hvc0 quiet rv_token=$token rv_http_port=$http_port rv_listen_port=$guest_port rv_send_file=/bin/busybox rv_hvc_input=1" \
		--initrd "$dir/initrd-test.gz" "$dir/vmlinuz" <"$tmp/in" >"$log" 2>"$err" &
	local vm=$!
	got=""
	wait_for "^hvc0-waiting: " "$vm" && echo "$typed" >&3
	rm -f "$tmp/guest-file" "$tmp/guest-file.seconds"
	wait_for "^net-listening: " "$vm" && got=$(reach_guest "$fwd_port" "$tmp/guest-file")
	wait "$vm"
	status=$?
	exec 3>&-
	end=$(date +%s)
	check "powers off with status 0 ($((end - start)) s)" \
		"status $status; $(tail -n 2 "$err" | tr '\n' ' '); the guest's last lines: $(tail -n 3 "$log" | tr -d '\r' | tr '\n' '|')" \
		[ "$status" -eq 0 ]
	check "the modules load" "$(grep 'insmod .* failed' "$log" | tr -d '\r' | tr '\n' ';')" \
		[ -z "$(grep 'insmod .* failed' "$log")" ]
	for id in 0x0001 0x0003; do
		case " $(line virtio-device) " in
		*" $id "*) pass "the guest sees a virtio device with ID $id" ;;
		*) fail "virtio device $id" "/sys/bus/virtio/devices/*/device: '$(line virtio-device)'" ;;
		esac
	done
	check "virtio-net's negotiated features are bits $expected_net_features" \
		"got '$(feature_bits "$(features_of_device 0x0001)")'" \
		[ "$(feature_bits "$(features_of_device 0x0001)")" = "$expected_net_features" ]
	check "virtio-console's negotiated features are bits $expected_console_features" \
		"got '$(feature_bits "$(features_of_device 0x0003)")'" \
		[ "$(feature_bits "$(features_of_device 0x0003)")" = "$expected_console_features" ]
	check "eth0's MAC is 52:54:00:12:34:56" "got '$(line eth0-mac)'" [ "$(line eth0-mac)" = 52:54:00:12:34:56 ]
	check "DHCP gives 10.0.2.15/24" "got '$(line eth0-ip)'" [ "$(line eth0-ip)" = 10.0.2.15/24 ]
	check "DHCP gives the gateway 10.0.2.2" "got '$(line eth0-gateway)'" [ "$(line eth0-gateway)" = 10.0.2.2 ]
	check "DHCP gives the DNS server 10.0.2.3" "got '$(line eth0-dns)'; udhcpc and its hook: $(line eth0-dhcp)" \
		[ "$(line eth0-dns)" = 10.0.2.3 ]
	check "wget from the host's loopback through 10.0.2.2" "got '$(line net-wget)', want '$small'" \
		[ "$(line net-wget)" = "$small" ]
	local bytes s e sha
	read -r bytes s e sha <<<"$(line net-wget-big)"
	check "4 MiB through wget have the host file's SHA-256" "got '$bytes' bytes, sha '$sha'" \
		[ "${sha:-}" = "$big_sha" ]
	[ -n "${e:-}" ] && echo "INFO: linux-net $engine 4 MiB by wget in $(awk -v s="$s" -v e="$e" \
		'BEGIN { t = e - s; r = t > 0 ? 4 / t : 0; printf "%.2f s (%.1f MiB/s)", t, r }') (guest /proc/uptime, 10 ms steps)"
	check "the host reads the guest's listener through hostfwd" "got '$got'" [ "$got" = "GUEST-SAYS $token" ]
	sha=$(sha256sum <"$tmp/guest-file" 2>/dev/null | cut -d' ' -f1)
	check "then the guest's /bin/busybox, with the host copy's SHA-256" \
		"got $(wc -c <"$tmp/guest-file" 2>/dev/null) bytes, sha '$sha'" [ "$sha" = "$guest_file_sha" ]
	[ -f "$tmp/guest-file.seconds" ] && echo "INFO: linux-net $engine $(wc -c <"$tmp/guest-file") bytes" \
		"from the guest through hostfwd in $(cat "$tmp/guest-file.seconds") s (host clock)"
	check "the guest's line on /dev/hvc0 reaches stdout" "no 'HVC0 $token' line" \
		grep -q "^HVC0 $token" "$log"
	check "a line typed on the host reaches the guest's /dev/hvc0" "got '$(line hvc0-read)'" \
		[ "$(line hvc0-read)" = "$typed" ]
	check "console=hvc0: a kernel message reaches both consoles" \
		"$(grep -c "KMSG-$token" "$log") lines hold it" [ "$(grep -c "KMSG-$token" "$log")" -ge 2 ]
	check "no virtio device needed a reset" "$(grep 'needs reset' "$err" | head -n 1)" \
		[ -z "$(grep 'needs reset' "$err")" ]
}

# The reference peer: the same kernel and initramfs under QEMU's microvm
# (TCG) with a virtio-net on user networking and a virtconsole, its
# negotiated feature bits as INFO lines beside Ringvisor's above; the
# differences are explained in docs/architecture.md (virtio).
qemu_features() {
	engine=qemu
	timeout 300 qemu-system-x86_64 -M microvm,acpi=on -global virtio-mmio.force-legacy=false \
		-accel tcg -cpu max -m 512M -kernel "$dir/vmlinuz" -initrd "$dir/initrd-test.gz" \
		-append "console=ttyS0 quiet tsc_early_khz=2000000" -nographic -no-reboot -serial stdio \
		-monitor none -display none -netdev user,id=n0 -device virtio-net-device,netdev=n0 \
		-device virtio-serial-device -chardev null,id=c0 -device virtconsole,chardev=c0 \
		</dev/null >"$log" 2>"$err"
	echo "INFO: linux-net qemu-microvm negotiated feature bits:" \
		"net $(feature_bits "$(features_of_device 0x0001)"), console $(feature_bits "$(features_of_device 0x0003)")"
}

each_linux_engine net_boot
if command -v qemu-system-x86_64 >/dev/null; then
	qemu_features
else
	echo "INFO: linux-net: no qemu-system-x86_64, so no peer's feature bits (Debian qemu-system-x86)"
fi
summary
