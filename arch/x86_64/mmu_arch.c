/*
 * x86_64: the MMU hooks of mmu/hooks/arch_mmu.h (barrier, TLB, CR3) and
 * the kernel's address-space constants of include/arch.h. Intel SDM vol. 3A: 4.1 (paging modes,
 * CR4.LA57), 4.10.1 (PCIDs), 4.10.4 (invalidation: INVLPG, INVPCID, CR3
 * and CR4 writes), 4.6 (SMEP, SMAP, NX).
 *
 * PCIDs. With CPUID PCID, CR4.PCIDE is on from the first activation and a
 * set runs with PCID = its ASID mod 4096, so its TLB entries survive a
 * switch away and back. The TLB may then hold entries of sets that are not
 * current, so every invalidation also concerns the PCIDs that are not
 * loaded. pcid_owner[] says, per PCID, which set's entries it may hold and
 * that they are current: a CR3 write may keep them (bit 63 set, 4.10.4.1)
 * only then; anything else (first use, another set with the same PCID
 * after the ASIDs wrapped, a flush deferred below) writes CR3 without bit
 * 63, which invalidates that PCID's non-global entries and its
 * paging-structure caches.
 */
#include <string.h>

#include "arch.h"
#include "arch_mmu.h"
#include "smp.h"
#include "x86.h"
#include "cpu_features.h"

/* INVLPG for up to this many 4 KiB steps, else a whole-PCID or whole-TLB flush. */
#define TLB_PAGE_STEPS_MAX 32
#define PAGE_SHIFT 12
#define PCID_COUNT (CR3_PCID_MASK + 1)
#define CR3_NOFLUSH (1ull << 63)   /* CR4.PCIDE = 1: keep the PCID's entries (4.10.4.1) */
/* INVPCID types (SDM vol. 2A, INVPCID; vol. 3A 4.10.4.1). */
#define INVPCID_ADDRESS   0   /* one linear address of one PCID, globals kept */
#define INVPCID_CONTEXT   1   /* one PCID, globals kept */
#define INVPCID_ALL       2   /* every PCID, globals included */

extern const char __image_start[], __text_end[], __rodata_end[], __image_end[];


/* Stores are not reordered with other stores (TSO, SDM vol. 3, 9.2.2):
 * only the compiler must keep them in order. */
void arch_mmu_publish_barrier(void)
{
	__asm__ volatile("" ::: "memory");
}

/* What the TLB code uses, from CPUID once, at the first activation. */
static struct {
	bool pcid;      /* CPUID.01H:ECX.PCID[17]: CR4.PCIDE on */
	bool invpcid;   /* CPUID.(EAX=07H,ECX=0):EBX.INVPCID[10] */
} tlb;

/* Per PCID: PCID_OWNED | the ASID whose entries it may hold, all current;
 * 0: whatever it holds is stale. */
#define PCID_OWNED (1ull << 32)

/* What one CPU's TLB holds is that CPU's: each has its own CR3, CR4 and
 * PCIDs (a TLB shootdown runs arch_tlb_flush on the CPU it concerns,
 * arch/x86_64/smp.c). */
static struct tlb_cpu {
	bool ready;                     /* its paging controls are on */
	bool have_current;              /* a set is loaded in CR3 (else the boot map) */
	unsigned current_asid;
	uint64_t pcid_owner[PCID_COUNT];
} tlb_cpu[SMP_MAX_CPUS];

#ifdef X86_CPU_MODEL
#define HERE (&tlb_cpu[0])              /* tlb_test.c models one CPU */
#define OTHER_CPUS false
#else
#define HERE (&tlb_cpu[this_cpu()->index])
#define OTHER_CPUS (smp_cpu_count > 1)
#endif
#define have_current (HERE->have_current)
#define current_asid (HERE->current_asid)
#define pcid_owner   (HERE->pcid_owner)

static unsigned pcid_of(unsigned asid)
{
	return tlb.pcid ? asid & CR3_PCID_MASK : 0;
}

static bool pcid_holds(unsigned asid)
{
	return pcid_owner[pcid_of(asid)] == (PCID_OWNED | asid);
}

/* The next activation of every PCID but the current one writes CR3
 * without bit 63. */
static void others_stale(void)
{
	uint64_t keep = have_current ? pcid_owner[pcid_of(current_asid)] : 0;

	memset(pcid_owner, 0, sizeof(pcid_owner));
	if (have_current)
		pcid_owner[pcid_of(current_asid)] = keep;
}

/*
 * Everything, global entries and every PCID's paging-structure caches
 * included: INVPCID type 2, else a CR4.PGE toggle (4.10.4.1, "MOV to
 * CR4": changing PGE invalidates all of it), else (PGE was never on, so no
 * entry is global and there is only PCID 0) a CR3 reload.
 */
static void flush_everything(void)
{
	uint64_t cr4 = read_cr4();

	if (tlb.invpcid) {
		invpcid(INVPCID_ALL, 0, 0);
	} else if (cr4 & CR4_PGE) {
		write_cr4(cr4 & ~(uint64_t)CR4_PGE);
		write_cr4(cr4);
	} else {
		write_cr3(read_cr3());
	}
}

/*
 * SDM vol. 3A 4.10.4.1 says what each instruction invalidates; the choice:
 *  - global entries (the kernel half, shared by every set), few pages:
 *    INVLPG, which drops the global entries of the page whatever the PCID
 *    and the current PCID's paging-structure caches; other PCIDs' caches
 *    may still hold the old upper-level entries (they are never global,
 *    4.10.3.1), so those PCIDs are flushed at their next activation;
 *  - global, many pages: everything (flush_everything);
 *  - the current set, few pages: INVLPG (current PCID);
 *  - the current set, many: CR3 reload without bit 63 (its PCID, globals
 *    kept, paging-structure caches included);
 *  - a set not loaded whose PCID holds its entries: INVPCID type 0 per
 *    page or type 1 for its PCID (globals kept, paging-structure caches of
 *    that PCID included), else, without INVPCID, mark the PCID stale: its
 *    next activation flushes it. A set not loaded whose PCID does not hold
 *    its entries (no PCIDs: a CR3 write dropped them, 4.10.4.1) has nothing
 *    cached: nothing to do until its next activation, which flushes.
 * Returns what was done or, when deferred, ARCH_TLB_ASID (the set's whole
 * PCID, at its next activation).
 */
enum arch_tlb_op arch_tlb_flush(unsigned asid, uint64_t start, uint64_t end,
                                uint64_t pages, bool global)
{
	uint64_t step = 1ull << PAGE_SHIFT;
	uint64_t steps = (end - start + step - 1) >> PAGE_SHIFT;
	bool few = end > start && steps <= TLB_PAGE_STEPS_MAX;
	enum arch_tlb_op by_page = steps == 1 ? ARCH_TLB_PAGE : ARCH_TLB_RANGE;
	bool current = have_current && asid == current_asid;

	if (global) {
		if (!few) {
			flush_everything();
			return ARCH_TLB_ALL;
		}
		for (uint64_t va = start; va < end; va += step)
			invlpg(va);
		if (tlb.pcid)
			others_stale();
		return by_page;
	}
	if (current) {
		if (!few) {
			write_cr3(read_cr3());   /* reads back without bit 63: a flushing write */
			return ARCH_TLB_ASID;
		}
		for (uint64_t va = start; va < end; va += step)
			invlpg(va);
		return by_page;
	}
	if (!tlb.pcid || !pcid_holds(asid))
		return ARCH_TLB_ASID;
	if (!tlb.invpcid) {
		pcid_owner[pcid_of(asid)] = 0;
		return ARCH_TLB_ASID;
	}
	if (!few) {
		invpcid(INVPCID_CONTEXT, pcid_of(asid), 0);
		return ARCH_TLB_ASID;
	}
	for (uint64_t va = start; va < end; va += step)
		invpcid(INVPCID_ADDRESS, pcid_of(asid), va);
	return by_page;
}

/* mmu/hooks/arch_mmu.h: Not-present entries are not cached (SDM vol. 3A 4.10.2.3). */
const bool arch_tlb_caches_invalid = false;
const bool arch_tlb_range_keeps_walks = false;   /* INVLPG, INVPCID type 0 */

/* PCIDs are 12 bits (4.10.1); without them there are no tags at all. */
unsigned arch_asid_bits(void)
{
	return cpuid(1, 0).ecx & CPUID_1_ECX_PCID ? 12 : 0;
}

unsigned arch_mmu_current_asid(void)
{
	return read_cr4() & CR4_PCIDE ? (unsigned)(read_cr3() & CR3_PCID_MASK) : 0;
}

/*
 * The paging controls the kernel's sets need, once, before their first
 * CR3 write (SDM vol. 3A 2.5 and 4.6): CR4.PGE (their kernel half is
 * global), CR4.SMEP and CR4.SMAP (the kernel neither runs nor touches user
 * pages: what the reference walkers model), EFER.NXE with NX (boot.S
 * already set it: XD is reserved without it), CR4.PCIDE with PCID (allowed
 * only while CR3[11:0] = 0: the boot map's CR3 has no PCID). Changing PGE
 * flushes the whole TLB: nothing of the boot map survives in it as global.
 */
static void enable_paging_features(void)
{
	struct cpuid l7 = cpuid(0, 0).eax >= 7 ? cpuid(7, 0) : (struct cpuid){ 0 };
	struct x86_cpu c;
	uint64_t cr4 = read_cr4() | CR4_PGE;

	x86_read_cpu(&c);
	tlb.pcid = cpuid(1, 0).ecx & CPUID_1_ECX_PCID;
	tlb.invpcid = tlb.pcid && (l7.ebx & CPUID_7_0_EBX_INVPCID);
	if (c.nx && !(rdmsr(MSR_EFER) & EFER_NXE))
		wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NXE);
	if (l7.ebx & CPUID_7_0_EBX_SMEP)
		cr4 |= CR4_SMEP;
	if (l7.ebx & CPUID_7_0_EBX_SMAP)
		cr4 |= CR4_SMAP;
	if (tlb.pcid) {
		if (read_cr3() & CR3_PCID_MASK)
			panic("x86: CR3 %#llx has low bits set: CR4.PCIDE cannot be enabled",
			      (unsigned long long)read_cr3());
		cr4 |= CR4_PCIDE;
	}
	write_cr4(cr4);
	HERE->ready = true;
	if (HERE != &tlb_cpu[0])
		return;   /* the same on every CPU: said once */
	kprintf("x86: paging controls: PGE%s%s%s%s%s\n", c.nx ? " NXE" : " (no NX)",
		cr4 & CR4_SMEP ? " SMEP" : "", cr4 & CR4_SMAP ? " SMAP" : "",
		tlb.pcid ? " PCIDE" : " (no PCID)", tlb.invpcid ? " INVPCID" : "");
}

/*
 * CR3 = the set's root (PML4 or PML5) and, with PCIDs, its PCID: the switch
 * is immediate. CR4.LA57 cannot change while paging is on: boot.S chose
 * it, and the MMU layer offers no mode of the other depth (x86_probe).
 */
void arch_mmu_activate(const struct arch_mmu_root *r)
{
	uint64_t cr3 = r->root;
	unsigned levels = x86_running_levels();

	if (levels != r->levels)
		panic("arch_mmu_activate: %u-level tables, but %u-level paging since boot",
		      r->levels, levels);
	if (r->root & ((1ull << PAGE_SHIFT) - 1))
		panic("arch_mmu_activate: root %#llx is not page aligned", (unsigned long long)r->root);
	if (!HERE->ready)
		enable_paging_features();
	if (tlb.pcid) {
		/* A set this CPU leaves is no longer in its shootdown mask
		 * (docs/smp.md): commits on other CPUs may make what its PCID
		 * holds stale unseen, so it is not trusted again. */
		if (OTHER_CPUS && have_current && current_asid != r->asid)
			pcid_owner[pcid_of(current_asid)] = 0;
		cr3 |= pcid_of(r->asid);
		if (pcid_holds(r->asid))
			cr3 |= CR3_NOFLUSH;
		pcid_owner[pcid_of(r->asid)] = PCID_OWNED | r->asid;
	}
	write_cr3(cr3);
	have_current = true;
	current_asid = r->asid;
}

uint64_t arch_phys_window_end(void)
{
	return BOOT_DIRECT_MAP_END;
}

uint64_t arch_direct_map_va(void)
{
	return DIRECT_MAP_VA;
}

/* The link address of the image's first byte (kernel.ld). */
uint64_t arch_kernel_image_va(void)
{
	return (uint64_t)(uintptr_t)__image_start;
}

/* Both depths have 4 KiB base pages (SDM vol. 3A 4.5). */
unsigned arch_largest_base_page_shift(void)
{
	return PAGE_SHIFT;
}

/* Physical; kernel.ld puts each boundary on a 4 KiB page. */
void arch_image_layout(struct arch_image_layout *out)
{
	out->text = x86_image_pa(__image_start);
	out->rodata = x86_image_pa(__text_end);
	out->data = x86_image_pa(__rodata_end);
	out->end = x86_image_pa(__image_end);
}
