/*
 * What every boot shows after the MMU suite (tasks.demo=off skips it):
 * two user tasks of user/hello.c taking turns, the first printing through
 * the user-mode libc (picolibc on riscv64 and arm64) and forking a child
 * that writes its copy-on-write copy of a variable; one report line per
 * task (faults, page sizes, copies), and with tasks.dump its areas and
 * translations as it ends (vm_dump, through mmu_scan); every frame back
 * at the end.
 */
#include <errno.h>
#include "arch.h"
#include "task.h"
#include "vm.h"
#include "uapi/origami_syscall.h"

struct demo_result {
	int pid[2];             /* the two the kernel started (their children
				   are judged by them: the child exits 7) */
	unsigned ended, failed;
	bool dump;              /* tasks.dump: each task's areas and translations */
};

static void demo_end(const struct task *t, void *priv)
{
	struct demo_result *r = priv;

	task_report(t);
	if (r->dump)
		vm_dump((struct vm_space *)&t->vs);
	r->ended++;
	if ((t->pid == r->pid[0] || t->pid == r->pid[1]) && t->status != W_EXITCODE(0))
		r->failed++;
}

int tasks_demo(void)
{
	struct user_program hello;
	struct frames_stats before, after;
	struct demo_result r = { { 0, 0 }, 0, 0, false };
	int *pid = r.pid;
	char arg[8];

	if (!mmu_kernel_set()) {
		kprintf("tasks: no paging mode, no user tasks\n");
		return EXIT_OK;
	}
	if (user_program("hello", &hello))
		panic("tasks: no hello program in the image");
	r.dump = cmdline_get(current_boot_info()->cmdline, "tasks.dump", arg, sizeof(arg));
	frames_get_stats(&before);
	for (int i = 0; i < 2; i++) {
		pid[i] = task_spawn("hello", hello.elf, hello.len, i, 0);
		if (pid[i] < 0) {
			kprintf("tasks: spawn failed: %d\n", pid[i]);
			return EXIT_TEST_FAIL;
		}
	}
	kprintf("tasks: running pids %d and %d in user mode\n", pid[0], pid[1]);
	tasks_on_end(demo_end, &r);
	tasks_run();
	tasks_on_end(NULL, NULL);
	frames_get_stats(&after);
	kprintf("tasks: %u ended, %u failed; frames %s (free %llu KiB before, %llu after)\n",
		r.ended, r.failed, after.free_bytes == before.free_bytes ? "all back" : "LEAKED",
		(unsigned long long)(before.free_bytes >> 10),
		(unsigned long long)(after.free_bytes >> 10));
	return r.failed || after.free_bytes != before.free_bytes ? EXIT_TEST_FAIL : EXIT_OK;
}
