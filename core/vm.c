/*
 * Address spaces on top of mmu_* (include/vm.h, docs/memory.md): the area
 * tree, mmap/munmap/mprotect/mremap, demand paging and copy-on-write fork.
 *
 * Areas say what may be mapped, the translation set what is mapped now.
 * Every operation prepares whatever can fail first (area nodes, the list
 * of entries it will touch), then changes the tables in ONE transaction,
 * and only after its commit changes the tree and gives frames back, which
 * cannot fail: a failure leaves the space as it was.
 *
 * Frames come from frames_alloc_pages and are counted per 4 KiB frame
 * (core/frames.c), so a large page can be shared by fork, partly unmapped
 * or partly copied without any bookkeeping here beyond one reference per
 * mapped frame.
 *
 * Nothing here knows a level or a descriptor bit: page sizes come from
 * mmu_geometry()->native_orders, and accessed/dirty from mmu_entry_*.
 */
#include <errno.h>
#include <string.h>
#include "kernel.h"
#include "vm.h"

/*
 * The lowest address mmap hands out or accepts: a NULL pointer, and small
 * offsets from it, must fault (Linux's vm.mmap_min_addr default, 64 KiB).
 */
#define VM_USER_LOW (1ull << 16)
/* Prot bits an area may carry. */
#define VM_PROT_MASK (MMU_READ | MMU_WRITE | MMU_EXEC)
#define VM_FLAGS_MASK (VM_FIXED | VM_SHARED | VM_PRIVATE | VM_ANON | VM_MAYMOVE)
/* Bytes in a frame of frames_alloc_pages' counting. */
#define FRAME_BYTES (1ull << FRAME_MIN_SHIFT)

const struct vm_operations anon_vm_ops;

/* ---- geometry ------------------------------------------------------------ */

static unsigned pshift(void)
{
	return mmu_geometry()->page_shift;
}

static uint64_t page_bytes(void)
{
	return 1ull << pshift();
}

static uint64_t order_bytes(unsigned order)
{
	return page_bytes() << order;
}

/*
 * Where areas may live: the lower half of the VA space. On RISC-V and
 * x86-64 that is the whole user half; arm64's TTBR0 reaches twice as far,
 * which the core does not need to know.
 */
static vaddr_t user_top(void)
{
	return 1ull << (mmu_geometry()->va_bits - 1);
}

/* Whether frames of this order can be mapped: a native page size the
 * frame allocator can hand out in one block. */
static bool data_order(unsigned order)
{
	return (mmu_geometry()->native_orders & (1ull << order)) &&
	       pshift() + order <= FRAME_MAX_SHIFT;
}

/* The largest mappable order whose size fits in len bytes. */
static unsigned largest_order_within(uint64_t len)
{
	unsigned best = 0;

	for (unsigned o = 1; o < 64 && pshift() + o < 64; o++)
		if (data_order(o) && order_bytes(o) <= len)
			best = o;
	return best;
}

/* What a page of an area with this prot is mapped as. A write implies a
 * read (no arch expresses write-only). PROT_NONE keeps its frame mapped
 * for the kernel only (no MMU_USER): data survives mprotect round trips,
 * and every user access faults against the area's protection. */
static unsigned entry_prot(unsigned prot)
{
	unsigned p = prot & VM_PROT_MASK;

	if (p & MMU_WRITE)
		p |= MMU_READ;
	return p ? p | MMU_USER : MMU_READ;
}

/* ---- area nodes: a tiny object cache on frames ----------------------------
 * Areas come from 4 KiB frames carved into nodes; when the last area of
 * every space is gone the frames go back, so the allocator's statistics
 * after the last space is destroyed equal those before the first. */

struct slab_page { uint64_t next_pa; };

static struct {
	struct spinlock lock;    /* every space's nodes come from here */
	struct vm_area *free;
	uint64_t pages;          /* chain of slab pages (physical) */
	size_t live;
} slab;

static struct vm_area *area_alloc(void)
{
	spin_lock(&slab.lock);
	if (!slab.free) {
		uint64_t pa = frames_alloc(FRAME_MIN_SHIFT);
		if (!pa) {
			spin_unlock(&slab.lock);
			return NULL;
		}
		struct slab_page *pg = phys_to_virt(pa);
		struct vm_area *a = (struct vm_area *)(pg + 1);
		size_t n = (FRAME_BYTES - sizeof(*pg)) / sizeof(*a);
		pg->next_pa = slab.pages;
		slab.pages = pa;
		for (size_t i = 0; i < n; i++) {
			a[i].left = slab.free;
			slab.free = &a[i];
		}
	}
	struct vm_area *a = slab.free;
	slab.free = a->left;
	slab.live++;
	spin_unlock(&slab.lock);
	memset(a, 0, sizeof(*a));
	return a;
}

static void area_free(struct vm_area *a)
{
	if (!a)
		return;
	spin_lock(&slab.lock);
	a->left = slab.free;
	slab.free = a;
	if (!--slab.live) {
		while (slab.pages) {
			uint64_t pa = slab.pages;
			slab.pages = ((struct slab_page *)phys_to_virt(pa))->next_pa;
			frames_free(pa, FRAME_MIN_SHIFT);
		}
		slab.free = NULL;
	}
	spin_unlock(&slab.lock);
}

/* Nodes an operation may need, taken before it changes anything. */
struct spare { struct vm_area *a[3]; };

static int spare_fill(struct spare *s, unsigned n)
{
	memset(s, 0, sizeof(*s));
	for (unsigned i = 0; i < n; i++)
		if (!(s->a[i] = area_alloc()))
			return -ENOMEM;
	return 0;
}

static struct vm_area *spare_take(struct spare *s)
{
	for (unsigned i = 0; i < 3; i++)
		if (s->a[i]) {
			struct vm_area *a = s->a[i];
			s->a[i] = NULL;
			return a;
		}
	panic("vm: an operation used more area nodes than it reserved");
}

static void spare_drop(struct spare *s)
{
	for (unsigned i = 0; i < 3; i++)
		area_free(s->a[i]);
}

/* ---- the area tree: AVL by start (Adelson-Velsky and Landis, 1962) ------- */

static int height(const struct vm_area *n)
{
	return n ? n->height : 0;
}

static void fix_height(struct vm_area *n)
{
	int l = height(n->left), r = height(n->right);
	n->height = 1 + (l > r ? l : r);
}

static struct vm_area *rotate_right(struct vm_area *y)
{
	struct vm_area *x = y->left;
	y->left = x->right;
	x->right = y;
	fix_height(y);
	fix_height(x);
	return x;
}

static struct vm_area *rotate_left(struct vm_area *x)
{
	struct vm_area *y = x->right;
	x->right = y->left;
	y->left = x;
	fix_height(x);
	fix_height(y);
	return y;
}

/* Restore |height(left) - height(right)| <= 1 at n after one insert or
 * remove below it. */
static struct vm_area *rebalance(struct vm_area *n)
{
	fix_height(n);
	int b = height(n->left) - height(n->right);
	if (b > 1) {
		if (height(n->left->left) < height(n->left->right))
			n->left = rotate_left(n->left);
		return rotate_right(n);
	}
	if (b < -1) {
		if (height(n->right->right) < height(n->right->left))
			n->right = rotate_right(n->right);
		return rotate_left(n);
	}
	return n;
}

static struct vm_area *avl_insert(struct vm_area *n, struct vm_area *a)
{
	if (!n) {
		a->left = a->right = NULL;
		a->height = 1;
		return a;
	}
	if (a->start < n->start)
		n->left = avl_insert(n->left, a);
	else
		n->right = avl_insert(n->right, a);
	return rebalance(n);
}

static struct vm_area *avl_remove_min(struct vm_area *n, struct vm_area **min)
{
	if (!n->left) {
		*min = n;
		return n->right;
	}
	n->left = avl_remove_min(n->left, min);
	return rebalance(n);
}

static struct vm_area *avl_remove(struct vm_area *n, vaddr_t start)
{
	if (!n)
		panic("vm: area at %#llx missing from its tree", (unsigned long long)start);
	if (start < n->start) {
		n->left = avl_remove(n->left, start);
	} else if (start > n->start) {
		n->right = avl_remove(n->right, start);
	} else {
		struct vm_area *l = n->left, *r = n->right, *m;
		if (!r)
			return l;
		r = avl_remove_min(r, &m);
		m->left = l;
		m->right = r;
		return rebalance(m);
	}
	return rebalance(n);
}

static void tree_insert(struct vm_space *vs, struct vm_area *a)
{
	vs->root = avl_insert(vs->root, a);
	vs->nareas++;
}

static void tree_remove(struct vm_space *vs, struct vm_area *a)
{
	vs->root = avl_remove(vs->root, a->start);
	vs->nareas--;
}

struct vm_area *vm_next_area(struct vm_space *vs, vaddr_t addr)
{
	struct vm_area *n = vs->root, *best = NULL;

	while (n) {
		if (n->end > addr) {
			best = n;
			n = n->left;
		} else {
			n = n->right;
		}
	}
	return best;
}

struct vm_area *vm_find_area(struct vm_space *vs, vaddr_t addr)
{
	struct vm_area *a = vm_next_area(vs, addr);
	return a && a->start <= addr ? a : NULL;
}

/* The last area ending at or below addr, or NULL. */
static struct vm_area *prev_area(struct vm_space *vs, vaddr_t addr)
{
	struct vm_area *n = vs->root, *best = NULL;

	while (n) {
		if (n->end <= addr) {
			best = n;
			n = n->right;
		} else {
			n = n->left;
		}
	}
	return best;
}

static bool same_kind(const struct vm_area *a, const struct vm_area *b)
{
	return a->prot == b->prot && a->flags == b->flags && a->ops == b->ops;
}

/* Merge a with equal neighbours that touch it; returns what a became. */
static struct vm_area *merge_around(struct vm_space *vs, struct vm_area *a)
{
	struct vm_area *p = prev_area(vs, a->start), *n;

	if (p && p->end == a->start && same_kind(p, a)) {
		p->end = a->end;
		tree_remove(vs, a);
		area_free(a);
		a = p;
	}
	n = vm_next_area(vs, a->end);
	if (n && n->start == a->end && same_kind(a, n)) {
		a->end = n->end;
		tree_remove(vs, n);
		area_free(n);
	}
	return a;
}

/* Make `at` an area boundary if an area straddles it. */
static void split_at(struct vm_space *vs, vaddr_t at, struct spare *s)
{
	struct vm_area *a = vm_find_area(vs, at);

	if (!a || a->start == at)
		return;
	struct vm_area *b = spare_take(s);
	*b = *a;
	b->start = at;
	a->end = at;
	tree_insert(vs, b);
}

/* Nodes a split of [start, end) out of the tree needs: one per end that
 * falls strictly inside an area. */
static unsigned splits_needed(struct vm_space *vs, vaddr_t start, vaddr_t end)
{
	struct vm_area *a = vm_find_area(vs, start), *b = vm_find_area(vs, end);
	return (a && a->start < start) + (b && b->start < end);
}

/* ---- entry lists ------------------------------------------------------------
 * The entries an operation will remove or move, read (mmu_scan) before its
 * transaction, kept in 4 KiB frames of (va | order, pa | prot) pairs. */

struct gather_page {
	uint64_t next_pa;
	uint64_t n;
	struct { uint64_t va_order, pa_prot; } e[(FRAME_BYTES - 16) / 16];
};

struct gather {
	uint64_t first, last;    /* chain of gather pages (physical) */
	uint64_t n;
	bool nomem;
};

struct gentry {
	vaddr_t va;
	paddr_t pa;
	unsigned order, prot;
};

/* Order and prot fit below the base page in the low bits of va and pa. */
#define G_LOW_MASK (FRAME_BYTES - 1)

static mmu_entry_t gather_fn(mmu_entry_t e, vaddr_t va, void *priv)
{
	struct gather *g = priv;
	struct gather_page *pg = g->last ? phys_to_virt(g->last) : NULL;

	if (g->nomem)
		return e;
	if (!pg || pg->n == sizeof(pg->e) / sizeof(pg->e[0])) {
		uint64_t pa = frames_alloc(FRAME_MIN_SHIFT);
		if (!pa) {
			g->nomem = true;
			return e;
		}
		if (pg)
			pg->next_pa = pa;
		else
			g->first = pa;
		g->last = pa;
		pg = phys_to_virt(pa);
	}
	pg->e[pg->n].va_order = va | mmu_entry_order(e);
	pg->e[pg->n].pa_prot = mmu_entry_pa(e) | mmu_entry_prot(e);
	pg->n++;
	g->n++;
	return e;
}

static void gather_free(struct gather *g)
{
	while (g->first) {
		uint64_t pa = g->first;
		g->first = ((struct gather_page *)phys_to_virt(pa))->next_pa;
		frames_free(pa, FRAME_MIN_SHIFT);
	}
	g->last = 0;
}

/* Every entry overlapping [start, end), straddlers included. Returns 0,
 * -ENOMEM (nothing kept). */
static int gather_range(struct vm_space *vs, struct gather *g, vaddr_t start, vaddr_t end)
{
	memset(g, 0, sizeof(*g));
	int err = mmu_scan(&vs->set, start, end, gather_fn, g);
	if (!err && g->nomem)
		err = -ENOMEM;
	if (err)
		gather_free(g);
	return err;
}

/* Iterate: *it starts at 0 (pair index within the chain's walk). */
struct gather_it { uint64_t pa; uint64_t i; };

static bool gather_next(struct gather *g, struct gather_it *it, struct gentry *out)
{
	if (!it->pa)
		it->pa = g->first;
	while (it->pa) {
		struct gather_page *pg = phys_to_virt(it->pa);
		if (it->i < pg->n) {
			out->va = pg->e[it->i].va_order & ~G_LOW_MASK;
			out->order = (unsigned)(pg->e[it->i].va_order & G_LOW_MASK);
			out->pa = pg->e[it->i].pa_prot & ~G_LOW_MASK;
			out->prot = (unsigned)(pg->e[it->i].pa_prot & G_LOW_MASK);
			it->i++;
			return true;
		}
		it->pa = pg->next_pa;
		it->i = 0;
	}
	return false;
}

/* Drop the reference of every frame of [pa, pa + bytes). */
static void put_frames(paddr_t pa, uint64_t bytes)
{
	for (uint64_t off = 0; off < bytes; off += FRAME_BYTES)
		frames_put(pa + off);
}

/* After the commit: frames of the gathered entries inside [start, end)
 * lose the reference their mapping held. */
static void put_gathered(struct gather *g, vaddr_t start, vaddr_t end)
{
	struct gather_it it = { 0, 0 };
	struct gentry ge;

	while (gather_next(g, &it, &ge)) {
		vaddr_t ge_end = ge.va + order_bytes(ge.order);
		vaddr_t lo = ge.va > start ? ge.va : start, hi = ge_end < end ? ge_end : end;
		put_frames(ge.pa + (lo - ge.va), hi - lo);
	}
}

/* ---- spaces ------------------------------------------------------------- */

int vm_space_init(struct vm_space *vs)
{
	memset(vs, 0, sizeof(*vs));
	int err = mmu_new_translation_set(&vs->set);
	if (err)
		return err;
	vs->lo = VM_USER_LOW > page_bytes() ? VM_USER_LOW : page_bytes();
	vs->hi = user_top();
	vs->max_order = ~0u;
	vs->live = true;
	return 0;
}

static mmu_entry_t put_entry_fn(mmu_entry_t e, vaddr_t va, void *priv)
{
	put_frames(mmu_entry_pa(e), order_bytes(mmu_entry_order(e)));
	return e;
}

static void free_tree(struct vm_area *n)
{
	if (!n)
		return;
	free_tree(n->left);
	free_tree(n->right);
	area_free(n);
}

void vm_space_destroy(struct vm_space *vs)
{
	spin_lock(&vs->lock);
	if (!vs->live) {
		spin_unlock(&vs->lock);
		return;
	}
	/* The set is not active anywhere: no TLB can still reach the frames,
	 * so they may go back before the tables do. */
	if (mmu_scan(&vs->set, 0, user_top(), put_entry_fn, NULL))
		panic("vm: a read-only scan of the space at %p failed", (void *)vs);
	mmu_remove_translation_set(&vs->set);
	free_tree(vs->root);
	vs->root = NULL;
	vs->nareas = 0;
	vs->live = false;
	spin_unlock(&vs->lock);
}

/* ---- get_unmapped_area -------------------------------------------------- */

/* The lowest start >= lo with start % align == offset (align a power of
 * two) leaving len bytes free before the next area, or 0. */
static vaddr_t get_unmapped_area(struct vm_space *vs, uint64_t len, uint64_t align, uint64_t offset)
{
	vaddr_t gap = vs->lo;

	for (;;) {
		vaddr_t cand = ((gap - offset + align - 1) & ~(align - 1)) + offset;
		if (cand < gap)
			cand += align;
		struct vm_area *a = vm_next_area(vs, cand);
		vaddr_t limit = a ? (a->start > cand ? a->start : cand) : vs->hi;
		if (cand >= gap && cand < vs->hi && len <= vs->hi - cand && len <= limit - cand)
			return cand;
		if (!a || cand >= vs->hi)
			return 0;
		gap = a->end;
	}
}

/* ---- mmap / munmap ------------------------------------------------------ */

static bool range_ok(struct vm_space *vs, vaddr_t addr, uint64_t len)
{
	return !(addr & (page_bytes() - 1)) && len && addr >= vs->lo && addr <= vs->hi &&
	       len <= vs->hi - addr;
}

static uint64_t round_len(size_t len)
{
	uint64_t l = ((uint64_t)len + page_bytes() - 1) & ~(page_bytes() - 1);
	return l < len ? 0 : l;   /* 0: overflowed */
}

/* munmap with its nodes already reserved. */
static int unmap_locked(struct vm_space *vs, vaddr_t start, vaddr_t end, struct spare *s)
{
	struct gather g;
	mmu_transaction_t ta;
	int err = gather_range(vs, &g, start, end);

	if (err)
		return err;
	if (g.n) {
		mmu_transaction(&ta, &vs->set);
		err = mmu_remove_range(&ta, start, end);
		if (err)
			mmu_forget(&ta);
		else
			err = mmu_commit(&ta);
		if (err) {
			gather_free(&g);
			return err;
		}
		put_gathered(&g, start, end);
	}
	gather_free(&g);
	split_at(vs, start, s);
	split_at(vs, end, s);
	for (struct vm_area *a = vm_next_area(vs, start); a && a->start < end;
	     a = vm_next_area(vs, start)) {
		tree_remove(vs, a);
		area_free(a);
	}
	return 0;
}

static int munmap_held(struct vm_space *vs, vaddr_t addr, size_t len)
{
	uint64_t l = round_len(len);
	struct spare s;
	int err;

	if (!range_ok(vs, addr, l))
		return -EINVAL;
	err = spare_fill(&s, splits_needed(vs, addr, addr + l));
	if (!err)
		err = unmap_locked(vs, addr, addr + l, &s);
	spare_drop(&s);
	return err;
}

static int mmap_held(struct vm_space *vs, vaddr_t addr, size_t len, unsigned prot, unsigned flags,
                     vaddr_t *out)
{
	uint64_t l = round_len(len);
	struct spare s;
	int err;

	if ((prot & ~VM_PROT_MASK) || (flags & ~VM_FLAGS_MASK) || (flags & (VM_SHARED | VM_MAYMOVE)) || !l)
		return -EINVAL;
	if (flags & VM_FIXED) {
		if (!range_ok(vs, addr, l))
			return -EINVAL;
	} else {
		/* aligned for the largest pages if there is room, else anywhere */
		addr = get_unmapped_area(vs, l, order_bytes(largest_order_within(l)), 0);
		if (!addr)
			addr = get_unmapped_area(vs, l, page_bytes(), 0);
		if (!addr)
			return -ENOMEM;
	}
	err = spare_fill(&s, 1 + splits_needed(vs, addr, addr + l));
	if (!err && (flags & VM_FIXED))
		err = unmap_locked(vs, addr, addr + l, &s);
	if (!err) {
		struct vm_area *a = spare_take(&s);
		a->start = addr;
		a->end = addr + l;
		a->prot = prot;
		a->flags = VM_PRIVATE | VM_ANON;
		a->ops = &anon_vm_ops;
		tree_insert(vs, a);
		merge_around(vs, a);
		*out = addr;
	}
	spare_drop(&s);
	return err;
}

/* ---- mprotect ----------------------------------------------------------- */

/* Whether areas cover [start, end) without a hole. */
static bool covered(struct vm_space *vs, vaddr_t start, vaddr_t end)
{
	vaddr_t at = start;

	for (struct vm_area *a = vm_find_area(vs, at); a && at < end; a = vm_find_area(vs, at))
		at = a->end;
	return at >= end;
}

static int mprotect_held(struct vm_space *vs, vaddr_t addr, size_t len, unsigned prot)
{
	uint64_t l = round_len(len);
	vaddr_t end = addr + l;
	struct spare s;
	mmu_transaction_t ta;
	int err;

	if ((prot & ~VM_PROT_MASK) || !range_ok(vs, addr, l))
		return -EINVAL;
	if (!covered(vs, addr, end))
		return -ENOMEM;
	if ((err = spare_fill(&s, splits_needed(vs, addr, end))))
		goto out;
	/*
	 * After a fork a writable area's frames may be shared: they stay
	 * read-only and the first write takes them back or copies them.
	 */
	unsigned eprot = entry_prot(prot);
	if (vs->cow)
		eprot = entry_prot(prot & ~MMU_WRITE);
	mmu_transaction(&ta, &vs->set);
	err = mmu_protect_range(&ta, addr, end, eprot);
	if (err)
		mmu_forget(&ta);
	else
		err = mmu_commit(&ta);
	if (err)
		goto out;
	split_at(vs, addr, &s);
	split_at(vs, end, &s);
	for (struct vm_area *a = vm_find_area(vs, addr); a && a->start < end; ) {
		vaddr_t next = a->end;
		a->prot = prot;
		a = merge_around(vs, a);
		a = next < end ? vm_find_area(vs, next) : NULL;
	}
out:
	spare_drop(&s);
	return err;
}

/* ---- mremap ------------------------------------------------------------- */

/* Entries of the old range added again delta bytes away, split where the
 * new address is less aligned than the entry (the frames need not move). */
static int move_entries(mmu_transaction_t *ta, struct gather *g, vaddr_t old, uint64_t len,
                        vaddr_t new_start)
{
	struct gather_it it = { 0, 0 };
	struct gentry ge;
	int err = mmu_remove_range(ta, old, old + len);

	while (!err && gather_next(g, &it, &ge)) {
		vaddr_t ge_end = ge.va + order_bytes(ge.order);
		vaddr_t lo = ge.va > old ? ge.va : old, hi = ge_end < old + len ? ge_end : old + len;
		paddr_t pa = ge.pa + (lo - ge.va);
		unsigned o = ge.order;
		/* the largest mappable order both sides are aligned to */
		while (o && (!data_order(o) || ((lo | pa | (lo - old + new_start) | (hi - lo)) &
		                                (order_bytes(o) - 1))))
			o--;
		for (; !err && lo < hi; lo += order_bytes(o), pa += order_bytes(o))
			err = mmu_add(ta, mmu_mksize(mmu_mkentry(pa, ge.prot), o), lo - old + new_start);
	}
	return err;
}

static int mremap_held(struct vm_space *vs, vaddr_t old_addr, size_t old_len, size_t new_len,
                       unsigned flags, vaddr_t *out)
{
	uint64_t ol = round_len(old_len), nl = round_len(new_len);
	vaddr_t old_end = old_addr + ol;
	struct vm_area *a;
	struct spare s;
	int err;

	if ((flags & ~VM_MAYMOVE) || !range_ok(vs, old_addr, ol) || !nl)
		return -EINVAL;
	a = vm_find_area(vs, old_addr);
	if (!a || old_end > a->end)
		return -EFAULT;
	if (nl <= ol) {                       /* shrink: the tail goes */
		if (nl < ol && (err = munmap_held(vs, old_addr + nl, ol - nl)))
			return err;
		*out = old_addr;
		return 0;
	}
	struct vm_area *next = vm_next_area(vs, old_end);
	if (old_end == a->end && nl - ol <= vs->hi - old_end &&
	    (!next || next->start >= old_addr + nl)) {   /* grow in place: nothing is mapped yet */
		a->end = old_addr + nl;
		merge_around(vs, a);
		*out = old_addr;
		return 0;
	}
	if (!(flags & VM_MAYMOVE))
		return -ENOMEM;
	/* Move: keep the large pages' alignment where the new place allows. */
	uint64_t align = order_bytes(largest_order_within(nl));
	vaddr_t to = get_unmapped_area(vs, nl, align, old_addr & (align - 1));
	if (!to)
		to = get_unmapped_area(vs, nl, page_bytes(), 0);
	if (!to)
		return -ENOMEM;
	struct gather g;
	mmu_transaction_t ta;
	unsigned prot = a->prot, aflags = a->flags;
	const struct vm_operations *ops = a->ops;
	if ((err = spare_fill(&s, 1 + splits_needed(vs, old_addr, old_end))))
		goto out;
	if ((err = gather_range(vs, &g, old_addr, old_end)))
		goto out;
	if (g.n) {
		mmu_transaction(&ta, &vs->set);
		err = move_entries(&ta, &g, old_addr, ol, to);
		if (err)
			mmu_forget(&ta);
		else
			err = mmu_commit(&ta);
	}
	gather_free(&g);
	if (err)
		goto out;
	split_at(vs, old_addr, &s);
	split_at(vs, old_end, &s);
	a = vm_find_area(vs, old_addr);
	tree_remove(vs, a);
	area_free(a);
	a = spare_take(&s);
	*a = (struct vm_area){ .start = to, .end = to + nl, .prot = prot, .flags = aflags, .ops = ops };
	tree_insert(vs, a);
	merge_around(vs, a);
	*out = to;
out:
	spare_drop(&s);
	return err;
}

/* ---- fork --------------------------------------------------------------- */

static struct vm_area *clone_tree(const struct vm_area *n, bool *nomem)
{
	if (!n || *nomem)
		return NULL;
	struct vm_area *c = area_alloc();
	if (!c) {
		*nomem = true;
		return NULL;
	}
	*c = *n;
	c->left = clone_tree(n->left, nomem);
	c->right = clone_tree(n->right, nomem);
	return c;
}

/* Every writable area's entries read-only, in one transaction. */
static int write_protect(struct vm_space *vs)
{
	mmu_transaction_t ta;
	int err = 0;

	mmu_transaction(&ta, &vs->set);
	for (struct vm_area *a = vm_next_area(vs, 0); a && !err; a = vm_next_area(vs, a->end))
		if (a->prot & MMU_WRITE)
			err = mmu_protect_range(&ta, a->start, a->end, entry_prot(a->prot & ~MMU_WRITE));
	if (err) {
		mmu_forget(&ta);
		return err;
	}
	return mmu_commit(&ta);
}

static mmu_entry_t get_entry_fn(mmu_entry_t e, vaddr_t va, void *priv)
{
	paddr_t pa = mmu_entry_pa(e);
	for (uint64_t off = 0; off < order_bytes(mmu_entry_order(e)); off += FRAME_BYTES)
		frames_get(pa + off);
	return e;
}

static int fork_held(struct vm_space *child, struct vm_space *parent)
{
	bool nomem = false;
	struct vm_area *tree = clone_tree(parent->root, &nomem);
	int err;

	if (nomem) {
		free_tree(tree);
		return -ENOMEM;
	}
	/*
	 * Writable private pages become read-only in the parent in one
	 * transaction (mmu_protect_range per writable area), then the child
	 * copies the tables: both
	 * see them read-only, and the first write to either side copies or
	 * takes back the frame (vm_fault). If the copy fails the parent keeps
	 * read-only entries, which its next writes take back.
	 */
	memset(child, 0, sizeof(*child));
	err = write_protect(parent);
	if (!err)
		err = mmu_dup_translation_set(&child->set, &parent->set);
	if (err) {
		free_tree(tree);
		return err;
	}
	if (mmu_scan(&child->set, 0, user_top(), get_entry_fn, NULL))
		panic("vm_fork: a read-only scan of the child failed");
	child->root = tree;
	child->nareas = parent->nareas;
	child->lo = parent->lo;
	child->hi = parent->hi;
	child->max_order = parent->max_order;
	child->cow = parent->cow = true;
	child->live = true;
	return 0;
}

/* ---- faults ------------------------------------------------------------- */

static bool access_allowed(unsigned prot, unsigned access)
{
	if (access & MMU_EXEC)
		return prot & MMU_EXEC;
	if (access & MMU_WRITE)
		return prot & MMU_WRITE;
	return prot & (MMU_READ | MMU_WRITE);
}

static mmu_entry_t found_fn(mmu_entry_t e, vaddr_t va, void *priv)
{
	*(bool *)priv = true;
	return e;
}

/* Whether [va, va + len) has no translation. */
static bool range_empty(struct vm_space *vs, vaddr_t va, uint64_t len)
{
	bool found = false;
	return !mmu_scan(&vs->set, va, va + len, found_fn, &found) && !found;
}

/* Not mapped yet (ta found nothing at addr; anon_map ends it): a zeroed
 * frame of the largest order the area, the alignment, the neighbouring
 * translations and free memory allow. Mapped
 * accessed, and dirty only for a write (as Linux does): a read fault of a
 * writable area leaves the page clean until its first write. */
static int anon_map(struct vm_space *vs, struct vm_area *a, mmu_transaction_t *ta, vaddr_t addr,
                    unsigned access)
{
	unsigned eprot = entry_prot(a->prot);
	bool wanted_larger = false;

	for (unsigned o = largest_order_within(a->end - a->start) + 1; o-- > 0; ) {
		uint64_t size = order_bytes(o);
		vaddr_t base = addr & ~(size - 1);
		if (!data_order(o) || o > vs->max_order || base < a->start || a->end - base < size ||
		    (o && !range_empty(vs, base, size)))
			continue;
		paddr_t pa = frames_alloc_pages(pshift() + o);
		if (!pa) {
			wanted_larger = true;
			continue;
		}
		mmu_entry_t e = mmu_mksize(mmu_mkentry(pa, eprot), o);
		if (!(access & MMU_WRITE))
			e = mmu_mkclean(e);
		int err = mmu_add(ta, e, base);
		if (!err)
			err = mmu_commit(ta);
		else
			mmu_forget(ta);
		if (err) {
			put_frames(pa, size);
			return err;
		}
		vs->counts.mapped[o]++;
		vs->counts.fallbacks += wanted_larger;
		return 0;
	}
	mmu_forget(ta);
	return -ENOMEM;
}

/* Whether any frame of [pa, pa + bytes) is mapped elsewhere too. */
static bool frames_shared(paddr_t pa, uint64_t bytes)
{
	for (uint64_t off = 0; off < bytes; off += FRAME_BYTES)
		if (frames_refcount(pa + off) > 1)
			return true;
	return false;
}

/* A write to a read-only page of a writable private area: the frame is
 * shared with another space since a fork. Take it back when no one else
 * maps it; otherwise copy the piece containing addr, at the entry's size
 * or the largest smaller one free memory allows. */
static int anon_cow(struct vm_space *vs, struct vm_area *a, mmu_transaction_t *ta,
                    mmu_entry_t e, vaddr_t addr)
{
	unsigned prot = entry_prot(a->prot);
	vaddr_t base = mmu_current_va(ta);
	unsigned order = mmu_entry_order(e);
	int err;

	if (!frames_shared(mmu_entry_pa(e), order_bytes(order))) {
		/* made afresh: accessed and dirty, this is a write */
		err = mmu_update(ta, mmu_mksize(mmu_mkentry(mmu_entry_pa(e), prot), order));
		if (!err && !(err = mmu_commit(ta)))
			vs->counts.cow_reuses++;
		return err;
	}
	for (unsigned o = order + 1; o-- > 0; ) {
		if (!data_order(o))
			continue;
		uint64_t size = order_bytes(o);
		vaddr_t piece = addr & ~(size - 1);
		paddr_t old = mmu_entry_pa(e) + (piece - base);
		paddr_t pa = frames_alloc_pages(pshift() + o);
		if (!pa)
			continue;
		memcpy(phys_to_virt(pa), phys_to_virt(old), size);
		err = mmu_update(ta, mmu_mksize(mmu_mkentry(pa, prot), o));
		if (!err)
			err = mmu_commit(ta);
		if (err) {
			put_frames(pa, size);
			return err;
		}
		put_frames(old, size);
		vs->counts.cow_copies++;
		vs->counts.fallbacks += o != order;
		return 0;
	}
	return -ENOMEM;
}

static int anon_fault(struct vm_space *vs, struct vm_area *a, vaddr_t addr, unsigned access)
{
	mmu_transaction_t ta;
	mmu_entry_t e;
	int err;

	mmu_transaction(&ta, &vs->set);
	err = mmu_find(&ta, addr, &e);
	if (err == -ENOENT)   /* the transaction that looked maps it (and ends) */
		return anon_map(vs, a, &ta, addr, access);
	if (!err && (access & MMU_WRITE) && !(mmu_entry_prot(e) & MMU_WRITE)) {
		err = anon_cow(vs, a, &ta, e, addr);
		if (err)
			mmu_forget(&ta);
		return err;
	}
	/* Mapped as the access needs: resolved already (another CPU, or a
	 * stale TLB entry): -EEXIST, retry; fault_handle tells a kernel
	 * access the guard (SUM/PAN/SMAP) refused from these. */
	mmu_forget(&ta);
	if (!err) {
		vs->counts.spurious++;
		err = -EEXIST;
	}
	return err;
}

const struct vm_operations anon_vm_ops = { .name = "anon", .fault = anon_fault };

static int fault_held(struct vm_space *vs, vaddr_t addr, unsigned access)
{
	struct vm_area *a = vm_find_area(vs, addr);

	vs->counts.faults++;
	if (!a) {
		vs->counts.segv++;
		return -EFAULT;
	}
	if (!access_allowed(a->prot, access)) {
		vs->counts.segv++;
		return -EACCES;
	}
	return a->ops->fault(vs, a, addr, access);
}

/* ---- the entry points: each holds the space's lock ----------------------- */

int vm_mmap(struct vm_space *vs, vaddr_t addr, size_t len, unsigned prot, unsigned flags, vaddr_t *out)
{
	spin_lock(&vs->lock);
	int err = mmap_held(vs, addr, len, prot, flags, out);
	spin_unlock(&vs->lock);
	return err;
}

int vm_munmap(struct vm_space *vs, vaddr_t addr, size_t len)
{
	spin_lock(&vs->lock);
	int err = munmap_held(vs, addr, len);
	spin_unlock(&vs->lock);
	return err;
}

int vm_mprotect(struct vm_space *vs, vaddr_t addr, size_t len, unsigned prot)
{
	spin_lock(&vs->lock);
	int err = mprotect_held(vs, addr, len, prot);
	spin_unlock(&vs->lock);
	return err;
}

int vm_mremap(struct vm_space *vs, vaddr_t old_addr, size_t old_len, size_t new_len,
              unsigned flags, vaddr_t *out)
{
	spin_lock(&vs->lock);
	int err = mremap_held(vs, old_addr, old_len, new_len, flags, out);
	spin_unlock(&vs->lock);
	return err;
}

/* The child is new: no other CPU can reach it before this returns. */
int vm_fork(struct vm_space *child, struct vm_space *parent)
{
	spin_lock(&parent->lock);
	int err = fork_held(child, parent);
	spin_unlock(&parent->lock);
	return err;
}

/*
 * The whole find-or-map under the lock: a CPU that faulted on the page
 * another CPU is mapping waits, then finds it mapped (-EEXIST), and its
 * frame is never allocated. Without the lock both would allocate, both
 * transactions would add, and one frame (or a table page) would be lost.
 */
int vm_fault(struct vm_space *vs, vaddr_t addr, unsigned access, bool user)
{
	(void)user;
	spin_lock(&vs->lock);
	int err = fault_held(vs, addr, access);
	spin_unlock(&vs->lock);
	return err;
}

/* ---- ptdump and checks -------------------------------------------------- */

static void prot_name(char *buf, unsigned prot)
{
	buf[0] = prot & MMU_READ ? 'r' : '-';
	buf[1] = prot & MMU_WRITE ? 'w' : '-';
	buf[2] = prot & MMU_EXEC ? 'x' : '-';
	buf[3] = prot & MMU_USER ? 'u' : '-';
	buf[4] = 0;
}

static void dump_areas(const struct vm_area *n)
{
	char p[5];

	if (!n)
		return;
	dump_areas(n->left);
	prot_name(p, n->prot);
	kprintf("    [%016llx, %016llx) %s %s\n", (unsigned long long)n->start,
		(unsigned long long)n->end, p, n->ops->name);
	dump_areas(n->right);
}

void vm_dump(struct vm_space *vs)
{
	spin_lock(&vs->lock);
	kprintf("vm: space %p: %zu areas, %llu faults\n", (void *)vs, vs->nareas,
		(unsigned long long)vs->counts.faults);
	static const struct ptdump_opts ad = { .accessed_dirty = true };
	struct ptdump_counts n;

	dump_areas(vs->root);
	kprintf("  translations (user half):\n");
	ptdump(&vs->set, 0, user_top(), "  ", &ad, &n);
	kprintf("  %u entries in %u runs; %llu faults (%llu refused), %llu copy-on-write copies, "
		"%llu frames taken back, %llu accessed/dirty emulations\n", n.entries, n.runs,
		(unsigned long long)vs->counts.faults, (unsigned long long)vs->counts.segv,
		(unsigned long long)vs->counts.cow_copies, (unsigned long long)vs->counts.cow_reuses,
		(unsigned long long)vs->counts.ad_faults);
	spin_unlock(&vs->lock);
}

struct check { const struct vm_area *prev; size_t n; bool bad; };

static int check_node(const struct vm_area *n, struct check *c)
{
	if (!n)
		return 0;
	int l = check_node(n->left, c);
	if (n->start >= n->end || (n->start | n->end) & (page_bytes() - 1)) {
		kprintf("vm_check: area [%#llx, %#llx) empty or misaligned\n",
			(unsigned long long)n->start, (unsigned long long)n->end);
		c->bad = true;
	}
	if (c->prev && c->prev->end > n->start) {
		kprintf("vm_check: areas overlap or out of order at %#llx\n", (unsigned long long)n->start);
		c->bad = true;
	}
	if (c->prev && c->prev->end == n->start && same_kind(c->prev, n)) {
		kprintf("vm_check: equal neighbours not merged at %#llx\n", (unsigned long long)n->start);
		c->bad = true;
	}
	c->prev = n;
	c->n++;
	int r = check_node(n->right, c);
	int h = 1 + (l > r ? l : r);
	if (l - r > 1 || r - l > 1 || n->height != h) {
		kprintf("vm_check: AVL broken at %#llx (left %d, right %d, height %d)\n",
			(unsigned long long)n->start, l, r, n->height);
		c->bad = true;
	}
	return h;
}

int vm_check(struct vm_space *vs)
{
	struct check c = { NULL, 0, false };

	spin_lock(&vs->lock);
	check_node(vs->root, &c);
	if (c.n != vs->nareas) {
		kprintf("vm_check: %zu nodes, %zu counted\n", c.n, vs->nareas);
		c.bad = true;
	}
	spin_unlock(&vs->lock);
	return c.bad ? -EINVAL : 0;
}
