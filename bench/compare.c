/*
 * bench-compare: what changed between two build/bench/results.json files
 * (bench/bench.c writes one result per line, which is all this reads).
 *
 *   compare OLD.json NEW.json
 *
 * For every (mode, workload) in either file: ns per 4K page before and after
 * and the change, ratio to each run's own limit, and any change in tables
 * used or TLB operations. Exit status 0 (it reports, it does not judge).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct res {
	char mode[32], wl[32];
	int err, have_ns;
	double ns, ratio;
	long long tables, tables_min, tlb, tlb_min;
};

struct file {
	const char *path;
	char date[64], machine[256];
	double limit;
	int n;
	struct res *r;
};

/* The value after "key": in line (a string without quotes, or a number). */
static const char *field(const char *line, const char *key)
{
	char pat[64];
	snprintf(pat, sizeof(pat), "\"%s\": ", key);
	const char *p = strstr(line, pat);
	return p ? p + strlen(pat) : NULL;
}

static void str_field(const char *line, const char *key, char *out, size_t n)
{
	const char *p = field(line, key);
	out[0] = 0;
	if (!p || *p != '"')
		return;
	p++;
	size_t i = 0;
	while (*p && *p != '"' && i + 1 < n) {
		if (*p == '\\' && p[1])
			p++;
		out[i++] = *p++;
	}
	out[i] = 0;
}

static int num_field(const char *line, const char *key, double *out)
{
	const char *p = field(line, key);
	if (!p || !strncmp(p, "null", 4))
		return 0;
	*out = strtod(p, NULL);
	return 1;
}

static long long int_field(const char *line, const char *key)
{
	double v = 0;
	num_field(line, key, &v);
	return (long long)v;
}

static int load(struct file *f, const char *path)
{
	FILE *in = fopen(path, "r");
	if (!in) {
		perror(path);
		return -1;
	}
	memset(f, 0, sizeof(*f));
	f->path = path;
	char *line = NULL;
	size_t cap = 0;
	int alloc = 0;
	while (getline(&line, &cap, in) > 0) {
		if (field(line, "date"))
			str_field(line, "date", f->date, sizeof(f->date));
		if (field(line, "machine"))
			str_field(line, "machine", f->machine, sizeof(f->machine));
		if (field(line, "store_ns_per_pte"))
			num_field(line, "store_ns_per_pte", &f->limit);
		if (!field(line, "mode") || !field(line, "workload"))
			continue;
		if (f->n == alloc) {
			alloc = alloc ? 2 * alloc : 64;
			f->r = realloc(f->r, (size_t)alloc * sizeof(*f->r));
			if (!f->r)
				return -1;
		}
		struct res *r = &f->r[f->n++];
		memset(r, 0, sizeof(*r));
		str_field(line, "mode", r->mode, sizeof(r->mode));
		str_field(line, "workload", r->wl, sizeof(r->wl));
		r->err = (int)int_field(line, "err");
		r->have_ns = num_field(line, "ns_per_page", &r->ns);
		num_field(line, "ratio_to_limit", &r->ratio);
		r->tables = int_field(line, "tables_used");
		r->tables_min = int_field(line, "tables_min");
		r->tlb = int_field(line, "total");
		r->tlb_min = int_field(line, "min");
	}
	free(line);
	fclose(in);
	return 0;
}

static const struct res *lookup(const struct file *f, const char *mode, const char *wl)
{
	for (int i = 0; i < f->n; i++)
		if (!strcmp(f->r[i].mode, mode) && !strcmp(f->r[i].wl, wl))
			return &f->r[i];
	return NULL;
}

static void show(const struct res *o, const struct res *n)
{
	const struct res *any = n ? n : o;
	printf("  %-14s %-13s", any->mode, any->wl);
	if (o && o->have_ns)
		printf(" %9.2f", o->ns);
	else
		printf(" %9s", o ? "err" : "-");
	if (n && n->have_ns)
		printf(" %9.2f", n->ns);
	else
		printf(" %9s", n ? "err" : "-");
	if (o && n && o->have_ns && n->have_ns && o->ns > 0)
		printf(" %+7.1f%%", 100.0 * (n->ns - o->ns) / o->ns);
	else
		printf(" %8s", "");
	if (o && n && o->have_ns && n->have_ns)
		printf("  %7.2fx -> %7.2fx", o->ratio, n->ratio);
	if (o && n && o->tables != n->tables)
		printf("  tables %lld -> %lld (min %lld)", o->tables, n->tables, n->tables_min);
	if (o && n && o->tlb != n->tlb)
		printf("  tlb %lld -> %lld (min %lld)", o->tlb, n->tlb, n->tlb_min);
	if (o && n && o->err != n->err)
		printf("  err %d -> %d", o->err, n->err);
	printf("\n");
}

int main(int argc, char **argv)
{
	struct file o, n;
	if (argc != 3) {
		fprintf(stderr, "usage: %s OLD.json NEW.json\n", argv[0]);
		return 2;
	}
	if (load(&o, argv[1]) || load(&n, argv[2]))
		return 2;
	printf("old: %s  %s  (limit %.3f ns/PTE)\n", o.path, o.date, o.limit);
	printf("new: %s  %s  (limit %.3f ns/PTE)\n", n.path, n.date, n.limit);
	if (strcmp(o.machine, n.machine))
		printf("machines differ:\n  old %s\n  new %s\n", o.machine, n.machine);
	printf("\n  %-14s %-13s %9s %9s %8s  %s\n", "mode", "workload", "old ns/4K", "new ns/4K",
	       "change", "x limit old -> new");
	for (int i = 0; i < n.n; i++)
		show(lookup(&o, n.r[i].mode, n.r[i].wl), &n.r[i]);
	for (int i = 0; i < o.n; i++)
		if (!lookup(&n, o.r[i].mode, o.r[i].wl))
			show(&o.r[i], NULL);
	return 0;
}
