#!/bin/sh
# Install the Debian 12 packages every part of Origami needs: the kernel
# cross toolchains, QEMU and firmware for the three machines, the host
# tools for tests, sanitizers and the fuzzer, and the debugger.
# Idempotent: one dpkg-query and one file test when everything is present.
# As root it runs apt-get; otherwise it prints the command and fails.
set -eu

PACKAGES="
	make gcc
	gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf
	gcc-aarch64-linux-gnu picolibc-aarch64-linux-gnu
	clang lld libclang-rt-14-dev
	qemu-system-misc qemu-system-arm qemu-system-x86
	opensbi u-boot-qemu u-boot-tools
	device-tree-compiler mtools dosfstools
	gdb-multiarch
	valgrind
"

# One dpkg-query for all: packages it does not know are simply not listed.
installed=$(dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' $PACKAGES 2>/dev/null |
	awk '$1 == "ii" { print $2 }' | sed 's/:.*//') || true
missing=""
for pkg in $PACKAGES; do
	echo "$installed" | grep -qx "$pkg" || missing="$missing $pkg"
done
if [ -n "$missing" ]; then
	command="apt-get install -y --no-install-recommends$missing"
	if [ "$(id -u)" -ne 0 ]; then
		echo "setup: missing Debian packages:$missing" >&2
		echo "setup: run as root: apt-get update && $command" >&2
		exit 1
	fi
	echo "setup: installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update
	$command
fi

# The field's own parts for the Raspberry Pi boards, from Debian's arm64
# archive, unpacked under build/field/ and never installed: U-Boot for the
# Pi (u-boot-rpi: rpi_3, rpi_4, rpi_arm64) and the Pi device trees from
# the arm64 kernel package. A stamp naming both versions makes a second
# run one file test.
FIELD=build/field
STAMP=$FIELD/.stamp
[ -f "$STAMP" ] && exit 0
if [ "$(id -u)" -ne 0 ] && ! dpkg --print-foreign-architectures | grep -qx arm64; then
	echo "setup: the Pi parts need Debian's arm64 archive; run as root:" >&2
	echo "setup:   dpkg --add-architecture arm64 && apt-get update && tools/setup.sh" >&2
	exit 1
fi
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
	dpkg --add-architecture arm64
	apt-get update
fi
# The kernel package the metapackage names today (its DTBs are all we take).
kernel=$(apt-cache depends linux-image-arm64:arm64 2>/dev/null |
	sed -n 's/^ *Depends: \(linux-image-[0-9.-]*-arm64\)\(:arm64\)*$/\1/p' | head -n 1)
if [ -z "$kernel" ]; then
	apt-get update
	kernel=$(apt-cache depends linux-image-arm64:arm64 |
		sed -n 's/^ *Depends: \(linux-image-[0-9.-]*-arm64\)\(:arm64\)*$/\1/p' | head -n 1)
fi
[ -n "$kernel" ] || { echo "setup: no linux-image-*-arm64 in the arm64 archive" >&2; exit 1; }
rm -rf "$FIELD"
mkdir -p "$FIELD/debs" "$FIELD/u-boot-rpi" "$FIELD/kernel" "$FIELD/dtbs"
echo "setup: fetching u-boot-rpi:arm64 and $kernel:arm64 into $FIELD"
# apt-get download writes into the current directory, as the _apt user
# where it can (it cannot in a root-owned build tree: a warning, no error).
(cd "$FIELD/debs" && apt-get download -q u-boot-rpi:arm64 "$kernel:arm64" 2>&1 |
	grep -v '^W: Download is performed unsandboxed' || true)
dpkg-deb -x "$FIELD"/debs/u-boot-rpi_*.deb "$FIELD/u-boot-rpi"
dpkg-deb --fsys-tarfile "$FIELD"/debs/"$kernel"_*.deb |
	tar -x -C "$FIELD/kernel" --wildcards '*/broadcom/bcm2837-rpi-3-b.dtb' '*/broadcom/bcm2711-rpi-4-b.dtb'
find "$FIELD/kernel" -name '*.dtb' -exec cp {} "$FIELD/dtbs/" \;
(cd "$FIELD/debs" && ls) >"$FIELD/versions"
rm -rf "$FIELD/debs" "$FIELD/kernel"
for f in u-boot-rpi/usr/lib/u-boot/rpi_3/u-boot.bin u-boot-rpi/usr/lib/u-boot/rpi_4/u-boot.bin \
	u-boot-rpi/usr/lib/u-boot/rpi_arm64/u-boot.bin dtbs/bcm2837-rpi-3-b.dtb dtbs/bcm2711-rpi-4-b.dtb; do
	[ -f "$FIELD/$f" ] || { echo "setup: $FIELD/$f missing after unpacking" >&2; exit 1; }
done
mv "$FIELD/versions" "$STAMP"
