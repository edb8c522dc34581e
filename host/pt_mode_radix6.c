/* radix-6level: the synthetic six-level host format (pt_radix6.h). */
#define PT_MODE       radix6
#define PT_MODE_NAME  "radix-6level"
#define PT_LEVELS     6
#define PT_PAGE_SHIFT 12
#define PT_INDEX_BITS 8
#define PT_VA_BITS    60
#define PT_PA_BITS    56
#define PT_HOST_ARCH  MMU_HOST_RADIX6
#include "pt_radix6.h"
#include "pt_engine.h"
