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
};

/* A free block's first bytes: the list links (physical addresses, 0 = none). */
struct free_block {
	uint64_t next, prev;
};

static struct {
	struct zone zones[BOOT_MAX_RANGES];
	unsigned nzones;
	uint64_t free_list[NORDERS];
	struct frames_stats st;
} fa;

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

/* One zone from [base, end) (frame aligned, not empty), its state bytes
 * carved from its own start. */
static void zone_add(uint64_t base, uint64_t end)
{
	uint64_t n = (end - base) >> FRAME_MIN_SHIFT;
	uint64_t meta_frames = (n + FRAME - 1) / FRAME;

	if (n <= meta_frames || fa.nzones == BOOT_MAX_RANGES)
		return;   /* too small to hold its own state and a frame */
	struct zone *z = &fa.zones[fa.nzones++];
	z->state = phys_to_virt(base);
	z->base = base + meta_frames * FRAME;
	z->nframes = n - meta_frames;
	memset(z->state, 0, z->nframes);
	fa.st.meta_bytes += meta_frames * FRAME;
	fa.st.total_bytes += z->nframes * FRAME;
	zone_fill(z, z->base, end);
}

int frames_init(const struct boot_info *bi, uint64_t phys_limit, unsigned granule_shift)
{
	static struct boot_info usable;   /* too big for an early stack */
	const uint64_t granule = 1ull << granule_shift;

	if (granule_shift < FRAME_MIN_SHIFT || granule_shift > FRAME_MAX_SHIFT)
		return -EINVAL;
	memset(&fa, 0, sizeof(fa));
	usable = *bi;
	memmap_remove_reserved(&usable);   /* again: whatever the caller did */
	for (unsigned i = 0; i < usable.nram; i++) {
		uint64_t base = usable.ram[i].base, end = base + usable.ram[i].size;
		if (end < base || end > phys_limit)
			end = phys_limit;
		base = (base + granule - 1) & ~(granule - 1);
		end &= ~(granule - 1);
		if (base < granule)
			base = granule;   /* 0 means "no memory" */
		if (base < end)
			zone_add(base, end);
	}
	fa.st.zones = fa.nzones;
	return fa.st.free_bytes ? 0 : -ENOMEM;
}

uint64_t frames_alloc(unsigned shift)
{
	if (shift < FRAME_MIN_SHIFT || shift > FRAME_MAX_SHIFT)
		return 0;
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
	memset(phys_to_virt(pa), 0, (size_t)(FRAME << order));
	return pa;
}

int frames_free(uint64_t pa, unsigned shift)
{
	if (shift < FRAME_MIN_SHIFT || shift > FRAME_MAX_SHIFT)
		return -EINVAL;
	unsigned order = shift - FRAME_MIN_SHIFT;
	uint64_t size = FRAME << order;
	struct zone *z = zone_of(pa, size);
	if (!z || (pa & (size - 1)) || *state_of(z, pa) != (ST_ALLOC | order))
		return -EINVAL;
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
	return 0;
}

void frames_get_stats(struct frames_stats *out)
{
	*out = fa.st;
}
