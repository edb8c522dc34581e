/*
 * What the banner says about a RISC-V hart: its ISA string from the DTB,
 * the machine IDs from SBI, and the paging modes satp accepts.
 */
#include <string.h>
#include "arch.h"
#include "riscv.h"

#define SATP_MODE_SHIFT 60
#define PAGE_SHIFT 12
#define GIGAPAGE_SHIFT 30
#define PTE_V (1u << 0)          /* privileged spec 4.4.1, figure 4.21 */
#define PTE_R (1u << 1)
#define PTE_W (1u << 2)
#define PTE_X (1u << 3)
#define PTE_A (1u << 6)
#define PTE_D (1u << 7)
#define PTE_PPN_SHIFT 10

const char *arch_name(void)
{
	return "riscv64";
}

static const char *hart_isa(void)
{
	const struct boot_info *bi = current_boot_info();
	char path[32];
	const char *isa;
	size_t len;
	int node;

	if (!bi || !bi->dtb)
		return NULL;
	/* Devicetree spec 3.8: cpu nodes are named by their reg, the hart id. */
	ksnprintf(path, sizeof(path), "/cpus/cpu@%llx", (unsigned long long)bi->hartid);
	node = fdt_find_node(bi->dtb, path);
	if (node < 0 || !(isa = fdt_prop(bi->dtb, node, "riscv,isa", &len)) ||
	    !len || isa[len - 1] != '\0')
		return NULL;
	return isa;
}

void arch_describe_cpu(char *buf, size_t len)
{
	const struct boot_info *bi = current_boot_info();
	const char *isa = hart_isa();

	ksnprintf(buf, len, "hart %llu, %s, mvendorid 0x%lx marchid 0x%lx mimpid 0x%lx",
		  bi ? (unsigned long long)bi->hartid : 0ull, isa ? isa : "isa unknown",
		  sbi_call(SBI_EXT_BASE, SBI_BASE_GET_MVENDORID, 0, 0).value,
		  sbi_call(SBI_EXT_BASE, SBI_BASE_GET_MARCHID, 0, 0).value,
		  sbi_call(SBI_EXT_BASE, SBI_BASE_GET_MIMPID, 0, 0).value);
}

/* Multi-letter extensions follow "_" in the ISA string (ISA manual ch. 27). */
static bool isa_has(const char *isa, const char *ext)
{
	size_t n = strlen(ext);
	const char *p = isa;

	while (isa && (p = strchr(p, '_'))) {
		p++;
		if (!strncmp(p, ext, n) && (p[n] == '_' || p[n] == '\0'))
			return true;
	}
	return false;
}

/* The boot hart's extension ext (lower case, e.g. "svnapot"): from the
 * DTB's riscv,isa-extensions string list (Linux Documentation/devicetree/
 * bindings/riscv/extensions.yaml) when it has one, else the riscv,isa
 * string. */
bool riscv_has_ext(const char *ext)
{
	const struct boot_info *bi = current_boot_info();
	char path[32];
	const char *list;
	size_t len, at;
	int node;

	if (!bi || !bi->dtb)
		return false;
	ksnprintf(path, sizeof(path), "/cpus/cpu@%llx", (unsigned long long)bi->hartid);
	node = fdt_find_node(bi->dtb, path);
	if (node >= 0 && (list = fdt_prop(bi->dtb, node, "riscv,isa-extensions", &len)) &&
	    len && list[len - 1] == '\0') {
		for (at = 0; at < len; at += strlen(list + at) + 1)
			if (!strcmp(list + at, ext))
				return true;
		return false;
	}
	return isa_has(hart_isa(), ext);
}

/*
 * One identity map of the GiB holding this code serves every mode: the
 * root of Sv39 is leaf_level, Sv48 adds one table above, Sv57 two, each
 * pointing down through entry 0 (the kernel sits below 512 GiB).
 */
static uint64_t probe_tables[3][512] __attribute__((aligned(4096)));

static uint64_t table_pte(const uint64_t *table)
{
	return ((uint64_t)(uintptr_t)table >> PAGE_SHIFT) << PTE_PPN_SHIFT | PTE_V;
}

/*
 * Whether satp accepts the Sv mode of this many levels (satp.MODE is WARL,
 * privileged spec 4.1.11: an unsupported mode does not stick). The write
 * takes effect at once, hence the identity map; riscv_satp_try puts the old
 * satp back and fences. Shared by the banner and the MMU layer (pt_sv.c).
 */
bool riscv_satp_mode_ok(unsigned levels)
{
	unsigned mode = levels + 5;   /* Sv39 8, Sv48 9, Sv57 10: table 4.4 */
	uint64_t here = (uint64_t)(uintptr_t)riscv_satp_try;
	uint64_t *leaf_level = probe_tables[0];
	uint64_t satp;

	if (levels < 3 || levels > 5)
		return false;
	memset(probe_tables, 0, sizeof(probe_tables));
	leaf_level[(here >> GIGAPAGE_SHIFT) & 511] =
		(here >> GIGAPAGE_SHIFT << GIGAPAGE_SHIFT >> PAGE_SHIFT) << PTE_PPN_SHIFT |
		PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D;
	probe_tables[1][0] = table_pte(probe_tables[0]);
	probe_tables[2][0] = table_pte(probe_tables[1]);
	satp = (uint64_t)mode << SATP_MODE_SHIFT |
	       (uint64_t)(uintptr_t)probe_tables[levels - 3] >> PAGE_SHIFT;
	return riscv_satp_try(satp) == satp;
}

void arch_describe_paging(char *buf, size_t len)
{
	/* satp.MODE encodings, privileged spec 4.1.11, table 4.4. */
	static const struct { const char *name; unsigned levels; } modes[] = {
		{ "sv39", 3 }, { "sv48", 4 }, { "sv57", 5 },
	};
	static const char *const extensions[] = { "svnapot", "svpbmt", "svinval" };
	size_t used = 0, i;

	buf[0] = '\0';
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]) && used < len; i++)
		if (riscv_satp_mode_ok(modes[i].levels))
			used += (size_t)ksnprintf(buf + used, len - used, "%s%s",
						  used ? " " : "", modes[i].name);
	for (i = 0; i < sizeof(extensions) / sizeof(extensions[0]) && used < len; i++)
		if (riscv_has_ext(extensions[i]))
			used += (size_t)ksnprintf(buf + used, len - used, " +%s", extensions[i]);
}
