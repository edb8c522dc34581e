/* x86-64-5level: 5 levels, 57-bit linear addresses, CR4.LA57 = 1 (Intel
 * SDM vol. 3, 4.5). */
#define PT_MODE       x86_5level
#define PT_MODE_NAME  "x86-64-5level"
#define PT_LEVELS     5
#define PT_PAGE_SHIFT 12
#define PT_VA_BITS    57
#define PT_PA_BITS    52
#define PT_HOST_ARCH  MMU_HOST_X86_64
#include "pt_x86.h"
#include "pt_engine.h"
