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
	style modules-all help bench soak

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

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	$(MAKE) -C tools clean
	$(MAKE) -C selftests clean
	rm -rf build

help:
	@sed -n '/^## Commands/,/^## /p' README.md
