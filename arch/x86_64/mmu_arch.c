/*
 * x86_64: the MMU hooks of include/arch.h (barrier, TLB, CR3), the CPU's
 * paging features for the modes (x86_read_cpu, pt_x86.h) and the kernel's
 * address-space constants. Intel SDM vol. 3: 4.1 (paging modes, CR4.LA57),
 * 4.10.4 (invalidation: INVLPG, CR3 and CR4.PGE writes).
 */
#include "arch.h"
#include "x86.h"
#include "pt_x86.h"

/* INVLPG for up to this many 4 KiB steps, else a CR3 reload or a PGE toggle. */
#define TLB_PAGE_STEPS_MAX 32
#define PAGE_SHIFT 12
#define CR4_PGE (1ull << 7)
/* boot.S's identity map: the first 4 GiB (page 0 and the image's guard
 * page excepted, which the frame allocator never hands out). */
#define BOOT_IDENTITY_END (4ull << 30)

extern const char __text_start[], __text_end[], __rodata_end[], __image_end[];

/* CPUID.80000001H:EDX Page1GB (26), NX (20); CPUID.(EAX=07H,ECX=0):ECX
 * LA57 (16) (SDM vol. 2A, CPUID). The one probe of these bits: the
 * banner (cpu.c) reads it too. */
void x86_read_cpu(struct x86_cpu *c)
{
	uint32_t ext = cpuid(0x80000000, 0).eax >= 0x80000001 ? cpuid(0x80000001, 0).edx : 0;

	c->page1gb = ext & CPUID_80000001_EDX_PAGE1GB;
	c->nx = ext & CPUID_80000001_EDX_NX;
	c->la57 = cpuid(0, 0).eax >= 7 && (cpuid(7, 0).ecx & CPUID_7_0_ECX_LA57);
}

/* Stores are not reordered with other stores (TSO, SDM vol. 3, 9.2.2):
 * only the compiler must keep them in order. */
void arch_mmu_publish_barrier(void)
{
	__asm__ volatile("" ::: "memory");
}

static void write_cr3(uint64_t v)
{
	__asm__ volatile("mov %0, %%cr3" : : "r"(v) : "memory");
}

static void write_cr4(uint64_t v)
{
	__asm__ volatile("mov %0, %%cr4" : : "r"(v) : "memory");
}

/*
 * No PCIDs: the ASID is not the TLB's business. INVLPG drops the entries
 * of one address, global ones included (4.10.4.1); a CR3 write drops the
 * non-global ones; toggling CR4.PGE drops everything.
 */
enum arch_tlb_op arch_tlb_flush(unsigned asid, uint64_t start, uint64_t end,
                                uint64_t pages, bool global)
{
	uint64_t steps = (end - start + (1ull << PAGE_SHIFT) - 1) >> PAGE_SHIFT;

	if (end > start && steps <= TLB_PAGE_STEPS_MAX) {
		for (uint64_t va = start; va < end; va += 1ull << PAGE_SHIFT)
			__asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
		return steps == 1 ? ARCH_TLB_PAGE : ARCH_TLB_RANGE;
	}
	if (global) {
		uint64_t cr4 = read_cr4();
		if (cr4 & CR4_PGE) {
			write_cr4(cr4 & ~CR4_PGE);
			write_cr4(cr4);
		} else {
			write_cr3(read_cr3());
		}
		return ARCH_TLB_ALL;
	}
	write_cr3(read_cr3());
	return ARCH_TLB_ASID;
}

/* CR3 = the root (PML4 or PML5): the switch is immediate. CR4.LA57 cannot
 * change while paging is on (4.1.2): boot.S chose it, and a mode of the
 * other depth cannot be loaded. */
void arch_mmu_activate(const struct arch_mmu_root *r)
{
	bool la57 = read_cr4() & CR4_LA57;

	if (la57 != (r->levels == 5))
		panic("arch_mmu_activate: %u-level tables, but CR4.LA57 = %d since boot",
		      r->levels, la57);
	write_cr3(r->root);
}

uint64_t arch_phys_window_end(void)
{
	return BOOT_IDENTITY_END;
}

/* The start of the 4-level kernel half (Intel SDM vol. 3A 4.5: canonical
 * addresses), inside the 5-level one too: one base for both modes. */
#define DIRECT_MAP_VA 0xffff800000000000ull

uint64_t arch_direct_map_va(void)
{
	return DIRECT_MAP_VA;
}

/* The top 2 GiB, as Linux's __START_KERNEL_map: inside the kernel half of
 * both modes, above any direct map, pa and va alike modulo 1 GiB. */
#define KERNEL_IMAGE_VA_BASE 0xffffffff80000000ull
#define GIGABYTE_MASK ((1ull << 30) - 1)

uint64_t arch_kernel_image_va(void)
{
	return KERNEL_IMAGE_VA_BASE + ((uint64_t)(uintptr_t)__text_start & GIGABYTE_MASK);
}

/* kernel.ld puts each boundary on a 4 KiB page (boot.S maps them so too). */
void arch_image_layout(struct arch_image_layout *out)
{
	out->text = (uint64_t)(uintptr_t)__text_start;
	out->rodata = (uint64_t)(uintptr_t)__text_end;
	out->data = (uint64_t)(uintptr_t)__rodata_end;
	out->end = (uint64_t)(uintptr_t)__image_end;
}
