/* Shared by the per-mode walkers (shim/pt_engine.h) and explain.c. */
#ifndef ORIGAMI_EXPLAIN_H
#define ORIGAMI_EXPLAIN_H

#include <stdbool.h>
#include <stdint.h>
#include "mmu.h"

/* One descriptor on the way to va, as the mode's own format reads it. */
struct explain_step {
	unsigned level;          /* ours: 0 holds base pages */
	unsigned index;          /* slot in its table */
	uint64_t desc;           /* the raw descriptor */
	bool     leaf, contig;
	unsigned contig_lg2;     /* log2 of the slots of its group (leaf, contig) */
	unsigned shift;          /* log2 of the bytes one slot maps */
	paddr_t  pa;             /* leaf: output address of va's slot */
	unsigned prot, memtype;
	bool     global, accessed, dirty;
};

/* A mode's walker: the steps from the root of t to va (at most 8);
 * returns how many, 0 if nothing maps va. */
struct explain_fmt {
	const char *mode;
	unsigned (*walk)(mmu_translation_set_t *t, vaddr_t va, struct explain_step *out);
	struct explain_fmt *next;
};
void explain_register(struct explain_fmt *f);

#endif
