/*
 * The host environment of the MMU layer: a simulated physical memory that
 * table pages come from, the page allocator over it, and the barrier and
 * TLB hooks the kernel would implement with real instructions.
 *
 * Physical memory starts at HOST_PHYS_BASE, as RAM does on most boards, so
 * that physical address 0 is never valid and can mean "allocation failed".
 * Pages of 4, 8, 16, 32 and 64 KiB come from a binary buddy allocator whose
 * largest block is 64 KiB: every page is naturally aligned, allocation and
 * free are O(1) (at most four splits or merges), and freed pages merge back
 * so that mixed 4K/16K/64K workloads do not fragment memory for good.
 *
 * The engine must never free what it did not allocate, nor free twice, nor
 * free with another size: each of these is a broken invariant, so
 * mmu_env_free() aborts with a message naming it.
 *
 * If mmu_host_init() was never called, the first allocation initialises a
 * memory of HOST_PHYS_DEFAULT_BYTES (256 MiB).
 */
#define _DEFAULT_SOURCE         /* MAP_ANONYMOUS under -std=c11 */
#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "mmu_internal.h"
#include "ref.h"
#include "tlb.h"

#define HOST_PHYS_BASE          0x80000000ull
#define HOST_PHYS_DEFAULT_BYTES (256ull << 20)
#define HOST_PHYS_MAX_BYTES     (1ull << 40)

#define FRAME_SHIFT   12                        /* smallest page: 4 KiB */
#define MAX_ORDER     4                         /* largest page: 64 KiB */
#define BLOCK_SHIFT   (FRAME_SHIFT + MAX_ORDER)
#define NO_FRAME      UINT32_MAX

/* What each 4 KiB frame is part of. */
enum frame_state {
	FRAME_FREE = 0,      /* part of a free block (the head is on a free list) */
	FRAME_ALLOC_HEAD,    /* first frame of an allocated page */
	FRAME_ALLOC_TAIL,    /* later frame of an allocated page */
};

struct frame {
	uint8_t  state;      /* enum frame_state */
	uint8_t  order;      /* of the block this frame heads (free or allocated) */
	bool     free_head;  /* heads a block that is on free_list[order] */
	bool     ever_allocated;
	uint32_t next, prev; /* free list links, frame numbers */
};

/* mmu_env_table_word of each frame, 128 bytes apart: the engine's
 * per-table counts, written by every commit that changes a table, and
 * two CPUs committing into different tables must not write one cache line
 * (bench/scale.c: tables allocated one after the other are neighbours),
 * nor one 128-byte pair of lines, which Intel's L2 spatial prefetcher
 * fetches together (Intel 64 and IA-32 Architectures Optimization
 * Reference Manual, "Data Prefetch to the L2 and Last Level Cache",
 * the spatial prefetcher): at 64 bytes apart two sv39 leaf
 * tables' words made tests/suites.d/lines.sh fail. */
#define WORD_STRIDE (128 / sizeof(uint32_t))

static struct {
	uint8_t      *mem;             /* the simulated memory */
	size_t        bytes;
	size_t        nframes;
	struct frame *frames;
	uint32_t     *words;           /* frame f's table word: words[f * WORD_STRIDE] */
	uint32_t      free_list[MAX_ORDER + 1];
	size_t        untouched;       /* frames at and above this were never handed out */
	size_t        pages_in_use;    /* allocated pages of any size */
	uint64_t      allocs;          /* allocations ever made (the bench counts them) */
	long          allocs_left;     /* mmu_host_fail_alloc_after; -1: unlimited */
} phys = { .allocs_left = -1 };

/* The simulated memory as ref_load (host/ref.h) reads it inline: the
 * walkers and the census load one descriptor per call, and an out-of-line
 * mmu_host_phys per load (two, for both ends) was 6% of a fuzzing run
 * (perf). Kept equal to phys.mem and phys.bytes by phys_span_set. */
struct host_phys_span host_phys_span;

static void phys_span_set(void)
{
	host_phys_span.mem = phys.mem;
	host_phys_span.bytes = phys.mem ? phys.bytes : 0;
}

/* Tests may allocate from several threads; keep the allocator serial. */
static atomic_flag phys_lock = ATOMIC_FLAG_INIT;

static void lock(void)
{
	while (atomic_flag_test_and_set_explicit(&phys_lock, memory_order_acquire))
		;
}

static void unlock(void)
{
	atomic_flag_clear_explicit(&phys_lock, memory_order_release);
}

/* The engine broke an invariant of the environment: say which, and stop. */
static __attribute__((noreturn, format(printf, 1, 2)))
void broken_invariant(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("origami host: broken invariant: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	abort();
}

static void list_push(unsigned order, uint32_t f)
{
	struct frame *fr = &phys.frames[f];

	fr->state = FRAME_FREE;
	fr->order = (uint8_t)order;
	fr->free_head = true;
	fr->prev = NO_FRAME;
	fr->next = phys.free_list[order];
	if (fr->next != NO_FRAME)
		phys.frames[fr->next].prev = f;
	phys.free_list[order] = f;
}

static void list_remove(unsigned order, uint32_t f)
{
	struct frame *fr = &phys.frames[f];

	if (fr->prev != NO_FRAME)
		phys.frames[fr->prev].next = fr->next;
	else
		phys.free_list[order] = fr->next;
	if (fr->next != NO_FRAME)
		phys.frames[fr->next].prev = fr->prev;
	fr->free_head = false;
}

static void phys_release(void)
{
	if (phys.mem)
		munmap(phys.mem, phys.bytes);
	free(phys.frames);
	free(phys.words);
	phys.mem = NULL;
	phys.frames = NULL;
	phys.words = NULL;
	phys.bytes = phys.nframes = 0;
	phys_span_set();
}

/*
 * phys_bytes is rounded down to whole 64 KiB blocks, at most 1 TiB (frame
 * numbers are 32-bit). Every page is freed and mmu_host_fail_alloc_after()
 * is reset. Returns 0, -EINVAL (less than one block, or more than 1 TiB)
 * or -ENOMEM.
 */
int mmu_host_init(size_t phys_bytes)
{
	size_t bytes = phys_bytes & ~((1ull << BLOCK_SHIFT) - 1);
	int err = 0;

	lock();
	if ((err = mmu_host_forget())) {
		unlock();
		return err;
	}
	host_tlb_reset();
	phys.pages_in_use = 0;
	phys.allocs_left = -1;
	for (unsigned o = 0; o <= MAX_ORDER; o++)
		phys.free_list[o] = NO_FRAME;
	if (phys.mem && bytes == phys.bytes) {
		/* The same size again: back to the state of a fresh mapping
		 * (memory zero, no frame ever allocated) at the cost of what
		 * was handed out, which is below `untouched`. A test that
		 * starts over per input (the fuzz target) gets the same
		 * addresses for the same input, so a crash input reproduces
		 * alone. */
		memset(phys.mem, 0, phys.untouched << FRAME_SHIFT);
		memset(phys.frames, 0, phys.untouched * sizeof(*phys.frames));
		memset(phys.words, 0, phys.untouched * WORD_STRIDE * sizeof(*phys.words));
		phys.untouched = 0;
		goto out;
	}
	phys_release();
	phys.untouched = 0;
	if (bytes == 0 || bytes > HOST_PHYS_MAX_BYTES) {
		err = -EINVAL;
		goto out;
	}
	phys.mem = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
	                MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (phys.mem == MAP_FAILED) {
		phys.mem = NULL;
		err = -ENOMEM;
		goto out;
	}
	phys.bytes = bytes;
	phys.nframes = bytes >> FRAME_SHIFT;
	phys.frames = calloc(phys.nframes, sizeof(*phys.frames));
	phys.words = calloc(phys.nframes * WORD_STRIDE, sizeof(*phys.words));
	if (!phys.frames || !phys.words) {
		phys_release();
		err = -ENOMEM;
	}
	phys_span_set();
out:
	unlock();
	return err;
}

void mmu_host_fail_alloc_after(long n)
{
	lock();
	phys.allocs_left = n < 0 ? -1 : n;
	unlock();
}

uint64_t mmu_host_book_bytes;   /* counted by mmu/txn.c */

void mmu_host_alloc_counts(uint64_t *allocs, uint64_t *book_bytes)
{
	*allocs = phys.allocs;
	*book_bytes = mmu_host_book_bytes;
}

size_t mmu_host_tables_in_use(void)
{
	return phys.pages_in_use;
}

paddr_t mmu_host_phys_base(void)
{
	return HOST_PHYS_BASE;
}

void *mmu_host_phys(paddr_t pa)
{
	if (pa < HOST_PHYS_BASE || pa - HOST_PHYS_BASE >= phys.bytes)
		return NULL;
	return phys.mem + (pa - HOST_PHYS_BASE);
}
_Static_assert(HOST_PHYS_BASE == REF_PHYS_BASE, "host/ref.h's copy of the memory's base");

/* A free block of exactly this order, splitting a larger one if needed;
 * NO_FRAME if memory is exhausted. */
static uint32_t take_block(unsigned order)
{
	unsigned o = order;

	while (o <= MAX_ORDER && phys.free_list[o] == NO_FRAME)
		o++;
	uint32_t f;
	if (o <= MAX_ORDER) {
		f = phys.free_list[o];
		list_remove(o, f);
	} else {
		if (phys.untouched + (1u << MAX_ORDER) > phys.nframes)
			return NO_FRAME;
		f = (uint32_t)phys.untouched;
		phys.untouched += 1u << MAX_ORDER;
		o = MAX_ORDER;
	}
	while (o > order) {          /* keep the lower half, free the upper */
		o--;
		list_push(o, f + (1u << o));
	}
	return f;
}

static paddr_t alloc_page(unsigned shift, bool zero)
{
	if (shift < FRAME_SHIFT || shift > BLOCK_SHIFT)
		broken_invariant("mmu_env_alloc: page shift %u not in [%u, %u]",
		                 shift, FRAME_SHIFT, BLOCK_SHIFT);
	if (!phys.mem && mmu_host_init(HOST_PHYS_DEFAULT_BYTES) != 0)
		return 0;

	unsigned order = shift - FRAME_SHIFT;
	lock();
	if (phys.allocs_left == 0) {
		unlock();
		return 0;
	}
	uint32_t f = take_block(order);
	if (f == NO_FRAME) {
		unlock();
		return 0;
	}
	if (phys.allocs_left > 0)
		phys.allocs_left--;
	for (uint32_t i = 0; i < (1u << order); i++) {
		struct frame *fr = &phys.frames[f + i];
		fr->state = i ? FRAME_ALLOC_TAIL : FRAME_ALLOC_HEAD;
		fr->free_head = false;
		fr->ever_allocated = true;
	}
	phys.frames[f].order = (uint8_t)order;
	phys.words[(size_t)f * WORD_STRIDE] = 0;
	phys.pages_in_use++;
	phys.allocs++;
	unlock();

	if (zero)
		memset(phys.mem + ((size_t)f << FRAME_SHIFT), 0, (size_t)1 << shift);
#ifdef __SANITIZE_ADDRESS__
	else   /* the test builds: "contents undefined" must not read as zero */
		memset(phys.mem + ((size_t)f << FRAME_SHIFT), 0xa5, (size_t)1 << shift);
#endif
	return HOST_PHYS_BASE + ((paddr_t)f << FRAME_SHIFT);
}

paddr_t mmu_env_alloc(unsigned shift)
{
	return alloc_page(shift, true);
}

paddr_t mmu_env_alloc_uninit(unsigned shift)
{
	return alloc_page(shift, false);
}

void mmu_env_free(paddr_t pa, unsigned shift)
{
	if (!phys.mem || pa < HOST_PHYS_BASE || pa - HOST_PHYS_BASE >= phys.bytes)
		broken_invariant("mmu_env_free: %#llx is not simulated physical memory",
		                 (unsigned long long)pa);
	if (shift < FRAME_SHIFT || shift > BLOCK_SHIFT)
		broken_invariant("mmu_env_free: %#llx freed with page shift %u",
		                 (unsigned long long)pa, shift);
	if (pa & ((1ull << shift) - 1))
		broken_invariant("mmu_env_free: %#llx is not aligned to its size (shift %u)",
		                 (unsigned long long)pa, shift);

	/* A cached walk must not still lead into a freed table (host/tlb.c). */
	host_tlb_table_freed(pa, 1ull << shift);

	unsigned order = shift - FRAME_SHIFT;
	lock();
	uint32_t f = (uint32_t)((pa - HOST_PHYS_BASE) >> FRAME_SHIFT);
	struct frame *fr = &phys.frames[f];
	if (fr->state == FRAME_FREE)
		broken_invariant("mmu_env_free: %s of %#llx (shift %u)",
		                 fr->ever_allocated ? "double free" : "free of never-allocated page",
		                 (unsigned long long)pa, shift);
	if (fr->state == FRAME_ALLOC_TAIL)
		broken_invariant("mmu_env_free: %#llx (shift %u) lies inside a larger allocated page",
		                 (unsigned long long)pa, shift);
	if (fr->order != order)
		broken_invariant("mmu_env_free: %#llx allocated with shift %u, freed with shift %u",
		                 (unsigned long long)pa, fr->order + FRAME_SHIFT, shift);

	for (uint32_t i = 0; i < (1u << order); i++)
		phys.frames[f + i].state = FRAME_FREE;
	phys.words[(size_t)f * WORD_STRIDE] = 0;
	phys.pages_in_use--;
	while (order < MAX_ORDER) {   /* merge with the buddy while it is free whole */
		uint32_t buddy = f ^ (1u << order);
		struct frame *b = &phys.frames[buddy];
		if (!b->free_head || b->order != order)
			break;
		list_remove(order, buddy);
		f &= ~(1u << order);
		order++;
	}
	list_push(order, f);
	unlock();
}

uint32_t *mmu_env_table_word(paddr_t pa)
{
	struct frame *fr = NULL;
	size_t f = 0;
	if (phys.mem && pa >= HOST_PHYS_BASE && pa - HOST_PHYS_BASE < phys.bytes)
		fr = &phys.frames[f = (pa - HOST_PHYS_BASE) >> FRAME_SHIFT];
	if (!fr || fr->state != FRAME_ALLOC_HEAD)
		broken_invariant("mmu_env_table_word: %#llx is not an allocated page",
		                 (unsigned long long)pa);
	return &phys.words[f * WORD_STRIDE];
}

void *mmu_env_phys_to_virt(paddr_t pa)
{
	void *p = mmu_host_phys(pa);

	if (!p)
		broken_invariant("mmu_env_phys_to_virt: %#llx is not simulated physical memory",
		                 (unsigned long long)pa);
	return p;
}

void mmu_env_publish_barrier(void)
{
	atomic_thread_fence(memory_order_release);
}

/* The host has no translation registers to load. */
void mmu_env_activate(mmu_translation_set_t *t)
{
}

/*
 * The policy the kernel uses: one page by address, a global change
 * everywhere, anything else the set's whole ASID. The software TLB
 * (host/tlb.c) drops what f asks for.
 */
unsigned mmu_env_tlb_flush(mmu_translation_set_t *t, const struct mmu_flush *f)
{
	enum mmu_tlb_kind kind;

	if (f->global)
		kind = MMU_TLB_ALL;
	else if (f->pages == 1)
		kind = MMU_TLB_PAGE;
	else
		kind = MMU_TLB_ASID;
	host_tlb_flush(t, f);
	return kind;
}
