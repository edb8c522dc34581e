#!/bin/bash
# Purity check of the arch-neutral kernel: nothing under core/ may see a
# page table. It may include only include/*.h (and include/uapi/*.h), its
# own headers and the C library's; it may not name a level (pgd, pud, pmd,
# pte, pml4, pdpt, satp, ttbr, cr3, level, levels) nor use a constant that
# looks like a descriptor bit or field (a hex literal >= 0x100 that is one
# bit or one run of bits, a shift by 12, 21, 30, 39 or 48). Comments and
# strings do not count.
#
#   tests/purity/check.sh [DIR]     (default: core)
#
# Prints each offending line as file:line: reason: text, and exits 1 if
# there is any, 0 if none.
set -u
dir=${1:-core}
root=$(cd "$(dirname "$0")/../.." && pwd)

# Headers of the MMU engine, the formats and the architectures.
internal=$(cd "$root" && find arch mmu host -name '*.h' -printf '%f\n' 2>/dev/null | sort -u | tr '\n' ' ')
# include/*.h, and include/uapi/*.h: the system-call table, which user
# programs see too.
public=$(cd "$root" && find include -maxdepth 1 -name '*.h' -printf '%f\n';
	find include/uapi -maxdepth 1 -name '*.h' -printf '%f\n' 2>/dev/null)
public=$(echo "$public" | sort -u | tr '\n' ' ')
own=$(find "$dir" -name '*.h' -printf '%f\n' | sort -u | tr '\n' ' ')

offences=$(find "$dir" -type f \( -name '*.c' -o -name '*.h' -o -name '*.S' \) | sort |
while read -r f; do
	awk -v file="$f" -v internal=" $internal " -v public=" $public " -v own=" $own " '
	BEGIN { incomment = 0 }
	{
		raw = $0; line = $0; code = ""
		# Strip comments (block ones may span lines) and string literals,
		# except the file name of an #include.
		while (length(line) > 0) {
			if (incomment) {
				e = index(line, "*/")
				if (!e) { line = ""; break }
				line = substr(line, e + 2); incomment = 0
				continue
			}
			b = index(line, "/*"); s = index(line, "//")
			if (s && (!b || s < b)) { code = code substr(line, 1, s - 1); line = ""; break }
			if (b) { code = code substr(line, 1, b - 1) " "; line = substr(line, b + 2); incomment = 1; continue }
			code = code line; line = ""
		}
		if (code ~ /^[ \t]*#[ \t]*include/) {
			hdr = code
			sub(/^[ \t]*#[ \t]*include[ \t]*/, "", hdr)
			quoted = substr(hdr, 1, 1) == "\""
			gsub(/[<>" \t]/, "", hdr)
			base = hdr; sub(/.*\//, "", base)
			if (hdr ~ /(^|\/)(arch|mmu|host)\// || hdr ~ /\.\./)
				bad("includes a header outside include/", raw)
			else if (index(internal, " " base " ") && !index(public, " " base " "))
				bad("includes an arch or MMU-internal header", raw)
			else if (quoted && !index(public, " " base " ") && !index(own, " " base " "))
				bad("includes a header that is not in include/", raw)
			next
		}
		gsub(/"([^"\\]|\\.)*"/, "\"\"", code)
		gsub(/\047([^\047\\]|\\.)*\047/, "0", code)
		if (match(tolower(code), /(^|[^a-z0-9])(pgd|pud|pmd|pte|pml4|pdpt|satp|ttbr[01]?|cr3|levels?)([^a-z0-9]|$)/))
			bad("names a page-table level or register", raw)
		if (match(code, /(<<|>>)[ \t]*(12|21|30|39|48)([^0-9]|$)/))
			bad("shifts by a page-table index or page shift", raw)
		rest = code
		while (match(rest, /0[xX][0-9a-fA-F]+/)) {
			hex = tolower(substr(rest, RSTART + 2, RLENGTH - 2))
			rest = substr(rest, RSTART + RLENGTH)
			sub(/^0+/, "", hex)
			if (length(hex) < 3) continue
			if (maskish(hex)) { bad("uses a descriptor-like constant 0x" hex, raw); break }
		}
	}
	# One bit, or one run of ones: the shape of a descriptor bit or field.
	function maskish(h,    bits, i, d, v, k) {
		bits = ""
		for (i = 1; i <= length(h); i++) {
			d = substr(h, i, 1)
			v = index("0123456789abcdef", d) - 1
			for (k = 3; k >= 0; k--) bits = bits (int(v / 2^k) % 2)
		}
		sub(/^0+/, "", bits)
		return bits ~ /^1+0*$/
	}
	function bad(why, text) {
		printf "%s:%d: %s: %s\n", file, FNR, why, text
	}
	' "$f"
done)
if [ -n "$offences" ]; then
	printf '%s\n' "$offences"
	exit 1
fi
exit 0
