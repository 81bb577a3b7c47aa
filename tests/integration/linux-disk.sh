#!/usr/bin/env bash
# Boots the Debian cloud kernel with the test initramfs and two virtio-blk
# disks on every engine of tests/engines.sh (ENGINES overrides it): vda a
# 64 MiB read-write image of pseudo-random bytes (Python's random.Random,
# seed 14: the same file every run), vdb a 128 KiB read-only one of numbered
# sectors. The init (scripts/build-linux-guest.sh, mode test) reports what
# the guest sees and writes; every expected value comes from the images made
# here, read on the host: the size in sectors, the serial (the file name), the
# first bytes, and the SHA-256 of each whole disk (busybox's sha256sum of all
# 64 MiB of vda in the guest against coreutils' of the file); then, after the
# guest powered off, that the sector it wrote (with fsync: a FLUSH), the 1 MiB
# it discarded and the `seq 1 1500` it wrote at sector 81923 and made durable
# with sync(1) are in the file, read back from the host, and nothing else
# changed, and that the read-only image refused its write and is unchanged.
# vdc, 8 MiB of ext4 made by mke2fs -d with a file from the host, which the
# guest mounts, reads, and writes `seq 1 20000` into a new file of; after
# power-off debugfs reads that file out of the image and e2fsck finds the
# file system clean. A skipped engine is one SKIP line. Time: the INFO line gives the seconds
# the guest's sha256sum of vda took (uptime before and after it).
set -u
suite=linux-disk
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
log=$tmp/log
err=$tmp/err
# shellcheck source=tests/integration/linux_lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/linux_lib.sh"
linux_guest_or_exit

# Where the guest writes `seq 1 1500` (vda-write-sync), in 512-byte sectors:
# about 40 MiB in, not on a page boundary, ending in mid-sector.
pattern_sector=81923
seq 1 1500 >"$tmp/pattern"

# make_random_image FILE MIB: MIB MiB of pseudo-random bytes, seed 14.
make_random_image() {
	python3 -c '
import random, sys
path, mib = sys.argv[1], int(sys.argv[2])
with open(path, "wb") as f:
    f.write(random.Random(14).randbytes(mib << 20))
' "$1" "$2"
}

# The LEN bytes of FILE from byte OFFSET on.
bytes_at() {
	tail -c +$(($2 + 1)) "$1" | head -c "$3"
}

# make_ext4_image FILE: 8 MiB of ext4 holding /from-host (the line in
# $tmp/tree/from-host).
make_ext4_image() {
	rm -f "$1"
	mke2fs -q -F -t ext4 -d "$tmp/tree" "$1" 8M >/dev/null
}

# fs_clean FILE: e2fsck, changing nothing, finds FILE's file system clean.
fs_clean() {
	e2fsck -fn "$1" >/dev/null 2>&1
}
mkdir -p "$tmp/tree"
echo "host-made-$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')" >"$tmp/tree/from-host"
seq 1 20000 >"$tmp/from-guest.expect"

# make_image FILE SECTORS TAG: sector i holds "TAG-sector-%08d;" repeated.
make_image() {
	python3 -c '
import sys
path, n, tag = sys.argv[1], int(sys.argv[2]), sys.argv[3]
with open(path, "wb") as f:
    for i in range(n):
        f.write((f"{tag}-sector-{i:08d};" * 40)[:512].encode())
' "$1" "$2" "$3"
}

# What vda must hold after the guest's writes and discard, made with host tools.
expected_vda() {
	cp "$tmp/vda.img" "$tmp/vda.expect"
	printf 'written by the guest' | dd of="$tmp/vda.expect" bs=512 seek=1 count=1 conv=sync,notrunc 2>/dev/null
	dd if=/dev/zero of="$tmp/vda.expect" bs=1M seek=1 count=1 conv=notrunc 2>/dev/null
	dd if="$tmp/pattern" of="$tmp/vda.expect" bs=512 seek="$pattern_sector" conv=notrunc 2>/dev/null
}

# boot_ringvisor A B C: the test guest on $engine, A read-write, B
# read-only, C read-write.
boot_ringvisor() {
	timeout 600 "$rv" run --engine "$engine" --mem 512M --append "console=ttyS0 quiet" \
		--initrd "$dir/initrd-test.gz" --disk "$1" --disk "$2,ro" --disk "$3" "$dir/vmlinuz" \
		</dev/null >"$log" 2>"$err"
}

# boot_qemu A B C: the same guest and images under QEMU's microvm (TCG), the
# reference peer, with the serials Ringvisor gives (the file names) and
# discard passed to the file; tsc_early_khz as in linux-boot.sh.
boot_qemu() {
	timeout 300 qemu-system-x86_64 -M microvm,acpi=on -global virtio-mmio.force-legacy=false \
		-accel tcg -cpu max -m 512M -kernel "$dir/vmlinuz" -initrd "$dir/initrd-test.gz" \
		-append "console=ttyS0 quiet tsc_early_khz=2000000" -nographic -no-reboot -serial stdio \
		-monitor none -display none \
		-drive "file=$1,format=raw,if=none,id=d0,discard=unmap" -device virtio-blk-device,drive=d0,serial=vda.img \
		-drive "file=$2,format=raw,if=none,id=d1,readonly=on" -device virtio-blk-device,drive=d1,serial=vdb.img \
		-drive "file=$3,format=raw,if=none,id=d2" -device virtio-blk-device,drive=d2,serial=vdc.img \
		</dev/null >"$log" 2>"$err"
}

# disk_checks BOOT: fresh images, BOOT runs the guest on them, then what it
# printed and what the files hold afterwards.
disk_checks() {
	local boot=$1 a=$tmp/vda.img b=$tmp/vdb.img c=$tmp/vdc.img a_sha b_sha a_head start end status vdb_write features
	local pattern_len
	make_random_image "$a" 64
	make_image "$b" 256 ro
	make_ext4_image "$c"
	a_sha=$(sha256sum <"$a" | cut -d' ' -f1)
	a_head=$(head -c 24 "$a" | od -An -v -tx1 | tr -d ' \n')
	b_sha=$(sha256sum <"$b" | cut -d' ' -f1)
	expected_vda
	start=$(date +%s)
	"$boot" "$a" "$b" "$c"
	status=$?
	end=$(date +%s)
	check "powers off with status 0 ($((end - start)) s)" "status $status" [ "$status" -eq 0 ]
	check "virtio_blk loads" "$(grep 'insmod .* failed' "$log" | tr -d '\r' | tr '\n' ';')" \
		[ -z "$(grep 'insmod .* failed' "$log")" ]
	case " $(line virtio-device) " in
	*" 0x0002 0x0002 0x0002 "*) pass "the guest sees three virtio devices with ID 2 (block)" ;;
	*) fail "virtio block devices" "/sys/bus/virtio/devices/*/device: '$(line virtio-device)'" ;;
	esac
	check "vda has 131072 sectors (64 MiB)" "got '$(line vda-size)'" [ "$(line vda-size)" = 131072 ]
	check "vda's serial is the image's file name" "got '$(line vda-serial)'" [ "$(line vda-serial)" = vda.img ]
	check "vda is writable" "ro '$(line vda-ro)'" [ "$(line vda-ro)" = 0 ]
	check "vda offers discard" "discard_max_bytes '$(line vda-discard-max)'" [ "$(line vda-discard-max)" -gt 0 ]
	check "vda starts with the image's first bytes" "got '$(line vda-head)', file '$a_head'" \
		[ "$(line vda-head)" = "$a_head" ]
	check "SHA-256 of all 64 MiB of vda in the guest equals the host's of the image" \
		"guest '$(line vda-sha256)', host '$a_sha'" [ "$(line vda-sha256)" = "$a_sha" ]
	echo "INFO: $suite $engine sha256sum of vda in the guest: $(awk '{ printf "%.2f s", $2 - $1 }' <<<"$(line vda-sha256-uptime)")"
	check "the guest's write to vda succeeds" "dd status '$(line vda-write)'" [ "$(line vda-write)" = 0 ]
	check "the guest's discard on vda succeeds" "blkdiscard status '$(line vda-discard)'" \
		[ "$(line vda-discard)" = 0 ]
	check "the guest's write at sector $pattern_sector and sync succeed" "status '$(line vda-write-sync)'" \
		[ "$(line vda-write-sync)" = 0 ]
	pattern_len=$(wc -c <"$tmp/pattern")
	check "the image holds the guest's $pattern_len bytes at sector $pattern_sector after power-off" \
		"read back: '$(bytes_at "$a" $((pattern_sector * 512)) 24 | od -An -c | tr -s ' ')...'" \
		cmp -s <(bytes_at "$a" $((pattern_sector * 512)) "$pattern_len") "$tmp/pattern"
	check "the image holds the written sector and the zeroed 1 MiB, nothing else changed" \
		"$(cmp "$a" "$tmp/vda.expect" 2>&1 | head -1)" cmp -s "$a" "$tmp/vda.expect"
	check "vdb is read-only" "ro '$(line vdb-ro)'" [ "$(line vdb-ro)" = 1 ]
	check "SHA-256 of all of vdb equals the image's" "guest '$(line vdb-sha256)', host '$b_sha'" \
		[ "$(line vdb-sha256)" = "$b_sha" ]
	vdb_write=$(line vdb-write)
	check "the guest's write to vdb fails" "dd status '$vdb_write'" [ "${vdb_write:-0}" != 0 ]
	check "the read-only image is unchanged" "sha256 now $(sha256sum <"$b" | cut -d' ' -f1)" \
		[ "$(sha256sum <"$b" | cut -d' ' -f1)" = "$b_sha" ]
	check "the guest mounts vdc's ext4 and reads the host's file" \
		"mount '$(line vdc-mount)', read '$(line vdc-from-host)'" \
		[ "$(line vdc-mount):$(line vdc-from-host)" = "0:$(cat "$tmp/tree/from-host")" ]
	check "the guest unmounts vdc" "umount '$(line vdc-umount)'" [ "$(line vdc-umount)" = 0 ]
	check "the host reads the guest's file out of vdc's image (debugfs)" \
		"$(debugfs -R 'cat /from-guest' "$c" 2>/dev/null | head -c 40 | tr '\n' ' ')..." \
		cmp -s <(debugfs -R 'cat /from-guest' "$c" 2>/dev/null) "$tmp/from-guest.expect"
	check "e2fsck finds vdc's file system clean" "$(e2fsck -fn "$c" 2>&1 | tail -1)" \
		fs_clean "$c"
	[ "$boot" = boot_ringvisor ] || return 0
	case " $(line ioapic) " in
	*" 17-fasteoi virtio1 18-fasteoi virtio2 19-fasteoi virtio3 "*)
		pass "vda, vdb and vdc interrupt on I/O APIC pins 17, 18 and 19"
		;;
	*) fail "disk interrupts" "got '$(line ioapic)'" ;;
	esac
	check "no request was refused and no device needed a reset" "$(grep -E 'refused|needs reset' "$err" | head -1)" \
		[ -z "$(grep -E 'refused|needs reset' "$err")" ]
	features=$(line virtio-features)
	echo "INFO: linux-disk $engine negotiated feature bits: vda $(feature_bits "$(cut -d' ' -f2 <<<"$features")"), vdb $(feature_bits "$(cut -d' ' -f3 <<<"$features")")"
}

ringvisor_checks() {
	disk_checks boot_ringvisor
}

each_linux_engine ringvisor_checks
# The same checks against QEMU: the expected values hold for a reference
# implementation too, so a failure above is Ringvisor's, not the test's.
engine=qemu
if command -v qemu-system-x86_64 >/dev/null; then
	disk_checks boot_qemu
	features=$(line virtio-features)
	echo "INFO: linux-disk qemu-microvm negotiated feature bits: vda $(feature_bits "$(cut -d' ' -f1 <<<"$features")"), vdb $(feature_bits "$(cut -d' ' -f2 <<<"$features")")"
else
	skip "the same checks against QEMU microvm" "qemu-system-x86_64 not installed (Debian qemu-system-x86)"
fi
summary
