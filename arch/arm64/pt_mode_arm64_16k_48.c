/* arm64-16k-48: 16 KiB granule, 48-bit VA and OA, 4 levels from Arm level 0,
 * whose table has 2 entries (Arm ARM D8.2, TnSZ = 16). */
#define PT_MODE        arm64_16k_48
#define PT_MODE_NAME   "arm64-16k-48"
#define PT_LEVELS      4
#define PT_PAGE_SHIFT  14
#define PT_VA_BITS     48
#define PT_PA_BITS     48
#define PT_SPLIT_ROOTS 1
#define PT_HOST_ARCH   MMU_HOST_ARM64
#include "pt_vmsa.h"
#include "pt_engine.h"
