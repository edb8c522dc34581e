/*
 * make explain: what the abstraction hides. Every paging mode maps the same
 * small address space through the same mmu_* calls; then each mapping's
 * descriptors are read back from the raw tables the engine wrote (a walker
 * per mode built from the mode's own format header, shim/pt_engine.h) and
 * printed side by side: the level, the descriptor and its decoded bits,
 * whether the size is native to the mode or composed of smaller entries,
 * and how many descriptors it took. Markdown on stdout (docs/explain.md).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "mmu.h"
#include "mmu_host.h"
#include "explain.h"

static struct explain_fmt *fmts;

void explain_register(struct explain_fmt *f)
{
	f->next = fmts;
	fmts = f;
}

static struct explain_fmt *fmt_of(const char *mode)
{
	for (struct explain_fmt *f = fmts; f; f = f->next)
		if (!strcmp(f->mode, mode))
			return f;
	return NULL;
}

#define U MMU_USER
#define R MMU_READ
#define W MMU_WRITE
#define X MMU_EXEC

/* The small address space: user mappings low, kernel ones at the top. */
static const struct mapping {
	const char *what;
	vaddr_t va;
	paddr_t pa;
	unsigned size_lg2;       /* 0: the mode's base page */
	unsigned prot;
	enum mmu_memtype mt;
	bool global;
} maps[] = {
	{ "a 4K page (user, rw)",            0x201000,              0x80201000,  12, U | R | W, MMU_MEM_NORMAL, false },
	{ "a 64K run (user, rw)",            0x310000,              0x80310000,  16, U | R | W, MMU_MEM_NORMAL, false },
	{ "a 2M entry (user, r-x)",          0x400000,              0x80400000,  21, U | R | X, MMU_MEM_NORMAL, false },
	{ "a 1G entry (user, rw)",           0x40000000,            0xc0000000,  30, U | R | W, MMU_MEM_NORMAL, false },
	{ "a global kernel page (r-x)",      0xffffffffc0200000ull, 0x80600000,  0,  R | X,     MMU_MEM_NORMAL, true },
	{ "a device page (kernel, rw)",      0xffffffffc0400000ull, 0x10000000,  0,  R | W,     MMU_MEM_DEVICE, true },
};
#define NMAPS (sizeof(maps) / sizeof(maps[0]))

static const char *size_name(unsigned lg2, char *buf)
{
	static const char unit[] = "KMGTPE";
	unsigned u = lg2 >= 10 ? (lg2 - 10) / 10 : 0;
	snprintf(buf, 16, "%llu%c", 1ull << (lg2 - 10 - 10 * u), unit[u]);
	return buf;
}

static const char *mt_name(unsigned mt)
{
	return mt == MMU_MEM_DEVICE ? "device" : mt == MMU_MEM_UNCACHED ? "uncached" : "normal";
}

/* What one mode did with one mapping: one table row. */
struct row {
	int rc;                  /* of mmu_add + mmu_commit; < 0: not mapped */
	bool native;
	unsigned count;          /* descriptors (leaves) covering the mapping */
	unsigned levels;         /* bit l: leaves at our level l */
	struct explain_step path[8];
	unsigned depth;
	char why[64];
};

static void describe(struct row *r, const struct mmu_geometry *g, mmu_translation_set_t *t,
                     const struct explain_fmt *f, const struct mapping *m)
{
	unsigned lg2 = m->size_lg2 ? m->size_lg2 : g->page_shift;
	vaddr_t end = m->va + (1ull << lg2);

	r->depth = f->walk(t, m->va, r->path);
	for (vaddr_t va = m->va; va < end;) {
		struct explain_step s[8];
		unsigned n = f->walk(t, va, s);
		if (!n) {
			snprintf(r->why, sizeof(r->why), "nothing maps %#" PRIx64, va);
			r->rc = -1;
			return;
		}
		r->count++;
		r->levels |= 1u << s[n - 1].level;
		va += 1ull << s[n - 1].shift;
	}
}

static void map_all(const char *mode, struct row rows[NMAPS])
{
	const struct mmu_geometry *g = mmu_geometry();
	const struct explain_fmt *f = fmt_of(mode);
	mmu_translation_set_t t;

	if (mmu_new_translation_set(&t)) {
		for (size_t i = 0; i < NMAPS; i++)
			rows[i].rc = -1, snprintf(rows[i].why, sizeof(rows[i].why), "no set");
		return;
	}
	for (size_t i = 0; i < NMAPS; i++) {
		const struct mapping *m = &maps[i];
		struct row *r = &rows[i];
		unsigned lg2 = m->size_lg2 ? m->size_lg2 : g->page_shift;
		mmu_transaction_t ta;

		if (lg2 < g->page_shift) {
			r->rc = -1;
			snprintf(r->why, sizeof(r->why), "smaller than the base page");
			continue;
		}
		unsigned order = lg2 - g->page_shift;
		mmu_entry_t e = mmu_mksize(mmu_mkmemtype(mmu_mkentry(m->pa, m->prot), m->mt), order);
		if (m->global)
			e = mmu_mkglobal(e);
		mmu_transaction(&ta, &t);
		r->rc = mmu_add(&ta, e, m->va);
		if (!r->rc)
			r->rc = mmu_commit(&ta);
		else
			mmu_forget(&ta);
		if (r->rc) {
			snprintf(r->why, sizeof(r->why), "mmu_add: %d", r->rc);
			continue;
		}
		r->native = g->native_orders >> order & 1;
		if (f)
			describe(r, g, &t, f, m);
		else
			r->rc = -1, snprintf(r->why, sizeof(r->why), "no walker (a levelless mode)");
	}
	mmu_remove_translation_set(&t);
}

/* One leaf: where it sits, the raw descriptor, what the format reads. */
static void print_leaf(const struct explain_step *s)
{
	char sz[16], group[48] = "";

	if (s->contig)
		snprintf(group, sizeof(group), ", a slot of a contiguous group of %u", 1u << s->contig_lg2);
	printf("L%u[%u] `%016" PRIx64 "`: %s leaf%s -> %#" PRIx64 ", %c%c%c%c %s%s%s%s",
	       s->level, s->index, s->desc, size_name(s->shift, sz), group, s->pa,
	       s->prot & R ? 'r' : '-', s->prot & W ? 'w' : '-', s->prot & X ? 'x' : '-',
	       s->prot & U ? 'u' : '-', mt_name(s->memtype), s->global ? " global" : "",
	       s->accessed ? " A" : "", s->dirty ? " D" : "");
}

int main(void)
{
	size_t nmodes = mmu_mode_count();
	static struct row rows[32][NMAPS];

	if (nmodes > 32)
		nmodes = 32;
	for (size_t i = 0; i < nmodes; i++) {
		if (mmu_host_init((size_t)256 << 20) || mmu_select_mode(mmu_mode_name(i))) {
			fprintf(stderr, "explain: cannot select %s\n", mmu_mode_name(i));
			return 1;
		}
		map_all(mmu_mode_name(i), rows[i]);
	}

	printf("# What each paging mode writes\n\n"
	       "Generated by `make explain` (tools/explain/): every mode of the host build maps the\n"
	       "same six mappings through the same `mmu_*` calls; each mapping's descriptors are then\n"
	       "read back from the tables the engine wrote, with the mode's own format header\n"
	       "decoding them. Levels are ours (0 holds base pages; the format headers say how they\n"
	       "map to each manual's numbering). *native*: the mode has a descriptor (or a\n"
	       "contiguous group) of that size; *composed*: the MMU layer wrote smaller ones.\n"
	       "The core never sees any of this: it asked for the same six entries each time.\n");
	for (size_t k = 0; k < NMAPS; k++) {
		const struct mapping *m = &maps[k];
		printf("\n## %s: va %#" PRIx64 " -> pa %#" PRIx64 "\n\n", m->what, m->va, m->pa);
		printf("| mode | size | descriptors | leaf level(s) | path from the root: the leaf |\n"
		       "|------|------|-------------|---------------|------------------------------|\n");
		for (size_t i = 0; i < nmodes; i++) {
			struct row *r = &rows[i][k];
			const char *mode = mmu_mode_name(i);
			if (r->rc) {
				printf("| %s | - | - | - | not mapped: %s |\n", mode, r->why);
				continue;
			}
			printf("| %s | %s | %u | ", mode, r->native ? "native" : "composed", r->count);
			for (unsigned l = 0, first = 1; l < 8; l++)
				if (r->levels >> l & 1)
					printf("%sL%u", first ? "" : ", ", l), first = 0;
			printf(" | ");
			for (unsigned d = 0; d + 1 < r->depth; d++)
				printf("L%u[%u] ", r->path[d].level, r->path[d].index);
			print_leaf(&r->path[r->depth - 1]);
			printf(" |\n");
		}
	}
	return 0;
}
