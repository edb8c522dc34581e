/* Sv48: 4 levels, 48-bit VAs (RISC-V privileged spec 4.5). */
#define PT_MODE       sv48
#define PT_MODE_NAME  "sv48"
#define PT_LEVELS     4
#define PT_PAGE_SHIFT 12
#define PT_VA_BITS    48
#define PT_PA_BITS    56
#define PT_HOST_ARCH  MMU_HOST_RISCV
#include "pt_sv.h"
#include "pt_engine.h"
