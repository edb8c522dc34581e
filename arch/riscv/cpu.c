/*
 * What the banner says about a RISC-V hart: its ISA string from the DTB,
 * the machine IDs from SBI, and the paging modes satp accepts.
 */
#include <string.h>
#include "arch.h"
#include "riscv.h"

#include "sv_bits.h"

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
	ksnprintf(path, sizeof(path), "/cpus/cpu@%llx", (unsigned long long)bi->boot_cpu_id);
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
		  bi ? (unsigned long long)bi->boot_cpu_id : 0ull, isa ? isa : "isa unknown",
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
	ksnprintf(path, sizeof(path), "/cpus/cpu@%llx", (unsigned long long)bi->boot_cpu_id);
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
 * The probe tables: the boot map's Sv39 root (entry.S) maps the image and
 * the direct map, all in the top 512 GiB of the address space; as the
 * level-2 table under entry 511 of an Sv48 root (and that root under
 * entry 511 of an Sv57 one) it maps them at the same VAs in the deeper
 * modes, so the probe keeps running whichever mode satp takes.
 */
extern uint64_t boot_map_root[];
static uint64_t probe_roots[2][1u << SV_LEVEL_BITS] __attribute__((aligned(1u << SV_PAGE_SHIFT)));

static uint64_t table_pte(const uint64_t *table)
{
	return virt_to_phys(table) >> SV_PAGE_SHIFT << SV_PPN_SHIFT | SV_V;
}

/*
 * Whether satp accepts the Sv mode of this many levels (satp.MODE is WARL,
 * privileged spec 4.1.11: an unsupported mode does not stick). The write
 * takes effect at once, hence tables that map what runs (above);
 * riscv_satp_try puts the caller's satp back and fences. Shared by the
 * banner and the MMU layer (pt_sv.c).
 */
/* The Linux binding's mmu-type values (Documentation/devicetree/bindings/
 * riscv/cpus.yaml) as level counts; 0 for riscv,none or a word we do not
 * know (which then sets no ceiling: the probe alone decides). */
/* Sv57, the deepest mode of the privileged spec (4.1.11); each level
 * below it takes 9 VA bits off (Sv39 = 3 levels). */
#define SV_MAX_LEVELS 5
#define SV_VA_BITS(levels) (39 + 9 * ((levels) - 3))

static unsigned mmu_type_levels(const char *type)
{
	static const struct { const char *name; unsigned levels; } types[] = {
		{ "riscv,sv39", 3 }, { "riscv,sv48", 4 }, { "riscv,sv57", 5 },
	};

	for (size_t i = 0; type && i < sizeof(types) / sizeof(types[0]); i++)
		if (!strcmp(type, types[i].name))
			return types[i].levels;
	return 0;
}

/*
 * The deepest mode the kernel may probe for: what the board folder states
 * for its SoC, else the boot hart's mmu-type in the DTB (as Linux honours
 * it before probing satp), else Sv57. A satp that accepts a deeper mode
 * than the SoC documents (QEMU 7.2's sifive_u takes Sv57 on a U54) is not
 * used. Said once on the console when it lowers the probe.
 */
static unsigned levels_ceiling(void)
{
	static unsigned ceiling;
	const struct boot_info *bi;
	const char *dtb_type = NULL, *source, *stated;
	unsigned levels;
	char path[32];
	size_t len;
	int node;

	if (ceiling)
		return ceiling;
	/* Before kmain() has the boot_info (not the case today) there is no
	 * DTB to read yet: decide later, cache nothing. */
	if (!(bi = current_boot_info()))
		return board_mmu_type && mmu_type_levels(board_mmu_type) ?
		       mmu_type_levels(board_mmu_type) : SV_MAX_LEVELS;
	if (bi->dtb) {
		ksnprintf(path, sizeof(path), "/cpus/cpu@%llx", (unsigned long long)bi->boot_cpu_id);
		node = fdt_find_node(bi->dtb, path);
		if (node >= 0 && (dtb_type = fdt_prop(bi->dtb, node, "mmu-type", &len)) &&
		    (!len || dtb_type[len - 1] != '\0'))
			dtb_type = NULL;
	}
	if (board_mmu_type && (levels = mmu_type_levels(board_mmu_type))) {
		source = "the board's SoC";
		stated = board_mmu_type;
	} else if ((levels = mmu_type_levels(dtb_type))) {
		source = "the DTB";
		stated = dtb_type;
	} else {
		ceiling = SV_MAX_LEVELS;
		return ceiling;
	}
	ceiling = levels;
	if (ceiling < SV_MAX_LEVELS)
		kprintf("riscv64: paging ceiling sv%u (%s: %s; DTB mmu-type %s): "
			"no deeper mode is probed\n", SV_VA_BITS(ceiling), source, stated,
			dtb_type ? dtb_type : "absent");
	return ceiling;
}

bool riscv_satp_mode_ok(unsigned levels)
{
	const unsigned top = (1u << SV_LEVEL_BITS) - 1;
	const uint64_t *root = boot_map_root;
	uint64_t satp;

	if (levels < 3 || levels > SV_MAX_LEVELS || levels > levels_ceiling())
		return false;
	for (unsigned l = 4; l <= levels; l++) {
		probe_roots[l - 4][top] = table_pte(root);
		root = probe_roots[l - 4];
	}
	satp = (uint64_t)(SATP_MODE_SV39 + levels - 3) << SATP_MODE_SHIFT |
	       virt_to_phys(root) >> SV_PAGE_SHIFT;
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
