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

extern char _start[], __tls_base[], __tdata_end[], __tls_end[];
extern char arm64_secondary_entry[];
extern uint64_t arm64_image_pa;

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
	/* smp_boot wrote c's start word (smp_starts) before this. */
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
#define GIC3_IAR_ID_MASK 0xffffffu  /* ICC_IAR1_EL1.INTID (24 bits) */
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

/*
 * GICv3 (Arm IHI 0069): SGIs through the CPU interface's system registers
 * (12.2; ICC_SGI1R_EL1 names the target by affinity), each CPU's
 * redistributor woken (GICR_WAKER, 9.11.41) with SGI 0 in group 1 and
 * enabled in its SGI frame (GICR_IGROUPR0, GICR_ISENABLER0).
 */
#define GICD_CTLR_ENABLE_G0   (1u << 0)
#define GICD_CTLR_ENABLE_G1   (1u << 1)   /* EnableGrp1 (one security state) or EnableGrp1NS */
#define GICD_CTLR_ARE         (1u << 4)   /* ARE (one security state) or ARE_NS */
#define GICD_CTLR_RWP         (1u << 31)
#define GICD3_REGS_BYTES      0x10000
#define GICR_FRAME_BYTES      0x20000     /* RD_base and SGI_base, 64 KiB each */
#define GICR_SGI_BASE         0x10000
#define GICR_TYPER            0x008
#define GICR_TYPER_LAST       (1ull << 4)
#define GICR_TYPER_AFF_SHIFT  32
#define GICR_WAKER            0x014
#define GICR_WAKER_SLEEP      (1u << 1)   /* ProcessorSleep */
#define GICR_WAKER_ASLEEP     (1u << 2)   /* ChildrenAsleep */
#define GICR_IGROUPR0         0x080
#define GICR_ISENABLER0       0x100
#define ICC_SRE_SRE           1u
#define ICC_IGRPEN1_ENABLE    1u
#define ICC_SGI1R_INTID_SHIFT 24
#define ICC_SGI1R_AFF1_SHIFT  16
#define ICC_SGI1R_AFF2_SHIFT  32
#define ICC_SGI1R_RS_SHIFT    44
#define ICC_SGI1R_AFF3_SHIFT  48
#define GIC_WAIT_POLLS        10000000u

static struct {
	uint8_t *redist;                 /* NULL: no GICv3 */
	uint64_t redist_bytes;           /* of the frames mapped */
	bool ready[SMP_MAX_CPUS];        /* this CPU's redistributor found and woken */
} gic3;

/* MPIDR affinity as GICR_TYPER's bits 63:32 hold it: Aff3.Aff2.Aff1.Aff0. */
static uint32_t gic3_affinity(uint64_t mpidr)
{
	return (uint32_t)((mpidr >> 32 & 0xff) << 24 | (mpidr & 0xffffff));
}

static bool gic3_wait(volatile uint32_t *reg, uint32_t bits)
{
	for (unsigned i = 0; i < GIC_WAIT_POLLS; i++)
		if (!(*reg & bits))
			return true;
	return false;
}

/* The boot CPU: map the distributor and one redistributor frame per CPU,
 * enable affinity routing and group 1. */
static bool gic3_boot(const void *dtb)
{
	struct mem_range reg[2];
	unsigned n;

	if (fdt_compatible_reg(dtb, "arm,gic-v3", reg, 2, &n) || n != 2)
		return false;
	uint64_t bytes = (uint64_t)smp_cpu_count * GICR_FRAME_BYTES;
	if (bytes > reg[1].size)
		bytes = reg[1].size;
	if (smp_map_device(reg[0].base, GICD3_REGS_BYTES) || smp_map_device(reg[1].base, bytes))
		return false;
	volatile uint32_t *dist = phys_to_virt(reg[0].base);
	dist[GICD_CTLR / 4] = GICD_CTLR_ARE | GICD_CTLR_ENABLE_G1 | GICD_CTLR_ENABLE_G0;
	if (!gic3_wait(&dist[GICD_CTLR / 4], GICD_CTLR_RWP))
		kprintf("smp: GICv3 distributor: GICD_CTLR write still pending\n");
	gic3.redist = phys_to_virt(reg[1].base);
	gic3.redist_bytes = bytes;
	return true;
}

/* This CPU: find its redistributor by affinity, wake it, enable SGIs
 * there and in the CPU interface. */
static void gic3_cpu(struct cpu *self)
{
	uint32_t aff = gic3_affinity(self->hwid);

	for (uint64_t off = 0; off + GICR_FRAME_BYTES <= gic3.redist_bytes; off += GICR_FRAME_BYTES) {
		uint8_t *rd = gic3.redist + off;
		uint64_t typer = *(volatile uint64_t *)(rd + GICR_TYPER);

		if ((uint32_t)(typer >> GICR_TYPER_AFF_SHIFT) == aff) {
			volatile uint32_t *waker = (volatile uint32_t *)(rd + GICR_WAKER);
			volatile uint32_t *sgi = (volatile uint32_t *)(rd + GICR_SGI_BASE);

			*waker &= ~GICR_WAKER_SLEEP;
			if (!gic3_wait(waker, GICR_WAKER_ASLEEP))
				return;
			sgi[GICR_IGROUPR0 / 4] = GIC_SGI_MASK;
			sgi[GICR_ISENABLER0 / 4] = GIC_SGI_MASK;
			write_sysreg(ICC_SRE_EL1, read_sysreg(ICC_SRE_EL1) | ICC_SRE_SRE);
			__asm__ volatile("isb" ::: "memory");
			write_sysreg(ICC_PMR_EL1, GIC_PMR_ALL);
			write_sysreg(ICC_IGRPEN1_EL1, ICC_IGRPEN1_ENABLE);
			__asm__ volatile("isb" ::: "memory");
			gic3.ready[self->index] = true;
			return;
		}
		if (typer & GICR_TYPER_LAST)
			return;
	}
}

static void gic3_send(const struct cpu *c)
{
	uint64_t id = c->hwid;
	uint64_t v = 1ull << (id & 0xf) | (uint64_t)GIC_SGI_IPI << ICC_SGI1R_INTID_SHIFT |
	             (id >> 8 & 0xff) << ICC_SGI1R_AFF1_SHIFT | (id >> 16 & 0xff) << ICC_SGI1R_AFF2_SHIFT |
	             (id >> 4 & 0xf) << ICC_SGI1R_RS_SHIFT | (id >> 32 & 0xff) << ICC_SGI1R_AFF3_SHIFT;

	write_sysreg(ICC_SGI1R_EL1, v);
	__asm__ volatile("isb" ::: "memory");
}

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
		} else if (gic3_boot(bi->dtb)) {
			/* the rest per CPU, below */
		} else if (!fdt_compatible_reg(bi->dtb, "brcm,bcm2836-l1-intc", reg, 1, &n) &&
		           !smp_map_device(reg[0].base, L1_REGS_BYTES)) {
			l1_intc = phys_to_virt(reg[0].base);
		}
	}
	if (gic3.redist) {
		gic3_cpu(self);
		if (!gic3.ready[self->index])
			kprintf("smp: cpu %u: no GICv3 redistributor answered: it idles in WFE\n",
				self->index);
		else if (!self->index)
			kprintf("smp: IPIs by GICv3 SGI %u (ICC_SGI1R_EL1), idle in WFI\n", GIC_SGI_IPI);
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
	if (gic3.ready[c->index])
		gic3_send(c);
	else if (gic.dist && gic.iface[c->index])
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
	if (gic3.ready[self->index]) {
		__asm__ volatile("wfi" ::: "memory");
		while (((iar = (uint32_t)read_sysreg(ICC_IAR1_EL1)) & GIC3_IAR_ID_MASK) < GIC_SPURIOUS)
			write_sysreg(ICC_EOIR1_EL1, iar);
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
