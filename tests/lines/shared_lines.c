/*
 * The cache lines two transaction threads share, from a memory trace
 * (tests/suites.d/lines.sh): reads valgrind --tool=lackey --trace-mem=yes
 * output of `scale -t` (bench/scale.c, trace_run) on stdin, where the 1st
 * and 2nd store to MARKER bracket worker 0's traced transactions and the 3rd
 * and 4th worker 1's, and lists every cache line (LINE bytes, aligned) that
 * one worker wrote and the other wrote or read. Such a line moves between
 * the CPUs on every transaction that touches it: what keeps two threads on
 * disjoint ranges of one set from scaling (docs/transactions.md, "Locking").
 *
 *   shared_lines MARKER LINE <trace
 *
 * Exit 0: none; 1: some (listed); 2: not a trace of scale -t (the four
 * marker stores missing) or bad arguments.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS (1u << 20)   /* lines one phase touches: a few thousand */

struct line {
	uint64_t line;         /* line number + 1; 0: free slot */
	uint32_t w[2], r[2];   /* stores (S, M) and loads (L, M) per phase */
};

static struct line tab[SLOTS];

static struct line *slot(uint64_t line)
{
	uint64_t h = (line * 0x9e3779b97f4a7c15ull) >> 44;
	for (;; h = (h + 1) & (SLOTS - 1)) {
		if (tab[h].line == line + 1)
			return &tab[h];
		if (!tab[h].line) {
			tab[h].line = line + 1;
			return &tab[h];
		}
	}
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: shared_lines MARKER LINE <lackey-trace\n");
		return 2;
	}
	uint64_t marker = strtoull(argv[1], NULL, 16), size = strtoull(argv[2], NULL, 0);
	if (!size || (size & (size - 1))) {
		fprintf(stderr, "shared_lines: LINE must be a power of two\n");
		return 2;
	}
	unsigned marks = 0, used = 0;
	char buf[256];
	while (fgets(buf, sizeof(buf), stdin)) {
		/* lackey: "I  addr,size" (fetch), " L addr,size", " S ...", " M ..." */
		char k = buf[1];
		if (buf[0] != ' ' || (k != 'L' && k != 'S' && k != 'M'))
			continue;
		char *end;
		uint64_t a = strtoull(buf + 3, &end, 16), n = *end == ',' ? strtoull(end + 1, NULL, 10) : 1;
		if (k == 'S' && a == marker) {
			marks++;
			continue;
		}
		if (marks != 1 && marks != 3)
			continue;   /* outside the traced rounds */
		unsigned p = marks / 2;
		for (uint64_t l = a / size; l <= (a + (n ? n : 1) - 1) / size; l++) {
			struct line *s = slot(l);
			if (!s->w[0] && !s->w[1] && !s->r[0] && !s->r[1] && ++used > SLOTS / 2) {
				fprintf(stderr, "shared_lines: more than %u lines touched\n", SLOTS / 2);
				return 2;
			}
			if (k != 'L')
				s->w[p]++;
			if (k != 'S')
				s->r[p]++;
		}
	}
	if (marks != 4) {
		fprintf(stderr, "shared_lines: %u stores to the marker %#llx, not 4: not a trace of scale -t\n",
		        marks, (unsigned long long)marker);
		return 2;
	}
	unsigned shared = 0;
	for (unsigned i = 0; i < SLOTS; i++) {
		struct line *s = &tab[i];
		if (!s->line || !((s->w[0] && (s->w[1] || s->r[1])) || (s->w[1] && (s->w[0] || s->r[0]))))
			continue;
		if (!shared++)
			printf("%-18s  %s\n", "line", "worker 0 stores/loads, worker 1 stores/loads");
		printf("%#-18llx  %u/%u, %u/%u\n", (unsigned long long)((s->line - 1) * size), s->w[0],
		       s->r[0], s->w[1], s->r[1]);
	}
	printf("%u lines of %llu bytes written by one worker and touched by the other\n", shared,
	       (unsigned long long)size);
	return shared ? 1 : 0;
}
