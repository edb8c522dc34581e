/*
 * x86-64: more CPUs (include/smp.h).
 *
 * The list: the ACPI MADT's enabled local APICs and x2APICs (ACPI 6.5,
 * 5.2.12), found through the RSDP in the BIOS areas (5.2.5.1), read while
 * boot.S's map still covers all of the low 4 GiB. The start: INIT, then
 * two STARTUP IPIs through the local APIC (SDM vol. 3, 9.4.4.1, "Typical
 * BSP Initialization Sequence"), into smp_entry.S's trapoline.
 *
 * The local APIC: x2APIC (MSRs, SDM vol. 3, 10.12) where CPUID has it,
 * else the xAPIC's page at the MADT's address (10.4.1), mapped into the
 * kernel's set as device memory by the boot CPU.
 *
 * Per-CPU register: GS base (IA32_GS_BASE) = the CPU's struct cpu, whose
 * arch_boot word holds its own address, so %gs:SMP_CPU_ARCH_BOOT_OFFSET
 * reads it in one instruction.
 *
 * Interrupts: every CPU runs the kernel with them on (the boot CPU from
 * arch_ipi_init, once the legacy PICs are moved off the exception vectors
 * and masked; the others from x86_ap_setup): only VEC_IPI and the
 * spurious vectors can come. User tasks and trap handlers run with them
 * on too (trap.c, x86_trap; user.c); only the IPI's handler runs with them
 * off. TLB shootdowns: a request in the target's slot, then VEC_IPI; the
 * target runs arch_tlb_flush itself (its own CR3, PCIDs and TLB) and says
 * so, at once, or whenever it waits (arch_smp_poll).
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include "arch.h"
#include "mmu.h"
#include "smp.h"
#include "arch_mmu.h"   /* arch_tlb_shootdown, arch_tlb_flush */
#include "x86.h"

/* ACPI 6.5 5.2.5.3 (RSDP), 5.2.6 (table header), 5.2.12 (MADT). */
#define RSDP_SIGNATURE     "RSD PTR "
#define BDA_EBDA_SEGMENT   0x40e            /* BIOS data area: EBDA >> 4 */
#define EBDA_SEARCH_BYTES  1024
#define BIOS_ROM_START     0xe0000
#define BIOS_ROM_END       0x100000
#define MADT_LAPIC         0
#define MADT_LAPIC_ADDRESS 5
#define MADT_X2APIC        9
#define MADT_ENABLED       (1u << 0)
#define MADT_ONLINE_CAPABLE (1u << 1)

/* Local APIC (SDM vol. 3, 10.4-10.6, 10.12). */
#define MSR_APIC_BASE      0x1b
#define APIC_BASE_ENABLE   (1ull << 11)
#define APIC_BASE_X2APIC   (1ull << 10)
#define MSR_GS_BASE        0xc0000101
#define CPUID_1_ECX_X2APIC (1u << 21)
#define LAPIC_DEFAULT_PA   0xfee00000ull
#define LAPIC_ID           0x020
#define LAPIC_EOI          0x0b0
#define LAPIC_SVR          0x0f0
#define LAPIC_ICR_LOW      0x300
#define LAPIC_ICR_HIGH     0x310
#define X2APIC_MSR(reg)    (0x800 + ((reg) >> 4))
#define SVR_ENABLE         (1u << 8)
#define ICR_FIXED          (0u << 8)
#define ICR_INIT           (5u << 8)
#define ICR_STARTUP        (6u << 8)
#define ICR_PENDING        (1u << 12)   /* xAPIC only */
#define ICR_ASSERT         (1u << 14)
#define ICR_LEVEL          (1u << 15)

/* The waits of 9.4.4.1 (10 ms after INIT, 200 us after each STARTUP),
 * in writes to the POST port, each at least 1 us on a PC (Linux's
 * io_delay). */
#define DELAY_10MS         10000
#define DELAY_200US        200

extern const char x86_ap_trampoline[], x86_ap_trampoline_end[];
extern uint32_t x86_ap_cr3, x86_ap_cr4, x86_ap_efer;

static struct {
	bool x2apic;
	uint64_t lapic_pa;
	volatile uint32_t *lapic;      /* xAPIC: the mapped page */
} apic = { .lapic_pa = LAPIC_DEFAULT_PA };

/* ---- the CPU list: ACPI ---- */

static bool checksum_ok(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint8_t sum = 0;

	for (size_t i = 0; i < len; i++)
		sum += b[i];
	return sum == 0;
}

static const uint8_t *find_rsdp_in(uint64_t start, uint64_t end)
{
	for (uint64_t pa = start; pa + 20 <= end; pa += 16) {
		const uint8_t *p = phys_to_virt(pa);

		if (!memcmp(p, RSDP_SIGNATURE, 8) && checksum_ok(p, 20))
			return p;
	}
	return NULL;
}

static const uint8_t *find_madt(void)
{
	uint64_t ebda = (uint64_t)*(const volatile uint16_t *)phys_to_virt(BDA_EBDA_SEGMENT) << 4;
	const uint8_t *rsdp = NULL;

	if (ebda >= 0x80000 && ebda < 0xa0000)
		rsdp = find_rsdp_in(ebda, ebda + EBDA_SEARCH_BYTES);
	if (!rsdp)
		rsdp = find_rsdp_in(BIOS_ROM_START, BIOS_ROM_END);
	if (!rsdp)
		return NULL;
	/* Revision 2 on: the XSDT's 64-bit entries; else the RSDT's. */
	uint32_t rsdt;
	uint64_t xsdt = 0, root;
	memcpy(&rsdt, rsdp + 16, 4);
	if (rsdp[15] >= 2)
		memcpy(&xsdt, rsdp + 24, 8);
	root = xsdt ? xsdt : rsdt;
	if (!root || root >= BOOT_DIRECT_MAP_END)
		return NULL;
	const uint8_t *h = phys_to_virt(root);
	uint32_t len, entry = xsdt ? 8 : 4;
	memcpy(&len, h + 4, 4);
	if (len < 36 || !checksum_ok(h, len))
		return NULL;
	for (uint32_t off = 36; off + entry <= len; off += entry) {
		uint64_t pa = 0;

		memcpy(&pa, h + off, entry);
		if (!pa || pa >= BOOT_DIRECT_MAP_END)
			continue;
		const uint8_t *t = phys_to_virt(pa);
		uint32_t tlen;
		memcpy(&tlen, t + 4, 4);
		if (!memcmp(t, "APIC", 4) && tlen >= 44 && checksum_ok(t, tlen))
			return t;
	}
	return NULL;
}

/* This CPU's APIC ID as the MADT and the start words hold it, by the
 * rule smp_entry.S follows: the x2APIC ID (CPUID leaf 0xB EDX) where the
 * leaf is valid, else the initial APIC ID (leaf 1 EBX[31:24]); SDM vol. 3,
 * 10.4.6 and 10.12.8. The 8-bit one alone would make a boot CPU with an
 * x2APIC ID above 255 look like another CPU of the MADT. */
static unsigned bsp_apic_id(void)
{
	if (cpuid(0, 0).eax >= 0xb) {
		struct cpuid r = cpuid(0xb, 0);

		if (r.ebx)
			return r.edx;
	}
	return cpuid(1, 0).ebx >> 24;
}

uint64_t arch_cpu_hwid(void)
{
	return bsp_apic_id();
}

/* Runs in smp_init, before mmu_boot: boot.S's map reaches the BIOS
 * areas, the ACPI tables and the trampoline page. */
unsigned arch_cpu_enumerate(const struct boot_info *bi, uint64_t *ids, unsigned max)
{
	const uint8_t *madt = find_madt();
	unsigned n = 0;
	size_t tsize = (size_t)(x86_ap_trampoline_end - x86_ap_trampoline);

	(void)bi;
	/* The trampoline and what it needs to reach long mode on the boot
	 * map: PAE (and LA57 if boot.S chose it), that map's root, LME and
	 * NXE as the boot CPU has them. */
	x86_ap_cr3 = (uint32_t)read_cr3();
	x86_ap_cr4 = (uint32_t)(read_cr4() & (CR4_PAE | CR4_LA57));
	x86_ap_efer = (uint32_t)(rdmsr(MSR_EFER) & (EFER_LME | EFER_NXE));
	memcpy(phys_to_virt(AP_TRAMPOLINE_PA), x86_ap_trampoline, tsize);

	if (!madt) {
		ids[0] = bsp_apic_id();
		return 1;
	}
	uint32_t len, lapic32;
	memcpy(&len, madt + 4, 4);
	memcpy(&lapic32, madt + 36, 4);
	apic.lapic_pa = lapic32;
	for (uint32_t off = 44; off + 2 <= len; off += madt[off + 1]) {
		const uint8_t *e = madt + off;
		uint32_t flags, id;

		if (e[1] < 2)
			break;
		switch (e[0]) {
		case MADT_LAPIC:
			memcpy(&flags, e + 4, 4);
			id = e[3];
			break;
		case MADT_X2APIC:
			memcpy(&id, e + 4, 4);
			memcpy(&flags, e + 8, 4);
			break;
		case MADT_LAPIC_ADDRESS:
			memcpy(&apic.lapic_pa, e + 4, 8);
			continue;
		default:
			continue;
		}
		if (!(flags & (MADT_ENABLED | MADT_ONLINE_CAPABLE)) || n >= max)
			continue;
		ids[n++] = id;
	}
	return n;
}

/* ---- the local APIC ---- */

static uint32_t lapic_read(unsigned reg)
{
	return apic.x2apic ? (uint32_t)rdmsr(X2APIC_MSR(reg)) : apic.lapic[reg / 4];
}

static void lapic_write(unsigned reg, uint32_t val)
{
	if (apic.x2apic)
		wrmsr(X2APIC_MSR(reg), val);
	else
		apic.lapic[reg / 4] = val;
}

/* One IPI to APIC id dest (10.6.1; x2APIC: one 64-bit ICR, 10.12.9). */
static void lapic_send(uint32_t dest, uint32_t icr)
{
	if (apic.x2apic) {
		__asm__ volatile("mfence" ::: "memory");   /* x2APIC ICR writes are not serialising */
		wrmsr(X2APIC_MSR(LAPIC_ICR_LOW), (uint64_t)dest << 32 | icr);
		return;
	}
	lapic_write(LAPIC_ICR_HIGH, dest << 24);
	lapic_write(LAPIC_ICR_LOW, icr);
	while (lapic_read(LAPIC_ICR_LOW) & ICR_PENDING)
		__asm__ volatile("pause");
}

/* This CPU's local APIC on: x2APIC mode where there is one, software
 * enabled with the spurious vector (10.9). */
static void lapic_enable(void)
{
	uint64_t base = rdmsr(MSR_APIC_BASE) | APIC_BASE_ENABLE;

	if (apic.x2apic)
		base |= APIC_BASE_X2APIC;
	wrmsr(MSR_APIC_BASE, base);
	lapic_write(LAPIC_SVR, SVR_ENABLE | VEC_SPURIOUS);
}

static void io_delay(unsigned us)
{
	while (us--)
		outb(0x80, 0);   /* the POST port: about 1 us per write */
}

/* ---- per-CPU register ---- */

void arch_cpu_set_self(struct cpu *c)
{
	c->arch_boot = (uint64_t)(uintptr_t)c;
	wrmsr(MSR_GS_BASE, (uint64_t)(uintptr_t)c);
}

struct cpu *arch_cpu_self(void)
{
	struct cpu *c;

	__asm__("mov %%gs:%c1, %0" : "=r"(c) : "i"(SMP_CPU_ARCH_BOOT_OFFSET));
	return c;
}

/* ---- shootdown slots and the IPI ---- */

static struct shootdown {
	volatile uint32_t lock;
	volatile uint64_t req, done;
	unsigned asid;
	uint64_t start, end;
	bool global;
} slot[SMP_MAX_CPUS];

static volatile bool woken[SMP_MAX_CPUS];

/* Do what this CPU's slot asks, if anything. With interrupts off: the
 * IPI handler serves the slot too, and one that came between the read of
 * req and the store of done would see that store go back to an older
 * request. */
static void serve_shootdown(struct cpu *self)
{
	struct shootdown *s = &slot[self->index];
	uint64_t flags, req;

	__asm__ volatile("pushfq; pop %0; cli" : "=r"(flags) : : "memory");
	req = __atomic_load_n(&s->req, __ATOMIC_ACQUIRE);
	if (req != s->done) {
		arch_tlb_flush(s->asid, s->start, s->end, 0, s->global);
		self->shootdowns_received++;
		__atomic_store_n(&s->done, req, __ATOMIC_RELEASE);
	}
	if (flags & RFLAGS_IF)
		__asm__ volatile("sti" ::: "memory");
}

void arch_smp_poll(void)
{
	serve_shootdown(this_cpu());
}

void x86_ipi_interrupt(unsigned vector)
{
	struct cpu *self = this_cpu();

	if (vector == VEC_SPURIOUS)
		return;   /* no EOI for the spurious vector (10.9) */
	self->ipis_received++;
	woken[self->index] = true;
	serve_shootdown(self);
	lapic_write(LAPIC_EOI, 0);
}

/* A CPU that does not answer a shootdown within smp_answer_polls() polls:
 * a broken invariant (a CPU with interrupts off for good), named. */
__attribute__((noreturn)) static void shootdown_unanswered(unsigned i, const struct shootdown *s,
                                                           const char *what)
{
	panic("x86: cpu %u (APIC ID %#llx) did not answer a TLB shootdown IPI of cpu %u within "
	      "%llu polls (%s; request %llu: ASID %u, range %#llx-%#llx%s)", i,
	      (unsigned long long)cpus[i].hwid, this_cpu()->index,
	      (unsigned long long)smp_answer_polls(), what, (unsigned long long)s->req, s->asid,
	      (unsigned long long)s->start, (unsigned long long)s->end,
	      s->global ? ", global" : "");
}

enum smp_shootdown_kind arch_tlb_shootdown(uint64_t mask, unsigned asid, uint64_t start,
                                       uint64_t end, bool global, enum arch_tlb_op op)
{
	struct cpu *self = this_cpu();
	uint64_t limit = smp_answer_polls(), polls = 0;

	/* One batched request per CPU: the range, or everything of the
	 * ASID when the local flush found the range too large. */
	if (op == ARCH_TLB_ASID || op == ARCH_TLB_ALL)
		start = end = 0;
	for (unsigned i = 0; i < smp_cpu_count; i++) {
		struct shootdown *s = &slot[i];

		if (!(mask & (1ull << i)))
			continue;
		for (polls = 0; __atomic_exchange_n(&s->lock, 1, __ATOMIC_ACQUIRE); polls++) {
			if (polls == limit)
				shootdown_unanswered(i, s, "its slot still busy");
			serve_shootdown(self);
		}
		s->asid = asid;
		s->start = start;
		s->end = end;
		s->global = global;
		__atomic_store_n(&s->req, s->req + 1, __ATOMIC_RELEASE);
		self->ipis_sent++;
		lapic_send((uint32_t)cpus[i].hwid, ICR_FIXED | VEC_IPI);
	}
	for (unsigned i = 0; i < smp_cpu_count; i++) {
		struct shootdown *s = &slot[i];

		if (!(mask & (1ull << i)))
			continue;
		for (polls = 0; __atomic_load_n(&s->done, __ATOMIC_ACQUIRE) != s->req; polls++) {
			if (polls == limit)
				shootdown_unanswered(i, s, "no acknowledgement");
			serve_shootdown(self);
		}
		__atomic_store_n(&s->lock, 0, __ATOMIC_RELEASE);
	}
	return SMP_SHOOTDOWN_IPI;
}

/* ---- start and idle ---- */

/* The legacy 8259A PICs (Intel 8259A datasheet, ICW1-ICW4, OCW1): the
 * BIOS leaves their vectors on 8-15, which are exceptions. Moved to
 * VEC_PIC_BASE, then every line masked: the local APIC alone interrupts
 * (Linux does the same: arch/x86/kernel/i8259.c, init_8259A). */
#define PIC1_CMD   0x20
#define PIC1_DATA  0x21
#define PIC2_CMD   0xa0
#define PIC2_DATA  0xa1
#define ICW1_INIT  0x11   /* init, cascade, ICW4 follows */
#define ICW3_MASTER 0x04  /* the slave on line 2 */
#define ICW3_SLAVE  0x02  /* its cascade identity */
#define ICW4_8086  0x01
#define OCW1_ALL   0xff

static void pic_mask_all(void)
{
	outb(PIC1_CMD, ICW1_INIT);
	outb(PIC2_CMD, ICW1_INIT);
	outb(PIC1_DATA, VEC_PIC_BASE);
	outb(PIC2_DATA, VEC_PIC_BASE + 8);
	outb(PIC1_DATA, ICW3_MASTER);
	outb(PIC2_DATA, ICW3_SLAVE);
	outb(PIC1_DATA, ICW4_8086);
	outb(PIC2_DATA, ICW4_8086);
	outb(PIC1_DATA, OCW1_ALL);
	outb(PIC2_DATA, OCW1_ALL);
}

/* The boot CPU (from smp_boot) and each other (x86_ap_setup). */
void arch_ipi_init(void)
{
	if (this_cpu()->index == 0) {
		pic_mask_all();
		apic.x2apic = cpuid(1, 0).ecx & CPUID_1_ECX_X2APIC;
		if (!apic.x2apic) {
			int err = smp_map_device(apic.lapic_pa, 1ull << 12);

			if (err)
				panic("x86: the local APIC page %#llx cannot be mapped (%d)",
				      (unsigned long long)apic.lapic_pa, err);
			apic.lapic = phys_to_virt(apic.lapic_pa);
		}
	}
	lapic_enable();
	/* The boot CPU answers shootdowns at once from now on, not only when
	 * it waits (the others turn them on in x86_ap_setup). */
	if (this_cpu()->index == 0)
		__asm__ volatile("sti" ::: "memory");
}

int arch_cpu_start(struct cpu *c)
{
	uint32_t dest = (uint32_t)c->hwid;

	/* smp_boot wrote c's start word (smp_starts) before this. */
	__asm__ volatile("mfence" ::: "memory");
	lapic_send(dest, ICR_INIT | ICR_LEVEL | ICR_ASSERT);
	io_delay(DELAY_10MS);
	for (unsigned i = 0; i < 2; i++) {
		lapic_send(dest, ICR_STARTUP | (AP_TRAMPOLINE_PA >> 12));
		io_delay(DELAY_200US);
	}
	return 0;
}

void arch_ipi_send(struct cpu *c)
{
	lapic_send((uint32_t)c->hwid, ICR_FIXED | VEC_IPI);
}

/* Other CPUs: interrupts are on; the check of woken and the HLT are
 * atomic against the IPI (STI's one-instruction shadow, SDM vol. 2B). */
void arch_cpu_idle(void)
{
	unsigned i = this_cpu()->index;

	__asm__ volatile("cli" ::: "memory");
	if (!woken[i])
		__asm__ volatile("sti; hlt" ::: "memory");
	else
		__asm__ volatile("sti" ::: "memory");
	woken[i] = false;
}

/* smp_entry.S, on c's stack through the boot map: the same CPU state as
 * the boot CPU's, then the kernel's loop. */
__attribute__((noreturn)) void x86_ap_setup(struct cpu *c);
void x86_ap_setup(struct cpu *c)
{
	arch_cpu_set_self(c);
	x86_traps_init_cpu(c->index, c->trap_stack_top);
	arch_ipi_init();
	__asm__ volatile("sti" ::: "memory");
	smp_secondary_main(c);
}
