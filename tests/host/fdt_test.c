/*
 * Host tests of core/fdt.c.
 *
 *   fdt_test dump FILE       what the reader finds, one fact per line, for
 *                            tests/suites.d/fdt.sh to compare with fdtget
 *   fdt_test malformed FILE  damage a valid DTB in every way we can name,
 *                            then at random: each must give -EINVAL and a
 *                            reason, never a crash (built with ASan/UBSan)
 *
 * Prints "PASS name" / "FAIL name" lines; exits non-zero on any failure.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kernel.h"

static unsigned failures;

static void result(bool ok, const char *what, const char *detail)
{
	printf("%s %s%s%s\n", ok ? "PASS" : "FAIL", what, detail ? ": " : "", detail ? detail : "");
	failures += !ok;
}

static uint8_t *read_file(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n;

	if (!f || fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) {
		perror(path);
		exit(2);
	}
	buf = malloc((size_t)n ? (size_t)n : 1);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		perror(path);
		exit(2);
	}
	fclose(f);
	*size = (size_t)n;
	return buf;
}

static const char *uart_kind_name(enum uart_kind k)
{
	switch (k) {
	case UART_NS16550_MMIO: return "ns16550";
	case UART_NS16550_PIO: return "ns16550-pio";
	case UART_PL011: return "pl011";
	case UART_SIFIVE: return "sifive";
	default: return "none";
	}
}

static int dump(const uint8_t *dtb, size_t size)
{
	struct mem_range r[BOOT_MAX_RANGES];
	struct uart_desc u;
	const char *args;
	unsigned n, i;
	int err;

	if ((err = fdt_check(dtb, size))) {
		printf("error %d %s\n", err, fdt_error());
		return 1;
	}
	if ((err = fdt_memory(dtb, r, BOOT_MAX_RANGES, &n)))
		printf("memory error %d %s\n", err, fdt_error());
	for (i = 0; !err && i < n; i++)
		printf("memory 0x%llx 0x%llx\n", (unsigned long long)r[i].base,
		       (unsigned long long)r[i].size);
	if ((err = fdt_reserved(dtb, r, BOOT_MAX_RANGES, &n)))
		printf("reserved error %d %s\n", err, fdt_error());
	for (i = 0; !err && i < n; i++)
		printf("reserved 0x%llx 0x%llx\n", (unsigned long long)r[i].base,
		       (unsigned long long)r[i].size);
	err = fdt_bootargs(dtb, &args);
	printf("bootargs %s\n", err ? "(none)" : args);
	err = fdt_stdout_uart(dtb, &u);
	if (err)
		printf("uart (none)\n");
	else
		printf("uart %s 0x%llx %u %u\n", uart_kind_name(u.kind),
		       (unsigned long long)u.base, u.reg_shift, u.reg_io_width);
	return 0;
}

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Every accessor on a blob fdt_check accepted: must not crash (ASan). */
static void use_everything(const uint8_t *dtb)
{
	struct mem_range r[4];
	struct uart_desc u;
	const char *args;
	unsigned n;
	size_t len;
	int node;

	fdt_memory(dtb, r, 4, &n);
	fdt_reserved(dtb, r, 4, &n);
	fdt_bootargs(dtb, &args);
	fdt_stdout_uart(dtb, &u);
	node = fdt_find_node(dtb, "/cpus/cpu@0");
	fdt_prop(dtb, node, "reg", &len);
	fdt_prop(dtb, 0, "compatible", &len);
}

/* One damaged copy: fdt_check must refuse it with -EINVAL and a reason
 * naming the damage, and the readers must refuse it as well. */
static void expect_rejected(const char *what, const uint8_t *dtb, size_t size,
			    const char *reason_word)
{
	int err = fdt_check(dtb, size);
	char detail[256];
	struct mem_range r[4];
	unsigned n;
	bool ok = err == -EINVAL && strstr(fdt_error(), reason_word);

	snprintf(detail, sizeof(detail), "%d \"%s\"", err, fdt_error());
	/* A reader trusts totalsize: only a blob that fits can be handed over. */
	if (get_be32(dtb + 4) <= size)
		ok &= fdt_memory(dtb, r, 4, &n) == -EINVAL;
	result(ok, what, detail);
}

static uint32_t rng_state = 0x9e3779b9;

static uint32_t xorshift32(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

#define MUTATION_ROUNDS 20000

static int malformed(const uint8_t *good, size_t file_size)
{
	/* QEMU pads its dump: the blob is what the header says. */
	size_t size = get_be32(good + 4) < file_size ? get_be32(good + 4) : file_size;
	uint8_t *bad = malloc(size);
	uint32_t off_struct = get_be32(good + 8);
	uint32_t size_struct = get_be32(good + 36);
	size_t len, i;
	unsigned accepted = 0, rejected = 0, silent = 0;
	char detail[128];

	result(fdt_check(good, size) == 0, "the undamaged DTB passes", fdt_error());

	/* Truncated anywhere: the blob claims more than there is. */
	for (len = 0, i = 0; len < size; len++)
		i += fdt_check(good, len) == -EINVAL && fdt_error()[0];
	snprintf(detail, sizeof(detail), "%zu of %zu lengths rejected with a reason", i, size);
	result(i == size, "every truncation", detail);

#define DAMAGE(what, word, stmt) \
	do { memcpy(bad, good, size); stmt; expect_rejected(what, bad, size, word); } while (0)
	DAMAGE("bad magic", "magic", bad[0] ^= 0xff);
	DAMAGE("totalsize beyond the buffer", "totalsize", put_be32(bad + 4, (uint32_t)size + 4));
	DAMAGE("version 16", "version", put_be32(bad + 20, 16));
	DAMAGE("structure block beyond the blob", "structure block", put_be32(bad + 8, (uint32_t)size));
	DAMAGE("structure block size beyond the blob", "structure block",
	       put_be32(bad + 36, (uint32_t)size));
	DAMAGE("strings block beyond the blob", "strings block",
	       put_be32(bad + 12, (uint32_t)size - 1));
	DAMAGE("no FDT_END", "FDT_END", put_be32(bad + 36, size_struct - 4));
	DAMAGE("unknown token", "unknown token", put_be32(bad + off_struct, 7));
	DAMAGE("unbalanced FDT_END_NODE", "FDT_END_NODE",
	       put_be32(bad + off_struct + size_struct - 8, 2);
	       put_be32(bad + off_struct + size_struct - 4, 2));
	DAMAGE("node name runs off the block", "unterminated node name",
	       put_be32(bad + 36, 8); put_be32(bad + off_struct + 4, 0x2f2f2f2f));
	DAMAGE("memory reservation block without end", "no terminating entry", {
		uint32_t at = (uint32_t)(size - 12) & ~7u;

		put_be32(bad + 16, at);
		memset(bad + at, 0xff, size - at);
	});
	/* The first property's name offset past the strings block. */
	DAMAGE("property name offset beyond the strings", "name offset", {
		uint32_t p = off_struct;

		while (get_be32(bad + p) != 3)
			p += 4;
		put_be32(bad + p + 8, get_be32(good + 32) + 1);
	});

	/* Random damage: accepted blobs must be safe to read, rejected ones
	 * must say why. Bytes near the header and in the structure block. */
	for (i = 0; i < MUTATION_ROUNDS; i++) {
		unsigned flips = 1 + xorshift32() % 4, f;

		memcpy(bad, good, size);
		for (f = 0; f < flips; f++) {
			size_t at = xorshift32() % 2 ? xorshift32() % 64 : xorshift32() % size;

			bad[at] ^= (uint8_t)(1u << (xorshift32() % 8));
		}
		if (fdt_check(bad, size) == 0) {
			accepted++;
			use_everything(bad);
		} else {
			rejected++;
			silent += !fdt_error()[0];
		}
	}
	snprintf(detail, sizeof(detail), "%u accepted and read safely, %u rejected, %u without a reason",
		 accepted, rejected, silent);
	result(silent == 0 && rejected > 0, "random damage", detail);
	free(bad);
	return failures ? 1 : 0;
}

int main(int argc, char **argv)
{
	uint8_t *dtb;
	size_t size;
	int rc;

	if (argc != 3 || (strcmp(argv[1], "dump") && strcmp(argv[1], "malformed"))) {
		fprintf(stderr, "usage: %s dump|malformed FILE.dtb\n", argv[0]);
		return 2;
	}
	dtb = read_file(argv[2], &size);
	rc = !strcmp(argv[1], "dump") ? dump(dtb, size) : malformed(dtb, size);
	free(dtb);
	return rc;
}
