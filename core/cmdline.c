/*
 * Boot arguments: "key=value" or bare "key" words separated by spaces, as
 * in /chosen/bootargs, QEMU -append or the Multiboot command line.
 */
#include <string.h>
#include "kernel.h"

/* A bare "key" has the value "". A value that does not fit in buf counts
 * as absent: a truncated test argument would silently test something else. */
bool cmdline_get(const char *cmdline, const char *key, char *buf, size_t len)
{
	size_t key_len = strlen(key);
	const char *p = cmdline;

	while (p && *p) {
		size_t word = strcspn(p, " \t");

		if (word >= key_len && !strncmp(p, key, key_len) &&
		    (word == key_len || p[key_len] == '=')) {
			const char *val = word == key_len ? p + word : p + key_len + 1;
			size_t val_len = (size_t)(p + word - val);

			if (val_len >= len)
				return false;
			memcpy(buf, val, val_len);
			buf[val_len] = '\0';
			return true;
		}
		p += word;
		p += strspn(p, " \t");
	}
	return false;
}

/* A decimal or 0x-prefixed hexadecimal number that fits in 64 bits. */
bool parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	unsigned base = 10;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (!*s)
		return false;
	for (; *s; s++) {
		unsigned d = *s >= '0' && *s <= '9' ? (unsigned)(*s - '0') :
			     *s >= 'a' && *s <= 'f' ? (unsigned)(*s - 'a' + 10) :
			     *s >= 'A' && *s <= 'F' ? (unsigned)(*s - 'A' + 10) : base;

		if (d >= base || v > (UINT64_MAX - d) / base)
			return false;
		v = v * base + d;
	}
	*out = v;
	return true;
}
