/*
 * From boot.S to kmain(): traps and console first, then struct boot_info
 * from the Multiboot information (Multiboot spec 3.3). Everything kept is
 * copied out of it, so the loader's memory holds nothing needed later. Its
 * addresses are physical, below 4 GiB: read through the direct map
 * (phys_to_virt), which boot.S's map and the kernel's set both have.
 */
#include <string.h>

#include "arch.h"
#include "smp.h"
#include "x86.h"

/* Multiboot information (spec 3.3): the fields used, at their offsets. */
struct multiboot_info {
	uint32_t flags;
	uint32_t mem_lower, mem_upper;		/* KiB, flags bit 0 */
	uint32_t boot_device;
	uint32_t cmdline;			/* flags bit 2 */
	uint32_t mods_count, mods_addr;
	uint32_t syms[4];
	uint32_t mmap_length, mmap_addr;	/* flags bit 6 */
};
_Static_assert(offsetof(struct multiboot_info, cmdline) == MULTIBOOT_INFO_CMDLINE_OFF,
	       "boot.S reads the command line at this offset");

#define MBI_MEM		(1 << 0)
#define MBI_CMDLINE	MULTIBOOT_INFO_CMDLINE	/* boot.S reads it too */
#define MBI_MMAP	(1 << 6)

/* A memory map entry; size counts the bytes after itself. */
struct multiboot_mmap_entry {
	uint32_t size;
	uint64_t base_addr, length;
	uint32_t type;
} __attribute__((packed));

#define MMAP_AVAILABLE	1

#define LOW_MEMORY_END	0x100000	/* real-mode memory, BIOS data and ROMs */
#define CMDLINE_MAX	1024

extern const char __image_start[], __image_end[];
void arch_setup(uint32_t multiboot_info);

static void add_range(struct mem_range *list, unsigned *n, uint64_t base, uint64_t size)
{
	if (!size)
		return;
	if (*n == BOOT_MAX_RANGES) {
		kprintf("multiboot: more than %d ranges, dropping [0x%lx, 0x%lx)\n",
			BOOT_MAX_RANGES, base, base + size);
		return;
	}
	list[*n].base = base;
	list[*n].size = size;
	(*n)++;
}

static void read_memory_map(struct boot_info *bi, const struct multiboot_info *mbi)
{
	/* kmain() removes reserved ranges from RAM: this one never is RAM to us. */
	add_range(bi->reserved, &bi->nreserved, 0, LOW_MEMORY_END);
	if (mbi->flags & MBI_MMAP) {
		uint64_t p = mbi->mmap_addr, end = p + mbi->mmap_length;

		while (p < end) {
			const struct multiboot_mmap_entry *e = phys_to_virt(p);

			if (e->type == MMAP_AVAILABLE)
				add_range(bi->ram, &bi->nram, e->base_addr, e->length);
			else
				add_range(bi->reserved, &bi->nreserved, e->base_addr, e->length);
			p += sizeof(e->size) + e->size;
		}
	} else if (mbi->flags & MBI_MEM) {
		add_range(bi->ram, &bi->nram, LOW_MEMORY_END, (uint64_t)mbi->mem_upper << 10);
	}
}

/*
 * QEMU and GRUB both start the command line with the image's path, as
 * argv[0]: the boot arguments are what follows it.
 */
static const char *copy_cmdline(const struct multiboot_info *mbi)
{
	static char cmdline[CMDLINE_MAX];
	const char *s;
	size_t n;

	if (!(mbi->flags & MBI_CMDLINE))
		return "";
	s = phys_to_virt(mbi->cmdline);
	while (*s && *s != ' ')
		s++;
	while (*s == ' ')
		s++;
	n = strlen(s);
	if (n >= sizeof(cmdline)) {
		kprintf("multiboot: command line cut to %zu bytes\n", sizeof(cmdline) - 1);
		n = sizeof(cmdline) - 1;
	}
	memcpy(cmdline, s, n);
	cmdline[n] = '\0';
	return cmdline;
}

void arch_setup(uint32_t multiboot_info)
{
	static struct boot_info bi;
	const struct multiboot_info *mbi = phys_to_virt(multiboot_info);

	/* The per-CPU register first (trap handling reads it), then traps
	 * and console: whatever goes wrong from here is reported. */
	arch_cpu_set_self(&cpus[0]);
	x86_traps_init();
	bi.uart = board_early_uart;
	console_init(&bi.uart);
	bi.kernel_start = x86_image_pa(__image_start);
	bi.kernel_end = x86_image_pa(__image_end);
	read_memory_map(&bi, mbi);
	bi.cmdline = copy_cmdline(mbi);
	kmain(&bi);
}
