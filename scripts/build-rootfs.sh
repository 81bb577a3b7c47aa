#!/usr/bin/env bash
# Builds a Debian 12 (bookworm) minbase root file system as an ext4 image,
# for booting with --disk rootfs.img and root=/dev/vda:
#   scripts/build-rootfs.sh OUTDIR
# OUTDIR/rootfs.img, and OUTDIR/rootfs.expect with what the tree holds
# (/etc/debian_version, apt's version), which tests compare the guest's output
# with. mmdebstrap fetches from the mirror apt is configured with here (MIRROR
# overrides it); mke2fs -d copies the tree in, so nothing is loop-mounted.
# Runs as root (mmdebstrap's root mode), about 40 s and 170 MB.
set -eu
out=${1:?usage: build-rootfs.sh OUTDIR}
mkdir -p "$out"
out=$(cd "$out" && pwd)

# The first Debian archive URI apt uses (deb822 .sources or one-line .list),
# not the security archive.
configured_mirror() {
	{
		sed -n 's/^URIs:[[:space:]]*//p' /etc/apt/sources.list.d/*.sources 2>/dev/null
		sed -n 's/^deb[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\?\([^[:space:]]\+\).*/\2/p' \
			/etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null
	} | tr ' ' '\n' | grep -v -e security -e '^$' | head -n 1
}
mirror=${MIRROR:-$(configured_mirror)}
[ -n "$mirror" ] || mirror=http://deb.debian.org/debian
command -v mmdebstrap >/dev/null || { echo "build-rootfs.sh: mmdebstrap is not installed (scripts/install-deps.sh)" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tree=$work/root
mmdebstrap --quiet --variant=minbase bookworm "$tree" "$mirror"

debian_version=$(cat "$tree/etc/debian_version")
apt_version=$(dpkg-query --admindir="$tree/var/lib/dpkg" -W -f='${Version}' apt)
# The tree plus a quarter, and 32 MiB for the journal and metadata.
mib=$(($(du -sm "$tree" | cut -f1) * 5 / 4 + 32))
rm -f "$out/rootfs.img.tmp"
mke2fs -q -F -t ext4 -L rv-rootfs -d "$tree" "$out/rootfs.img.tmp" "${mib}M"
mv "$out/rootfs.img.tmp" "$out/rootfs.img"
printf 'debian_version: %s\napt_version: %s\n' "$debian_version" "$apt_version" >"$out/rootfs.expect"
echo "build-rootfs.sh: $out/rootfs.img, ${mib} MiB, Debian $debian_version, apt $apt_version, from $mirror"
