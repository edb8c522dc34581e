/*
 * From entry.S to kmain(): the boot_info, and what the banner says about
 * the CPU.
 */
#include <stddef.h>
#include <stdint.h>
#include <picotls.h>
#include "arch.h"
#include "arm64.h"
#include "smp.h"
#include "early_uart.h"
#include "sysreg.h"
#include "cpu_features.h"

/* kernel.ld */
extern char _start[], _end[];

/* entry.S's failure path reads board_early_uart with these. */
_Static_assert(offsetof(struct uart_desc, kind) == EARLY_UART_KIND_OFFSET &&
               sizeof(enum uart_kind) == 4 &&
               offsetof(struct uart_desc, base) == EARLY_UART_BASE_OFFSET &&
               UART_PL011 == EARLY_UART_KIND_PL011, "early_uart.h disagrees with kernel.h");

unsigned arm64_entry_el;
uint64_t arm64_image_pa;

/* AAPCS64 6.4.6: x29 points at the frame record {caller's x29, x30}. */
const long arch_frame_record_offset = 0;

static struct boot_info boot_info;

/* Called by entry.S at EL1 with the boot map on, at the link address, on
 * the boot stack, .bss cleared; dtb_pa and image_pa are physical. */
__attribute__((noreturn)) void arch_setup(uint64_t dtb_pa, unsigned entry_el, uint64_t image_pa);
void arch_setup(uint64_t dtb_pa, unsigned entry_el, uint64_t image_pa)
{
	arch_cpu_set_self(&cpus[0]);   /* TPIDR_EL1, and TPIDR_EL0: its TLS block */
	arm64_entry_el = entry_el;
	arm64_image_pa = image_pa;
	arm64_pan_enable();
	boot_info.board = ORIGAMI_BOARD;
	boot_info.dtb = dtb_pa ? phys_to_virt(dtb_pa) : NULL;
	boot_info.kernel_start = image_pa;
	boot_info.kernel_end = image_pa + (uint64_t)(_end - _start);
	/* MPIDR_EL1 Aff3 (39:32) and Aff2..Aff0 (23:0): the CPU's id. */
	boot_info.boot_cpu_id = read_sysreg(mpidr_el1) & 0xff00ffffffull;
	arm64_psci_init(boot_info.dtb);
	arm64_boot_console_device(boot_info.dtb);
	kmain(&boot_info);
}

const char *arch_name(void)
{
	return "arm64";
}

/* MIDR_EL1 (Arm ARM D19.2): Implementer 31:24, Variant 23:20,
 * PartNum 15:4, Revision 3:0. */
struct cpu_part {
	uint8_t implementer;
	uint16_t part;
	const char *name;
};

static const struct cpu_part cpu_parts[] = {
	{ 0x41, 0xd03, "Arm Cortex-A53" },
	{ 0x41, 0xd04, "Arm Cortex-A35" },
	{ 0x41, 0xd05, "Arm Cortex-A55" },
	{ 0x41, 0xd07, "Arm Cortex-A57" },
	{ 0x41, 0xd08, "Arm Cortex-A72" },
	{ 0x41, 0xd09, "Arm Cortex-A73" },
	{ 0x41, 0xd0b, "Arm Cortex-A76" },
	{ 0x41, 0xd0c, "Arm Neoverse-N1" },
	{ 0x41, 0xd40, "Arm Neoverse-V1" },
	{ 0x41, 0xd49, "Arm Neoverse-N2" },
	{ 0x46, 0x001, "Fujitsu A64FX" },
	{ 0x61, 0x022, "Apple M1 Icestorm" },
	{ 0x61, 0x023, "Apple M1 Firestorm" },
	/* Implementer 0 is "reserved for software use": QEMU's max CPU, part 'Q'. */
	{ 0x00, 0x051, "QEMU max" },
};

static const char *implementer_name(unsigned implementer)
{
	switch (implementer) {
	case 0x00: return "software-defined";
	case 0x41: return "Arm";
	case 0x42: return "Broadcom";
	case 0x43: return "Cavium";
	case 0x46: return "Fujitsu";
	case 0x48: return "HiSilicon";
	case 0x4e: return "NVIDIA";
	case 0x51: return "Qualcomm";
	case 0x61: return "Apple";
	default:   return "unknown implementer";
	}
}

void arch_describe_cpu(char *buf, size_t len)
{
	uint64_t midr = read_sysreg(midr_el1);
	unsigned implementer = (midr >> 24) & 0xff;
	unsigned part = (midr >> 4) & 0xfff;
	unsigned variant = (midr >> 20) & 0xf, revision = midr & 0xf;
	int n = -1;

	for (size_t i = 0; i < sizeof(cpu_parts) / sizeof(cpu_parts[0]); i++) {
		if (cpu_parts[i].implementer == implementer && cpu_parts[i].part == part) {
			n = ksnprintf(buf, len, "%s", cpu_parts[i].name);
			break;
		}
	}
	if (n < 0)
		n = ksnprintf(buf, len, "%s part 0x%03x", implementer_name(implementer), part);
	if ((size_t)n < len)
		ksnprintf(buf + n, len - n, " r%up%u (MIDR_EL1 %#010llx), entered at EL%u",
			  variant, revision, (unsigned long long)midr, arm64_entry_el);
}

/*
 * ID_AA64MMFR0_EL1 TGran4 (31:28), TGran16 (23:20), TGran64 (27:24),
 * PARange (3:0) and ID_AA64MMFR2_EL1 VARange (19:16), Arm ARM D19.2:
 *   TGran4:  0b0000 4K, 0b0001 4K with 52-bit addresses (FEAT_LPA2), 0b1111 none
 *   TGran16: 0b0000 none, 0b0001 16K, 0b0010 16K with FEAT_LPA2
 *   TGran64: 0b0000 64K, 0b1111 none
 *   VARange: 0b0001 52-bit VAs with the 64K granule (FEAT_LVA)
 *   PARange: 0b0110 52-bit PAs (FEAT_LPA)
 * The one probe of these fields (cpu_features.h).
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
		.lpa2 = tgran4 == 1, .lpa2_16k = tgran16 == 2,
		.lva_lpa = varange == 1 && parange >= 6,
	};
}

/* ID_AA64MMFR0_EL1.PARange encodings (Arm ARM D19.2). */
static const uint8_t parange_bits[] = { 32, 36, 40, 42, 44, 48, 52, 56 };

unsigned arm64_pa_bits(void)
{
	unsigned parange = id_field(read_sysreg(id_aa64mmfr0_el1), 0);

	/* Encodings beyond the table are reserved: assume the largest. */
	return parange < sizeof(parange_bits) ? parange_bits[parange] : 56;
}

/* Which mmu modes (mmu-api.md) this CPU can run: the ID register fields
 * the MMU layer's probe reads (vmsa_read_cpu). */
void arch_describe_paging(char *buf, size_t len)
{
	struct vmsa_cpu c;

	arm64_boot_console_report();
	vmsa_read_cpu(&c);
	const struct { bool ok; const char *name; } modes[] = {
		{ c.tgran4,  "arm64-4k-48" },
		{ c.tgran16, "arm64-16k-48" },
		{ c.tgran64, "arm64-64k-48" },
		{ c.lpa2,    "arm64-4k-52" },
		{ c.lpa2_16k, "arm64-16k-52" },
		{ c.lva_lpa, "arm64-64k-52" },
	};
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		if (modes[i].ok && used < len)
			used += ksnprintf(buf + used, len - used, "%s ", modes[i].name);
	}
	if (used < len)
		ksnprintf(buf + used, len - used, "+contig pa%u", arm64_pa_bits());
}
