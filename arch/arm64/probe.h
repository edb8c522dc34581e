/*
 * The fixup table of the probes (probe.S) and firmware calls (firmware.S),
 * read by trap.c.
 */
#ifndef ORIGAMI_ARM64_PROBE_H
#define ORIGAMI_ARM64_PROBE_H

/* How an entry recognises its fault. */
#define PROBE_MATCH_PC	0	/* the faulting instruction is insn */
#define PROBE_MATCH_LR	1	/* the fault is in a callee that returns to insn */
/* Or-ed in: resume even when no test expects the fault (firmware calls
 * that trap where the firmware is absent). */
#define PROBE_ALWAYS	2

#ifdef __ASSEMBLER__
/* One .probe_fixups entry (struct probe_fixup), from where it is needed. */
.macro	probe_fixup insn, resume, match
	.pushsection .probe_fixups, "a"
	.balign	8
	.quad	\insn, \resume, \match
	.popsection
.endm
#else
#include <stdint.h>

struct probe_fixup {
	uint64_t insn;
	uint64_t resume;
	uint64_t match;
};

/* Bounds of .probe_fixups, from kernel.ld. */
extern const struct probe_fixup __probe_fixups_start[], __probe_fixups_end[];
#endif

#endif
