#!/usr/bin/env bash
# Builds the default Linux guest from Debian packages: the cloud kernel
# (linux-image-cloud-amd64) and busybox-static packed into an initramfs.
#   scripts/build-linux-guest.sh OUTDIR [test|shell|bench|io|snap]
# OUTDIR/vmlinuz and OUTDIR/initrd-MODE.gz; packages are cached in OUTDIR/debs.
# "test" runs the checks of tests/integration/linux-boot.sh and powers off;
# "shell" gives an interactive busybox shell on the console;
# "bench" runs the CPU-bound workloads of bench/guest_work.py once each and
# powers off. It also leaves the packed busybox and workload script as
# OUTDIR/busybox and OUTDIR/bench-work.sh, so that the host can run the very
# same binary on the very same script for the native reference;
# "io" loads the virtio modules as "test" does and runs the disk and network
# workloads of bench/io.py (bench-io.sh, with bench/guests/randread.c built
# static by the host's cc), from rv_* values on the kernel command line, then
# powers off;
# "snap" loads the virtio modules as "test" does and sets up what
# tests/integration/snapshot_linux.py snapshots in the middle of: with vda an
# ext4 disk, a writer appending lines to a file on it; a SHA-256 of 64 MiB of
# zeros in the background; then its uptime, the marker the test snapshots
# at, "SNAP-NOW", and a shell on the console.
set -eu
out=${1:?usage: build-linux-guest.sh OUTDIR [test|shell|bench|io|snap]}
mode=${2:-shell}
mkdir -p "$out/debs"
out=$(cd "$out" && pwd)

fetch() { # fetch PACKAGE: download its .deb into the cache unless there
	local pkg=$1
	ls "$out/debs/${pkg}_"*.deb >/dev/null 2>&1 && return 0
	(cd "$out/debs" && { apt-get download -qq "$pkg" 2>/dev/null || { apt-get update -qq && apt-get download -qq "$pkg"; }; })
}

kernel_pkg=$(apt-cache depends linux-image-cloud-amd64 2>/dev/null | awk '/Depends: linux-image-/ { print $2; exit }')
if [ -z "$kernel_pkg" ]; then
	apt-get update -qq
	kernel_pkg=$(apt-cache depends linux-image-cloud-amd64 | awk '/Depends: linux-image-/ { print $2; exit }')
fi
fetch "$kernel_pkg"
fetch busybox-static

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
deb() { find "$out/debs" -name "${1}_*.deb" | head -1; }
dpkg-deb -x "$(deb "$kernel_pkg")" "$work/kernel"
dpkg-deb -x "$(deb busybox-static)" "$work/busybox"
cp "$work/kernel/boot/vmlinuz-"* "$out/vmlinuz"
echo "${kernel_pkg#linux-image-}" >"$out/kernel-release"

root=$work/root

# io_script: the io initramfs's workloads, one line each, "BENCH-IO NAME
# AMOUNT START END RESULT", START and END read from /proc/uptime around it
# (CLOCK_BOOTTIME, printed in 10 ms steps). What runs, and how much, comes
# from rv_* values on the kernel command line (the kernel hands name=value
# parameters it does not know to init's environment), all optional:
#   rv_io_mib=N    N MiB read from vda then written to vdb, dd with O_DIRECT
#                  in 1 MiB requests (the write ends with an fsync: a FLUSH);
#   rv_io_reads=N  N reads of 4 KiB at random offsets of vda, one at a time,
#                  O_DIRECT (randread; RESULT: the reads that were wrong);
#   rv_http_port=P with rv_net_mib=N: N MiB by wget from port P of the slirp
#                  gateway 10.0.2.2 into /tmp (RESULT: the file's SHA-256,
#                  taken after the timing);
#   rv_pings=N     N echo requests to 10.0.2.2, each sent when the previous
#                  answer came (ping -A; RESULT: the average round trip in ms).
io_script() {
	cat >"$root/bench-io.sh" <<'IO'
if [ -n "$rv_io_mib" ] && [ -e /dev/vda ]; then
	read -r s _ </proc/uptime
	dd if=/dev/vda of=/dev/null bs=1M count="$rv_io_mib" iflag=direct 2>/dev/null
	r=$?
	read -r e _ </proc/uptime
	echo "BENCH-IO seq-read $rv_io_mib $s $e $r"
fi
if [ -n "$rv_io_reads" ] && [ -e /dev/vda ]; then
	read -r s _ </proc/uptime
	r=$(randread /dev/vda "$rv_io_reads" 12345)
	read -r e _ </proc/uptime
	echo "BENCH-IO rand-read $rv_io_reads $s $e ${r##* }"
fi
if [ -n "$rv_io_mib" ] && [ -e /dev/vdb ]; then
	read -r s _ </proc/uptime
	dd if=/dev/zero of=/dev/vdb bs=1M count="$rv_io_mib" oflag=direct conv=fsync 2>/dev/null
	r=$?
	read -r e _ </proc/uptime
	echo "BENCH-IO seq-write $rv_io_mib $s $e $r"
fi
if { [ -n "$rv_http_port" ] || [ -n "$rv_pings" ]; } && [ -d /sys/class/net/eth0 ]; then
	ip link set lo up
	ip link set eth0 up
	ip addr add 10.0.2.15/24 dev eth0
	ip route add default via 10.0.2.2
fi
if [ -n "$rv_pings" ] && [ -d /sys/class/net/eth0 ]; then
	read -r s _ </proc/uptime
	r=$(timeout 60 ping -A -q -c "$rv_pings" 10.0.2.2 | sed -n 's|.*min/avg/max = [^/]*/\([^/]*\)/.*|\1|p')
	read -r e _ </proc/uptime
	echo "BENCH-IO ping $rv_pings $s $e ${r:-none}"
fi
if [ -n "$rv_http_port" ] && [ -n "$rv_net_mib" ] && [ -d /sys/class/net/eth0 ]; then
	read -r s _ </proc/uptime
	timeout 600 wget -q -O /tmp/big "http://10.0.2.2:$rv_http_port/big"
	read -r e _ </proc/uptime
	echo "BENCH-IO wget $rv_net_mib $s $e $(sha256sum </tmp/big | cut -d' ' -f1)"
	rm -f /tmp/big
fi
IO
}
mkdir -p "$root/bin" "$root/proc" "$root/sys" "$root/dev" "$root/tmp"
cp "$work/busybox/bin/busybox" "$root/bin/busybox"
# The host's copy of the guest's busybox, in every mode: bench runs it
# natively, linux-net.sh compares what the guest sends of it.
cp "$root/bin/busybox" "$out/busybox"
cat >"$root/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
INIT
if [ "$mode" = test ] || [ "$mode" = io ] || [ "$mode" = snap ]; then
	# The cloud kernel's virtio drivers are modules (CONFIG_VIRTIO_MMIO=m,
	# CONFIG_HW_RANDOM_VIRTIO=m, CONFIG_VIRTIO_BLK=m; rng-core, the block
	# layer and ext4 are built in), loaded in dependency order (virtio_blk
	# needs only virtio and virtio_ring; virtio_net needs net_failover, which
	# needs failover; AF_PACKET, udhcpc's raw socket, is built in);
	# virtio_mmio then binds the DSDT's LNRO0005 devices. Only the test
	# and io initramfs carry them: the bench initramfs stays as it was, so its
	# timings compare across sessions.
	mkdir -p "$root/lib/modules"
	for m in drivers/virtio/virtio_ring drivers/virtio/virtio drivers/virtio/virtio_mmio \
		drivers/char/hw_random/virtio-rng drivers/block/virtio_blk net/core/failover drivers/net/net_failover \
		drivers/net/virtio_net drivers/char/virtio_console; do
		ko=$(find "$work/kernel/lib/modules" -path "*/kernel/$m.ko")
		[ -n "$ko" ] || { echo "build-linux-guest.sh: $m.ko is not in $kernel_pkg" >&2; exit 1; }
		cp "$ko" "$root/lib/modules/"
	done
	cat >>"$root/init" <<'INIT'
read -r modules_start _ </proc/uptime
for m in virtio_ring virtio virtio_mmio virtio-rng virtio_blk failover net_failover virtio_net virtio_console; do
	insmod "/lib/modules/$m.ko" || echo "insmod $m failed"
done
read -r modules_end _ </proc/uptime
INIT
fi
if [ "$mode" = test ]; then
	# root=/dev/vdX on the kernel command line: mount it and hand over to its
	# init (init=, default /sbin/init) with the arguments the kernel gave
	# after "--", as a distribution's initramfs does. Read-only unless "rw".
	cat >>"$root/init" <<'INIT'
newroot= newinit=/sbin/init rootmode=ro
for a in $(cat /proc/cmdline); do
	case $a in
	root=/dev/*) newroot=${a#root=} ;;
	init=/*) newinit=${a#init=} ;;
	rw) rootmode=rw ;;
	esac
done
if [ -n "$newroot" ]; then
	mkdir -p /newroot
	mount -t ext4 -o "$rootmode" "$newroot" /newroot || echo "RINGVISOR-ROOT-MOUNT-FAILED $newroot"
	echo "root-debian-version: $(cat /newroot/etc/debian_version 2>/dev/null)"
	umount /proc /sys
	mount --move /dev /newroot/dev
	exec switch_root /newroot "$newinit" "$@"
fi
INIT
fi
echo 'echo "RINGVISOR-INIT-MARKER"' >>"$root/init"
if [ "$mode" = test ]; then
	# The x86-64-v2 program (tests/linux/level_v2.c), static, in the guest and
	# beside it for linux-boot.sh to run on the host.
	"${CC:-cc}" -static -O2 -march=x86-64-v2 -Wall -Wextra -Werror -o "$root/bin/level-v2" \
		"$(dirname "$0")/../tests/linux/level_v2.c"
	cp "$root/bin/level-v2" "$out/level-v2"
	# And the x86-64-v3 one (tests/linux/level_v3.c).
	"${CC:-cc}" -static -O2 -march=x86-64-v3 -Wall -Wextra -Werror -o "$root/bin/level-v3" \
		"$(dirname "$0")/../tests/linux/level_v3.c"
	cp "$root/bin/level-v3" "$out/level-v3"
	cat >>"$root/init" <<'INIT'
echo "modules: $modules_start $modules_end"
echo "virtio-device: $(cat /sys/bus/virtio/devices/*/device 2>/dev/null | tr '\n' ' ')"
echo "virtio-features: $(cat /sys/bus/virtio/devices/*/features 2>/dev/null | tr '\n' ' ')"
echo "hwrng-current: $(cat /sys/class/misc/hw_random/rng_current 2>/dev/null || cat /sys/devices/virtual/misc/hw_random/rng_current 2>/dev/null)"
echo "hwrng-bytes: $(head -c 64 /dev/hwrng 2>/dev/null | od -An -v -tx1 | tr -d ' \n')"
echo "uname: $(uname -r)"
echo "proc: $(ls /proc | tr '\n' ' ')"
echo "sha256: $(head -c 4194304 /dev/zero | sha256sum | cut -d' ' -f1)"
echo "date: $(date +%s)"
echo "acpi: $(ls /sys/firmware/acpi/tables | tr '\n' ' ')"
echo "ioapic: $(grep IO-APIC /proc/interrupts | sed 's/.*IO-APIC *//' | tr -s ' \n' '  ')"
echo "clocksource: $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
echo "cpuflags: $(sed -n 's/^flags[^:]*: //p' /proc/cpuinfo | head -1)"
echo "level-v2: $(/bin/level-v2 2>&1 | tr '\n' ';')"
echo "level-v2-status: $(/bin/level-v2 >/dev/null 2>&1; echo $?)"
echo "xstate: $(dmesg | grep -o 'Enabled xstate features 0x[0-9a-f]*, context size is [0-9]* bytes' | head -1)"
echo "level-v3: $(/bin/level-v3 2>&1 | tr '\n' ';')"
echo "level-v3-status: $(/bin/level-v3 >/dev/null 2>&1; echo $?)"
# With --disk (tests/integration/linux-disk.sh): vda read-write, vdb
# read-only. What the guest sees of each (the first bytes in hex: the image
# is random), the SHA-256 of all of vda by busybox's sha256sum with the
# uptime before and after it, then one sector written to vda (fsync: a FLUSH
# request), a discard, and `seq 1 1500` written at sector 81923 through the
# page cache and made durable by sync(1); one write refused on vdb.
if [ -e /sys/block/vda ]; then
	echo "vda-size: $(cat /sys/block/vda/size)"
	echo "vda-serial: $(cat /sys/block/vda/serial)"
	echo "vda-ro: $(cat /sys/block/vda/ro)"
	echo "vda-discard-max: $(cat /sys/block/vda/queue/discard_max_bytes)"
	echo "vda-head: $(head -c 24 /dev/vda | od -An -v -tx1 | tr -d ' \n')"
	s=$(cut -d' ' -f1 /proc/uptime)
	h=$(sha256sum /dev/vda | cut -d' ' -f1)
	echo "vda-sha256: $h"
	echo "vda-sha256-uptime: $s $(cut -d' ' -f1 /proc/uptime)"
	printf 'written by the guest' | dd of=/dev/vda bs=512 seek=1 count=1 conv=sync,fsync 2>/dev/null
	echo "vda-write: $?"
	blkdiscard -o 1048576 -l 1048576 /dev/vda
	echo "vda-discard: $?"
	seq 1 1500 | dd of=/dev/vda bs=512 seek=81923 conv=notrunc 2>/dev/null && sync
	echo "vda-write-sync: $?"
fi
if [ -e /sys/block/vdb ]; then
	echo "vdb-ro: $(cat /sys/block/vdb/ro)"
	echo "vdb-sha256: $(sha256sum </dev/vdb | cut -d' ' -f1)"
	dd if=/dev/zero of=/dev/vdb bs=512 count=1 conv=fsync 2>/dev/null
	echo "vdb-write: $?"
fi
# A third disk, vdc, holds an ext4 file system the host made: the guest
# reads the host's file, writes one of its own and unmounts, and the host
# then reads that file out of the image.
if [ -e /sys/block/vdc ]; then
	mkdir -p /mnt
	mount -t ext4 /dev/vdc /mnt
	echo "vdc-mount: $?"
	echo "vdc-from-host: $(cat /mnt/from-host)"
	seq 1 20000 >/mnt/from-guest
	umount /mnt
	echo "vdc-umount: $?"
fi
sh /net-checks.sh
poweroff -f
INIT
	# What tests/integration/linux-net.sh checks, from rv_* values on the
	# kernel command line (the kernel hands name=value parameters it does not
	# know to init's environment); without them, only what the devices are.
	cat >"$root/net-checks.sh" <<'CHECKS'
if [ -e /dev/hvc0 ] && [ -n "$rv_token" ]; then
	echo "HVC0 $rv_token" >/dev/hvc0
	# With console=hvc0 on the command line too, the kernel's own messages
	# reach both consoles once virtio_console has registered hvc0.
	echo "<2>KMSG-$rv_token" >/dev/kmsg
	if [ -n "$rv_hvc_input" ]; then
		echo "hvc0-waiting: yes"
		echo "hvc0-read: $(timeout 60 head -n 1 </dev/hvc0)"
	fi
fi
[ -d /sys/class/net/eth0 ] || exit 0
echo "eth0-mac: $(cat /sys/class/net/eth0/address)"
ip link set lo up
ip link set eth0 up
udhcpc -i eth0 -n -q -t 10 -T 2 -s /udhcpc.sh >/tmp/udhcpc.log 2>&1 || echo "udhcpc failed"
echo "eth0-ip: $(ip -4 -o addr show dev eth0 | awk '{ print $4 }')"
echo "eth0-gateway: $(ip route | awk '/^default/ { print $3 }')"
echo "eth0-dns: $(awk '/^nameserver/ { print $2; exit }' /etc/resolv.conf 2>/dev/null)"
# What udhcpc said and what its hook was given and did, one line, for a
# failed check to show (rarely the DNS server was missing, the address not).
echo "eth0-dhcp: $(cat /tmp/udhcpc.log /tmp/udhcpc-hook.log 2>/dev/null | tr '\n' ';')"
# busybox 1.35's wget crashes when given -T, so timeout(1) bounds it.
if [ -n "$rv_http_port" ]; then
	echo "net-wget: $(timeout 60 wget -q -O - "http://10.0.2.2:$rv_http_port/small")"
	read -r s _ </proc/uptime
	timeout 120 wget -q -O /tmp/big "http://10.0.2.2:$rv_http_port/big"
	read -r e _ </proc/uptime
	echo "net-wget-big: $(wc -c </tmp/big) $s $e $(sha256sum </tmp/big | cut -d' ' -f1)"
	rm -f /tmp/big
fi
if [ -n "$rv_listen_port" ]; then
	timeout 120 nc -l -p "$rv_listen_port" -e /net-reply.sh &
	echo "net-listening: $rv_listen_port"
	wait $!
	echo "net-served: $?"
	# nc's exit leaves what the host has not acknowledged yet in the
	# kernel's send queue: the init must not power off before the host has
	# it all. Wait while the connection is ESTABLISHED, FIN_WAIT1, CLOSING or
	# LAST_ACK (/proc/net/tcp: states 01, 04, 0B, 09), at most 60 s. (A
	# loaded host once read 1,637,275 of 1,982,256 bytes on interp.)
	port_hex=$(printf '%04X' "$rv_listen_port")
	waited=0
	while [ "$waited" -lt 60 ] && awk -v p=":$port_hex" \
		'$2 ~ p"$" && ($4 == "01" || $4 == "04" || $4 == "0B" || $4 == "09") { f = 1 } END { exit !f }' \
		/proc/net/tcp; do
		sleep 1
		waited=$((waited + 1))
	done
	echo "net-drained: $waited s"
fi
CHECKS
	cat >"$root/net-reply.sh" <<'REPLY'
#!/bin/busybox sh
echo "GUEST-SAYS $rv_token"
# With rv_send_file=PATH, that file follows: bulk data through the
# transmitq, cat(1) costing the guest little CPU even on interp.
[ -z "$rv_send_file" ] || cat "$rv_send_file"
REPLY
	# udhcpc's hook: it passes the lease in the environment. Each event, what
	# it carried and whether the hook got to its end go to a log the init
	# prints (eth0-dhcp).
	cat >"$root/udhcpc.sh" <<'DHCP'
#!/bin/busybox sh
echo "hook $1 ip=$ip mask=$mask router=$router dns=$dns lease=$lease" >>/tmp/udhcpc-hook.log
[ "$1" = bound ] || [ "$1" = renew ] || exit 0
ip addr flush dev "$interface"
ip addr add "$ip/${mask:-24}" dev "$interface"
[ -n "$router" ] && ip route add default via "${router%% *}" dev "$interface"
: >/etc/resolv.conf
for d in $dns; do echo "nameserver $d" >>/etc/resolv.conf; done
echo "hook $1 done: $(wc -l </etc/resolv.conf) nameserver lines" >>/tmp/udhcpc-hook.log
DHCP
	mkdir -p "$root/etc"
	chmod +x "$root/net-reply.sh" "$root/udhcpc.sh"
elif [ "$mode" = bench ]; then
	# One line per workload: "BENCH-WORK NAME BYTES START END RESULT", START and
	# END read from /proc/uptime (CLOCK_BOOTTIME, printed in 10 ms steps) around
	# the pipeline. BYTES comes from bench_bytes=N on the kernel command line
	# (the kernel hands unknown name=value parameters to init's environment).
	cat >"$root/bench-work.sh" <<'WORK'
n=${bench_bytes:-67108864}
case $n in '' | *[!0-9]*) echo "BENCH-WORK-ERROR bad bench_bytes '$n'"; exit 1 ;; esac
read -r s _ </proc/uptime
r=$(head -c "$n" /dev/zero | sha256sum)
read -r e _ </proc/uptime
echo "BENCH-WORK sha256sum $n $s $e ${r%% *}"
read -r s _ </proc/uptime
r=$(head -c "$n" /dev/zero | gzip -1 | wc -c)
read -r e _ </proc/uptime
echo "BENCH-WORK gzip-1 $n $s $e $r"
WORK
	cp "$root/bench-work.sh" "$out/bench-work.sh"
	cat >>"$root/init" <<'INIT'
sh /bench-work.sh
poweroff -f
INIT
elif [ "$mode" = snap ]; then
	# Work in flight when the test hook snapshots at SNAP-NOW, each printing
	# a line when done: the writer (if vda is there) and the digest. Each
	# does half its work, then waits for /tmp/snap-go, which the test makes
	# from the shell once the guest has moved: so neither can be done at the
	# snapshot, however fast the host.
	cat >>"$root/init" <<'INIT'
snap_wait() { while [ ! -e /tmp/snap-go ]; do sleep 0.1; done; }
if [ -e /dev/vda ]; then
	mkdir -p /mnt
	mount -t ext4 /dev/vda /mnt && echo "snap-mount: ok"
	(
		i=0
		while [ $i -lt 3000 ]; do
			[ $i -eq 1500 ] && snap_wait
			echo "line $i" >>/mnt/lines
			i=$((i + 1))
		done
		sync
		echo "SNAP-WRITER-DONE $(wc -l </mnt/lines)"
	) &
fi
(
	d=$({ head -c 33554432 /dev/zero; snap_wait; head -c 33554432 /dev/zero; } | sha256sum)
	echo "SNAP-DIGEST ${d%% *}"
) &
sleep 1
echo "snap-uptime: $(cut -d' ' -f1 /proc/uptime)"
echo "SNAP-NOW"
exec setsid cttyhack sh
INIT
elif [ "$mode" = io ]; then
	"${CC:-cc}" -static -O2 -Wall -Wextra -Werror -o "$root/bin/randread" \
		"$(dirname "$0")/../bench/guests/randread.c"
	io_script
	cat >>"$root/init" <<'INIT'
sh /bench-io.sh
poweroff -f
INIT
else
	cat >>"$root/init" <<'INIT'
echo "Busybox shell on Ringvisor. Ctrl-A x quits."
exec setsid cttyhack sh
INIT
fi
chmod +x "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1 >"$out/initrd-$mode.gz")
