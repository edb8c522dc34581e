/*
 * riscv64: more harts (include/smp.h). The firmware (OpenSBI) does all
 * the machine-level work: HSM starts a hart (SBI spec v2.0 ch. 9), the IPI
 * extension raises its supervisor software interrupt (ch. 7), and RFENCE
 * runs SFENCE.VMA on other harts and returns when they have (ch. 8).
 *
 * Per-CPU register: tp. It points at the CPU's TLS block (picolibc's
 * errno; RISC-V psABI, TLS variant I: tp = the block's start), which is
 * cpu->tls_block, so struct cpu is the block's container.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include "arch.h"
#include "smp.h"
#include "arch_mmu.h"   /* arch_tlb_shootdown, arch_tlb_flush */
#include "riscv.h"
#include "sv_bits.h"

/* SBI spec v2.0: ch. 7 IPI, ch. 8 RFENCE, ch. 9 HSM. */
#define SBI_EXT_IPI    0x735049
#define SBI_IPI_SEND   0
#define SBI_EXT_RFENCE 0x52464e43
#define SBI_RFENCE_SFENCE_VMA      1
#define SBI_RFENCE_SFENCE_VMA_ASID 2
#define SBI_EXT_HSM    0x48534d
#define SBI_HSM_HART_START 0

#define SIE_SSIE (1ul << 1)   /* privileged spec 4.1.3: supervisor software interrupt */
#define SIP_SSIP (1ul << 1)

extern char __tls_base[], __tdata_end[], __tls_end[], __image_start[];
extern char riscv_secondary_entry[];
extern uint64_t riscv_image_pa;

static uint64_t boot_hartid;

/*
 * smp.firmware_race= (tests): start cpus[1] the way OpenSBI 1.1's HSM
 * hart_start does when the hart checks its state between the firmware's
 * state change and its stores of the start address and argument
 * (entry.S, riscv_entry): "entry": at the boot entry with the DTB as
 * argument (the firmware's defaults); "arg": at our entry with the DTB as
 * argument. Either way the hart must come up as cpus[1].
 */
static enum { RACE_NONE, RACE_ENTRY, RACE_ARG } firmware_race;
static uint64_t dtb_pa;

void riscv_smp_early(uint64_t hartid)
{
	boot_hartid = hartid;
}

/* S-mode cannot read mhartid: the boot hart's came in a0 at boot, each
 * other hart's in a0 of its start (entry.S keeps it in arch_boot). */
uint64_t arch_cpu_hwid(void)
{
	unsigned i = smp_cpu_index();

	return i ? cpus[i].arch_boot : boot_hartid;
}

/* Harts without an mmu-type (sifive_u's E51 monitor core) cannot run
 * this kernel: they are not listed. */
unsigned arch_cpu_enumerate(const struct boot_info *bi, uint64_t *ids, unsigned max)
{
	struct fdt_cpu fc[SMP_MAX_CPUS * 2];
	unsigned n = 0, out = 0;

	char race[8];

	if (bi->cmdline && cmdline_get(bi->cmdline, "smp.firmware_race", race, sizeof(race)))
		firmware_race = !strcmp(race, "entry") ? RACE_ENTRY :
		                !strcmp(race, "arg") ? RACE_ARG : RACE_NONE;
	if (!bi->dtb || fdt_cpus(bi->dtb, fc, sizeof(fc) / sizeof(fc[0]), &n))
		n = 0;
	else
		dtb_pa = virt_to_phys(bi->dtb);
	for (unsigned i = 0; i < n && out < max; i++)
		if (fc[i].has_mmu)
			ids[out++] = fc[i].id;
	return out;
}

/* c's TLS block: the template's .tdata, zeroed .tbss (kernel.ld). */
static void tls_prepare(struct cpu *c)
{
	smp_tls_prepare(c, __tls_base, __tdata_end, __tls_end);
}

void arch_cpu_set_self(struct cpu *c)
{
	tls_prepare(c);
	__asm__ volatile("mv tp, %0" : : "r"(c->tls) : "memory");
}

struct cpu *arch_cpu_self(void)
{
	uintptr_t tp;

	__asm__("mv %0, tp" : "=r"(tp));
	return (struct cpu *)(tp - offsetof(struct cpu, tls_block));
}

int arch_cpu_start(struct cpu *c)
{
	uint64_t entry_pa = riscv_image_pa + (uint64_t)(riscv_secondary_entry - __image_start);
	/* Only a hint: the entry code trusts its hart id, not this (entry.S). */
	unsigned long opaque = (unsigned long)(uintptr_t)c;
	struct sbiret r;

	if (c->index == 1 && firmware_race != RACE_NONE) {
		if (firmware_race == RACE_ENTRY)
			entry_pa = riscv_image_pa;
		opaque = dtb_pa;
		kprintf("smp: hart %#llx started at %#llx with the DTB as argument "
		        "(smp.firmware_race)\n", (unsigned long long)c->hwid,
		        (unsigned long long)entry_pa);
	}

	tls_prepare(c);
	/* Everything the new hart reads (c, its stacks) is written before
	 * the firmware's ecall starts it. */
	__asm__ volatile("fence rw, rw" ::: "memory");
	r = sbi_call5(SBI_EXT_HSM, SBI_HSM_HART_START, c->hwid, entry_pa,
	              opaque, 0, 0);
	return r.error ? -EIO : 0;
}

/* Nothing is ever left outside the mailbox. */
void arch_smp_poll(void)
{
}

void arch_ipi_init(void)
{
	__asm__ volatile("csrs sie, %0" : : "r"(SIE_SSIE));
}

/* hart_mask is relative to hart_mask_base (SBI spec 3.2): one hart. */
void arch_ipi_send(struct cpu *c)
{
	__asm__ volatile("fence rw, rw" ::: "memory");
	sbi_call(SBI_EXT_IPI, SBI_IPI_SEND, 1, c->hwid);
}

/*
 * WFI wakes on a pending interrupt enabled in sie even with sstatus.SIE
 * clear (privileged spec 3.3.3), and no trap is taken: the kernel never
 * runs with interrupts on. Clearing SSIP after waking makes the next WFI
 * wait for the next IPI; one that came before the caller looked at its
 * mailbox is seen then, since the caller looks again after this returns.
 */
void arch_cpu_idle(void)
{
	__asm__ volatile("wfi; csrc sip, %0" : : "r"(SIP_SSIP) : "memory");
}

/*
 * The TLB shootdown of include/arch.h: RFENCE's remote SFENCE.VMA on the
 * harts of mask, for the ASID, or for every ASID where the translation is
 * global (the kernel half). The firmware returns once they all did it.
 * [start, start + size) with size 0 or ~0 (SBI 8.1: "the full address
 * space") when the local flush was for the whole ASID.
 */
enum smp_shootdown_kind arch_tlb_shootdown(uint64_t mask, unsigned asid, uint64_t start,
                                       uint64_t end, bool global, enum arch_tlb_op local)
{
	unsigned long harts = 0, base = ~0ul, size;

	for (unsigned i = 0; i < smp_cpu_count; i++)
		if (mask & (1ull << i) && cpus[i].hwid < base)
			base = cpus[i].hwid;
	for (unsigned i = 0; i < smp_cpu_count; i++)
		if (mask & (1ull << i)) {
			if (cpus[i].hwid - base >= 64)
				panic("riscv: hart %llu too far from hart %lu for one RFENCE mask",
				      (unsigned long long)cpus[i].hwid, base);
			harts |= 1ul << (cpus[i].hwid - base);
		}
	if (!harts)
		return SMP_SHOOTDOWN_NONE;
	start &= ~((1ull << SV_PAGE_SHIFT) - 1);
	size = local == ARCH_TLB_PAGE || local == ARCH_TLB_RANGE ? end - start : ~0ul;
	if (size == ~0ul)
		start = 0;
	if (global)
		sbi_call5(SBI_EXT_RFENCE, SBI_RFENCE_SFENCE_VMA, harts, base, start, size, 0);
	else
		sbi_call5(SBI_EXT_RFENCE, SBI_RFENCE_SFENCE_VMA_ASID, harts, base, start, size,
		          asid & SATP_ASID_MASK);
	return SMP_SHOOTDOWN_FIRMWARE;
}
