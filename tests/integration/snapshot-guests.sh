#!/usr/bin/env bash
# Snapshots and restores across engines with a bare-metal guest (issue 15),
# then what a restore must refuse.
#
# Across engines: guests/snapcount prints "count N" every 10 PIT ticks and
# SNAPSHOT-HERE after step 20, where the test-only hook
# (RINGVISOR_TEST_SNAPSHOT_AT) snapshots and stops it; after a pause longer
# than the guest's jump limit, `ringvisor restore` runs it on to the end. For
# every ordered pair of the engines of tests/engines.sh that run here (kvm
# too: the guest needs no kernel mode in hardware), the two runs' outputs put
# together must be tests/guests/snapcount.stdout exactly (no line lost or
# repeated, every clock check of the guest passed) and the restored run must
# end with the guest's PASS status, 1. The memory file must be unchanged by a
# restore (it is mapped privately) and take less disk than its length (zero
# pages are holes).
#
# Refused, each with status 2, one line on stderr and no guest output: a
# state file with one byte changed, a truncated state, a state of a newer
# major version (its CRC made right), a state whose CRC is right but a
# device's payload is not, or a device's name holds a newline, a memory file
# one page short, no config.json,
# config.json of a newer major version, of a wrong type, not JSON, naming a
# CPU model the engine cannot provide, an option that shapes the machine, a
# --disk count that is not the snapshot's. And the hook refuses to write into
# a directory that is not empty (status 6), leaving it as it was.
set -u
suite=snapshot-guests
rv=${RINGVISOR:-build/ringvisor}
guest=${GUESTS_DIR:-build/guests}/snapcount.elf
expect=tests/guests/snapcount.stdout
# shellcheck source=tests/engines.sh
. "$(dirname "${BASH_SOURCE[0]}")/../engines.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0 skipped=0
pass() { echo "PASS: $suite $1"; passed=$((passed + 1)); }
fail() { echo "FAIL: $suite $1: $2"; failed=$((failed + 1)); }
check() { # check NAME DETAIL CONDITION...
	local name=$1 detail=$2
	shift 2
	if "$@"; then pass "$name"; else fail "$name" "$detail"; fi
}

sanitizer='ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:'
no_report() { ! grep -q -E "$sanitizer" "$@"; }

engines=()
for e in $ENGINES; do
	why=$(engine_problem "$rv" "$e")
	if [ -n "$why" ]; then
		echo "SKIP: $suite $e: $why"
		skipped=$((skipped + 1))
	else
		engines+=("$e")
	fi
done

# snapshot ENGINE DIR: runs the guest on ENGINE until the hook has written DIR.
snapshot() {
	RINGVISOR_TEST_SNAPSHOT_AT="SNAPSHOT-HERE:$2" timeout 60 "$rv" run --engine "$1" "$guest" \
		</dev/null >"$tmp/src.out" 2>"$tmp/src.err"
}

# restore DIR ARGS...: runs it; status, stdout and stderr in $tmp/dst.*.
restore() {
	timeout 60 "$rv" restore "$@" </dev/null >"$tmp/dst.out" 2>"$tmp/dst.err"
	echo $? >"$tmp/dst.status"
}

for src in "${engines[@]}"; do
	for dst in "${engines[@]}"; do
		snap=$tmp/snap-$src-$dst
		snapshot "$src" "$snap"
		status=$?
		check "$src -> $dst: the hook snapshots on $src and stops it with status 0" \
			"status $status, $(tail -1 "$tmp/src.err")" \
			[ "$status" -eq 0 -a -f "$snap/state" -a -f "$snap/memory" -a -f "$snap/config.json" ]
		[ -f "$snap/memory" ] || continue
		mem_sha=$(sha256sum <"$snap/memory")
		sleep 1.5 # longer than the guest's jump limit (1 s per step)
		restore "$snap" --engine "$dst"
		check "$src -> $dst: restored on $dst, the guest's PASS status" "status $(cat "$tmp/dst.status")" \
			[ "$(cat "$tmp/dst.status")" = 1 ]
		check "$src -> $dst: the two runs' output is the whole run's, no line lost or repeated" \
			"$(cat "$tmp/src.out" "$tmp/dst.out" | diff - "$expect" | head -5 | tr '\n' ' ')" \
			cmp -s <(cat "$tmp/src.out" "$tmp/dst.out") "$expect"
		check "$src -> $dst: the memory file is unchanged by the restore" "sha256 changed" \
			[ "$(sha256sum <"$snap/memory")" = "$mem_sha" ]
		# The ASan build exits with status 1, the guest's PASS, after a report.
		check "$src -> $dst: no sanitizer report" "$(grep -h -m 3 -E "$sanitizer" "$tmp/src.err" "$tmp/dst.err")" \
			no_report "$tmp/src.err" "$tmp/dst.err"
	done
done
[ ${#engines[@]} -gt 0 ] || {
	echo "0 passed, 0 failed, $skipped skipped"
	exit 0
}

# The refusals, on copies of one snapshot.
base=$tmp/base
snapshot "${engines[0]}" "$base"
echo "INFO: $suite $(grep 'test snapshot:' "$tmp/src.err")"
mem_bytes=$(stat -c %s "$base/memory")
mem_disk=$(($(stat -c %b "$base/memory") * $(stat -c %B "$base/memory")))
check "zero pages are holes: the memory file of $((mem_bytes >> 20)) MiB takes $((mem_disk >> 10)) KiB of disk" \
	"$mem_disk bytes on disk" [ "$mem_disk" -lt $((mem_bytes / 16)) ]
check "the snapshot's files are the owner's only (0600)" "$(stat -c '%a %n' "$base"/*)" \
	[ "$(stat -c %a "$base/state" "$base/memory" "$base/config.json" | sort -u)" = 600 ]

# refused NAME EXPECTED-TEXT ARGS...: restore ARGS exits 2 with one line on
# stderr holding EXPECTED-TEXT, and the guest never ran.
refused() {
	local name=$1 text=$2
	shift 2
	restore "$@"
	check "refused: $name" \
		"status $(cat "$tmp/dst.status"), stderr '$(head -c 300 "$tmp/dst.err")', $(wc -c <"$tmp/dst.out") bytes of output" \
		[ "$(cat "$tmp/dst.status")" = 2 -a "$(wc -l <"$tmp/dst.err")" = 1 -a ! -s "$tmp/dst.out" ]
	grep -q -- "$text" "$tmp/dst.err" || fail "refused: $name says why" "expected '$text' in '$(cat "$tmp/dst.err")'"
}

# copy NAME: a fresh copy of the base snapshot, holes kept.
copy() {
	rm -rf "${tmp:?}/$1"
	cp -r --sparse=always "$base" "$tmp/$1"
	echo "$tmp/$1"
}

# python3 edits: set the state's bytes, or make its CRC right again.
state_edit() { # state_edit FILE OFFSET BYTE-VALUE [fixcrc]
	python3 - "$@" <<'PY'
import sys, zlib
path, off, val = sys.argv[1], int(sys.argv[2]), int(sys.argv[3], 0)
b = bytearray(open(path, "rb").read())
if off < 0:
    off += len(b)
b[off] ^= val if len(sys.argv) < 5 else 0
if len(sys.argv) >= 5:
    b[off] = val
    b[-4:] = zlib.crc32(bytes(b[:-4])).to_bytes(4, "little")
open(path, "wb").write(b)
PY
}

d=$(copy flip)
state_edit "$d/state" -200 0x10
refused "a state file with one byte changed" "checksum" "$d"
d=$(copy short)
truncate -s -100 "$d/state"
refused "a truncated state file" "checksum" "$d"
d=$(copy major)
state_edit "$d/state" 8 2 fixcrc
refused "a state of a newer major version" "state format 2.0" "$d"
# The PIC's section comes first: its name at offset 17, its payload at 28;
# a payload byte that no PIC can hold (ICW expected next: 5).
d=$(copy payload)
python3 - "$d/state" <<'PY'
import sys, zlib
path = sys.argv[1]
b = bytearray(open(path, "rb").read())
assert b[16] == 3 and b[17:20] == b"pic", "the first section is not the PIC's"
b[28 + 8] = 5  # master's "ICW expected next" (0, 2, 3 or 4)
b[-4:] = zlib.crc32(bytes(b[:-4])).to_bytes(4, "little")
open(path, "wb").write(b)
PY
refused "a state whose CRC is right but the PIC's payload is not" "'pic'" "$d"
d=$(copy newline)
python3 - "$d/state" <<'PY'
import sys, zlib
path = sys.argv[1]
b = bytearray(open(path, "rb").read())
b[18] = 10  # the PIC's name "pic" as "p\nc"
b[-4:] = zlib.crc32(bytes(b[:-4])).to_bytes(4, "little")
open(path, "wb").write(b)
PY
refused "a state naming a device with a newline in its name (still one line)" "'p?c'" "$d"
d=$(copy mem)
truncate -s -4096 "$d/memory"
refused "a memory file one page short" "config.json says" "$d"
d=$(copy noconfig)
rm "$d/config.json"
refused "a snapshot without config.json" "config.json" "$d"
d=$(copy newconfig)
sed -i 's/"major": 1/"major": 2/' "$d/config.json"
refused "config.json of a newer major version" "format version 2.0" "$d"
d=$(copy typeconfig)
sed -i 's/"memory_bytes": \([0-9]*\)/"memory_bytes": "\1"/' "$d/config.json"
refused "config.json with memory_bytes a string" "'memory_bytes' is not a whole number" "$d"
d=$(copy badjson)
echo '{"format": "ringvisor-snapshot",' >"$d/config.json"
refused "config.json that is not JSON" "config.json: line" "$d"
d=$(copy hostcpu)
sed -i 's/"cpu": "[a-z0-9]*"/"cpu": "host"/' "$d/config.json"
refused "a CPU model the engine cannot provide (host on interp)" "cannot provide" "$d" --engine interp
refused "an option that shapes the machine (--mem)" "snapshot fixes the machine" "$base" --mem 1G
refused "a --disk count other than the snapshot's" "the snapshot has 0 disks" "$base" --disk "$guest"
refused "a missing directory" "No such file" "$tmp/none"

# The hook does not write into a directory that is not empty.
mkdir -p "$tmp/full"
echo keep >"$tmp/full/file"
snapshot "${engines[0]}" "$tmp/full"
status=$?
check "the hook refuses a directory that is not empty (status 6) and leaves it as it was" \
	"status $status, $(tail -1 "$tmp/src.err"), $(find "$tmp/full" -mindepth 1 | tr '\n' ' ')" \
	[ "$status" -eq 6 -a "$(find "$tmp/full" -mindepth 1)" = "$tmp/full/file" -a "$(cat "$tmp/full/file")" = keep ]
grep -q "exists and is not empty" "$tmp/src.err" || fail "the hook says why" "$(cat "$tmp/src.err")"
check "no temporary directory is left beside it" "$(find "$tmp" -maxdepth 1 -name '.*.tmp-*')" \
	[ -z "$(find "$tmp" -maxdepth 1 -name '.*.tmp-*')" ]

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
