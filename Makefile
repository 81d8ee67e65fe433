# SPDX-License-Identifier: GPL-2.0
#
# vmmgmt top-level Makefile.  README.md explains the targets; the two that
# matter are `make run` (the system in VMs, with a demonstration) and
# `make check` (every test).

# Newest installed Debian cloud kernel headers, unless KDIR is given.
KDIR ?= $(shell ls -d /usr/src/linux-headers-*-cloud-amd64 2>/dev/null | sort -V | tail -n 1)
# Kernel version the VMs run for `make run` and `make vmtest`: 6.12 or 6.1.
VM_KERNEL ?= 6.12
SCRIPTS := $(CURDIR)/scripts

.PHONY: all modules tools selftests clean setup run check vmtest kunit fuzz \
	style modules-all help bench soak install uninstall install-check deb \
	dkms-check deb-install-check

all: modules tools selftests

modules:
	@test -n "$(KDIR)" || { echo "error: no kernel headers found; run scripts/setup or set KDIR" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

tools:
	$(MAKE) -C tools

selftests:
	$(MAKE) -C selftests

# Build both modules against every supported kernel, W=1, warnings fatal.
modules-all:
	$(SCRIPTS)/build-modules

setup:
	$(SCRIPTS)/setup

run:
	$(SCRIPTS)/setup
	$(SCRIPTS)/vm-run --kernel $(VM_KERNEL) --demo $(if $(SHELL_AT_END),--shell)

vmtest:
	$(SCRIPTS)/vm-run --kernel $(VM_KERNEL) --check

kunit:
	$(SCRIPTS)/kunit

fuzz:
	$(SCRIPTS)/fuzz

style:
	$(SCRIPTS)/style

check:
	$(SCRIPTS)/setup
	$(SCRIPTS)/check

# The long host selftests (slow: not part of check): the fault soak,
# vmmgmt_restart_test for SOAK_MINUTES (default 20) on 6.12, then
# VMMGMT_SOAK_RUNS (default 10) runs of vmmgmt_neighbour_storm_test on
# 6.12 and 6.1; FIGURE soak_* lines at the end (scripts/soak).
soak:
	$(SCRIPTS)/setup
	$(SCRIPTS)/soak

# Echo figures of vmmgmt and of virtio-vsock in the same VMs (slow: not
# part of check).
bench:
	$(SCRIPTS)/setup
	$(SCRIPTS)/bench --kernel $(VM_KERNEL)

# make install: the tools, vmmgmtctl's bash completion, man pages, systemd
# unit, udev rules, sysusers.d and modules-load.d files and documentation,
# under DESTDIR and PREFIX,
# and the shipped host services as examples in DOCDIR/services (the
# administrator copies them into /etc/vmmgmt/services:
# Documentation/services.rst); the modules come through DKMS (dkms.conf;
# Documentation/install.rst).  make uninstall removes exactly these
# files, and the directories of vmmgmt's own (doc) when empty.
VERSION := $(shell cat VERSION)
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
DOCDIR ?= $(PREFIX)/share/doc/vmmgmt
# Where systemd and udev look under /usr/local too; the Debian packages
# set /lib/... (bookworm's places).
LIBDIR_SYSTEM ?= $(PREFIX)/lib
UNITDIR ?= $(LIBDIR_SYSTEM)/systemd/system
UDEVRULESDIR ?= $(LIBDIR_SYSTEM)/udev/rules.d
SYSUSERSDIR ?= $(LIBDIR_SYSTEM)/sysusers.d
MODULESLOADDIR ?= $(LIBDIR_SYSTEM)/modules-load.d
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions

MAN_PAGES := $(wildcard Documentation/man/*.[1-8])
DOCS := README.md $(wildcard Documentation/*.rst)
ABI_DOCS := $(wildcard Documentation/ABI/*/*)
SERVICES := tools/services/sha256 tools/services/calc
SERVICE_CONFS := $(SERVICES:%=%.conf)
D := $(DESTDIR)
INSTALLED := $(D)$(UNITDIR)/vmmgmtd.service \
	$(D)$(UDEVRULESDIR)/60-vmmgmt-guest.rules \
	$(D)$(UDEVRULESDIR)/60-vmmgmt-host.rules \
	$(D)$(SYSUSERSDIR)/vmmgmt.conf \
	$(D)$(MODULESLOADDIR)/vmmgmt-host.conf \
	$(D)$(BASHCOMPDIR)/vmmgmtctl \
	$(foreach m,$(MAN_PAGES),$(D)$(MANDIR)/man$(subst .,,$(suffix $(m)))/$(notdir $(m))) \
	$(foreach f,$(DOCS),$(D)$(DOCDIR)/$(notdir $(f))) \
	$(foreach f,$(ABI_DOCS),$(D)$(DOCDIR)/$(f:Documentation/%=%)) \
	$(foreach f,$(SERVICES) $(SERVICE_CONFS),$(D)$(DOCDIR)/services/$(notdir $(f)))

install:
	$(MAKE) -C tools install DESTDIR=$(DESTDIR) BINDIR=$(BINDIR) SBINDIR=$(SBINDIR)
	install -d $(D)$(UNITDIR)
	sed 's,^ExecStart=/usr/sbin/vmmgmtd,ExecStart=$(SBINDIR)/vmmgmtd,' \
		tools/vmmgmtd/vmmgmtd.service >$(D)$(UNITDIR)/vmmgmtd.service
	chmod 644 $(D)$(UNITDIR)/vmmgmtd.service
	install -D -m 644 -t $(D)$(UDEVRULESDIR) tools/system/60-vmmgmt-guest.rules \
		tools/system/60-vmmgmt-host.rules
	install -D -m 644 tools/system/vmmgmt.sysusers $(D)$(SYSUSERSDIR)/vmmgmt.conf
	install -D -m 644 tools/system/vmmgmt-host.modules-load \
		$(D)$(MODULESLOADDIR)/vmmgmt-host.conf
	install -D -m 644 tools/vmmgmtctl/vmmgmtctl.bash-completion \
		$(D)$(BASHCOMPDIR)/vmmgmtctl
	set -e; for m in $(MAN_PAGES); do \
		s=$${m##*.}; install -D -m 644 $$m $(D)$(MANDIR)/man$$s/$${m##*/}; \
	done
	install -D -m 644 -t $(D)$(DOCDIR) $(DOCS)
	set -e; for f in $(ABI_DOCS); do \
		install -D -m 644 $$f $(D)$(DOCDIR)/$${f#Documentation/}; \
	done
	install -D -m 755 -t $(D)$(DOCDIR)/services $(SERVICES)
	install -D -m 644 -t $(D)$(DOCDIR)/services $(SERVICE_CONFS)

uninstall:
	$(MAKE) -C tools uninstall DESTDIR=$(DESTDIR) BINDIR=$(BINDIR) SBINDIR=$(SBINDIR)
	rm -f $(INSTALLED)
	-rmdir $(sort $(dir $(filter $(D)$(DOCDIR)/ABI/%,$(INSTALLED)))) $(D)$(DOCDIR)/ABI \
		$(D)$(DOCDIR)/services $(D)$(DOCDIR) 2>/dev/null

# Checks of what is installed (scripts/install-check: make install and
# uninstall in a scratch DESTDIR, the man pages, the unit), of DKMS
# (scripts/dkms-check) and the Debian packages (scripts/deb: build/deb/).
install-check:
	$(SCRIPTS)/install-check

dkms-check:
	$(SCRIPTS)/dkms-check

deb:
	$(SCRIPTS)/deb

# The packages installed, checked and purged in a scratch Debian chroot
# (root; DKMS builds both modules for both kernels there).
deb-install-check:
	$(SCRIPTS)/deb-install-check

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	$(MAKE) -C tools clean
	$(MAKE) -C selftests clean
	rm -rf build

help:
	@sed -n '/^## Commands/,/^## /p' README.md
