/* Sv39: 3 levels, 39-bit VAs (RISC-V privileged spec 4.4). */
#define PT_MODE       sv39
#define PT_MODE_NAME  "sv39"
#define PT_LEVELS     3
#define PT_PAGE_SHIFT 12
#define PT_VA_BITS    39
#define PT_PA_BITS    56
#define PT_HOST_ARCH  MMU_HOST_RISCV
#include "pt_sv.h"
#include "pt_engine.h"
