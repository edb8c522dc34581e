/*
 * The second half of the radix engine (included by mmu/pt_engine.h, once
 * per paging mode): what turns the walker into a paging mode. Roots of
 * sets and the shared kernel half, host introspection (host builds only),
 * the geometry the mode reports and the backend table.
 */
/* ---- sets and the shared kernel half ---- */

/* One root per set holds the kernel half too: copy the master's kernel
 * slots into every set after the master changed (as Linux does for the
 * kernel part of each pgd). */
static void mirror_kernel_slots(paddr_t root)
{
#if !PT_SPLIT_ROOTS
	const pt_entry_t *master = mmu_env_phys_to_virt(THIS_MODE.kernel_root);
	pt_entry_t *slots = mmu_env_phys_to_virt(root);
	for (size_t i = lvl_entries(PT_TOP) / 2; i < lvl_entries(PT_TOP); i++)
		if (slots[i] != master[i])
			__atomic_store_n(&slots[i], master[i], __ATOMIC_RELEASE);
#else
	(void)root;
#endif
}

/* After a commit that changed the master's kernel slots. */
/* Whether the commit changed kernel-half slots of the master root that
 * every set's root copies (one root per set). */
static bool mirror_needed(mmu_transaction_t *ta)
{
	return !PT_SPLIT_ROOTS && (txn_lookup(ta, THIS_MODE.kernel_root) ||
	                           txn_def_in_page(ta, THIS_MODE.kernel_root));
}

static void mirror_kernel_half(mmu_transaction_t *ta)
{
	if (mirror_needed(ta)) {
		lock_sets();   /* a set created meanwhile is listed, or copied the new slots */
		for (mmu_translation_set_t *t = mmu_sets(); t; t = t->next)
			mirror_kernel_slots(t->root);
		lock_sets_end();
	}
}


static void free_tables(paddr_t tpa, unsigned l, size_t first, size_t end)
{
	const pt_entry_t *tbl = mmu_env_phys_to_virt(tpa);
	for (size_t i = first; l > 0 && i < end; i++)
		if (pt_kind(tbl[i], l) == PT_TABLE)
			free_tables(pt_table_pa(tbl[i], l), l - 1, 0, lvl_entries(l - 1));
	mmu_env_free(tpa, PT_PAGE_SHIFT);
}

static size_t user_slots(void)
{
	return PT_SPLIT_ROOTS ? lvl_entries(PT_TOP) : lvl_entries(PT_TOP) / 2;
}

static int eng_kernel_init(void)
{
	THIS_MODE.kernel_root = mmu_env_alloc(PT_PAGE_SHIFT);
	return THIS_MODE.kernel_root ? 0 : -ENOMEM;
}

static void eng_kernel_fini(void)
{
	free_tables(THIS_MODE.kernel_root, PT_TOP, PT_SPLIT_ROOTS ? 0 : user_slots(),
	            lvl_entries(PT_TOP));
	THIS_MODE.kernel_root = 0;
}

static int eng_set_init(mmu_translation_set_t *t)
{
	t->root = mmu_env_alloc(PT_PAGE_SHIFT);
	if (!t->root)
		return -ENOMEM;
	mirror_kernel_slots(t->root);
	t->table_pages = 1;
	return 0;
}

static void eng_set_fini(mmu_translation_set_t *t)
{
	free_tables(t->root, PT_TOP, 0, user_slots());
	t->root = 0;
}

/* ---- host introspection (host builds only: kernel images carry none) ---- */
#ifdef MMU_HOST

static void eng_hwstate(mmu_translation_set_t *t, struct mmu_host_hwstate *out)
{
	out->arch = PT_HOST_ARCH;
	out->va_bits = PT_VA_BITS;
	out->page_shift = PT_PAGE_SHIFT;
	out->levels = PT_LEVELS;
	out->root = t->root;
	out->kernel_root = PT_SPLIT_ROOTS ? THIS_MODE.kernel_root : 0;
	pt_hwstate(out);
}

static size_t snap_tables(paddr_t tpa, unsigned l, char *buf, size_t max, size_t at)
{
	size_t bytes = (size_t)1 << PT_PAGE_SHIFT;
	if (at + bytes <= max)
		memcpy(buf + at, mmu_env_phys_to_virt(tpa), bytes);
	at += bytes;
	const pt_entry_t *tbl = mmu_env_phys_to_virt(tpa);
	size_t n = lvl_entries(l);
	for (size_t i = l ? mmu_next_nonzero(tbl, 0, n) : n; i < n; i = mmu_next_nonzero(tbl, i + 1, n))
		if (pt_kind(tbl[i], l) == PT_TABLE)
			at = snap_tables(pt_table_pa(tbl[i], l), l - 1, buf, max, at);
	return at;
}

static size_t eng_snapshot(mmu_translation_set_t *t, void *buf, size_t max)
{
	size_t at = snap_tables(t->root, PT_TOP, buf, max, 0);
	if (PT_SPLIT_ROOTS)
		at = snap_tables(THIS_MODE.kernel_root, PT_TOP, buf, max, at);
	return at;
}
#endif

/* ---- the mode ---- */

static int eng_init(struct mmu_mode *m)
{
	int err = pt_mode_init();
	if (err)
		return err;
	uint64_t native = 0;
	for (unsigned l = 0; l < PT_LEVELS; l++) {
		if (pt_leaf_ok(l))
			native |= 1ull << (l * PT_INDEX_BITS);
		if (pt_contig_lg2(l))
			native |= 1ull << (l * PT_INDEX_BITS + pt_contig_lg2(l));
	}
	m->geo = (struct mmu_geometry){
		.va_bits = PT_VA_BITS, .page_shift = PT_PAGE_SHIFT, .levels = PT_LEVELS,
		.native_orders = native, .max_order = PT_VA_BITS - 1 - PT_PAGE_SHIFT,
	};
	m->user_top = PT_SPLIT_ROOTS ? 1ull << PT_VA_BITS : 1ull << (PT_VA_BITS - 1);
	m->kernel_base = -m->user_top;
	m->pa_bits = PT_PA_BITS;
	/* The call window encodes a base page as pa >> shift: for the
	 * address bits that land at one fixed shift, from the page up (all of
	 * them but where Arm's 52-bit PA puts its high bits elsewhere, D8.3:
	 * there a pa below 2^48; the window leaves any other to the layer). */
	m->win_oa_shift = -1;
	m->win_pa_bits = 0;
	for (int s = 0; s < 8; s++) {
		uint64_t mask = 0;
		unsigned b = PT_PAGE_SHIFT;
		for (; b < PT_PA_BITS && leaf_oa(1ull << b, 0) == (1ull << b) >> s; b++)
			mask |= leaf_oa(1ull << b, 0);
		if (b > m->win_pa_bits && b >= PT_PAGE_SHIFT + 20) {
			m->win_oa_shift = s;
			m->win_oa_mask = mask;
			m->win_pa_bits = b;
		}
	}
	/* Lock regions are what one leaf table translates: two transactions
	 * holding different regions never store into one leaf table, and
	 * every slot above spans several regions (mmu/lock.h). */
	m->lock_shift = lvl_shift(1);
	return 0;
}

static const struct mmu_backend PT_CAT(backend_, PT_MODE) = {
	.kernel_init = eng_kernel_init, .kernel_fini = eng_kernel_fini,
	.set_init = eng_set_init, .set_fini = eng_set_fini,
	.lookup = eng_lookup, .next = eng_next,
	.change = eng_change, .unmap_run = eng_unmap_run, .protect_run = eng_protect_run,
	.leaves = eng_leaves,
	.reclaim = eng_reclaim,
	.publish = eng_publish, .publish_def = eng_publish_def,
	.after_publish = eng_after_publish,
	.leaf_bits = eng_leaf_bits, .add_one = eng_add_one,
	.find_one = eng_find_one, .remove_one = eng_remove_one, .window = eng_window,
#ifdef MMU_HOST
	.hwstate = eng_hwstate, .snapshot = eng_snapshot,
#endif
};

struct mmu_mode THIS_MODE = {
	.name = PT_MODE_NAME,
	.host_arch = PT_HOST_ARCH,
	.init = eng_init,
	.attr_ok = pt_attr_ok,
	.be = &PT_CAT(backend_, PT_MODE),
};
