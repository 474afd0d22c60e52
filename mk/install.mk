# SPDX-License-Identifier: GPL-2.0-only
#
# mk/install.mk -- install the mtty package (included by the top Makefile).
#
#   make install [DESTDIR=...] [PREFIX=/usr]      everything below except the
#                                                 built module (see install-driver)
#   make install-driver [KVER=...] [KDIR=...] [KO=...]
#        driver sources to $(PREFIX)/src/mtty-<version>/ (for DKMS); with KVER,
#        KDIR or KO also the module, to /lib/modules/<KVER>/updates/mtty.ko
#        (KO: a built mtty.ko; otherwise it is built against KDIR, default
#        /lib/modules/<KVER>/build; KVER defaults to KDIR's kernel release)
#   make install-udev | install-systemd | install-mdevctl |
#        install-libvirt-xml | install-docs
#   make uninstall [KVER=...]                      remove what install put
#   make xml UUID=... NAME=... [TYPE=mtty-2] [XMLOUT=build/xml] [XMLARGS=...]
#        libvirt XML for a device and a domain (libvirt-xml/mtty-xml.sh)
#
# After installing on a live system (DESTDIR empty) run, as root:
#   depmod -a; systemctl daemon-reload; udevadm control --reload
# (docs/operator-guide.md).  Paths of the system integration (udev, systemd,
# mdevctl call-outs, /etc) do not follow PREFIX: those programs only look
# there; override UDEVDIR, SYSTEMDUNITDIR, MDEVCTL_CALLOUTDIR,
# MDEVCTL_LIBCALLOUTDIR, SYSCONFDIR, MODULEDIR if needed.

PREFIX ?= /usr
SYSCONFDIR ?= /etc
UDEVDIR ?= /usr/lib/udev
SYSTEMDUNITDIR ?= /usr/lib/systemd/system
MODULEDIR ?= /lib/modules
# The call-out script lives in PKGLIBDIR, linked from both of mdevctl's
# call-out directories: mdevctl 1.2.0 (Debian 12) runs those of
# MDEVCTL_CALLOUTDIR only; mdevctl >= 1.3 (Debian 13: 1.4.0) searches
# MDEVCTL_LIBCALLOUTDIR first and MDEVCTL_CALLOUTDIR (deprecated there)
# after it, stopping at the first script that answers, so the call-out
# runs once per event on both.
MDEVCTL_CALLOUTDIR ?= $(SYSCONFDIR)/mdevctl.d/scripts.d/callouts
MDEVCTL_LIBCALLOUTDIR ?= /usr/lib/mdevctl/scripts.d/callouts
PKGLIBDIR ?= $(PREFIX)/lib/mtty
DOCDIR ?= $(PREFIX)/share/doc/mtty
XMLDIR ?= $(PREFIX)/share/mtty/libvirt-xml
MTTY_VERSION := $(shell cat VERSION 2>/dev/null || echo 0)
DKMSSRCDIR ?= $(PREFIX)/src/mtty-$(MTTY_VERSION)
INSTALL ?= install

MTTY_SUBST = sed -e 's|@UDEVLIBDIR@|$(UDEVDIR)|g' -e 's|@PKGLIBDIR@|$(PKGLIBDIR)|g' \
	-e 's|@DOCDIR@|$(DOCDIR)|g' -e 's|@VERSION@|$(MTTY_VERSION)|g'
MTTY_DRIVER_FILES = $(wildcard driver/*.c driver/*.h) driver/Kbuild driver/Makefile
MTTY_XML_FILES = libvirt-xml/hostdev.xml.in libvirt-xml/domain.xml.in \
	libvirt-xml/nodedev.xml.in
MTTY_EXAMPLES = $(filter-out %.license,$(wildcard mdevctl.d/examples/mtty/*))
MTTY_DOCS = $(wildcard docs/*.md)

.PHONY: install install-driver install-udev install-systemd install-mdevctl \
	install-libvirt-xml install-docs uninstall xml

install: install-driver install-udev install-systemd install-mdevctl \
	install-libvirt-xml install-docs

install-driver:
	$(INSTALL) -d $(DESTDIR)$(DKMSSRCDIR)
	$(INSTALL) -m 644 $(MTTY_DRIVER_FILES) VERSION $(DESTDIR)$(DKMSSRCDIR)/
	$(INSTALL) -m 755 driver/conftest.sh $(DESTDIR)$(DKMSSRCDIR)/
	@set -e; kver='$(KVER)'; kdir='$(KDIR)'; ko='$(KO)'; \
	[ -n "$$kver$$kdir$$ko" ] || exit 0; \
	if [ -z "$$kver" ] && [ -n "$$kdir" ]; then \
		kver=$$(cat "$$kdir/include/config/kernel.release"); fi; \
	if [ -z "$$kver" ]; then echo "install-driver: KO= needs KVER=" >&2; exit 1; fi; \
	if [ -z "$$ko" ]; then \
		[ -n "$$kdir" ] || kdir=/lib/modules/$$kver/build; \
		b=build/install/$$kver; rm -rf "$$b"; mkdir -p "$$b"; \
		cp driver/* VERSION "$$b/"; \
		echo "install-driver: building mtty.ko against $$kdir"; \
		$(MAKE) -C "$$b" KDIR="$$kdir" KVER="$$kver" >"$$b.log" 2>&1 || \
			{ cat "$$b.log" >&2; exit 1; }; \
		ko=$$b/mtty.ko; \
	fi; \
	modinfo -F vermagic "$$ko" | grep -q "^$$kver " || \
		{ echo "install-driver: $$ko is not built for $$kver" >&2; exit 1; }; \
	echo "$(INSTALL) -D -m 644 $$ko $(DESTDIR)$(MODULEDIR)/$$kver/updates/mtty.ko"; \
	$(INSTALL) -D -m 644 "$$ko" "$(DESTDIR)$(MODULEDIR)/$$kver/updates/mtty.ko"

install-udev:
	$(INSTALL) -d $(DESTDIR)$(UDEVDIR)/rules.d
	$(MTTY_SUBST) udev/70-mtty.rules >$(DESTDIR)$(UDEVDIR)/rules.d/70-mtty.rules
	chmod 644 $(DESTDIR)$(UDEVDIR)/rules.d/70-mtty.rules
	$(INSTALL) -m 755 udev/mtty-udev.sh $(DESTDIR)$(UDEVDIR)/mtty-udev

install-systemd:
	$(INSTALL) -d $(DESTDIR)$(SYSTEMDUNITDIR) $(DESTDIR)$(PKGLIBDIR) \
		$(DESTDIR)$(SYSCONFDIR)/modprobe.d
	$(MTTY_SUBST) systemd/mtty.service.in >$(DESTDIR)$(SYSTEMDUNITDIR)/mtty.service
	chmod 644 $(DESTDIR)$(SYSTEMDUNITDIR)/mtty.service
	$(MTTY_SUBST) systemd/mtty-service.sh >$(DESTDIR)$(PKGLIBDIR)/mtty-service
	chmod 755 $(DESTDIR)$(PKGLIBDIR)/mtty-service
	@# never overwrite an operator's module options
	@if [ -e $(DESTDIR)$(SYSCONFDIR)/modprobe.d/mtty.conf ]; then \
		echo "keeping existing $(DESTDIR)$(SYSCONFDIR)/modprobe.d/mtty.conf"; \
	else \
		echo "$(INSTALL) -m 644 systemd/modprobe-mtty.conf $(DESTDIR)$(SYSCONFDIR)/modprobe.d/mtty.conf"; \
		$(INSTALL) -m 644 systemd/modprobe-mtty.conf $(DESTDIR)$(SYSCONFDIR)/modprobe.d/mtty.conf; \
	fi

install-mdevctl:
	$(INSTALL) -d $(DESTDIR)$(MDEVCTL_CALLOUTDIR) $(DESTDIR)$(MDEVCTL_LIBCALLOUTDIR) \
		$(DESTDIR)$(PKGLIBDIR) $(DESTDIR)$(DOCDIR)/examples/mdevctl.d/mtty
	$(INSTALL) -m 755 mdevctl.d/callouts/mtty.sh $(DESTDIR)$(PKGLIBDIR)/mdevctl-callout
	@# a symlink, not a file: a package's regular files under /etc are
	@# conffiles, which "apt remove" would leave behind (still active)
	ln -sfn $(PKGLIBDIR)/mdevctl-callout $(DESTDIR)$(MDEVCTL_CALLOUTDIR)/mtty
	@# relative within /usr (lintian: symlink-should-be-relative)
	ln -sfnr $(DESTDIR)$(PKGLIBDIR)/mdevctl-callout $(DESTDIR)$(MDEVCTL_LIBCALLOUTDIR)/mtty
	$(INSTALL) -m 644 $(MTTY_EXAMPLES) $(DESTDIR)$(DOCDIR)/examples/mdevctl.d/mtty/
	$(INSTALL) -m 644 mdevctl.d/examples/README $(DESTDIR)$(DOCDIR)/examples/mdevctl.d/
	$(INSTALL) -m 644 systemd/modprobe-mtty.conf $(DESTDIR)$(DOCDIR)/examples/modprobe-mtty.conf

install-libvirt-xml:
	$(INSTALL) -d $(DESTDIR)$(XMLDIR)
	$(INSTALL) -m 644 $(MTTY_XML_FILES) $(DESTDIR)$(XMLDIR)/
	$(INSTALL) -m 755 libvirt-xml/mtty-xml.sh $(DESTDIR)$(XMLDIR)/mtty-xml.sh

install-docs:
	$(INSTALL) -d $(DESTDIR)$(DOCDIR)
	$(if $(MTTY_DOCS),$(INSTALL) -m 644 $(MTTY_DOCS) $(DESTDIR)$(DOCDIR)/)

uninstall:
	rm -f $(DESTDIR)$(UDEVDIR)/rules.d/70-mtty.rules $(DESTDIR)$(UDEVDIR)/mtty-udev
	rm -f $(DESTDIR)$(SYSTEMDUNITDIR)/mtty.service
	rm -rf $(DESTDIR)$(PKGLIBDIR) $(DESTDIR)$(XMLDIR) $(DESTDIR)$(DOCDIR) \
		$(DESTDIR)$(DKMSSRCDIR)
	-rmdir $(DESTDIR)$(PREFIX)/share/mtty 2>/dev/null
	rm -f $(DESTDIR)$(MDEVCTL_CALLOUTDIR)/mtty $(DESTDIR)$(MDEVCTL_LIBCALLOUTDIR)/mtty
	@set -e; for f in $(DESTDIR)$(MODULEDIR)/$(if $(KVER),$(KVER),*)/updates/mtty.ko; do \
		[ -e "$$f" ] || continue; echo "rm -f $$f"; rm -f "$$f"; done
	@echo "uninstall: kept $(SYSCONFDIR)/modprobe.d/mtty.conf and the device" \
		"definitions in $(SYSCONFDIR)/mdevctl.d/mtty/ (operator data)"

UUID ?=
NAME ?=
TYPE ?= mtty-2
XMLOUT ?= build/xml
XMLARGS ?=
xml:
	@if [ -z "$(UUID)" ] || [ -z "$(NAME)" ]; then \
		echo "usage: make xml UUID=<uuid> NAME=<domain> [TYPE=mtty-1|mtty-2] [XMLOUT=dir] [XMLARGS='-v qemu ...']" >&2; \
		exit 2; fi
	libvirt-xml/mtty-xml.sh -u '$(UUID)' -n '$(NAME)' -t '$(TYPE)' -o '$(XMLOUT)' $(XMLARGS)
