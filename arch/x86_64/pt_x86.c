/* The x86-64 paging features the modes need (pt_x86.h). */
#include "pt_x86.h"
#include "cpu_features.h"

bool x86_has_page1gb;
bool x86_has_nx;

#ifdef MMU_HOST
/* The simulated CPU: 1-GByte pages, LA57 and NX. */
void x86_read_cpu(struct x86_cpu *c)
{
	*c = (struct x86_cpu){ .page1gb = true, .la57 = true, .nx = true };
}
#endif

/*
 * 5-level paging needs LA57 (SDM vol. 3, 4.1.1). In the kernel, paging is
 * already on at the depth boot.S chose, and CR4.LA57 cannot change in
 * IA-32e mode (4.1.2: MOV to CR4 #GP): only that depth runs, the other is
 * unsupported whatever CPUID says. Without NX, XD is reserved (4.5): the
 * leaves record non-executable in an ignored bit (pt_x86.h).
 */
int x86_probe(unsigned levels)
{
	struct x86_cpu c;
	x86_read_cpu(&c);
	x86_has_page1gb = c.page1gb;
	x86_has_nx = c.nx;
	if (levels == 5 && !c.la57)
		return -ENOTSUP;
#ifndef MMU_HOST
	if (levels != x86_running_levels())
		return -ENOTSUP;
#endif
	return 0;
}
