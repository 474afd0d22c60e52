// SPDX-License-Identifier: GPL-2.0-only
/* tap.c - see tap.h */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "tap.h"

static char tag[64];
static unsigned int npass, nfail;

void tap_tag(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(tag, sizeof(tag), fmt, ap);
	va_end(ap);
}

static void vline(const char *head, const char *fmt, va_list ap)
{
	fputs(head, stdout);
	if (tag[0])
		printf("%s: ", tag);
	vprintf(fmt, ap);
	fputc('\n', stdout);
	fflush(stdout);
}

void tap_comment(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
}

static bool vok(bool cond, const char *fmt, va_list ap)
{
	vline(cond ? "ok - " : "not ok - ", fmt, ap);
	if (cond)
		npass++;
	else
		nfail++;
	return cond;
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

unsigned int tap_failed(void)
{
	return nfail;
}

int tap_done(const char *name)
{
	printf("%s: %u passed, %u failed\n", name, npass, nfail);
	fflush(stdout);
	return nfail || !npass;
}
