/*
 * ptdump of any translation set through mmu_scan (include/vm.h): one line
 * per run of adjacent entries of one order, prot, memory type, globality
 * (and, when asked, accessed/dirty state) whose physical addresses continue
 * each other. The kernel's set at boot (core/mmu_boot.c) and a task's user
 * half (vm_dump, on a fatal fault) print the same way.
 */
#include "kernel.h"
#include "vm.h"

struct run {
	const char *prefix;
	const struct ptdump_opts *opt;
	unsigned count, order, prot;
	vaddr_t va, next_va;
	paddr_t pa, next_pa;
	enum mmu_memtype type;
	bool global, accessed, dirty;
	struct ptdump_counts n;
	int err;
};

static const char *const memtype_names[] = { "normal", "device", "uncached" };

static uint64_t page_bytes(void)
{
	return 1ull << mmu_geometry()->page_shift;
}

static void run_print(struct run *r)
{
	char size[16];

	if (!r->count)
		return;
	kprintf("%s  0x%016llx-0x%016llx -> 0x%016llx  %4u x %-5s %c%c%c%c  %-8s %s%s\n", r->prefix,
		(unsigned long long)r->va, (unsigned long long)r->next_va - 1,
		(unsigned long long)r->pa, r->count,
		ksize_name(size, sizeof(size), page_bytes() << r->order),
		r->prot & MMU_READ ? 'r' : '-', r->prot & MMU_WRITE ? 'w' : '-',
		r->prot & MMU_EXEC ? 'x' : '-', r->prot & MMU_USER ? 'u' : '-',
		r->type < 3 ? memtype_names[r->type] : "?", r->global ? "global" : "",
		!r->opt->accessed_dirty ? "" : r->accessed ? (r->dirty ? "A D" : "A") :
		r->dirty ? "D" : "old");
	r->n.runs++;
	r->count = 0;
}

static mmu_entry_t dump_entry(mmu_entry_t e, vaddr_t va, void *priv)
{
	struct run *r = priv;
	unsigned order = mmu_entry_order(e), prot = mmu_entry_prot(e);
	paddr_t pa = mmu_entry_pa(e);
	uint64_t bytes = page_bytes() << order;
	bool ad = r->opt->accessed_dirty;

	if (r->opt->wx_panic && (prot & MMU_WRITE) && (prot & MMU_EXEC))
		panic("mmu: W^X: %#llx is writable and executable", (unsigned long long)va);
	if (!(r->count && va == r->next_va && pa == r->next_pa && order == r->order &&
	      prot == r->prot && mmu_entry_memtype(e) == r->type &&
	      mmu_entry_global(e) == r->global &&
	      (!ad || (mmu_entry_accessed(e) == r->accessed && mmu_entry_dirty(e) == r->dirty)))) {
		run_print(r);
		r->va = va;
		r->pa = pa;
		r->order = order;
		r->prot = prot;
		r->type = mmu_entry_memtype(e);
		r->global = mmu_entry_global(e);
		r->accessed = mmu_entry_accessed(e);
		r->dirty = mmu_entry_dirty(e);
	}
	r->count++;
	r->n.entries++;
	r->next_va = va + bytes;
	r->next_pa = pa + bytes;
	return e;
}

int ptdump(mmu_translation_set_t *t, vaddr_t start, vaddr_t end, const char *prefix,
           const struct ptdump_opts *opt, struct ptdump_counts *out)
{
	static const struct ptdump_opts none;
	struct run r = { .prefix = prefix, .opt = opt ? opt : &none };
	int err = mmu_scan(t, start, end, dump_entry, &r);

	run_print(&r);
	if (out)
		*out = r.n;
	return err;
}
