/*
 * The physical frame allocator (API in include/kernel.h): a binary buddy
 * allocator of naturally aligned blocks of 2^FRAME_MIN_SHIFT to
 * 2^FRAME_MAX_SHIFT bytes.
 *
 * Memory is a few zones, one per contiguous usable range. Each zone keeps
 * one state byte per 4 KiB frame (taken from the zone's own first frames):
 * whether the frame heads a free block or an allocated block, and the
 * block's order. Free blocks are on one doubly linked list per order whose
 * links live in the free blocks themselves (reached through phys_to_virt).
 * The state bytes, not the links, say what is free, so nothing a caller
 * writes into its blocks can fool a free or a merge.
 *
 * Buddies are computed on absolute physical addresses (pa ^ size), so every
 * block is aligned to its size; a buddy outside the zone never merges.
 *
 * Frames mapped into address spaces (frames_alloc_pages) are counted per
 * 4 KiB frame, whatever block they came from: copy-on-write shares them
 * frame by frame, and an address space may give back part of a large page
 * (munmap of a sub-range, a COW copy of one piece) while the rest stays.
 * Such a block is split at allocation into 4 KiB allocated blocks with a
 * reference count each (one uint32_t per frame next to the state byte);
 * the buddy merge puts it back together as its frames come back.
 *
 * A free the allocator did not hand out (double free, foreign address,
 * wrong size) is a broken invariant of the caller: panic with the address.
 *
 * Any CPU may call in: one spinlock (include/kernel.h) covers every list,
 * state byte, reference count and statistic; a block is zeroed after the
 * lock is dropped (it is the caller's alone by then). frames_init and
 * frames_add_above run while one CPU is up.
 */
#include <errno.h>
#include <string.h>
#include "kernel.h"

#define NORDERS   (FRAME_MAX_SHIFT - FRAME_MIN_SHIFT + 1)
#define FRAME     (1ull << FRAME_MIN_SHIFT)
#define ST_FREE   0x80u     /* heads a free block on free_list[order] */
#define ST_ALLOC  0x40u     /* heads an allocated block */
#define ST_ORDER  0x1fu

struct zone {
	uint64_t base;          /* first managed frame */
	uint64_t nframes;
	uint8_t *state;         /* nframes bytes */
	uint32_t *ref;          /* counts (frames_alloc_pages frames) or owner words, ref_slot */
};

/*
 * A frame's slot in z->ref, its reference count or its owner's word
 * (frames_owner_word: the MMU layer's per-table count, written by every
 * commit that changes the table). Frames are transposed in blocks of
 * REF_COLS x REF_COLS: frame j of a block has slot (j % REF_COLS) *
 * REF_COLS + j / REF_COLS, so neighbouring frames, such as two page tables
 * allocated one after the other, have slots REF_COLS words (128 bytes)
 * apart: two CPUs committing into the two tables do not write one cache
 * line, nor one 128-byte pair of lines, which Intel's L2 spatial
 * prefetcher fetches together (Optimization Reference Manual, "Data
 * Prefetch to the L2 and Last Level Cache"). Frames REF_COLS apart share
 * a pair instead. The array is whole blocks long (zone_add).
 */
#define REF_COLS  32u           /* uint32_t slots in 128 bytes */
#define REF_BLOCK (REF_COLS * REF_COLS)

static uint32_t *ref_slot(const struct zone *z, uint64_t pa)
{
	uint64_t i = (pa - z->base) >> FRAME_MIN_SHIFT, j = i % REF_BLOCK;
	return &z->ref[i - j + (j % REF_COLS) * REF_COLS + j / REF_COLS];
}

/* A free block's first bytes: the list links (physical addresses, 0 = none). */
struct free_block {
	uint64_t next, prev;
};

static struct {
	struct zone zones[BOOT_MAX_RANGES];
	unsigned nzones;
	uint64_t free_list[NORDERS];
	struct frames_stats st;
	long fail_after;        /* test hook: allocations left before failing, -1 never */
} fa = { .fail_after = -1 };

static struct zone *zone_of(uint64_t pa, uint64_t bytes)
{
	for (unsigned i = 0; i < fa.nzones; i++) {
		struct zone *z = &fa.zones[i];
		uint64_t end = z->base + z->nframes * FRAME;
		if (pa >= z->base && pa < end && bytes <= end - pa)
			return z;
	}
	return NULL;
}

static uint8_t *state_of(struct zone *z, uint64_t pa)
{
	return &z->state[(pa - z->base) >> FRAME_MIN_SHIFT];
}

static struct free_block *block(uint64_t pa)
{
	return phys_to_virt(pa);
}

static void list_push(struct zone *z, uint64_t pa, unsigned order)
{
	struct free_block *b = block(pa);

	b->prev = 0;
	b->next = fa.free_list[order];
	if (b->next)
		block(b->next)->prev = pa;
	fa.free_list[order] = pa;
	*state_of(z, pa) = (uint8_t)(ST_FREE | order);
	fa.st.free_bytes += FRAME << order;
	fa.st.free_blocks[order]++;
}

static void list_remove(struct zone *z, uint64_t pa, unsigned order)
{
	struct free_block *b = block(pa);

	if (b->prev)
		block(b->prev)->next = b->next;
	else
		fa.free_list[order] = b->next;
	if (b->next)
		block(b->next)->prev = b->prev;
	*state_of(z, pa) = 0;
	fa.st.free_bytes -= FRAME << order;
	fa.st.free_blocks[order]--;
}

/* Frames of [base, end) into free blocks: at each address the largest
 * block its alignment and the room left allow. */
static void zone_fill(struct zone *z, uint64_t base, uint64_t end)
{
	while (base < end) {
		unsigned order = 0;
		while (order + 1 < NORDERS && !(base & ((FRAME << (order + 1)) - 1)) &&
		       (FRAME << (order + 1)) <= end - base)
			order++;
		list_push(z, base, order);
		base += FRAME << order;
	}
}

/* One zone from [base, end) (frame aligned, not empty), its reference
 * counts (whole REF_BLOCKs of them, ref_slot) and state bytes carved from
 * its own start. */
static void zone_add(uint64_t base, uint64_t end)
{
	uint64_t n = (end - base) >> FRAME_MIN_SHIFT;
	uint64_t slots = (n + REF_BLOCK - 1) / REF_BLOCK * REF_BLOCK;
	uint64_t meta_bytes = slots * sizeof(uint32_t) + n;
	uint64_t meta_frames = (meta_bytes + FRAME - 1) / FRAME;

	if (n <= meta_frames || fa.nzones == BOOT_MAX_RANGES)
		return;   /* too small to hold its own state and a frame */
	struct zone *z = &fa.zones[fa.nzones++];
	z->ref = phys_to_virt(base);
	z->base = base + meta_frames * FRAME;
	z->nframes = n - meta_frames;
	z->state = (uint8_t *)(z->ref + slots);
	memset(z->ref, 0, meta_bytes);
	fa.st.meta_bytes += meta_frames * FRAME;
	fa.st.total_bytes += z->nframes * FRAME;
	zone_fill(z, z->base, end);
}

/* Zones for the usable RAM of bi inside [from, to), in whole granules. */
static void add_ram(const struct boot_info *bi, uint64_t from, uint64_t to, unsigned granule_shift)
{
	static struct boot_info usable;   /* too big for an early stack */
	const uint64_t granule = 1ull << granule_shift;

	usable = *bi;
	memmap_remove_reserved(&usable);   /* again: whatever the caller did */
	for (unsigned i = 0; i < usable.nram; i++) {
		uint64_t base = usable.ram[i].base, end = base + usable.ram[i].size;
		if (end < base || end > to)
			end = to;
		if (base < from)
			base = from;
		base = (base + granule - 1) & ~(granule - 1);
		end &= ~(granule - 1);
		if (base < granule)
			base = granule;   /* 0 means "no memory" */
		if (base < end)
			zone_add(base, end);
	}
	fa.st.zones = fa.nzones;
}

int frames_init(const struct boot_info *bi, uint64_t phys_limit, unsigned granule_shift)
{
	if (granule_shift < FRAME_MIN_SHIFT || granule_shift > FRAME_MAX_SHIFT)
		return -EINVAL;
	memset(&fa, 0, sizeof(fa));
	fa.fail_after = -1;
	add_ram(bi, 0, phys_limit, granule_shift);
	return fa.st.free_bytes ? 0 : -ENOMEM;
}

int frames_add_above(const struct boot_info *bi, uint64_t from, unsigned granule_shift)
{
	uint64_t before = fa.st.total_bytes;

	if (granule_shift < FRAME_MIN_SHIFT || granule_shift > FRAME_MAX_SHIFT)
		return -EINVAL;
	add_ram(bi, from, ~0ull, granule_shift);
	return fa.st.total_bytes > before ? 0 : -ENOENT;
}

/* One lock for the whole allocator: the lists, the states, the counts. */
static struct spinlock lock;

/* A broken invariant found with the lock held: the lock goes first, so
 * that the panic report (and a host test that catches panics) can still
 * reach the allocator. */
#define broken(...) do { spin_unlock(&lock); panic(__VA_ARGS__); } while (0)

/* frames_alloc with the lock held, the block not zeroed yet. */
static uint64_t alloc_held(unsigned shift)
{
	if (shift < FRAME_MIN_SHIFT || shift > FRAME_MAX_SHIFT)
		return 0;
	if (fa.fail_after >= 0 && fa.fail_after-- == 0) {
		fa.fail_after = 0;
		return 0;
	}
	unsigned order = shift - FRAME_MIN_SHIFT, o = order;
	while (o < NORDERS && !fa.free_list[o])
		o++;
	if (o == NORDERS)
		return 0;
	uint64_t pa = fa.free_list[o];
	struct zone *z = zone_of(pa, FRAME << o);
	list_remove(z, pa, o);
	while (o > order) {            /* keep the lower half, free the upper */
		o--;
		list_push(z, pa + (FRAME << o), o);
	}
	*state_of(z, pa) = (uint8_t)(ST_ALLOC | order);
	fa.st.in_use[order]++;
	return pa;
}

uint64_t frames_alloc(unsigned shift)
{
	spin_lock(&lock);
	uint64_t pa = alloc_held(shift);
	spin_unlock(&lock);
	if (pa)   /* the block is the caller's alone now: zeroed outside the lock */
		memset(phys_to_virt(pa), 0, (size_t)1 << shift);
	return pa;
}

static void free_held(uint64_t pa, unsigned shift)
{
	if (shift < FRAME_MIN_SHIFT || shift > FRAME_MAX_SHIFT)
		broken("frames_free: %#llx with shift %u outside [%u, %u]",
		      (unsigned long long)pa, shift, FRAME_MIN_SHIFT, FRAME_MAX_SHIFT);
	unsigned order = shift - FRAME_MIN_SHIFT;
	uint64_t size = FRAME << order;
	struct zone *z = zone_of(pa, size);
	if (!z)
		broken("frames_free: %#llx (%llu bytes) is not managed memory",
		      (unsigned long long)pa, (unsigned long long)size);
	if ((pa & (size - 1)) || *state_of(z, pa) != (ST_ALLOC | order))
		broken("frames_free: %#llx is not an allocated block of %llu bytes "
		      "(double free or wrong size: state %#x)",
		      (unsigned long long)pa, (unsigned long long)size,
		      (pa & (size - 1)) ? 0u : *state_of(z, pa));
	if (*ref_slot(z, pa))
		broken("frames_free: %#llx is a mapped frame (%u references): frames_put it",
		      (unsigned long long)pa, *ref_slot(z, pa));
	*state_of(z, pa) = 0;
	fa.st.in_use[order]--;
	while (order + 1 < NORDERS) {  /* merge with the buddy while it is free whole */
		uint64_t buddy = pa ^ size;
		if (zone_of(buddy, size) != z || *state_of(z, buddy) != (ST_FREE | order))
			break;
		list_remove(z, buddy, order);
		pa &= ~size;
		order++;
		size <<= 1;
	}
	list_push(z, pa, order);
}

void frames_free(uint64_t pa, unsigned shift)
{
	spin_lock(&lock);
	free_held(pa, shift);
	spin_unlock(&lock);
}

/* A frames_alloc block has no reference count: the slot of its first
 * frame is the owner's word (frames_free already insists it is 0). No
 * lock: the block and its word are the caller's alone. */
uint32_t *frames_owner_word(uint64_t pa)
{
	struct zone *z = zone_of(pa, FRAME);
	if (!z || (pa & (FRAME - 1)) || !(*state_of(z, pa) & ST_ALLOC))
		panic("frames_owner_word: %#llx does not head an allocated block",
		      (unsigned long long)pa);
	return ref_slot(z, pa);
}

uint64_t frames_alloc_pages(unsigned shift)
{
	spin_lock(&lock);
	uint64_t pa = alloc_held(shift);

	if (!pa) {
		spin_unlock(&lock);
		return 0;
	}
	unsigned order = shift - FRAME_MIN_SHIFT;
	struct zone *z = zone_of(pa, FRAME << order);
	fa.st.in_use[order]--;
	fa.st.in_use[0] += 1ull << order;
	for (uint64_t i = 0; i < (1ull << order); i++) {
		uint64_t f = pa + i * FRAME;
		*state_of(z, f) = ST_ALLOC;
		*ref_slot(z, f) = 1;
	}
	fa.st.mapped_frames += 1ull << order;
	spin_unlock(&lock);
	memset(phys_to_virt(pa), 0, (size_t)1 << shift);
	return pa;
}

/* The reference count of a frames_alloc_pages frame; panics on any other. */
static uint32_t *ref_of(uint64_t pa, const char *who)
{
	struct zone *z = zone_of(pa, FRAME);

	if (!z || (pa & (FRAME - 1)) || *state_of(z, pa) != ST_ALLOC ||
	    !*ref_slot(z, pa))
		broken("%s: %#llx is not a mapped frame (double put or foreign address)",
		      who, (unsigned long long)pa);
	return ref_slot(z, pa);
}

void frames_get(uint64_t pa)
{
	spin_lock(&lock);
	uint32_t *r = ref_of(pa, "frames_get");

	if (*r == UINT32_MAX)
		broken("frames_get: %#llx: reference count overflow", (unsigned long long)pa);
	++*r;
	spin_unlock(&lock);
}

uint32_t frames_put(uint64_t pa)
{
	spin_lock(&lock);
	uint32_t *r = ref_of(pa, "frames_put"), left = --*r;

	if (!left) {
		fa.st.mapped_frames--;
		free_held(pa, FRAME_MIN_SHIFT);
	}
	spin_unlock(&lock);
	return left;
}

uint32_t frames_refcount(uint64_t pa)
{
	spin_lock(&lock);
	uint32_t n = *ref_of(pa, "frames_refcount");
	spin_unlock(&lock);
	return n;
}

void frames_fail_alloc_after(long n)
{
	spin_lock(&lock);
	fa.fail_after = n;
	spin_unlock(&lock);
}

void frames_get_stats(struct frames_stats *out)
{
	spin_lock(&lock);
	*out = fa.st;
	spin_unlock(&lock);
}
