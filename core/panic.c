/*
 * panic() for broken invariants, and the frame-pointer backtrace that it
 * and the trap report print. The whole kernel is built with
 * -fno-omit-frame-pointer, so every C frame has a record
 * {caller's fp, return address} at fp + arch_frame_record_offset.
 */
#include "arch.h"

#define BACKTRACE_MAX_FRAMES 32

/* A frame record must lie in the kernel image (at its link address):
 * every stack is in its BSS. */
static bool frame_plausible(uint64_t fp)
{
	uint64_t rec = fp + (uint64_t)arch_frame_record_offset;
	uint64_t image = arch_kernel_image_va();
	struct arch_image_layout img;

	if (!fp || fp % 8)
		return false;
	arch_image_layout(&img);
	return rec >= image && rec + 16 <= image + (img.end - img.text);
}

void backtrace_from(uint64_t fp)
{
	unsigned depth;

	kprintf("backtrace:\n");
	for (depth = 0; depth < BACKTRACE_MAX_FRAMES; depth++) {
		const uint64_t *rec;
		uint64_t caller_fp;

		if (!frame_plausible(fp)) {
			if (fp)
				kprintf("  (frame pointer 0x%llx is outside the kernel)\n",
					(unsigned long long)fp);
			return;
		}
		rec = (const uint64_t *)(uintptr_t)(fp + (uint64_t)arch_frame_record_offset);
		caller_fp = rec[0];
		if (!rec[1])
			return;
		kprintf("  #%u 0x%016llx\n", depth, (unsigned long long)rec[1]);
		/* Stacks grow down: a caller's frame lies above its callee's. */
		if (caller_fp <= fp)
			return;
		fp = caller_fp;
	}
	kprintf("  (more than %d frames)\n", BACKTRACE_MAX_FRAMES);
}

void panic(const char *fmt, ...)
{
	static bool panicking;
	char msg[256];
	va_list ap;

	if (panicking) {
		kprintf("PANIC while panicking\n");
		kernel_exit(EXIT_PANIC);
	}
	panicking = true;
	va_start(ap, fmt);
	kvsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	kprintf("PANIC: %s\n", msg);
	backtrace_from((uint64_t)(uintptr_t)__builtin_frame_address(0));
	kernel_exit(EXIT_PANIC);
}
