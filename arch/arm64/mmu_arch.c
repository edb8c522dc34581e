/*
 * arm64: the MMU hooks of mmu/hooks/arch_mmu.h (barrier, TLB maintenance,
 * the translation registers) and the kernel's address-space constants of
 * include/arch.h. Arm ARM DDI 0487: D8 (VMSAv8-64), D8.16 (TLB maintenance),
 * D19.2 (ID registers, TCR_EL1, TTBRn_EL1).
 */
#include <string.h>
#include "arch.h"
#include "arch_mmu.h"
#include "arm64.h"
#include "sysreg.h"
#include "cpu_features.h"
#include "vmsa_bits.h"

/* Per-address TLBI for up to this many pages of the granule, else the
 * ASID or everything. */
#define TLB_PAGE_STEPS_MAX 32
#define PAGE_SHIFT 12                     /* the TLBI operand's VA unit */
#define TLBI_VA_MASK ((1ull << 44) - 1)   /* VA[55:12] in bits 43:0 */
#define ASID8_MASK 0xffu
#define ASID16_MASK 0xffffu
/* TTBRn_EL1 with a 52-bit OA: BADDR[47:6] in place, BADDR[51:48] in 5:2. */
#define TTBR_BADDR_LOW (((1ull << 48) - 1) & ~0x3full)
#define TTBR_BADDR_HIGH_MASK 0xfull
#define TTBR_BADDR_HIGH_SHIFT 2

extern char _start[], __text_end[], __rodata_end[], _end[];


/* Table stores before later stores, for the walker (D8.2.6 "Ordering of
 * translation table updates"... the DSB of the TLB maintenance follows). */
void arch_mmu_publish_barrier(void)
{
	__asm__ volatile("dmb ishst" ::: "memory");
}

/* The live mode's granule (arch_mmu_activate; the boot map's 4 KiB until
 * then) and the ASID width (TCR_EL1.AS, set as the CPU allows). */
static unsigned live_page_shift = PAGE_SHIFT;

static bool asid16(void)
{
	return id_field(read_sysreg(id_aa64mmfr0_el1), ID_MMFR0_ASIDBITS_SHIFT) ==
	       ID_MMFR0_ASIDBITS_16;
}

/* mmu/hooks/arch_mmu.h: Translation faults are not cached (Arm ARM D8.16.1). */
const bool arch_tlb_caches_invalid = false;
const bool arch_tlb_range_keeps_walks = false;   /* TLBI VAE1IS, all levels */

/* ID_AA64MMFR0_EL1.ASIDBits (D19.2); TCR_EL1.AS follows it. */
unsigned arch_asid_bits(void)
{
	return asid16() ? 16 : 8;
}

unsigned arch_mmu_current_asid(void)
{
	return (unsigned)(read_sysreg(ttbr0_el1) >> TTBR_ASID_SHIFT) & (asid16() ? ASID16_MASK : ASID8_MASK);
}

static uint64_t asid_field(unsigned asid)
{
	return (uint64_t)(asid & (asid16() ? ASID16_MASK : ASID8_MASK)) << TTBR_ASID_SHIFT;
}

/*
 * Which root last ran under each hardware ASID (a small cache indexed by
 * its low bits; a miss only costs a flush). The MMU layer's ASIDs are cut
 * to 8 or 16 bits here, so after a wrap two live sets can share one: the
 * TLB may then hold the other set's entries under it (and QEMU, like the
 * architecture, keeps them when only TTBR0.BADDR changes, D8.16.1), so
 * the ASID is flushed whenever a different root takes it over.
 */
#define ASID_ROOT_CACHE 256
#define TTBR_ASID_FIELD ((uint64_t)ASID16_MASK << TTBR_ASID_SHIFT)
static uint64_t asid_roots[ASID_ROOT_CACHE];

/* Records ttbr0 (root and ASID) as its ASID's; false if another root (or
 * nothing known) had it. */
static bool asid_held_by(uint64_t ttbr0)
{
	uint64_t *slot = &asid_roots[(ttbr0 >> TTBR_ASID_SHIFT) % ASID_ROOT_CACHE];
	bool same = *slot == ttbr0;

	*slot = ttbr0;
	return same;
}

/*
 * DSB ISHST (the table stores complete), TLBI ...IS (every CPU of the
 * Inner Shareable domain), DSB ISH, ISB. Per page of the live granule:
 * VAE1IS by ASID and address, VAAE1IS by address for every ASID (global);
 * else ASIDE1IS or VMALLE1IS. The operand (D8.16, "TLB maintenance
 * instructions"): VA[55:12] in bits 43:0 whatever the granule (the bits
 * below a 16K or 64K page are RES0, so cleared), ASID in 63:48; the same
 * with FEAT_LPA2 (only the range forms, unused here, change).
 */
enum arch_tlb_op arch_tlb_flush(unsigned asid, uint64_t start, uint64_t end,
                                uint64_t pages, bool global)
{
	uint64_t a = asid_field(asid);
	uint64_t page = 1ull << live_page_shift;
	uint64_t page_bits = ~((page >> PAGE_SHIFT) - 1);
	uint64_t steps = (end - start + page - 1) >> live_page_shift;
	enum arch_tlb_op op;

	__asm__ volatile("dsb ishst" ::: "memory");
	if (end > start && steps <= TLB_PAGE_STEPS_MAX) {
		for (uint64_t va = start & ~(page - 1); va < end; va += page) {
			uint64_t arg = (va >> PAGE_SHIFT) & TLBI_VA_MASK & page_bits;
			if (global)
				__asm__ volatile("tlbi vaae1is, %0" : : "r"(arg) : "memory");
			else
				__asm__ volatile("tlbi vae1is, %0" : : "r"(arg | a) : "memory");
		}
		op = steps == 1 ? ARCH_TLB_PAGE : ARCH_TLB_RANGE;
	} else if (global) {
		__asm__ volatile("tlbi vmalle1is" ::: "memory");
		op = ARCH_TLB_ALL;
	} else {
		__asm__ volatile("tlbi aside1is, %0" : : "r"(a) : "memory");
		op = ARCH_TLB_ASID;
	}
	__asm__ volatile("dsb ish; isb" ::: "memory");
	return op;
}

/* TG0 and TG1 of a granule (D19.2, TCR_EL1: the two fields encode the
 * sizes differently). */
static uint64_t tcr_granules(unsigned page_shift)
{
	switch (page_shift) {
	case 14: return TCR_TG0_16K | TCR_TG1_16K;
	case 16: return TCR_TG0_64K | TCR_TG1_64K;
	default: return TCR_TG0_4K | TCR_TG1_4K;
	}
}

/*
 * A root table's TTBRn_EL1 BADDR: with a 52-bit OA (TCR_EL1.DS = 1 with
 * 4K, or 64K with IPS = 52 bits) BADDR[51:48] sit in bits 5:2 (D19.2,
 * TTBR0_EL1); the root, page-aligned, has bits 5:0 clear either way.
 */
static uint64_t ttbr_baddr(uint64_t pa, bool pa52)
{
	if (!pa52)
		return pa;
	return (pa & TTBR_BADDR_LOW) | (pa >> 48 & TTBR_BADDR_HIGH_MASK) << TTBR_BADDR_HIGH_SHIFT;
}

/* The mode's TCR_EL1: both halves of va_bits with the mode's granule, IPS
 * = the CPU's PA size (up to 48 bits unless the mode has a 52-bit OA),
 * DS for 52 bits with 4K/16K (FEAT_LPA2; 64K-52 is FEAT_LPA + FEAT_LVA,
 * no DS), AS for 16-bit ASIDs, HA/HD where FEAT_HAFDBS lets the hardware
 * keep the Access flag and the dirty state (Arm ARM D8, "Hardware management of
 * the Access flag / dirty state"; without them the layer emulates both
 * from the fault, mmu_fault_accessed). */
static uint64_t mode_tcr(const struct arch_mmu_root *r, bool pa52)
{
	uint64_t tsz = 64 - r->va_bits;
	uint64_t ips = id_field(read_sysreg(id_aa64mmfr0_el1), ID_MMFR0_PARANGE_SHIFT);
	unsigned hafdbs = id_field(read_sysreg(id_aa64mmfr1_el1), ID_MMFR1_HAFDBS_SHIFT);

	if (!pa52 && ips > TCR_IPS_48)
		ips = TCR_IPS_48;
	return tsz << TCR_T0SZ_SHIFT | tsz << TCR_T1SZ_SHIFT | TCR_WALK_ATTRS |
	       tcr_granules(r->page_shift) | ips << TCR_IPS_SHIFT |
	       (pa52 && r->page_shift < 16 ? TCR_DS : 0) | (asid16() ? TCR_AS : 0) |
	       (hafdbs >= 1 ? TCR_HA : 0) | (hafdbs >= 2 ? TCR_HD : 0);
}

extern char arm64_boot_idmap[];                    /* entry.S */
void arm64_ttbr1_switch(uint64_t ttbr1, uint64_t tcr);   /* entry.S, called physical */

/* The TTBR0 half of the boot map's TCR_EL1 (entry.S: TCR_BOOT). */
static uint64_t with_boot_ttbr0_half(uint64_t tcr)
{
	return (tcr & ~(uint64_t)TCR_TTBR0_FIELDS) | (TCR_BOOT & TCR_TTBR0_FIELDS);
}

/*
 * A new kernel half (TTBR1_EL1) or a new granule, VA size or DS
 * (TCR_EL1): not safe while anything is fetched or accessed through the
 * old TTBR1 (TLB conflicts, D8.16.1 break-before-make). So: TTBR0 = the
 * boot map's identity map with the boot TTBR0 half of TCR_EL1, then call
 * arm64_ttbr1_switch at its physical address there; it loads TTBR1 and
 * the new TCR_EL1 (still with the boot TTBR0 half) and drops the TLB,
 * then returns to the link address through the new kernel half. The
 * identity map's blocks keep SH = 0 so that they read the same under
 * TCR_EL1.DS = 1 (vmsa_bits.h). Leaves TTBR0 on the identity map.
 */
static void switch_kernel_half(uint64_t ttbr1, uint64_t tcr)
{
	uint64_t daif = read_sysreg(daif);
	void (*trampoline)(uint64_t, uint64_t) =
		(void (*)(uint64_t, uint64_t))(uintptr_t)virt_to_phys((const void *)arm64_ttbr1_switch);

	__asm__ volatile("msr daifset, #0xf" ::: "memory");
	write_sysreg(ttbr0_el1, virt_to_phys(arm64_boot_idmap));
	write_sysreg(tcr_el1, with_boot_ttbr0_half(read_sysreg(tcr_el1)));
	__asm__ volatile("isb; tlbi vmalle1; dsb ish; isb" ::: "memory");
	trampoline(ttbr1, with_boot_ttbr0_half(tcr));
	write_sysreg(daif, daif);
}

/*
 * TTBR1_EL1 = the kernel half's root, TTBR0_EL1 = the set's root with its
 * ASID, TCR_EL1 for the mode. When the kernel half and TCR_EL1 stay as
 * they are (switching between sets of one mode), only TTBR0_EL1 changes:
 * its entries are tagged by ASID, so no TLB maintenance (D8.13). Else the
 * trampoline (switch_kernel_half), then the mode's TTBR0 half of TCR_EL1
 * with the set's root, and the identity map's TLB entries dropped.
 * MAIR_EL1 stays as entry.S set it: one layout for every mode.
 */
void arch_mmu_activate(const struct arch_mmu_root *r)
{
	bool pa52 = r->va_bits > 48;   /* the 52-bit modes have 52-bit VAs and OAs */
	uint64_t tcr = mode_tcr(r, pa52);
	uint64_t ttbr1 = ttbr_baddr(r->kernel_root, pa52);
	uint64_t ttbr0 = ttbr_baddr(r->root, pa52) | asid_field(r->asid);

	if (read_sysreg(ttbr1_el1) == ttbr1 && read_sysreg(tcr_el1) == tcr) {
		write_sysreg(ttbr0_el1, ttbr0);
		__asm__ volatile("isb" ::: "memory");
		if (!asid_held_by(ttbr0)) {
			/* Only kernel code (TTBR1, global) runs between the
			 * write and the TLBI: no stale user entry is used. */
			__asm__ volatile("tlbi aside1is, %0; dsb ish; isb"
					 : : "r"(ttbr0 & TTBR_ASID_FIELD) : "memory");
		}
		return;
	}
	switch_kernel_half(ttbr1, tcr);
	live_page_shift = r->page_shift;
	write_sysreg(tcr_el1, tcr);
	write_sysreg(ttbr0_el1, ttbr0);
	__asm__ volatile("isb; tlbi vmalle1; dsb ish; isb" ::: "memory");
	memset(asid_roots, 0, sizeof(asid_roots));
	asid_held_by(ttbr0);
}

/*
 * PSTATE.PAN = 1: EL1 data accesses to EL0-accessible pages fault (D8.4.2,
 * FEAT_PAN), as the reference walkers model. SCTLR_EL1.SPAN = 0 sets it
 * again on every exception taken to EL1; EPAN (FEAT_PAN3) extends it to
 * EL0-executable pages.
 */
void arm64_pan_enable(void)
{
	unsigned pan = id_field(read_sysreg(id_aa64mmfr1_el1), ID_MMFR1_PAN_SHIFT);
	uint64_t sctlr = read_sysreg(sctlr_el1);

	if (!pan)
		return;
	sctlr &= ~(uint64_t)SCTLR_EL1_SPAN;
	if (pan >= ID_MMFR1_PAN3)
		sctlr |= SCTLR_EL1_EPAN;
	write_sysreg(sctlr_el1, sctlr);
	__asm__ volatile("isb" ::: "memory");
	write_sysreg(PSTATE_PAN_REG, PSTATE_PAN);
	__asm__ volatile("isb" ::: "memory");
}

/* The boot map's direct map (entry.S): 64 GiB, or what the CPU's PA size
 * reaches if less. */
uint64_t arch_phys_window_end(void)
{
	uint64_t window = (uint64_t)BOOT_DMAP_BLOCKS << BOOT_L1_SHIFT;
	uint64_t pa_end = 1ull << arm64_pa_bits();

	return pa_end < window ? pa_end : window;
}

/* The start of TTBR1's range with 48-bit VAs (Arm ARM D8.2), inside it
 * with 52-bit VAs too: one base for every mode (vmsa_bits.h, for entry.S
 * too). */
uint64_t arch_direct_map_va(void)
{
	return ARM64_DIRECT_MAP_VA;
}

/* The link address (kernel.ld: the top 2 GiB, text_offset past its
 * start). */
uint64_t arch_kernel_image_va(void)
{
	return (uint64_t)(uintptr_t)_start;
}

/* The 64 KiB granule (Arm ARM D8.2). */
#define LARGEST_GRANULE_SHIFT 16

unsigned arch_largest_base_page_shift(void)
{
	return LARGEST_GRANULE_SHIFT;
}

/* kernel.ld puts each boundary on 64 KiB, the largest granule; physical,
 * from where the loader put the image (entry.S). */
void arch_image_layout(struct arch_image_layout *out)
{
	out->text = arm64_image_pa;
	out->rodata = arm64_image_pa + (uint64_t)(__text_end - _start);
	out->data = arm64_image_pa + (uint64_t)(__rodata_end - _start);
	out->end = arm64_image_pa + (uint64_t)(_end - _start);
}
