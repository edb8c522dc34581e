/*
 * The demo of `make run` (core/tasks_demo.c starts two of these):
 * arg0 0: printf and malloc, then a fork whose child writes a variable the
 * parent also has (copy on write: each keeps its own), and a wait;
 * arg0 1: a second task that takes turns with the first.
 */
#include <string.h>
#include "origami.h"

static volatile int shared = 1;      /* in .data: a private page after fork */

static int forker(void)
{
	char *msg = malloc(64);
	int status = -1;
	long pid;

	if (!msg)
		return 1;
	memcpy(msg, "a string on the heap (malloc on mmap)", sizeof("a string on the heap (malloc on mmap)"));
	printf("hello from pid %ld: %s\n", sys_getpid(), msg);
	pid = sys_fork();
	if (pid < 0) {
		printf("fork failed: %ld\n", pid);
		return 1;
	}
	if (pid == 0) {
		shared = 2;
		printf("child pid %ld: wrote 2 to its copy, reads %d\n", sys_getpid(), shared);
		return 7;
	}
	sys_yield();
	if (sys_wait(&status) != pid)
		return 1;
	printf("parent pid %ld: child %ld exited with %d; my copy still reads %d\n",
	       sys_getpid(), pid, WEXITSTATUS(status), shared);
	free(msg);
	return shared == 1 && WIFEXITED(status) && WEXITSTATUS(status) == 7 ? 0 : 1;
}

int task_main(long role, long arg1)
{
	(void)arg1;
	if (role == 0)
		return forker();
	for (int i = 0; i < 3; i++) {
		printf("pid %ld: turn %d\n", sys_getpid(), i);
		sys_yield();
	}
	return 0;
}
