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
