/*
 * The registers the vector entry saves on the stack, shared by vectors.S
 * (which writes them) and trap.c (which decodes and prints them).
 */
#ifndef ORIGAMI_ARM64_TRAP_FRAME_H
#define ORIGAMI_ARM64_TRAP_FRAME_H

#define FRAME_X(n)	((n) * 8)	/* x0 .. x30 */
#define FRAME_SP	(31 * 8)	/* sp at the trap */
#define FRAME_ELR	(32 * 8)
#define FRAME_SPSR	(33 * 8)
#define FRAME_ESR	(34 * 8)
#define FRAME_FAR	(35 * 8)
#define FRAME_VECTOR	(36 * 8)	/* which of the 16 vector entries */
#define FRAME_RECORD	(38 * 8)	/* {x29, elr}: the AAPCS64 frame record of
					   the trap, so backtraces cross it */
#define FRAME_TPIDR	(40 * 8)	/* TPIDR_EL0: the TLS pointer, user code's own */
#define FRAME_FPSR	(41 * 8)
#define FRAME_FPCR	(42 * 8)
#define FRAME_Q(n)	(44 * 8 + (n) * 16)	/* q0 .. q31: picolibc and the compiler use
					   SIMD registers, in the kernel and in tasks */
#define FRAME_SIZE	FRAME_Q(32)	/* a multiple of 16: SP stays aligned */

#ifndef __ASSEMBLER__
#include <stdint.h>
#include <stddef.h>

struct trap_frame {
	uint64_t x[31];
	uint64_t sp;
	uint64_t elr;
	uint64_t spsr;
	uint64_t esr;
	uint64_t far;
	uint64_t vector;
	uint64_t pad;
	uint64_t record[2];
	uint64_t tpidr_el0;
	uint64_t fpsr, fpcr, pad2;
	__uint128_t q[32];
};

_Static_assert(offsetof(struct trap_frame, sp) == FRAME_SP, "frame layout");
_Static_assert(offsetof(struct trap_frame, elr) == FRAME_ELR, "frame layout");
_Static_assert(offsetof(struct trap_frame, spsr) == FRAME_SPSR, "frame layout");
_Static_assert(offsetof(struct trap_frame, esr) == FRAME_ESR, "frame layout");
_Static_assert(offsetof(struct trap_frame, far) == FRAME_FAR, "frame layout");
_Static_assert(offsetof(struct trap_frame, vector) == FRAME_VECTOR, "frame layout");
_Static_assert(offsetof(struct trap_frame, record) == FRAME_RECORD, "frame layout");
_Static_assert(offsetof(struct trap_frame, tpidr_el0) == FRAME_TPIDR, "frame layout");
_Static_assert(offsetof(struct trap_frame, fpsr) == FRAME_FPSR, "frame layout");
_Static_assert(offsetof(struct trap_frame, q) == FRAME_Q(0), "frame layout");
_Static_assert(sizeof(struct trap_frame) == FRAME_SIZE, "frame layout");
#endif

#endif
