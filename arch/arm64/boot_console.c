/*
 * The console in the boot map. entry.S maps the direct map in 1 GiB
 * blocks, Device below the GiB holding the image and Normal from it on:
 * right where devices sit below RAM (QEMU virt), wrong on SoCs whose
 * peripherals share the image's GiB or lie above it (BCM2837: the UARTs
 * at 0x3f2xxxxx, the image at 0x200000; BCM2711: 0xfe2xxxxx). A UART
 * mapped Normal write-back until the kernel's set maps it Device
 * (core/mmu_boot.c) would see its writes sit in the cache and its status
 * reads go stale (Arm ARM B2.7: peripherals need Device memory); QEMU
 * models no cache and cannot show it. So before the console is first
 * used, the GiB holding it becomes 2 MiB blocks: the console's Device,
 * the others as the GiB was.
 */
#include "arch.h"
#include "arm64.h"
#include "sysreg.h"
#include "vmsa_bits.h"

/* Descriptor bits of the 4 KiB granule's level-0..2 entries (Arm ARM
 * D8.3): bits 1:0 = 01 block, 11 table; output address 47:12. */
#define DESC_TYPE_MASK	ARM64_U64(3)
#define DESC_BLOCK	ARM64_U64(1)
#define DESC_ADDR_MASK	ARM64_U64(0x0000fffffffff000)
/* PAR_EL1 after AT (Arm ARM D19.2): F bit 0 (the walk faulted), ATTR
 * 63:56 (the MAIR_EL1 byte of the mapping). */
#define PAR_F		ARM64_U64(1)
#define PAR_ATTR_SHIFT	56

static uint64_t l2_split[1u << BOOT_INDEX_BITS] __attribute__((aligned(BOOT_TABLE_BYTES)));

static uint64_t console_pa;
static bool console_split;

/* kernel.ld */
extern char _start[], _end[];

/* A boot map table through the image's own mapping: the tables are in
 * the image's .bss (entry.S), and the direct map's view of them may be
 * the very GiB being split. NULL for a table outside the image. */
static uint64_t *boot_table(uint64_t desc)
{
	uint64_t pa = desc & DESC_ADDR_MASK;

	if (pa < arm64_image_pa || pa - arm64_image_pa >= (uint64_t)(_end - _start))
		return NULL;
	return (uint64_t *)(_start + (pa - arm64_image_pa));
}

/* The console the kernel will use: the DTB's stdout-path, else the
 * board's early UART (core/boot_fdt.c's choice). */
static bool console_of(const void *dtb, struct uart_desc *u)
{
	if (!dtb || fdt_check(dtb, ~(size_t)0) || fdt_stdout_uart(dtb, u))
		*u = board_early_uart;
	return u->kind == UART_PL011 || u->kind == UART_NS16550_MMIO || u->kind == UART_SIFIVE;
}

void arm64_boot_console_device(const void *dtb)
{
	struct uart_desc u;
	uint64_t *l0, *l1, block, gib, attr;
	unsigned i, uart_block;

	if (!console_of(dtb, &u))
		return;
	console_pa = u.base;
	gib = u.base >> BOOT_L1_SHIFT;
	if (gib >= BOOT_DMAP_BLOCKS)
		return;
	if (!(l0 = boot_table(read_sysreg(ttbr1_el1))) ||
	    !(l1 = boot_table(l0[(ARM64_DIRECT_MAP_VA >> BOOT_L0_SHIFT) & ((1u << BOOT_INDEX_BITS) - 1)])))
		return;
	block = l1[gib];
	attr = (block & VMSA_ATTRINDX_MASK) >> VMSA_ATTRINDX_SHIFT;
	if ((block & DESC_TYPE_MASK) != DESC_BLOCK || attr == VMSA_ATTR_DEVICE)
		return;
	uart_block = (unsigned)((u.base >> BOOT_L2_SHIFT) & ((1u << BOOT_INDEX_BITS) - 1));
	for (i = 0; i < (1u << BOOT_INDEX_BITS); i++)
		l2_split[i] = (gib << BOOT_L1_SHIFT | (uint64_t)i << BOOT_L2_SHIFT) |
			      (i == uart_block ? BOOT_BLOCK_DEVICE : (block & ~DESC_ADDR_MASK));
	/*
	 * A block becomes a table: break-before-make (Arm ARM, the sequence
	 * required when a block's size changes), the entry invalid and its TLB entries gone before the table goes in.
	 * Nothing touches that GiB meanwhile: this code, its stack, data and
	 * the tables are reached through the image's own mapping.
	 */
	__asm__ volatile("dsb ishst" ::: "memory");
	l1[gib] = 0;
	__asm__ volatile("dsb ishst\n\ttlbi vmalle1is\n\tdsb ish\n\tisb" ::: "memory");
	l1[gib] = (arm64_image_pa + (uint64_t)((char *)l2_split - _start)) | BOOT_TABLE;
	__asm__ volatile("dsb ishst\n\tisb" ::: "memory");
	console_split = true;
}

void arm64_boot_console_report(void)
{
	static bool said;
	uint64_t par;

	if (said || !console_pa)
		return;
	said = true;
	/* What the MMU makes of the console's direct-map address now: a
	 * stage-1 EL1 read translation (AT S1E1R, Arm ARM C5.5). */
	__asm__ volatile("at s1e1r, %0\n\tisb" : : "r"(phys_to_virt(console_pa)) : "memory");
	par = read_sysreg(par_el1);
	if (par & PAR_F)
		kprintf("arm64: boot map: console 0x%llx not mapped (PAR_EL1 0x%llx)\n",
			(unsigned long long)console_pa, (unsigned long long)par);
	else
		kprintf("arm64: boot map: console 0x%llx is %s memory (MAIR attr 0x%02llx)%s\n",
			(unsigned long long)console_pa,
			par >> PAR_ATTR_SHIFT == VMSA_MAIR_DEVICE ? "device" : "normal",
			(unsigned long long)(par >> PAR_ATTR_SHIFT),
			console_split ? ", its GiB split into 2 MiB blocks" : "");
}
