/*
 * mmdiff: runs mmap/mprotect/munmap/memory-access sequences on the host kernel for the sgxsim
 * differential test (test/mm/differential.test.ts). Everything happens inside a reserved region
 * so that addresses compare with the model; results are printed relative to the region.
 *
 * stdin:  "REGION <pages>" then, per sequence, "SEQ" / operation lines / "END".
 *   M <hintmode> <addr> <len> <prot> <flags> <fdsel> <off>   mmap; hintmode 0 = NULL, 1 = region+addr
 *   P <addr> <len> <prot>                                    mprotect
 *   U <addr> <len>                                           munmap
 *   W <addr> <byte>                                          1-byte store
 *   R <addr>                                                 1-byte load
 *   F <fdsel> <off> <byte>                                   pwrite 1 byte
 *   X <addr> <size> <prot> <pgoff> <flags>                   remap_file_pages
 * addr/off are byte offsets from the region start (decimal, may be unaligned); len is decimal u64.
 * fdsel: -1 = fd -1, 0 = file opened O_RDWR, 1 = same file O_RDONLY, 2 = memfd, 3 = fd 999 (not open).
 * After every operation the page just above the region is unmapped again (the model does the same).
 * stdout: "BASE <hex>" once, then per sequence "SEQ", one result line per op, "MAPS", the
 * region's /proc/self/maps lines as "<relstart> <relend> <perms> <offset> <name>", "END".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif
#define PAGE 4096UL

static uintptr_t base;
static size_t region;
static int fds[4];
static char filepath[4096];
static sigjmp_buf jb;
static volatile int sig_no, sig_code;
static volatile uintptr_t sig_addr;
static volatile long sig_err;

static void handler(int sig, siginfo_t *si, void *uc_) {
	ucontext_t *uc = uc_;
	sig_no = sig;
	sig_code = si->si_code;
	sig_addr = (uintptr_t)si->si_addr;
	sig_err = uc->uc_mcontext.gregs[REG_ERR];
	siglongjmp(jb, 1);
}

static void die(const char *m) {
	perror(m);
	exit(2);
}

static void reset_files(void) {
	unsigned char buf[6 * 4096];
	for (size_t i = 0; i < sizeof buf; i++) buf[i] = (unsigned char)(i * 7 + 1);
	if (ftruncate(fds[0], 0) || pwrite(fds[0], buf, sizeof buf, 0) != (ssize_t)sizeof buf) die("file");
	if (fds[2] >= 0) close(fds[2]);
	fds[2] = syscall(SYS_memfd_create, "mmdiff", 0);
	if (fds[2] < 0) die("memfd_create");
	unsigned char mbuf[4 * 4096];
	for (size_t i = 0; i < sizeof mbuf; i++) mbuf[i] = (unsigned char)(i * 13 + 5);
	if (pwrite(fds[2], mbuf, sizeof mbuf, 0) != (ssize_t)sizeof mbuf) die("memfd write");
}

/* Fill every free gap above the region (leaving one page free right after it) with mappings that
 * never merge, so that top-down placement can only land in the region, in that page, or below. */
static void fill_above(void) {
	FILE *f = fopen("/proc/self/maps", "r");
	if (!f) die("maps");
	uintptr_t s, e, prev_end = base + region + PAGE, stack_start = 0;
	char line[512];
	uintptr_t starts[4096], ends[4096];
	int n = 0;
	while (fgets(line, sizeof line, f) && n < 4096) {
		if (sscanf(line, "%lx-%lx", &s, &e) != 2) continue;
		if (strstr(line, "[stack]")) stack_start = s;
		starts[n] = s;
		ends[n] = e;
		n++;
	}
	fclose(f);
	uintptr_t limit = stack_start ? stack_start - (64UL << 20) : 0x7ff000000000UL;
	for (int i = 0; i < n; i++) {
		if (ends[i] <= prev_end) continue;
		if (starts[i] > prev_end) {
			uintptr_t gs = prev_end, ge = starts[i] < limit ? starts[i] : limit;
			if (ge > gs && mmap((void *)gs, ge - gs, PROT_NONE, MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0) == MAP_FAILED) die("fill");
		}
		if (ends[i] > prev_end) prev_end = ends[i];
		if (prev_end >= limit) break;
	}
	if (prev_end < limit && mmap((void *)prev_end, limit - prev_end, PROT_NONE, MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0) == MAP_FAILED) die("fill tail");
}

static void reserve(void) {
	if (mmap((void *)base, region, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED) die("reserve");
}

static const char *name_of(const char *path) {
	if (!*path) return "-";
	if (strcmp(path, filepath) == 0) return "F1";
	return path;
}

static void dump_maps(void) {
	FILE *f = fopen("/proc/self/maps", "r");
	if (!f) die("maps");
	char line[1024];
	printf("MAPS\n");
	while (fgets(line, sizeof line, f)) {
		uintptr_t s, e;
		char perms[8], dev[32], path[900] = "";
		unsigned long long off, ino;
		int pos = 0;
		if (sscanf(line, "%lx-%lx %7s %llx %31s %llu %n", &s, &e, perms, &off, dev, &ino, &pos) < 6) continue;
		if (e <= base || s >= base + region) continue;
		char *p = line + pos;
		while (*p == ' ') p++;
		p[strcspn(p, "\n")] = 0;
		snprintf(path, sizeof path, "%s", p);
		uintptr_t cs = s < base ? base : s, ce = e > base + region ? base + region : e;
		printf("%lu %lu %s %llx %s\n", cs - base, ce - base, perms, off + (s < base ? base - s : 0), name_of(path));
	}
	fclose(f);
}

int main(int argc, char **argv) {
	(void)argc;
	int pers = personality(0xffffffff);
	if (pers != -1 && !(pers & ADDR_NO_RANDOMIZE) && !getenv("MMDIFF_NO_REEXEC")) {
		personality(pers | ADDR_NO_RANDOMIZE);
		setenv("MMDIFF_NO_REEXEC", "1", 1);
		execv("/proc/self/exe", argv);
	}
	setvbuf(stdout, NULL, _IOFBF, 1 << 20);
	const char *dir = getenv("MMDIFF_DIR");
	snprintf(filepath, sizeof filepath, "%s/f1", dir ? dir : "/tmp");
	fds[0] = open(filepath, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fds[0] < 0) die("open f1");
	fds[1] = open(filepath, O_RDONLY);
	if (fds[1] < 0) die("open f1 ro");
	fds[2] = -1;
	fds[3] = 999; /* not open: EBADF */
	char line[512];
	if (!fgets(line, sizeof line, stdin) || sscanf(line, "REGION %zu", &region) != 1) die("REGION");
	region *= PAGE;
	/* The region plus one page that stays free: a guaranteed hole right above the region. */
	void *r = mmap(NULL, region + PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (r == MAP_FAILED) die("region");
	base = (uintptr_t)r;
	munmap((void *)(base + region), PAGE);
	fill_above();
	printf("BASE %lx\n", base);
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = handler;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	while (fgets(line, sizeof line, stdin)) {
		if (strncmp(line, "SEQ", 3) == 0) {
			if (munmap((void *)base, region)) die("munmap region");
			reserve();
			reset_files();
			printf("SEQ\n");
			continue;
		}
		if (strncmp(line, "END", 3) == 0) {
			dump_maps();
			printf("END\n");
			continue;
		}
		char op = line[0];
		unsigned long long a = 0, b = 0, c = 0, d = 0, g = 0;
		long long h = 0, fdsel = 0;
		if (op == 'M') {
			unsigned long long hint;
			sscanf(line + 2, "%llu %llu %llu %llu %llu %lld %lld", &hint, &a, &b, &c, &d, &fdsel, &h);
			void *addr = hint ? (void *)(base + a) : NULL;
			int fd = fdsel < 0 ? -1 : fds[fdsel];
			void *res = mmap(addr, (size_t)b, (int)c, (int)d, fd, (off_t)h);
			if (res == MAP_FAILED) printf("E%d\n", errno);
			else if ((uintptr_t)res >= base && (uintptr_t)res < base + region) printf("A%lu\n", (uintptr_t)res - base);
			else {
				printf("OUT\n");
				munmap(res, (size_t)b);
			}
		} else if (op == 'P') {
			sscanf(line + 2, "%llu %llu %llu", &a, &b, &c);
			int rc = mprotect((void *)(base + a), (size_t)b, (int)c);
			if (rc) printf("E%d\n", errno);
			else printf("0\n");
		} else if (op == 'U') {
			sscanf(line + 2, "%llu %llu", &a, &b);
			int rc = munmap((void *)(base + a), (size_t)b);
			if (rc) printf("E%d\n", errno);
			else printf("0\n");
		} else if (op == 'W' || op == 'R') {
			sscanf(line + 2, "%llu %llu", &a, &b);
			volatile unsigned char *p = (volatile unsigned char *)(base + a);
			if (sigsetjmp(jb, 1) == 0) {
				if (op == 'W') {
					*p = (unsigned char)b;
					printf("OK\n");
				} else {
					unsigned v = *p;
					printf("V%u\n", v);
				}
			} else {
				printf("S%d %d %ld %ld\n", sig_no, sig_code, (long)(sig_addr - base), sig_err);
			}
		} else if (op == 'X') {
			sscanf(line + 2, "%llu %llu %llu %llu %llu", &a, &b, &c, &d, &g);
			long rc = syscall(SYS_remap_file_pages, (unsigned long)(base + a), (unsigned long)b, (unsigned long)c, (unsigned long)d, (unsigned long)g);
			if (rc) printf("E%d\n", errno);
			else printf("0\n");
		} else if (op == 'F') {
			sscanf(line + 2, "%lld %llu %llu", &fdsel, &a, &b);
			unsigned char v = (unsigned char)b;
			ssize_t n = pwrite(fds[fdsel], &v, 1, (off_t)a);
			if (n < 0) printf("E%d\n", errno);
			else printf("%zd\n", n);
		}
		(void)g;
		/* Keep the page above the region free (a placement may straddle the region's end). */
		munmap((void *)(base + region), PAGE);
	}
	fflush(stdout);
	return 0;
}
