/*
 * A small reader for flattened device trees (Devicetree Specification
 * v0.4, ch. 5 "Flattened Devicetree (DTB) Format"). Builds for the kernel
 * and for the host tests alike: it trusts nothing in the blob, every public
 * call validates the whole blob first (a DTB is a few kilobytes) and every
 * read is bounds-checked, so a malformed DTB gives -EINVAL and a reason in
 * fdt_error(), never a wild read.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "kernel.h"

#define FDT_MAGIC      0xd00dfeedu
#define FDT_BEGIN_NODE 1u
#define FDT_END_NODE   2u
#define FDT_PROP       3u
#define FDT_NOP        4u
#define FDT_END        9u
#define FDT_HEADER_SIZE 40u
#define FDT_MAX_DEPTH  32

/* Spec 2.3.5: defaults when a parent lacks #address-cells / #size-cells. */
#define FDT_DEFAULT_ADDRESS_CELLS 2
#define FDT_DEFAULT_SIZE_CELLS    1

struct fdt {
	const uint8_t *blob;
	uint32_t size;                  /* totalsize */
	uint32_t struct_off, struct_size;
	uint32_t strings_off, strings_size;
	uint32_t rsvmap_off;
};

/* One token of the structure block (spec 5.4). */
struct fdt_token {
	uint32_t tag;
	uint32_t off;                   /* of the tag, from the structure block */
	uint32_t next;                  /* of the following token */
	const char *name;               /* node or property name */
	const uint8_t *value;           /* FDT_PROP */
	uint32_t len;
};

static char error_buf[128];

const char *fdt_error(void)
{
	return error_buf;
}

__attribute__((format(printf, 1, 2)))
static int fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(error_buf, sizeof(error_buf), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t be64(const uint8_t *p)
{
	return (uint64_t)be32(p) << 32 | be32(p + 4);
}

/* Length of a NUL-terminated string starting at p, if it ends before end. */
static bool string_within(const uint8_t *p, const uint8_t *end, uint32_t *len)
{
	const uint8_t *nul = memchr(p, '\0', (size_t)(end - p));

	if (!nul)
		return false;
	*len = (uint32_t)(nul - p);
	return true;
}

static bool block_within(uint32_t off, uint32_t size, uint32_t total)
{
	return off <= total && size <= total - off;
}

static int next_token(const struct fdt *f, uint32_t off, struct fdt_token *t)
{
	const uint8_t *s = f->blob + f->struct_off;
	const uint8_t *end = s + f->struct_size;
	uint32_t len, nameoff;

	if (off % 4 || off > f->struct_size || f->struct_size - off < 4)
		return fail("structure block ends without FDT_END (offset %u)", off);
	t->tag = be32(s + off);
	t->off = off;
	t->name = NULL;
	t->value = NULL;
	t->len = 0;
	off += 4;
	switch (t->tag) {
	case FDT_BEGIN_NODE:
		if (!string_within(s + off, end, &len))
			return fail("unterminated node name at offset %u", t->off);
		t->name = (const char *)(s + off);
		off += (len + 1 + 3) & ~3u;
		break;
	case FDT_PROP:
		if (f->struct_size - off < 8)
			return fail("truncated property at offset %u", t->off);
		t->len = be32(s + off);
		nameoff = be32(s + off + 4);
		off += 8;
		if (t->len > f->struct_size - off)
			return fail("property at offset %u overruns the structure block", t->off);
		if (nameoff >= f->strings_size ||
		    !string_within(f->blob + f->strings_off + nameoff,
				   f->blob + f->strings_off + f->strings_size, &len))
			return fail("property at offset %u has a bad name offset %u", t->off, nameoff);
		t->name = (const char *)(f->blob + f->strings_off + nameoff);
		t->value = s + off;
		off += (t->len + 3) & ~3u;
		break;
	case FDT_END_NODE:
	case FDT_NOP:
	case FDT_END:
		break;
	default:
		return fail("unknown token 0x%x at offset %u", t->tag, t->off);
	}
	t->next = off;
	return 0;
}

static int open_fdt(const void *dtb, size_t max_size, struct fdt *f)
{
	const uint8_t *h = dtb;
	uint32_t version, last_comp;

	if (!dtb)
		return fail("no DTB (null pointer)");
	if (max_size < FDT_HEADER_SIZE)
		return fail("%zu bytes cannot hold a DTB header", max_size);
	if (be32(h) != FDT_MAGIC)
		return fail("bad magic 0x%08x (expected 0x%08x)", be32(h), FDT_MAGIC);
	f->blob = h;
	f->size = be32(h + 4);
	f->struct_off = be32(h + 8);
	f->strings_off = be32(h + 12);
	f->rsvmap_off = be32(h + 16);
	version = be32(h + 20);
	last_comp = be32(h + 24);
	f->strings_size = be32(h + 32);
	f->struct_size = be32(h + 36);
	if (f->size < FDT_HEADER_SIZE || f->size > max_size)
		return fail("totalsize %u outside [%u, %zu]", f->size, FDT_HEADER_SIZE, max_size);
	/* size_dt_struct appeared in version 17: the oldest we read. */
	if (version < 17 || last_comp > 17)
		return fail("unsupported version %u (last compatible %u)", version, last_comp);
	if (!block_within(f->struct_off, f->struct_size, f->size) || f->struct_off % 4)
		return fail("structure block [%u, +%u) outside the blob", f->struct_off, f->struct_size);
	if (!block_within(f->strings_off, f->strings_size, f->size))
		return fail("strings block [%u, +%u) outside the blob", f->strings_off, f->strings_size);
	if (f->rsvmap_off % 8 || f->rsvmap_off >= f->size)
		return fail("memory reservation block at %u outside the blob", f->rsvmap_off);
	return 0;
}

/* The whole structure block: balanced nodes, one root, ending in FDT_END. */
static int check_structure(const struct fdt *f)
{
	struct fdt_token t;
	uint32_t off = 0;
	int depth = 0, roots = 0, err;

	for (;;) {
		if ((err = next_token(f, off, &t)))
			return err;
		off = t.next;
		switch (t.tag) {
		case FDT_BEGIN_NODE:
			if (depth == 0 && roots++)
				return fail("second root node at offset %u", t.off);
			if (++depth > FDT_MAX_DEPTH)
				return fail("nodes nested deeper than %d", FDT_MAX_DEPTH);
			break;
		case FDT_END_NODE:
			if (depth-- == 0)
				return fail("FDT_END_NODE without a node at offset %u", t.off);
			break;
		case FDT_PROP:
			if (depth == 0)
				return fail("property outside any node at offset %u", t.off);
			break;
		case FDT_END:
			if (depth)
				return fail("FDT_END inside an open node");
			if (!roots)
				return fail("no root node");
			return 0;
		}
	}
}

/* The memory reservation block: (address, size) pairs ending in (0, 0). */
static int check_rsvmap(const struct fdt *f)
{
	uint32_t off;

	for (off = f->rsvmap_off; f->size - off >= 16; off += 16)
		if (be64(f->blob + off) == 0 && be64(f->blob + off + 8) == 0)
			return 0;
	return fail("memory reservation block has no terminating entry");
}

static int load(const void *dtb, size_t max_size, struct fdt *f)
{
	int err;

	error_buf[0] = '\0';
	if ((err = open_fdt(dtb, max_size, f)) || (err = check_rsvmap(f)) ||
	    (err = check_structure(f)))
		return err;
	return 0;
}

int fdt_check(const void *dtb, size_t max_size)
{
	struct fdt f;

	return load(dtb, max_size, &f);
}

size_t fdt_size(const void *dtb)
{
	return be32((const uint8_t *)dtb + 4);
}

/* For callers that know no bound: the header's own totalsize. */
static int load_trusting_size(const void *dtb, struct fdt *f)
{
	const uint8_t *h = dtb;

	if (!dtb)
		return fail("no DTB (null pointer)");
	if (be32(h) != FDT_MAGIC)
		return fail("bad magic 0x%08x (expected 0x%08x)", be32(h), FDT_MAGIC);
	return load(dtb, be32(h + 4), f);
}

/* Node names: "memory" matches "memory" and "memory@80000000". */
static bool name_matches(const char *node, const char *want, size_t want_len)
{
	if (strncmp(node, want, want_len))
		return false;
	return node[want_len] == '\0' ||
	       (node[want_len] == '@' && !memchr(want, '@', want_len));
}

/* Offset of the first token after the node's properties. */
static uint32_t skip_props(const struct fdt *f, uint32_t node)
{
	struct fdt_token t;

	next_token(f, node, &t);
	for (;;) {
		uint32_t off = t.next;

		next_token(f, off, &t);
		if (t.tag != FDT_PROP && t.tag != FDT_NOP)
			return off;
	}
}

/* Offset just past the node's FDT_END_NODE. */
static uint32_t skip_node(const struct fdt *f, uint32_t node)
{
	struct fdt_token t;
	uint32_t off = node;
	int depth = 0;

	do {
		next_token(f, off, &t);
		off = t.next;
		if (t.tag == FDT_BEGIN_NODE)
			depth++;
		else if (t.tag == FDT_END_NODE)
			depth--;
	} while (depth);
	return off;
}

/* Iterate over the children of parent: *child = 0 to start. Returns false
 * at the end. */
static bool next_child(const struct fdt *f, uint32_t parent, uint32_t *child, const char **name)
{
	struct fdt_token t;
	uint32_t off = *child ? skip_node(f, *child) : skip_props(f, parent);

	for (;;) {
		next_token(f, off, &t);
		if (t.tag == FDT_BEGIN_NODE) {
			*child = off;
			*name = t.name;
			return true;
		}
		if (t.tag != FDT_NOP)
			return false;
		off = t.next;
	}
}

static const uint8_t *get_prop(const struct fdt *f, uint32_t node, const char *name, uint32_t *len)
{
	struct fdt_token t;
	uint32_t off;

	next_token(f, node, &t);
	for (off = t.next;; off = t.next) {
		next_token(f, off, &t);
		if (t.tag == FDT_NOP)
			continue;
		if (t.tag != FDT_PROP)
			return NULL;
		if (!strcmp(t.name, name)) {
			*len = t.len;
			return t.value;
		}
	}
}

static int find_path(const struct fdt *f, const char *path, uint32_t *node, uint32_t *parent)
{
	uint32_t cur = 0, up = 0;

	if (path[0] != '/')
		return -ENOENT;
	while (*path) {
		const char *comp, *name;
		size_t len;
		uint32_t child = 0;
		bool found = false;

		while (*path == '/')
			path++;
		if (!*path)
			break;
		comp = path;
		len = strcspn(comp, "/");
		path += len;
		while (!found && next_child(f, cur, &child, &name))
			found = name_matches(name, comp, len);
		if (!found)
			return -ENOENT;
		up = cur;
		cur = child;
	}
	*node = cur;
	*parent = up;
	return 0;
}

static unsigned cells(const struct fdt *f, uint32_t node, const char *name, unsigned dflt)
{
	uint32_t len;
	const uint8_t *p = get_prop(f, node, name, &len);

	return p && len == 4 ? be32(p) : dflt;
}

/* Split a "reg" property into (address, size) pairs. */
static int read_reg(const struct fdt *f, uint32_t node, uint32_t parent,
		    struct mem_range *out, unsigned max, unsigned *n)
{
	unsigned ac = cells(f, parent, "#address-cells", FDT_DEFAULT_ADDRESS_CELLS);
	unsigned sc = cells(f, parent, "#size-cells", FDT_DEFAULT_SIZE_CELLS);
	uint32_t len, entry = 4 * (ac + sc);
	const uint8_t *p = get_prop(f, node, "reg", &len);

	if (!p)
		return 0;
	if (ac < 1 || ac > 2 || sc > 2 || len % entry)
		return fail("reg of %u bytes does not fit #address-cells %u, #size-cells %u",
			    len, ac, sc);
	for (; len; len -= entry, p += entry) {
		uint64_t base = ac == 2 ? be64(p) : be32(p);
		uint64_t size = sc == 2 ? be64(p + 4 * ac) : sc ? be32(p + 4 * ac) : 0;

		if (*n >= max)
			return -ENOSPC;
		out[*n].base = base;
		out[*n].size = size;
		(*n)++;
	}
	return 0;
}

static bool node_disabled(const struct fdt *f, uint32_t node)
{
	uint32_t len;
	const uint8_t *status = get_prop(f, node, "status", &len);

	return status && len >= 4 && memcmp(status, "okay", 4) && memcmp(status, "ok", 3);
}

static bool string_prop_is(const uint8_t *p, uint32_t len, const char *want)
{
	size_t n = strlen(want);

	return p && len == n + 1 && !memcmp(p, want, n + 1);
}

int fdt_memory(const void *dtb, struct mem_range *out, unsigned max, unsigned *n)
{
	struct fdt f;
	uint32_t child = 0, len;
	const char *name;
	int err;

	*n = 0;
	if ((err = load_trusting_size(dtb, &f)))
		return err;
	/* Spec 3.4: /memory nodes, device_type "memory", one or more of them. */
	while (next_child(&f, 0, &child, &name)) {
		const uint8_t *type = get_prop(&f, child, "device_type", &len);

		if (!string_prop_is(type, len, "memory") || node_disabled(&f, child))
			continue;
		if ((err = read_reg(&f, child, 0, out, max, n)))
			return err;
	}
	return *n ? 0 : -ENOENT;
}

int fdt_reserved(const void *dtb, struct mem_range *out, unsigned max, unsigned *n)
{
	struct fdt f;
	uint32_t off, node, parent, child = 0;
	const char *name;
	int err;

	*n = 0;
	if ((err = load_trusting_size(dtb, &f)))
		return err;
	for (off = f.rsvmap_off; be64(f.blob + off) || be64(f.blob + off + 8); off += 16) {
		if (*n >= max)
			return -ENOSPC;
		out[*n].base = be64(f.blob + off);
		out[*n].size = be64(f.blob + off + 8);
		(*n)++;
	}
	/* Spec 3.5: children with "reg" are static reservations; the ones with
	 * only "size" are allocated by the OS and reserve nothing yet. */
	if (find_path(&f, "/reserved-memory", &node, &parent))
		return 0;
	while (next_child(&f, node, &child, &name))
		if (!node_disabled(&f, child) && (err = read_reg(&f, child, node, out, max, n)))
			return err;
	return 0;
}

int fdt_bootargs(const void *dtb, const char **out)
{
	struct fdt f;
	uint32_t node, parent, len;
	const uint8_t *p;
	int err;

	if ((err = load_trusting_size(dtb, &f)))
		return err;
	if (find_path(&f, "/chosen", &node, &parent) ||
	    !(p = get_prop(&f, node, "bootargs", &len)))
		return -ENOENT;
	if (!len || p[len - 1] != '\0')
		return fail("/chosen/bootargs is not a string");
	*out = (const char *)p;
	return 0;
}

static uint64_t cells_value(const uint8_t *p, unsigned n)
{
	return n == 2 ? be64(p) : be32(p);
}

/*
 * A reg address of the node at path, in its parent's address space, as a
 * CPU address: through the "ranges" of every bus above it (Devicetree spec
 * 2.3.8), e.g. the Pi's /soc, which maps bus address 0x7e000000 to CPU
 * 0x3f000000. An empty or absent ranges maps 1:1.
 */
static int translate_to_cpu(const struct fdt *f, const char *path, uint64_t *addr)
{
	char bus[128];
	size_t len = strlen(path);
	uint32_t node, parent, plen;

	if (len >= sizeof(bus))
		return fail("path \"%s\" too long", path);
	memcpy(bus, path, len + 1);
	for (;;) {
		char *slash = NULL;
		const uint8_t *r;
		unsigned ac, pac, sc, entry;
		bool found = false;

		for (char *c = bus; *c; c++)    /* the last '/' */
			if (*c == '/')
				slash = c;
		if (!slash || slash == bus)
			return 0;       /* up at the root: a CPU address */
		*slash = '\0';
		if (find_path(f, bus, &node, &parent))
			return fail("no node \"%s\"", bus);
		if (!(r = get_prop(f, node, "ranges", &plen)) || !plen)
			continue;
		ac = cells(f, node, "#address-cells", FDT_DEFAULT_ADDRESS_CELLS);
		sc = cells(f, node, "#size-cells", FDT_DEFAULT_SIZE_CELLS);
		pac = cells(f, parent, "#address-cells", FDT_DEFAULT_ADDRESS_CELLS);
		entry = 4 * (ac + pac + sc);
		if (ac < 1 || ac > 2 || pac < 1 || pac > 2 || sc < 1 || sc > 2 || plen % entry)
			return fail("%s/ranges of %u bytes does not fit its cells", bus, plen);
		for (; plen && !found; plen -= entry, r += entry) {
			uint64_t child = cells_value(r, ac), cpu = cells_value(r + 4 * ac, pac);
			uint64_t size = cells_value(r + 4 * (ac + pac), sc);

			if (*addr >= child && *addr - child < size) {
				*addr = cpu + (*addr - child);
				found = true;
			}
		}
		if (!found)
			return fail("%s/ranges does not map 0x%llx", bus, (unsigned long long)*addr);
	}
}

static bool compatible_with(const uint8_t *list, uint32_t len, const char *want)
{
	uint32_t i = 0, n;

	while (i < len && string_within(list + i, list + len, &n)) {
		if (!strcmp((const char *)list + i, want))
			return true;
		i += n + 1;
	}
	return false;
}

static const struct {
	const char *compatible;
	enum uart_kind kind;
	unsigned reg_shift, reg_io_width;   /* when the node says none */
} uart_drivers[] = {
	{ "ns16550a", UART_NS16550_MMIO, 0, 1 },
	{ "ns16550", UART_NS16550_MMIO, 0, 1 },
	{ "ns8250", UART_NS16550_MMIO, 0, 1 },
	{ "snps,dw-apb-uart", UART_NS16550_MMIO, 0, 1 },
	{ "arm,pl011", UART_PL011, 0, 1 },
	{ "sifive,uart0", UART_SIFIVE, 0, 1 },
	/* The Pi's mini UART: 16550-like registers 4 bytes apart, no
	 * reg-shift in its binding (BCM2835 ARM Peripherals 2.2.2; Linux
	 * 8250_bcm2835aux.c sets regshift 2). */
	{ "brcm,bcm2835-aux-uart", UART_NS16550_MMIO, 2, 4 },
};

int fdt_stdout_uart(const void *dtb, struct uart_desc *out)
{
	struct fdt f;
	uint32_t chosen, node, parent, len, alias_len;
	const uint8_t *p, *compat;
	char path[128];
	struct mem_range reg;
	unsigned n = 0, i;
	int err;

	if ((err = load_trusting_size(dtb, &f)))
		return err;
	if (find_path(&f, "/chosen", &chosen, &parent))
		return -ENOENT;
	if (!(p = get_prop(&f, chosen, "stdout-path", &len)) &&
	    !(p = get_prop(&f, chosen, "linux,stdout-path", &len)))
		return -ENOENT;
	if (!len || p[len - 1] != '\0')
		return fail("/chosen/stdout-path is not a string");
	/* Spec 3.6: "path-or-alias[:options]". */
	len = (uint32_t)strcspn((const char *)p, ":");
	if (len >= sizeof(path))
		return fail("/chosen/stdout-path longer than %zu bytes", sizeof(path) - 1);
	memcpy(path, p, len);
	path[len] = '\0';
	if (path[0] != '/') {
		uint32_t aliases;

		if (find_path(&f, "/aliases", &aliases, &parent) ||
		    !(p = get_prop(&f, aliases, path, &alias_len)) ||
		    !alias_len || p[alias_len - 1] != '\0' || alias_len > sizeof(path))
			return fail("stdout-path alias \"%s\" not found", path);
		memcpy(path, p, alias_len);
	}
	if (find_path(&f, path, &node, &parent))
		return fail("stdout-path \"%s\" names no node", path);
	compat = get_prop(&f, node, "compatible", &len);
	for (i = 0; i < sizeof(uart_drivers) / sizeof(uart_drivers[0]); i++)
		if (compat && compatible_with(compat, len, uart_drivers[i].compatible))
			break;
	if (i == sizeof(uart_drivers) / sizeof(uart_drivers[0]))
		return -ENODEV;
	if ((err = read_reg(&f, node, parent, &reg, 1, &n)) && err != -ENOSPC)
		return err;
	if (!n)
		return fail("stdout node \"%s\" has no reg", path);
	if ((err = translate_to_cpu(&f, path, &reg.base)))
		return err;
	out->kind = uart_drivers[i].kind;
	out->base = reg.base;
	out->reg_shift = cells(&f, node, "reg-shift", uart_drivers[i].reg_shift);
	out->reg_io_width = cells(&f, node, "reg-io-width", uart_drivers[i].reg_io_width);
	if (out->reg_io_width != 1 && out->reg_io_width != 4)
		return fail("reg-io-width %u not supported", out->reg_io_width);
	return 0;
}

/* Devicetree spec 3.7 and 3.8: the children of /cpus with device_type
 * "cpu" that are not disabled, their ids from "reg" (#address-cells of
 * /cpus: 1 or 2), and how each is started. */
int fdt_cpus(const void *dtb, struct fdt_cpu *out, unsigned max, unsigned *n)
{
	struct fdt f;
	uint32_t cpus_node, parent, child = 0, len;
	const char *name;
	int err;

	*n = 0;
	if ((err = load_trusting_size(dtb, &f)))
		return err;
	if (find_path(&f, "/cpus", &cpus_node, &parent))
		return -ENOENT;
	unsigned ac = cells(&f, cpus_node, "#address-cells", 1);
	while (next_child(&f, cpus_node, &child, &name)) {
		const uint8_t *type = get_prop(&f, child, "device_type", &len);
		const uint8_t *reg, *p;

		if (!string_prop_is(type, len, "cpu") || node_disabled(&f, child))
			continue;
		if (!(reg = get_prop(&f, child, "reg", &len)) || len < 4 * ac || ac < 1 || ac > 2)
			return fail("%s: no usable reg", name);
		if (*n >= max)
			return -ENOSPC;
		struct fdt_cpu *c = &out[(*n)++];
		memset(c, 0, sizeof(*c));
		c->id = ac == 2 ? be64(reg) : be32(reg);
		const uint8_t *nul;
		if ((p = get_prop(&f, child, "enable-method", &len)) && (nul = memchr(p, 0, len))) {
			size_t k = (size_t)(nul - p);
			if (k >= sizeof(c->enable_method))
				k = sizeof(c->enable_method) - 1;
			memcpy(c->enable_method, p, k);
		}
		if ((p = get_prop(&f, child, "cpu-release-addr", &len)) && (len == 4 || len == 8))
			c->release_addr = len == 8 ? be64(p) : be32(p);
		c->has_mmu = get_prop(&f, child, "mmu-type", &len) != NULL;
	}
	return *n ? 0 : -ENOENT;
}

/* The first enabled node compatible with compat, anywhere in the tree: its
 * reg as (address, size) pairs, with its parent's cells. */
int fdt_compatible_reg(const void *dtb, const char *compat, struct mem_range *out,
                       unsigned max, unsigned *n)
{
	struct fdt f;
	struct fdt_token t;
	uint32_t stack[FDT_MAX_DEPTH], off = 0, len;
	int depth = -1, err;

	*n = 0;
	if ((err = load_trusting_size(dtb, &f)))
		return err;
	for (;; off = t.next) {
		if ((err = next_token(&f, off, &t)))
			return err;
		if (t.tag == FDT_END)
			return -ENOENT;
		if (t.tag == FDT_END_NODE && depth >= 0)
			depth--;
		if (t.tag != FDT_BEGIN_NODE)
			continue;
		if (++depth >= FDT_MAX_DEPTH)
			return fail("nodes nested deeper than %d", FDT_MAX_DEPTH);
		stack[depth] = t.off;
		const uint8_t *c = get_prop(&f, t.off, "compatible", &len);
		if (!c || !compatible_with(c, len, compat) || node_disabled(&f, t.off))
			continue;
		if ((err = read_reg(&f, t.off, depth ? stack[depth - 1] : 0, out, max, n)))
			return err;
		return *n ? 0 : -ENOENT;
	}
}

int fdt_find_node(const void *dtb, const char *path)
{
	struct fdt f;
	uint32_t node, parent;
	int err;

	if ((err = load_trusting_size(dtb, &f)))
		return err;
	if (find_path(&f, path, &node, &parent))
		return -ENOENT;
	return (int)node;
}

const void *fdt_prop(const void *dtb, int node, const char *name, size_t *len)
{
	struct fdt f;
	struct fdt_token t;
	uint32_t n;
	const uint8_t *p;

	if (load_trusting_size(dtb, &f) || node < 0)
		return NULL;
	/* node must come from fdt_find_node(); any other offset is at worst
	 * misread, never read out of bounds. */
	if (next_token(&f, (uint32_t)node, &t) || t.tag != FDT_BEGIN_NODE)
		return NULL;
	if (!(p = get_prop(&f, (uint32_t)node, name, &n)))
		return NULL;
	*len = n;
	return p;
}
