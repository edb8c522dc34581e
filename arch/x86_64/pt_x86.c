/* The x86-64 paging features the modes need (pt_x86.h). */
#include "pt_x86.h"

bool x86_has_page1gb;

#ifdef MMU_HOST
/* The simulated CPU: 1-GByte pages, LA57 and NX. */
static void x86_read_cpu(struct x86_cpu *c)
{
	*c = (struct x86_cpu){ .page1gb = true, .la57 = true, .nx = true };
}
#endif

/* 5-level paging needs LA57 (SDM vol. 3, 4.1.1); every leaf uses XD, so
 * NX is required too (4.1.4: without it bit 63 is reserved). */
int x86_probe(unsigned levels)
{
	struct x86_cpu c;
	x86_read_cpu(&c);
	x86_has_page1gb = c.page1gb;
	if (!c.nx || (levels == 5 && !c.la57))
		return -ENOTSUP;
	return 0;
}
