/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * tap.h - the one result printer of the C test programs: TAP-style
 * "ok - TAG: what" / "not ok - TAG: what" lines, "# " comments, and a
 * closing "N passed, N failed" line.  A test case is one call of ok() or
 * of its wrappers; tap_done() returns the exit status.  Safe to call from
 * several threads (each line is printed whole, the counts are atomic).
 */
#ifndef MTTY_TAP_H
#define MTTY_TAP_H

#include <stdbool.h>

/* prefix of every result line, e.g. "vfio 1234abcd" (may be empty) */
void tap_tag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void tap_comment(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* a line as it is (no prefix), e.g. a marker or a "# BENCH" record */
void tap_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
bool ok(bool cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* ok when ret == -1 and errno == want; says what came instead */
bool ok_errno(long ret, int want, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* ok when got == want; prints both otherwise */
bool ok_eq(unsigned long long got, unsigned long long want,
	   const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* a failure that ends the program: "not ok" line, closing line, exit 1 */
void tap_bail(const char *name, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));
/*
 * Print at most @n "not ok" lines (0: all); every failure is still counted
 * and tap_done() says how many were not printed.
 */
void tap_max_reports(unsigned int n);
unsigned int tap_passed(void);
unsigned int tap_failed(void);
/* prints "NAME: N passed, N failed"; 0 if something passed and none failed */
int tap_done(const char *name);
/* CLOCK_MONOTONIC in seconds */
double tap_now(void);

#endif /* MTTY_TAP_H */
