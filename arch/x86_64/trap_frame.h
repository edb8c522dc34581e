/*
 * The registers trap_entry.S saves, lowest address first: what it pushes
 * (cr2, the general registers, the vector, the error code or a 0 in its
 * place) above the frame the CPU pushes itself (SDM vol. 3, 6.14.2: rip,
 * cs, rflags, rsp, ss).
 */
#ifndef ORIGAMI_X86_TRAP_FRAME_H
#define ORIGAMI_X86_TRAP_FRAME_H

#include <stdint.h>

struct trap_frame {
	uint64_t cr2;
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error_code;
	uint64_t rip, cs, rflags, rsp, ss;
};

#endif
