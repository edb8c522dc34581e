#!/bin/sh
# Install the Debian 12 packages every part of Origami needs: the kernel
# cross toolchains, QEMU and firmware for the three machines, the host
# tools for tests, sanitizers and the fuzzer, and the debugger.
# Idempotent: one dpkg-query when everything is present, nothing else.
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
"

# One dpkg-query for all: packages it does not know are simply not listed.
installed=$(dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' $PACKAGES 2>/dev/null |
	awk '$1 == "ii" { print $2 }' | sed 's/:.*//') || true
missing=""
for pkg in $PACKAGES; do
	echo "$installed" | grep -qx "$pkg" || missing="$missing $pkg"
done
[ -z "$missing" ] && exit 0

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
