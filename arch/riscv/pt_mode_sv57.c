/* Sv57: 5 levels, 57-bit VAs (RISC-V privileged spec 4.6). */
#define PT_MODE       sv57
#define PT_MODE_NAME  "sv57"
#define PT_LEVELS     5
#define PT_PAGE_SHIFT 12
#define PT_VA_BITS    57
#define PT_PA_BITS    56
#define PT_HOST_ARCH  MMU_HOST_RISCV
#include "pt_sv.h"
#include "pt_engine.h"
