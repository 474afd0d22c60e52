/* SPDX-License-Identifier: GPL-2.0-only */
/* Minimal test harness for the userspace unit tests of the device model. */
#ifndef MTTY_UNIT_H
#define MTTY_UNIT_H

#include <stdio.h>

/* assertions (CHECK) and test cases (RUN): cases are what pass or fail */
extern int unit_pass, unit_fail;
extern int unit_cases_pass, unit_cases_fail;
/* the counters' definitions, once per program */
#define UNIT_COUNTERS							\
	int unit_pass, unit_fail;					\
	int unit_cases_pass, unit_cases_fail

#define CHECK(cond, ...)						\
	do {								\
		if (cond) {						\
			unit_pass++;					\
		} else {						\
			unit_fail++;					\
			printf("not ok - %s:%d: %s: ", __FILE__,	\
			       __LINE__, #cond);			\
			printf(__VA_ARGS__);				\
			printf("\n");					\
		}							\
	} while (0)

#define CHECK_EQ(a, b, what)						\
	do {								\
		unsigned long long _a = (a), _b = (b);			\
		CHECK(_a == _b, "%s: got 0x%llx want 0x%llx", what, _a, _b); \
	} while (0)

#define TEST(name) static void name(void)
#define RUN(name)							\
	do {								\
		int _f = unit_fail;					\
		name();							\
		printf("%s - %s\n", unit_fail == _f ? "ok" : "not ok",	\
		       #name);						\
		if (unit_fail == _f)					\
			unit_cases_pass++;				\
		else							\
			unit_cases_fail++;				\
	} while (0)

/* the closing line counts test cases, the assertions beside them */
#define UNIT_DONE(prog)							\
	(printf("# %s: %d assertions checked, %d failed\n%s: %d passed, %d failed\n", \
		prog, unit_pass + unit_fail, unit_fail, prog,		\
		unit_cases_pass, unit_cases_fail),			\
	 unit_cases_fail || !unit_cases_pass)

#endif
