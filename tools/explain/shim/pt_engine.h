/*
 * Not the engine: tools/explain compiles each pt_mode_*.c with this
 * directory first on the include path, so the mode file's #include
 * "pt_engine.h" lands here and builds, with the mode's own geometry and
 * format header, a walker of the raw tables that decodes each descriptor
 * with the format's functions (pt_kind, pt_leaf_attr...). The tables it
 * walks are those the real engine (build/host/libmmu.a) wrote.
 */
#include "explain.h"
#include "mmu_host.h"
#include "pt_geometry.h"

#define EX_CAT_(a, b) a##b
#define EX_CAT(a, b) EX_CAT_(a, b)

static unsigned EX_CAT(walk_, PT_MODE)(mmu_translation_set_t *t, vaddr_t va,
                                       struct explain_step *out)
{
	struct mmu_host_hwstate hw;
	bool kernel = va >> 63;
	unsigned n = 0;

	if (mmu_host_hwstate(t, &hw))
		return 0;
	paddr_t table = PT_SPLIT_ROOTS && kernel ? hw.kernel_root : hw.root;
	for (int l = PT_TOP; l >= 0; l--) {
		unsigned shift = PT_PAGE_SHIFT + (unsigned)l * PT_INDEX_BITS;
		unsigned bits = l == PT_TOP ? PT_TOP_BITS : PT_INDEX_BITS;
		unsigned idx = (unsigned)((va >> shift) & ((1ull << bits) - 1));
		const pt_entry_t *tbl = mmu_host_phys(table);
		pt_entry_t e = tbl[idx];
		struct explain_step *s = &out[n++];
		*s = (struct explain_step){ .level = (unsigned)l, .index = idx, .desc = e,
		                            .shift = shift };
		enum pt_kind k = pt_kind(e, (unsigned)l);
		if (k == PT_ABSENT)
			return 0;
		if (k == PT_TABLE) {
			table = pt_table_pa(e, (unsigned)l);
			continue;
		}
		struct pt_attr a;
		pt_leaf_attr(e, (unsigned)l, &a);
		s->leaf = true;
		s->contig = pt_leaf_contig(e, (unsigned)l);
		s->contig_lg2 = s->contig ? pt_contig_lg2((unsigned)l) : 0;
		s->pa = pt_leaf_pa(e, (unsigned)l, va);
		s->prot = a.prot, s->memtype = a.memtype;
		s->global = a.global, s->accessed = a.accessed, s->dirty = a.dirty;
		return n;
	}
	return 0;
}

static struct explain_fmt EX_CAT(fmt_, PT_MODE) = { PT_MODE_NAME, EX_CAT(walk_, PT_MODE), 0 };
__attribute__((constructor)) static void EX_CAT(register_, PT_MODE)(void)
{
	explain_register(&EX_CAT(fmt_, PT_MODE));
}
