/*
 * The kernel's paging at boot, arch-neutral: it speaks mmu.h, kernel.h and
 * arch.h only (no level, no descriptor bit, no arch constant).
 *
 *   1. the frame allocator over usable RAM (table pages come from it);
 *   2. the paging mode: the deepest one the CPU runs (the most VA bits,
 *      the first listed among equals), or the boot argument
 *      mmu.mode=NAME; an unknown or unsupported NAME is reported and the
 *      deepest is used;
 *   3. the kernel's address space, all global entries in the kernel half:
 *      the image W^X at arch_kernel_image_va() (text r-x, rodata r--,
 *      data and bss rw-), a direct map of usable RAM at
 *      arch_direct_map_va() + pa with the largest pages alignment allows,
 *      the DTB read-only there, the console UART as device memory; one
 *      committed transaction each;
 *   4. a dump of it (mmu_scan) and a self-check (mmu_find);
 *   5. the switch: mmu_activate() replaces the arch's boot map with it
 *      (same image VA, same direct map: include/arch.h, "The boot map"),
 *      then a read through each kind of mapping proves the MMU agrees.
 */
#include <errno.h>
#include <string.h>
#include "arch.h"
#include "mmu.h"
#include "mmu_kernel.h"
#include "vm.h"

static mmu_translation_set_t kernel_as;
static bool kernel_as_made;       /* kernel_as holds a set */

static uint64_t page_bytes(void)
{
	return 1ull << mmu_geometry()->page_shift;
}

/* ---- the mode ---- */

/* The deepest mode the CPU runs (the most VA bits; the first listed of
 * equals); NULL if none. Leaves no mode selected in particular. */
static const char *deepest_mode(void)
{
	const char *best = NULL;
	unsigned va_bits = 0;

	for (size_t i = 0; i < mmu_mode_count(); i++) {
		const char *name = mmu_mode_name(i);
		int err = mmu_select_mode(name);

		if (err == -ENOTSUP)
			continue;
		if (err)
			panic("mmu: selecting %s: error %d", name, err);
		if (!best || mmu_geometry()->va_bits > va_bits) {
			best = name;
			va_bits = mmu_geometry()->va_bits;
		}
	}
	return best;
}

static bool known_mode(const char *name)
{
	for (size_t i = 0; i < mmu_mode_count(); i++)
		if (!strcmp(mmu_mode_name(i), name))
			return true;
	return false;
}

/* Selects the mode; false if the CPU runs none. A name this arch does not
 * have is a mistake (a typo would silently test another mode): refused,
 * exit status 1. A mode the CPU lacks falls back to the deepest it has,
 * with a message (the matrix boots every mode on CPUs without some). */
static bool choose_mode(const struct boot_info *bi)
{
	char want[32];
	bool asked = cmdline_get(bi->cmdline, "mmu.mode", want, sizeof(want));
	const char *best;
	int err = 0;

	if (asked && !known_mode(want)) {
		kprintf("mmu: mmu.mode=%s: no such paging mode of %s; its modes:", want, arch_name());
		for (size_t i = 0; i < mmu_mode_count(); i++)
			kprintf(" %s", mmu_mode_name(i));
		kprintf("\n");
		kernel_exit(EXIT_TEST_FAIL);
	}
	if (asked && !(err = mmu_select_mode(want)))
		return true;
	best = deepest_mode();
	if (asked)
		kprintf("mmu: mmu.mode=%s: %s; using %s\n", want,
			err == -ENOTSUP ? "not supported by this CPU" : "cannot be selected",
			best ? best : "no paging (none supported)");
	if (!best) {
		kprintf("mmu: none (the CPU supports no paging mode)\n");
		return false;
	}
	if ((err = mmu_select_mode(best)))
		panic("mmu: selecting %s again: error %d", best, err);
	return true;
}

/* The banner line: the MMU layer describes its own mode (mmu/env_kernel.c),
 * so that core never reads the informational depth of the tables. */
static void print_mode(void)
{
	char buf[160];

	mmu_kernel_describe_mode(buf, sizeof(buf));
	kprintf("mmu: %s\n", buf);
}

/* ---- the kernel's address space ---- */

/* The largest native order whose size fits in size and to which both va
 * and pa are aligned. */
static unsigned best_order(vaddr_t va, paddr_t pa, uint64_t size)
{
	const struct mmu_geometry *g = mmu_geometry();

	for (unsigned k = 63 - g->page_shift; k > 0; k--) {
		uint64_t bytes = page_bytes() << k;
		if ((g->native_orders & (1ull << k)) && bytes <= size && !((va | pa) & (bytes - 1)))
			return k;
	}
	return 0;
}

/* [va, va + size) -> pa, global, in one committed transaction. Returns 0
 * or the MMU layer's error (nothing mapped then). */
static int map_region(vaddr_t va, paddr_t pa, uint64_t size, unsigned prot,
		      enum mmu_memtype type)
{
	mmu_transaction_t ta;
	int err = 0;

	mmu_transaction(&ta, &kernel_as);
	while (size && !err) {
		unsigned order = best_order(va, pa, size);
		uint64_t bytes = page_bytes() << order;
		mmu_entry_t e = mmu_mkglobal(mmu_mksize(mmu_mkmemtype(mmu_mkentry(pa, prot), type),
							order));

		err = mmu_add(&ta, e, va);
		va += bytes;
		pa += bytes;
		size -= bytes;
	}
	if (err) {
		mmu_forget(&ta);
		return err;
	}
	return mmu_commit(&ta);
}

static void must_map(const char *what, vaddr_t va, paddr_t pa, uint64_t size, unsigned prot,
		     enum mmu_memtype type)
{
	int err;

	if ((va | pa | size) & (page_bytes() - 1))
		panic("mmu: %s [%#llx, +%#llx) is not aligned to the %llu-byte page", what,
		      (unsigned long long)pa, (unsigned long long)size,
		      (unsigned long long)page_bytes());
	if ((err = map_region(va, pa, size, prot, type)))
		panic("mmu: mapping %s at %#llx -> %#llx (%#llx bytes): error %d", what,
		      (unsigned long long)va, (unsigned long long)pa, (unsigned long long)size, err);
}

static uint64_t round_up(uint64_t x, uint64_t a) { return (x + a - 1) & ~(a - 1); }
static uint64_t round_down(uint64_t x, uint64_t a) { return x & ~(a - 1); }

static bool uart_is_mmio(const struct uart_desc *u)
{
	return u->kind == UART_NS16550_MMIO || u->kind == UART_PL011 || u->kind == UART_SIFIVE;
}

/* Where the UART is mapped, once build_address_space() ran. */
static vaddr_t uart_va;
static enum mmu_memtype uart_type;

static void build_address_space(const struct boot_info *bi, const struct arch_image_layout *img)
{
	vaddr_t image = arch_kernel_image_va();
	vaddr_t dmap = arch_direct_map_va();
	uint64_t page = page_bytes();
	int err;

	if ((err = mmu_new_translation_set(&kernel_as)))
		panic("mmu: the kernel's translation set: error %d", err);
	kernel_as_made = true;
	must_map("text", image, img->text, img->rodata - img->text, MMU_READ | MMU_EXEC,
		 MMU_MEM_NORMAL);
	must_map("rodata", image + (img->rodata - img->text), img->rodata, img->data - img->rodata,
		 MMU_READ, MMU_MEM_NORMAL);
	must_map("data", image + (img->data - img->text), img->data,
		 round_up(img->end, page) - img->data, MMU_READ | MMU_WRITE, MMU_MEM_NORMAL);
	for (unsigned i = 0; i < bi->nram; i++) {
		uint64_t base = round_up(bi->ram[i].base, page);
		uint64_t end = round_down(bi->ram[i].base + bi->ram[i].size, page);
		if (base < end)
			must_map("RAM", dmap + base, base, end - base, MMU_READ | MMU_WRITE,
				 MMU_MEM_NORMAL);
	}
	/* The DTB is reserved, not RAM, and the kernel keeps reading it. */
	if (bi->dtb) {
		paddr_t dtb = virt_to_phys(bi->dtb);
		uint64_t base = round_down(dtb, page), end = round_up(dtb + fdt_size(bi->dtb), page);
		must_map("DTB", dmap + base, base, end - base, MMU_READ, MMU_MEM_NORMAL);
	}
	if (!uart_is_mmio(&bi->uart)) {
		kprintf("mmu: console on port I/O: no UART to map\n");
		return;
	}
	paddr_t pa = round_down(bi->uart.base, page);
	uart_va = dmap + pa;
	uart_type = MMU_MEM_DEVICE;
	err = map_region(uart_va, pa, page, MMU_READ | MMU_WRITE, MMU_MEM_DEVICE);
	if (err == -EINVAL) {
		/* The format has no memory types (RISC-V without Svpbmt): the
		 * platform's attributes (PMAs) make it I/O anyway. */
		kprintf("mmu: uart %#llx: no device memory type in %s, mapped as normal memory\n",
			(unsigned long long)pa, mmu_current_mode());
		uart_type = MMU_MEM_NORMAL;
		err = map_region(uart_va, pa, page, MMU_READ | MMU_WRITE, MMU_MEM_NORMAL);
	}
	if (err)
		panic("mmu: mapping the uart at %#llx -> %#llx: error %d",
		      (unsigned long long)uart_va, (unsigned long long)pa, err);
}

/* ---- the dump ---- */

static void dump(void)
{
	static const struct ptdump_opts wx = { .wx_panic = true };
	struct ptdump_counts n;
	struct mmu_stats st;
	struct frames_stats fs;
	vaddr_t start = arch_direct_map_va();
	int err;

	/* The kernel half's tables belong to the mode, not to the set: count
	 * them as what the MMU layer took from the frame allocator. */
	mmu_stats(&kernel_as, &st);
	frames_get_stats(&fs);
	kprintf("mmu: kernel address space: %llu KiB mapped, tables %llu KiB, "
		"%llu TLB invalidations issued\n", (unsigned long long)(st.mapped_bytes >> 10),
		(unsigned long long)((fs.total_bytes - fs.free_bytes) >> 10),
		(unsigned long long)st.tlb_flushes);
	if ((err = ptdump(&kernel_as, start, ~0ull, "mmu: ", &wx, &n)))
		panic("mmu: scanning the kernel half: error %d", err);
	kprintf("mmu: %u entries in %u runs\n", n.entries, n.runs);
}

/* ---- the self-check ---- */

static const char self_check_rodata[] = "a constant in .rodata";
static uint64_t self_check_data = 1;   /* in .data */

static void expect_at(mmu_transaction_t *ta, const char *what, vaddr_t va, paddr_t pa,
		      unsigned prot, enum mmu_memtype type)
{
	mmu_entry_t e;
	int err = mmu_find(ta, va, &e);

	if (err)
		panic("mmu: self-check: %s at %#llx: mmu_find error %d", what,
		      (unsigned long long)va, err);
	paddr_t got = mmu_entry_pa(e) + (va - mmu_current_va(ta));
	if (got != pa || mmu_entry_prot(e) != prot || mmu_entry_memtype(e) != type ||
	    !mmu_entry_global(e))
		panic("mmu: self-check: %s at %#llx: pa %#llx prot %#x type %u global %d, "
		      "expected pa %#llx prot %#x type %u global 1", what, (unsigned long long)va,
		      (unsigned long long)got, mmu_entry_prot(e), mmu_entry_memtype(e),
		      mmu_entry_global(e), (unsigned long long)pa, prot, type);
}

static void self_check(const struct boot_info *bi, const struct arch_image_layout *img)
{
	vaddr_t image = arch_kernel_image_va();
	vaddr_t dmap = arch_direct_map_va();
	paddr_t code = virt_to_phys((const void *)(uintptr_t)mmu_boot);
	paddr_t ro = virt_to_phys(self_check_rodata);
	paddr_t rw = virt_to_phys(&self_check_data);
	mmu_transaction_t ta;
	mmu_entry_t e;

	mmu_transaction(&ta, &kernel_as);
	expect_at(&ta, "text", (vaddr_t)(uintptr_t)mmu_boot, code, MMU_READ | MMU_EXEC,
		  MMU_MEM_NORMAL);
	expect_at(&ta, "rodata", (vaddr_t)(uintptr_t)self_check_rodata, ro, MMU_READ,
		  MMU_MEM_NORMAL);
	expect_at(&ta, "data", (vaddr_t)(uintptr_t)&self_check_data, rw, MMU_READ | MMU_WRITE,
		  MMU_MEM_NORMAL);
	for (unsigned i = 0; i < bi->nram; i++) {
		uint64_t base = round_up(bi->ram[i].base, page_bytes());
		uint64_t end = round_down(bi->ram[i].base + bi->ram[i].size, page_bytes());
		if (base >= end)
			continue;
		expect_at(&ta, "RAM, first byte", dmap + base, base, MMU_READ | MMU_WRITE,
			  MMU_MEM_NORMAL);
		expect_at(&ta, "RAM, last byte", dmap + end - 1, end - 1, MMU_READ | MMU_WRITE,
			  MMU_MEM_NORMAL);
	}
	if (uart_is_mmio(&bi->uart))
		expect_at(&ta, "uart", uart_va + (bi->uart.base & (page_bytes() - 1)), bi->uart.base,
			  MMU_READ | MMU_WRITE, uart_type);
	if (mmu_find(&ta, image - page_bytes(), &e) != -ENOENT)
		panic("mmu: self-check: the page below the image is mapped");
	mmu_forget(&ta);
	kprintf("mmu: self-check passed (mmu_find: text, rodata, data, RAM%s; below the image: none)\n",
		uart_is_mmio(&bi->uart) ? ", uart" : "");
}

/* ---- the switch ---- */

mmu_translation_set_t *mmu_kernel_set(void)
{
	return kernel_as_made ? &kernel_as : NULL;
}

/* The kernel's set is live: .data takes a store, and a fresh frame shows
 * through the direct map what was stored through it. */
static void check_switch(void)
{
	uint64_t before = self_check_data;
	paddr_t pa = frames_alloc(FRAME_MIN_SHIFT);
	volatile uint64_t *frame = phys_to_virt(pa);

	self_check_data = before + 1;
	if (!pa || self_check_data != before + 1 || self_check_rodata[0] != 'a')
		panic("mmu: after the switch: .data %#llx (expected %#llx), frame %#llx",
		      (unsigned long long)self_check_data, (unsigned long long)before + 1,
		      (unsigned long long)pa);
	self_check_data = before;
	frame[0] = pa;
	if (frame[0] != pa)
		panic("mmu: after the switch: the direct map of frame %#llx reads %#llx",
		      (unsigned long long)pa, (unsigned long long)frame[0]);
	kprintf("mmu: translation on with the kernel's set (%s, root %#llx): image and direct map work\n",
		mmu_current_mode(), (unsigned long long)mmu_kernel_root_pa(&kernel_as));
}

void mmu_boot(const struct boot_info *bi)
{
	struct arch_image_layout img;
	struct frames_stats fs;
	int err;

	if ((err = frames_init(bi, arch_phys_window_end(), arch_largest_base_page_shift())))
		panic("mmu: no RAM for the frame allocator (error %d)", err);
	if (!choose_mode(bi))
		return;
	print_mode();
	arch_image_layout(&img);
	build_address_space(bi, &img);
	dump();
	self_check(bi, &img);
	mmu_activate(&kernel_as);
	check_switch();
	/* The kernel's set maps all RAM: what lay beyond the boot map's
	 * window (x86 above 4 GiB, riscv/arm64 above 64 GiB) joins now. */
	if (!frames_add_above(bi, arch_phys_window_end(), arch_largest_base_page_shift())) {
		char window[16];
		kprintf("frames: RAM above the boot map's %s window added\n",
			ksize_name(window, sizeof(window), arch_phys_window_end()));
	}
	frames_get_stats(&fs);
	kprintf("frames: %llu KiB free of %llu KiB (%u zones)\n",
		(unsigned long long)(fs.free_bytes >> 10), (unsigned long long)(fs.total_bytes >> 10),
		fs.zones);
}
