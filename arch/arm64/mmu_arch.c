/*
 * arm64: the MMU hooks of include/arch.h (barrier, TLB maintenance, the
 * translation registers), the CPU's translation features for the paging
 * modes (vmsa_read_cpu, pt_vmsa.h) and the kernel's address-space
 * constants. Arm ARM DDI 0487: D8 (VMSAv8-64), D8.16 (TLB maintenance),
 * D19.2 (ID registers, TCR_EL1, TTBRn_EL1).
 */
#include "arch.h"
#include "sysreg.h"
#include "pt_vmsa.h"

/* Per-address TLBI for up to this many 4 KiB steps, else the ASID. */
#define TLB_PAGE_STEPS_MAX 32
#define PAGE_SHIFT 12
#define TLBI_ASID_SHIFT 48
#define TLBI_VA_MASK ((1ull << 44) - 1)   /* VA[55:12] in bits 43:0 */
#define ASID_MASK 0xffu                   /* 8-bit ASIDs: TCR_EL1.AS = 0 */

extern char _start[], __text_end[], __rodata_end[], _end[];

/*
 * ID_AA64MMFR0_EL1 TGran4 (31:28), TGran16 (23:20), TGran64 (27:24),
 * PARange (3:0) and ID_AA64MMFR2_EL1 VARange (19:16), Arm ARM D19.2:
 *   TGran4:  0b0000 4K, 0b0001 4K with 52-bit addresses (FEAT_LPA2), 0b1111 none
 *   TGran16: 0b0000 none, 0b0001 16K, 0b0010 16K with FEAT_LPA2
 *   TGran64: 0b0000 64K, 0b1111 none
 *   VARange: 0b0001 52-bit VAs with the 64K granule (FEAT_LVA)
 *   PARange: 0b0110 52-bit PAs (FEAT_LPA)
 * The one probe of these fields: the banner (setup.c) reads it too.
 */
void vmsa_read_cpu(struct vmsa_cpu *c)
{
	uint64_t mmfr0 = read_sysreg(id_aa64mmfr0_el1);
	uint64_t mmfr2 = read_sysreg(id_aa64mmfr2_el1);
	unsigned tgran4 = id_field(mmfr0, 28), tgran16 = id_field(mmfr0, 20);
	unsigned tgran64 = id_field(mmfr0, 24), varange = id_field(mmfr2, 16);
	unsigned parange = id_field(mmfr0, 0);

	*c = (struct vmsa_cpu){
		.tgran4 = tgran4 != 0xf, .tgran16 = tgran16 != 0, .tgran64 = tgran64 != 0xf,
		.lpa2 = tgran4 == 1,
		.lva_lpa = varange == 1 && parange >= 6,
	};
}

/* Table stores before later stores, for the walker (D8.2.6 "Ordering of
 * translation table updates"... the DSB of the TLB maintenance follows). */
void arch_mmu_publish_barrier(void)
{
	__asm__ volatile("dmb ishst" ::: "memory");
}

/*
 * DSB ISHST (the table stores complete), TLBI ...IS (every CPU of the
 * Inner Shareable domain), DSB ISH, ISB. VAE1IS by ASID and address,
 * VAAE1IS by address for every ASID (global), ASIDE1IS, VMALLE1IS.
 * Harmless with the MMU off.
 */
enum arch_tlb_op arch_tlb_flush(unsigned asid, uint64_t start, uint64_t end,
                                uint64_t pages, bool global)
{
	uint64_t a = (uint64_t)(asid & ASID_MASK) << TLBI_ASID_SHIFT;
	uint64_t steps = (end - start + (1ull << PAGE_SHIFT) - 1) >> PAGE_SHIFT;
	enum arch_tlb_op op;

	__asm__ volatile("dsb ishst" ::: "memory");
	if (end > start && steps <= TLB_PAGE_STEPS_MAX) {
		for (uint64_t va = start; va < end; va += 1ull << PAGE_SHIFT) {
			uint64_t arg = (va >> PAGE_SHIFT) & TLBI_VA_MASK;
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

/* TCR_EL1 fields (D19.2). */
#define TCR_T0SZ_SHIFT 0
#define TCR_T1SZ_SHIFT 16
#define TCR_IRGN0_WBWA (1ull << 8)
#define TCR_ORGN0_WBWA (1ull << 10)
#define TCR_SH0_INNER  (3ull << 12)
#define TCR_IRGN1_WBWA (1ull << 24)
#define TCR_ORGN1_WBWA (1ull << 26)
#define TCR_SH1_INNER  (3ull << 28)
#define TCR_IPS_SHIFT  32
#define TCR_DS         (1ull << 59)

static uint64_t tcr_granules(unsigned page_shift)
{
	switch (page_shift) {     /* TG0 15:14: 4K 0b00, 64K 0b01, 16K 0b10; TG1 31:30: 16K 0b01, 4K 0b10, 64K 0b11 */
	case 14: return 2ull << 14 | 1ull << 30;
	case 16: return 1ull << 14 | 3ull << 30;
	default: return 0ull << 14 | 2ull << 30;
	}
}

/*
 * MAIR_EL1 (pt_vmsa.h's one layout), TCR_EL1 (both halves of va_bits, the
 * mode's granule, IPS = PARange, DS for 52 bits with 4K/16K), TTBR0_EL1 =
 * the set's root with its ASID, TTBR1_EL1 = the kernel half's root. Does
 * not touch SCTLR_EL1.M: with the MMU off this only loads registers.
 * Roots sit below 2^48 (the kernel's RAM), so no BADDR[51:48] split.
 */
void arch_mmu_activate(const struct arch_mmu_root *r)
{
	uint64_t tsz = 64 - r->va_bits;
	uint64_t tcr = tsz << TCR_T0SZ_SHIFT | tsz << TCR_T1SZ_SHIFT |
	               TCR_IRGN0_WBWA | TCR_ORGN0_WBWA | TCR_SH0_INNER |
	               TCR_IRGN1_WBWA | TCR_ORGN1_WBWA | TCR_SH1_INNER |
	               tcr_granules(r->page_shift) |
	               (uint64_t)id_field(read_sysreg(id_aa64mmfr0_el1), 0) << TCR_IPS_SHIFT |
	               (r->va_bits > 48 && r->page_shift < 16 ? TCR_DS : 0);
	uint64_t ttbr0 = r->root | (uint64_t)(r->asid & ASID_MASK) << TLBI_ASID_SHIFT;

	__asm__ volatile("msr mair_el1, %0" : : "r"((uint64_t)VMSA_MAIR_EL1));
	__asm__ volatile("msr tcr_el1, %0" : : "r"(tcr));
	__asm__ volatile("msr ttbr0_el1, %0" : : "r"(ttbr0));
	__asm__ volatile("msr ttbr1_el1, %0" : : "r"(r->kernel_root));
	__asm__ volatile("isb; tlbi vmalle1; dsb nsh; isb" ::: "memory");
}

/* The MMU is off: every physical address is reachable as itself. */
uint64_t arch_phys_window_end(void)
{
	return ~0ull;
}

/* The start of TTBR1's range with 48-bit VAs (Arm ARM D8.2), inside it
 * with 52-bit VAs too: one base for every mode. */
#define DIRECT_MAP_VA 0xffff000000000000ull

uint64_t arch_direct_map_va(void)
{
	return DIRECT_MAP_VA;
}

/* The top 2 GiB, as on the other arches: inside the kernel half of every
 * mode, above any direct map, pa and va alike modulo 1 GiB. */
#define KERNEL_IMAGE_VA_BASE 0xffffffff80000000ull
#define GIGABYTE_MASK ((1ull << 30) - 1)

uint64_t arch_kernel_image_va(void)
{
	return KERNEL_IMAGE_VA_BASE + ((uint64_t)(uintptr_t)_start & GIGABYTE_MASK);
}

/* kernel.ld puts each boundary on 64 KiB, the largest granule. */
void arch_image_layout(struct arch_image_layout *out)
{
	out->text = (uint64_t)(uintptr_t)_start;
	out->rodata = (uint64_t)(uintptr_t)__text_end;
	out->data = (uint64_t)(uintptr_t)__rodata_end;
	out->end = (uint64_t)(uintptr_t)_end;
}
