// SPDX-License-Identifier: GPL-2.0-only
/* tap.c - see tap.h */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tap.h"

static char tag[64];
static unsigned int npass, nfail, max_reports, nreports;

void tap_tag(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(tag, sizeof(tag), fmt, ap);
	va_end(ap);
}

/* one whole line: HEAD, the tag (if @tagged and set), the text */
static void vline(const char *head, bool tagged, const char *fmt, va_list ap)
{
	flockfile(stdout);
	fputs(head, stdout);
	if (tagged && tag[0])
		printf("%s: ", tag);
	vprintf(fmt, ap);
	fputc('\n', stdout);
	fflush(stdout);
	funlockfile(stdout);
}

void tap_comment(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vline("# ", false, fmt, ap);
	va_end(ap);
}

void tap_say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vline("", false, fmt, ap);
	va_end(ap);
}

static bool vok(bool cond, const char *fmt, va_list ap)
{
	if (cond) {
		__atomic_add_fetch(&npass, 1, __ATOMIC_RELAXED);
		vline("ok - ", true, fmt, ap);
		return true;
	}
	__atomic_add_fetch(&nfail, 1, __ATOMIC_RELAXED);
	if (!max_reports ||
	    __atomic_add_fetch(&nreports, 1, __ATOMIC_RELAXED) <= max_reports)
		vline("not ok - ", true, fmt, ap);
	return false;
}

bool ok(bool cond, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cond = vok(cond, fmt, ap);
	va_end(ap);
	return cond;
}

bool ok_errno(long ret, int want, const char *fmt, ...)
{
	int err = errno;
	bool good = ret == -1 && err == want;
	char desc[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(desc, sizeof(desc), fmt, ap);
	va_end(ap);
	ok(good, "%s -> %s", desc, strerrorname_np(want) ? strerrorname_np(want) : "?");
	if (!good) {
		if (ret == -1)
			tap_comment("  got errno %d (%s)", err, strerror(err));
		else
			tap_comment("  got return %ld, no error", ret);
	}
	return good;
}

bool ok_eq(unsigned long long got, unsigned long long want, const char *fmt,
	   ...)
{
	char desc[256];
	va_list ap;
	bool good = got == want;

	va_start(ap, fmt);
	vsnprintf(desc, sizeof(desc), fmt, ap);
	va_end(ap);
	ok(good, "%s == %#llx", desc, want);
	if (!good)
		tap_comment("  got %#llx", got);
	return good;
}

void tap_bail(const char *name, const char *fmt, ...)
{
	va_list ap;

	max_reports = 0;
	va_start(ap, fmt);
	vok(false, fmt, ap);
	va_end(ap);
	tap_done(name);
	exit(1);
}

void tap_max_reports(unsigned int n)
{
	max_reports = n;
}

unsigned int tap_passed(void)
{
	return __atomic_load_n(&npass, __ATOMIC_RELAXED);
}

unsigned int tap_failed(void)
{
	return __atomic_load_n(&nfail, __ATOMIC_RELAXED);
}

int tap_done(const char *name)
{
	unsigned int p = tap_passed(), f = tap_failed();

	if (max_reports && f > max_reports)
		tap_comment("%u failures not printed (first %u shown)",
			    f - max_reports, max_reports);
	flockfile(stdout);
	printf("%s: %u passed, %u failed\n", name, p, f);
	fflush(stdout);
	funlockfile(stdout);
	return f || !p;
}

double tap_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}
