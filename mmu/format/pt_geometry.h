/*
 * The geometry a mode derives from its constants (PT_LEVELS, PT_PAGE_SHIFT,
 * PT_VA_BITS; see pt_format.h). Included after the mode's defines by
 * everything that compiles a mode file: the engine (mmu/pt_engine.h) and the
 * host tools that compile a mode file with a shim in the engine's place
 * (tests/formats, tools/explain), so all three index the tables alike.
 */
#ifndef ORIGAMI_PT_GEOMETRY_H
#define ORIGAMI_PT_GEOMETRY_H

/* Index bits of a full table: a page of 8-byte descriptors. */
#ifndef PT_INDEX_BITS
#define PT_INDEX_BITS (PT_PAGE_SHIFT - 3)
#endif
/* One root whose upper half is the kernel's (RISC-V, x86-64), or a root
 * per half (ARM64's TTBR0/TTBR1: Arm ARM D8.2.5). */
#ifndef PT_SPLIT_ROOTS
#define PT_SPLIT_ROOTS 0
#endif
#define PT_TOP (PT_LEVELS - 1)
/* The root indexes what the lower levels leave of the VA. */
#define PT_TOP_BITS (PT_VA_BITS - PT_PAGE_SHIFT - PT_TOP * PT_INDEX_BITS)

#endif
