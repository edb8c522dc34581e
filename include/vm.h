/*
 * Process memory on top of mmu_*: address spaces made of areas, demand
 * paging, copy-on-write fork (core/vm.c, the fault entry in core/fault.c).
 *
 * A vm_space is one translation set plus an ordered balanced tree (AVL) of
 * non-overlapping areas [start, end) in the user half. Areas say what may be
 * mapped; the translation set says what is mapped now: mmap only records an
 * area, the first access faults and vm_fault maps a zeroed frame with the
 * largest page size the area, the alignment and free memory allow. Every
 * table change is one mmu transaction. Lengths and addresses are in bytes,
 * multiples of the mode's base page (mmu_geometry()->page_shift). Nothing
 * here knows a level, a descriptor bit or an arch. docs/memory.md describes
 * the model.
 *
 * Every function that can fail returns 0 or a negative errno and, on
 * failure, leaves the space exactly as it was.
 */
#ifndef ORIGAMI_VM_H
#define ORIGAMI_VM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "kernel.h"
#include "mmu.h"

/* mmap / area flags */
#define VM_FIXED    (1u << 0)   /* mmap: exactly at addr (what was there is unmapped) */
#define VM_SHARED   (1u << 1)   /* shared between forks: not copy-on-write (not offered yet) */
#define VM_PRIVATE  (1u << 2)   /* private: copy-on-write after fork (the default) */
#define VM_ANON     (1u << 3)   /* anonymous, zero-filled (the only kind so far) */
#define VM_MAYMOVE  (1u << 4)   /* mremap: may move when it cannot grow in place */

struct vm_space;
struct vm_area;

/* The vm_operations idea: what an area does on a fault it must resolve (no
 * translation yet, or a write to a copy-on-write page). anon_vm_ops is the
 * anonymous zero-fill kind every vm_mmap area gets. fault returns 0
 * (resolved: retry the access), -ENOMEM. */
struct vm_operations {
	const char *name;
	int (*fault)(struct vm_space *vs, struct vm_area *a, vaddr_t addr, unsigned access);
};
extern const struct vm_operations anon_vm_ops;

struct vm_area {
	vaddr_t start, end;                 /* [start, end), base-page aligned */
	unsigned prot;                      /* MMU_READ/WRITE/EXEC (MMU_USER added when mapped) */
	unsigned flags;                     /* VM_PRIVATE | VM_ANON, ... */
	const struct vm_operations *ops;
	/* AVL tree by start: private to core/vm.c */
	struct vm_area *left, *right;
	int height;
};

/* Fault counters of one space (informational: reports and tests). */
struct vm_counts {
	uint64_t faults;                    /* vm_fault calls */
	uint64_t mapped[64];                /* pages mapped by demand faults, per order */
	uint64_t cow_copies;                /* write faults that copied a shared frame */
	uint64_t cow_reuses;                /* write faults that took back a frame no one else maps */
	uint64_t fallbacks;                 /* faults that wanted a larger frame than free memory had */
	uint64_t segv;                      /* faults refused: no area (-EFAULT) or protection (-EACCES) */
	uint64_t spurious;                  /* faults on a page already mapped as the access needs */
	uint64_t ad_faults;                 /* faults the MMU layer resolved as accessed/dirty emulation */
};

struct vm_space {
	/* Held by every vm_* call on the space (and by vm_fault's whole
	 * find-or-map): the tree, the counts and the set's transactions are
	 * one CPU's at a time, so two CPUs faulting on one page map it once
	 * (docs/memory.md, "More CPUs"). */
	struct spinlock lock;
	mmu_translation_set_t set;
	struct vm_area *root;               /* AVL tree of areas */
	size_t nareas;
	vaddr_t lo, hi;                     /* mmap range: areas live in [lo, hi) */
	unsigned max_order;                 /* largest page order faults map (policy; default: any) */
	bool cow;                           /* has forked or been forked: frames may be shared */
	bool live;
	struct vm_counts counts;
};

/* A fresh user set (kernel globals present) and no areas. Returns 0,
 * -ENOMEM. */
int  vm_space_init(struct vm_space *vs);
/* Unmap everything: every frame (unless another space still shares it)
 * and table page goes back. vs must not be the active set. */
void vm_space_destroy(struct vm_space *vs);

/* An anonymous area of len bytes (rounded up to base pages). VM_FIXED: at
 * addr exactly (base-page aligned), replacing what was there; otherwise at a
 * kernel-chosen address (addr is a hint only) aligned to the largest page
 * size len allows. *out gets the start. Returns 0, -EINVAL (len 0,
 * misaligned fixed addr, bad prot, outside [lo, hi)), -ENOMEM (no room, no
 * memory for the area). */
int  vm_mmap(struct vm_space *vs, vaddr_t addr, size_t len, unsigned prot, unsigned flags, vaddr_t *out);
/* Unmap [addr, addr + len) (holes allowed): areas split, frames go back.
 * Returns 0, -EINVAL, -ENOMEM (a split needed memory). */
int  vm_munmap(struct vm_space *vs, vaddr_t addr, size_t len);
/* New protection for [addr, addr + len), which must be fully inside areas
 * (-ENOMEM otherwise, as Linux). Returns 0, -EINVAL, -ENOMEM. */
int  vm_mprotect(struct vm_space *vs, vaddr_t addr, size_t len, unsigned prot);
/* Grow or shrink the area that [old_addr, old_addr + old_len) lies in (one
 * area, starting at old_addr), in place when the room after it is free, else
 * moved (VM_MAYMOVE) with its translations (no data copied). *out gets the
 * new start. Returns 0, -EINVAL, -EFAULT (no such area), -ENOMEM (no room
 * and not VM_MAYMOVE, or no memory). */
int  vm_mremap(struct vm_space *vs, vaddr_t old_addr, size_t old_len, size_t new_len,
               unsigned flags, vaddr_t *out);
/* child becomes a copy-on-write copy of parent (child not initialised
 * before). Returns 0, -ENOMEM (child left uninitialised, parent intact). */
int  vm_fork(struct vm_space *child, struct vm_space *parent);
/* find_vma: the area containing addr, or NULL. */
struct vm_area *vm_find_area(struct vm_space *vs, vaddr_t addr);
/* The first area ending above addr (the one containing it or the next), or
 * NULL. */
struct vm_area *vm_next_area(struct vm_space *vs, vaddr_t addr);

/* The core's page-fault entry, called by every arch's trap handler (through
 * fault_handle) after the MMU layer had its chance at accessed/dirty
 * emulation. access is MMU_READ, MMU_WRITE or MMU_EXEC. Returns 0 (resolved,
 * retry the access), -EEXIST (the page was mapped as the access needs
 * already: another CPU resolved it first, or a stale TLB entry; retry),
 * -EFAULT (no area), -EACCES (against the area's protection), -ENOMEM. It
 * never maps anything the area does not allow. */
int  vm_fault(struct vm_space *vs, vaddr_t addr, unsigned access, bool user);
/* ptdump of the user half (every entry through mmu_scan) and the areas. */
void vm_dump(struct vm_space *vs);

/* core/ptdump.c: ptdump of [start, end) of any set, one line per run of
 * like entries, each line starting with prefix. Returns mmu_scan's 0 or
 * error; *out (may be NULL) gets the counts. */
struct ptdump_opts {
	bool accessed_dirty;    /* show (and split runs by) accessed/dirty */
	bool wx_panic;          /* a writable and executable entry is a broken invariant */
};
struct ptdump_counts { unsigned entries, runs; };
int  ptdump(mmu_translation_set_t *t, vaddr_t start, vaddr_t end, const char *prefix,
            const struct ptdump_opts *opt, struct ptdump_counts *out);
/* Tests: the tree's invariants (order, no overlap, AVL balance and heights,
 * neighbours with equal prot/flags/ops merged, node count). Returns 0 or
 * -EINVAL after printing what is broken. */
int  vm_check(struct vm_space *vs);

/* core/fault.c: the space this CPU runs (NULL: none, kernel only), per
 * CPU. "tasks" sets it on every switch. */
struct vm_space *vm_current(void);
void vm_set_current(struct vm_space *vs);
/* The one fault entry of every arch: addr, access (MMU_READ/WRITE/EXEC),
 * whether the CPU was in user mode. Returns 0 when the access may be
 * retried; otherwise the fault is reported (address, access, area or none)
 * and the negative errno returned: the caller kills the task (user) or goes
 * on to its trap report (kernel). */
int  fault_handle(vaddr_t addr, unsigned access, bool user);

#endif
