/* The host build offers every mode of every architecture, then the
 * host-only ones (mmu-api.md, "Paging modes and geometry"). */
#ifdef MMU_HOST
#include "mmu_internal.h"

#define MODES(X) X(sv39) X(sv48) X(sv57) \
	X(arm64_4k_48) X(arm64_16k_48) X(arm64_64k_48) X(arm64_4k_52) X(arm64_16k_52) X(arm64_64k_52) \
	X(x86_4level) X(x86_5level) X(radix6) X(hashed)
MMU_MODE_TABLE(MODES)
#endif
