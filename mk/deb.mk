# SPDX-License-Identifier: GPL-2.0-only
#
# Packaging: DKMS source tree, Debian package, packaging tests.
#   make dkms-conf      build/dkms/dkms.conf from dkms.conf.in + VERSION
#   make install-{man,fleet-examples,dkms-conf}  (also run by install)
#   make deb            build/deb/mtty-dkms_<version>_all.deb (+ lintian)
#   make pkg-check      tests/pkg/check.sh (no VM): package, lintian, man,
#                       fleet manifests, DKMS on the host, install layout
#   make pkg-vm-test    tests/pkg/vm-test.sh on both Debian 12 kernels
#                       (slow: DKMS compiles inside a TCG guest);
#                       RUNS="SUITE:LINE ..." names (release, kernel line)
#                       pairs instead, e.g. RUNS="bookworm:6.1 trixie:trixie"
#                       (KERNELS="L ..." is short for bookworm:L ...)
# Included by the top-level Makefile (-include mk/*.mk).

PKG_VERSION := $(shell cat VERSION 2>/dev/null)
PKG_DKMS_DIR := build/dkms
PKG_DEB := build/deb/mtty-dkms_$(PKG_VERSION)_all.deb
PREFIX ?= /usr
MANDIR ?= $(PREFIX)/share/man
DOCDIR ?= $(PREFIX)/share/doc/mtty
DKMSSRCDIR ?= $(PREFIX)/src/mtty-$(PKG_VERSION)
PKG_MAN4 := $(wildcard man/*.4)
PKG_MAN8 := $(wildcard man/*.8)
PKG_FLEET := $(filter-out examples/fleet/README%,$(wildcard examples/fleet/*/*))

.PHONY: dkms-conf install-dkms-conf install-man install-fleet-examples \
	uninstall-pkg-parts deb deb-deps lintian pkg-check pkg-vm-test

$(PKG_DKMS_DIR)/dkms.conf: dkms.conf.in VERSION
	@mkdir -p $(@D)
	@test -n "$(PKG_VERSION)" || { echo "VERSION is empty" >&2; exit 1; }
	sed 's/@VERSION@/$(PKG_VERSION)/g' dkms.conf.in >$@.tmp
	@! grep -n '@[A-Z_]*@' $@.tmp || { echo "unsubstituted @VAR@ in dkms.conf" >&2; exit 1; }
	mv -f $@.tmp $@

dkms-conf: $(PKG_DKMS_DIR)/dkms.conf

# The parts this fragment owns hook into mk/install.mk's targets as extra
# prerequisites: install-driver also installs dkms.conf next to the driver
# source (so `dkms add -m mtty -v <version>` works after `make install`),
# install-docs also installs the manual pages and the fleet examples, and
# uninstall removes them.
install-driver: install-dkms-conf
install-docs: install-man install-fleet-examples
uninstall: uninstall-pkg-parts

install-dkms-conf: $(PKG_DKMS_DIR)/dkms.conf
	install -D -m 644 $< $(DESTDIR)$(DKMSSRCDIR)/dkms.conf

install-man:
	install -d $(DESTDIR)$(MANDIR)/man4 $(DESTDIR)$(MANDIR)/man8
	install -m 644 $(PKG_MAN4) $(DESTDIR)$(MANDIR)/man4/
	install -m 644 $(PKG_MAN8) $(DESTDIR)$(MANDIR)/man8/

install-fleet-examples:
	install -d $(DESTDIR)$(DOCDIR)/examples/fleet
	set -e; for f in $(PKG_FLEET); do \
		install -D -m 644 "$$f" "$(DESTDIR)$(DOCDIR)/examples/$${f#examples/}"; \
	done

uninstall-pkg-parts:
	rm -f $(foreach f,$(PKG_MAN4),$(DESTDIR)$(MANDIR)/man4/$(notdir $(f))) \
		$(foreach f,$(PKG_MAN8),$(DESTDIR)$(MANDIR)/man8/$(notdir $(f)))
	rm -f $(DESTDIR)$(DKMSSRCDIR)/dkms.conf
	rm -rf $(DESTDIR)$(DOCDIR)/examples/fleet

deb-deps:
	@tests/pkg/deps.sh

# Built in a copy of the tree under build/deb/ so that debhelper's
# scratch files and the outputs never land in the source tree or its
# parent directory.
deb: deb-deps
	@tests/pkg/build-deb.sh

lintian: deb
	lintian --info --display-info --pedantic $(PKG_DEB)

pkg-check: deb-deps
	@tests/pkg/check.sh

RUNS ?=
pkg-vm-test: deb
	@rc=0; for r in $(if $(strip $(RUNS)),$(RUNS),$(addprefix bookworm:,$(KERNELS))); do \
		tests/pkg/vm-test.sh --suite "$${r%%:*}" --kernel "$${r#*:}" || rc=1; \
	done; exit $$rc
