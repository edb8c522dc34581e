/*
 * arm64: more CPUs (include/smp.h). Started by PSCI CPU_ON (Arm DEN0022
 * 5.1.4) or, where the DTB's enable-method says "spin-table", released by
 * writing the entry address to the CPU's cpu-release-addr and SEV (Linux
 * Documentation/arch/arm64/booting.rst, 4b). Both enter
 * arm64_secondary_entry (entry.S) with the MMU off.
 *
 * Per-CPU register: TPIDR_EL1 = the CPU's struct cpu; TPIDR_EL0 (what
 * picolibc's TLS uses) = its TLS block in that struct, put back from
 * arch_boot on every exception from EL0 (vectors.S).
 *
 * IPIs: with a GICv2 (the DTB's "arm,cortex-a15-gic" or "arm,gic-400",
 * QEMU virt's default), software-generated interrupt 0 (GICv2 spec 4.3.15,
 * GICD_SGIR) to the target's CPU interface; the target waits in WFI,
 * which an IRQ pending at its CPU interface ends even with PSTATE.I set
 * (Arm ARM D1.6.2), and acknowledges it by hand (GICC_IAR, GICC_EOIR):
 * the kernel never takes interrupts. On the Pis 2 and 3: mailbox 0 of the
 * target core's local interrupt controller, the same WFI. Without either
 * (GICv3): WFE, woken by SEV after the mailbox store (the event register
 * makes a SEV between the waiter's look at its mailbox and its WFE wake
 * that WFE: D1.6.1), which QEMU runs as a busy loop.
 *
 * TLB shootdowns need no IPI: arch_tlb_flush already broadcast its
 * TLBI ...IS to the Inner Shareable domain, and its DSB ISH waited for
 * every CPU to finish it (D8.16.2).
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <picotls.h>
#include "arch.h"
#include "arm64.h"
#include "smp.h"
#include "arch_mmu.h"   /* arch_tlb_shootdown, arch_tlb_flush */
#include "sysreg.h"

/* PSCI (Arm DEN0022) 5.1.4 CPU_ON, SMC64 function ID; 5.2.1 SUCCESS. */
#define PSCI_CPU_ON_64  0xc4000003
#define PSCI_SUCCESS    0
/* MPIDR_EL1 Aff3 (39:32) and Aff2..Aff0 (23:0): a CPU's id (D19.2). */
#define MPIDR_AFF_MASK  0xff00ffffffull

extern char _start[], __tls_base[], __tdata_end[], __tls_end[];
extern char arm64_secondary_entry[];
extern uint64_t arm64_image_pa;
/* entry.S reads it once the MMU is on: the CPU being started (one at a
 * time: smp_boot waits for each). */
struct cpu *volatile arm64_secondary_cpu;

/* How each CPU of the DTB is started, by id. */
static struct fdt_cpu fdt_list[SMP_MAX_CPUS];
static unsigned fdt_count;

uint64_t arch_cpu_hwid(void)
{
	return read_sysreg(mpidr_el1) & MPIDR_AFF_MASK;
}

unsigned arch_cpu_enumerate(const struct boot_info *bi, uint64_t *ids, unsigned max)
{
	unsigned n = 0;

	if (!bi->dtb || fdt_cpus(bi->dtb, fdt_list, SMP_MAX_CPUS, &n))
		n = 0;
	fdt_count = n;
	for (unsigned i = 0; i < n && i < max; i++)
		ids[i] = fdt_list[i].id & MPIDR_AFF_MASK;
	return n < max ? n : max;
}

/* c's TLS block: the template's .tdata, zeroed .tbss (kernel.ld). */
static void tls_prepare(struct cpu *c)
{
	smp_tls_prepare(c, __tls_base, __tdata_end, __tls_end);
}

/* TPIDR_EL0 = c's TLS block (what picolibc's _set_tls makes of it, kept in
 * c->arch_boot for vectors.S: the value to restore after EL0 ran), and
 * TPIDR_EL1 = c. */
static void set_registers(struct cpu *c)
{
	_set_tls(c->tls_block);
	c->arch_boot = read_sysreg(tpidr_el0);
	write_sysreg(tpidr_el1, (uint64_t)(uintptr_t)c);
}

void arch_cpu_set_self(struct cpu *c)
{
	tls_prepare(c);
	set_registers(c);
}

struct cpu *arch_cpu_self(void)
{
	return (struct cpu *)(uintptr_t)read_sysreg(tpidr_el1);
}

/* entry.S, on c's stacks with the boot map on. */
__attribute__((noreturn)) void arm64_secondary_setup(struct cpu *c);
void arm64_secondary_setup(struct cpu *c)
{
	set_registers(c);
	arm64_pan_enable();
	smp_secondary_main(c);
}

static const struct fdt_cpu *fdt_cpu_of(uint64_t id)
{
	for (unsigned i = 0; i < fdt_count; i++)
		if ((fdt_list[i].id & MPIDR_AFF_MASK) == id)
			return &fdt_list[i];
	return NULL;
}

/* Returns 0, -ENOTSUP (no enable-method we know), -EIO (PSCI refused), or
 * the MMU layer's error mapping a spin-table release word. */
int arch_cpu_start(struct cpu *c)
{
	const struct fdt_cpu *fc = fdt_cpu_of(c->hwid);
	uint64_t entry_pa = arm64_image_pa + (uint64_t)(arm64_secondary_entry - _start);

	tls_prepare(c);
	arm64_secondary_cpu = c;
	__asm__ volatile("dsb ish" ::: "memory");
	if (fc && !strcmp(fc->enable_method, "spin-table") && fc->release_addr) {
		volatile uint64_t *release = phys_to_virt(fc->release_addr);
		int err;

		/* The release word sits in memory the firmware reserved
		 * (the Pi's at 0xd8-0xf0), outside the kernel's direct map
		 * of RAM: mapped as device memory, which also reaches the
		 * CPU polling it with its caches off. */
		if ((err = smp_map_device(fc->release_addr, sizeof(uint64_t))))
			return err;
		*release = entry_pa;
		__asm__ volatile("dsb sy; sev" ::: "memory");
		return 0;
	}
	if (fc && strcmp(fc->enable_method, "psci"))
		return -ENOTSUP;
	return arm64_psci_call4(PSCI_CPU_ON_64, c->hwid, entry_pa, 0) == PSCI_SUCCESS ? 0 : -EIO;
}

/* Nothing is ever left outside the mailbox. */
void arch_smp_poll(void)
{
}

/* GICv2 (IHI 0048B): distributor and CPU interface registers used. */
#define GICD_CTLR        0x000
#define GICD_ISENABLER0  0x100
#define GICD_ITARGETSR0  0x800
#define GICD_SGIR        0xf00
#define GICC_CTLR        0x000
#define GICC_PMR         0x004
#define GICC_IAR         0x00c
#define GICC_EOIR        0x010
#define GIC_ENABLE       1u
#define GIC_SGI_IPI      0          /* the SGI this kernel sends */
#define GIC_SGI_MASK     0xffffu    /* ISENABLER0 bits of the 16 SGIs */
#define GIC_PMR_ALL      0xf0u      /* every priority but the lowest passes */
#define GIC_IAR_ID_MASK  0x3ffu
#define GIC_SPURIOUS     1020u      /* ids from here on: nothing to acknowledge */
#define GIC_SGIR_TARGETS_SHIFT 16
#define GIC_REGS_BYTES   0x1000

static struct {
	volatile uint32_t *dist, *cpu;   /* NULL: no GICv2 */
	uint8_t iface[SMP_MAX_CPUS];     /* each CPU's interface bit (GICD_ITARGETSR0) */
} gic;

/* The BCM2836/7 per-core local interrupt controller (the Pis 2 and 3; the
 * DTB's "brcm,bcm2836-l1-intc", BCM2836 "ARM Quad A7 core" document,
 * section 4.7): mailbox 0 of each core, whose bits raise its IRQ. Its reg
 * is physical on the Pi 3 (/soc's ranges map 0x40000000 to itself). */
#define L1_MBOX_INT_CTRL(core)  (0x50 + 4 * (core))    /* bit 0: mailbox 0 IRQ */
#define L1_MBOX0_SET(core)      (0x80 + 0x10 * (core)) /* write 1s to set */
#define L1_MBOX0_CLR(core)      (0xc0 + 0x10 * (core)) /* read; write 1s to clear */
#define L1_REGS_BYTES           0x100
#define L1_MBOX0_IRQ            1u
#define L1_CORE_MASK            0xffu                  /* MPIDR Aff0 */
static volatile uint32_t *l1_intc;                     /* NULL: none */

static int gic_find(const void *dtb, struct mem_range reg[2])
{
	static const char *const compat[] = { "arm,cortex-a15-gic", "arm,gic-400" };
	unsigned n;

	for (unsigned i = 0; i < sizeof(compat) / sizeof(compat[0]); i++)
		if (!fdt_compatible_reg(dtb, compat[i], reg, 2, &n) && n == 2)
			return 0;
	return -ENOENT;
}

/* The boot CPU maps the GIC (once) and enables the distributor; every CPU
 * enables its interface and the SGIs (banked per CPU) and learns its
 * interface bit. */
void arch_ipi_init(void)
{
	struct cpu *self = this_cpu();

	if (self->index == 0) {
		const struct boot_info *bi = current_boot_info();
		struct mem_range reg[2];

		unsigned n;

		if (!bi || !bi->dtb)
			return;
		if (!gic_find(bi->dtb, reg) && !smp_map_device(reg[0].base, GIC_REGS_BYTES) &&
		    !smp_map_device(reg[1].base, GIC_REGS_BYTES)) {
			gic.dist = phys_to_virt(reg[0].base);
			gic.cpu = phys_to_virt(reg[1].base);
			gic.dist[GICD_CTLR / 4] = GIC_ENABLE;
		} else if (!fdt_compatible_reg(bi->dtb, "brcm,bcm2836-l1-intc", reg, 1, &n) &&
		           !smp_map_device(reg[0].base, L1_REGS_BYTES)) {
			l1_intc = phys_to_virt(reg[0].base);
		}
	}
	if (l1_intc)
		l1_intc[L1_MBOX_INT_CTRL(self->hwid & L1_CORE_MASK) / 4] = L1_MBOX0_IRQ;
	if (!gic.dist)
		return;
	gic.dist[GICD_ISENABLER0 / 4] = GIC_SGI_MASK;
	gic.cpu[GICC_PMR / 4] = GIC_PMR_ALL;
	gic.cpu[GICC_CTLR / 4] = GIC_ENABLE;
	gic.iface[self->index] = (uint8_t)gic.dist[GICD_ITARGETSR0 / 4];
}

void arch_ipi_send(struct cpu *c)
{
	/* The mailbox stores before the interrupt (or the event). */
	__asm__ volatile("dsb ish" ::: "memory");
	if (gic.dist && gic.iface[c->index])
		gic.dist[GICD_SGIR / 4] = (uint32_t)gic.iface[c->index] << GIC_SGIR_TARGETS_SHIFT |
		                          GIC_SGI_IPI;
	else if (l1_intc)
		l1_intc[L1_MBOX0_SET(c->hwid & L1_CORE_MASK) / 4] = 1;
	else
		__asm__ volatile("sev" ::: "memory");
}

void arch_cpu_idle(void)
{
	struct cpu *self = this_cpu();
	uint32_t iar;

	if (l1_intc) {
		unsigned core = self->hwid & L1_CORE_MASK;

		__asm__ volatile("wfi" ::: "memory");
		l1_intc[L1_MBOX0_CLR(core) / 4] = l1_intc[L1_MBOX0_CLR(core) / 4];
		return;
	}
	if (!gic.dist || !gic.iface[self->index]) {
		__asm__ volatile("wfe" ::: "memory");
		return;
	}
	__asm__ volatile("wfi" ::: "memory");
	/* Acknowledge what woke us, so that the next WFI waits. */
	while (((iar = gic.cpu[GICC_IAR / 4]) & GIC_IAR_ID_MASK) < GIC_SPURIOUS)
		gic.cpu[GICC_EOIR / 4] = iar;
}

/* arch_tlb_flush's TLBI ...IS and DSB ISH did it on every CPU. */
enum smp_shootdown_kind arch_tlb_shootdown(uint64_t mask, unsigned asid, uint64_t start,
                                       uint64_t end, bool global, enum arch_tlb_op op)
{
	(void)mask, (void)asid, (void)start, (void)end, (void)global, (void)op;
	return SMP_SHOOTDOWN_BROADCAST;
}
