/* x86-64-4level: 4 levels, 48-bit linear addresses (Intel SDM vol. 3, 4.5). */
#define PT_MODE       x86_4level
#define PT_MODE_NAME  "x86-64-4level"
#define PT_LEVELS     4
#define PT_PAGE_SHIFT 12
#define PT_VA_BITS    48
#define PT_PA_BITS    52
#define PT_HOST_ARCH  MMU_HOST_X86_64
#include "pt_x86.h"
#include "pt_engine.h"
