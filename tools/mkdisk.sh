#!/bin/sh
# A disk image as a board's boot medium has it: an MBR partition table with
# one bootable FAT32 partition (type 0x0c, FAT32 LBA) from 1 MiB to the end,
# holding the given files. No loop mounts, no root: mkfs.vfat --offset and
# mtools write straight into the image file.
#
#   tools/mkdisk.sh DISK SIZE_MIB LABEL SRC[:DEST]...
#
# SIZE_MIB: the whole image (at least 34: FAT32 needs 65525 clusters of one
# 512-byte sector). DEST defaults to SRC's file name, in the FAT's root.
set -eu
PATH=$PATH:/usr/sbin:/sbin       # mkfs.vfat, for a user whose PATH lacks sbin
[ $# -ge 3 ] || { echo "usage: $0 DISK SIZE_MIB LABEL SRC[:DEST]..." >&2; exit 2; }
disk=$1 size_mib=$2 label=$3
shift 3
sector=512
start=2048                                  # 1 MiB: the usual first partition
sectors=$((size_mib * 2048 - start))

# A little-endian 32-bit value as printf escapes.
le32() {
	printf '\\%03o\\%03o\\%03o\\%03o' $(($1 & 255)) $(($1 >> 8 & 255)) \
		$(($1 >> 16 & 255)) $(($1 >> 24 & 255))
}

rm -f "$disk"
mkdir -p "$(dirname "$disk")"
truncate -s "${size_mib}M" "$disk"
# Partition entry 1 at offset 446 (16 bytes): boot flag 0x80, CHS start
# 0xfe/0xff/0xff (LBA only), type 0x0c, CHS end the same, LBA start,
# sector count; then the 0x55aa signature at 510.
printf "\\200\\376\\377\\377\\014\\376\\377\\377$(le32 $start)$(le32 $sectors)" |
	dd of="$disk" bs=1 seek=446 conv=notrunc status=none
printf '\125\252' | dd of="$disk" bs=1 seek=510 conv=notrunc status=none
mkfs.vfat -F 32 -s 1 -n "$label" --offset $start "$disk" $((sectors * sector / 1024)) >/dev/null
for spec in "$@"; do
	src=${spec%%:*}
	dest=${spec#*:}
	[ "$dest" = "$spec" ] && dest=${src##*/}
	mcopy -o -i "$disk@@$((start * sector))" "$src" "::$dest"
done
