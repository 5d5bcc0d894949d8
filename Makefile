# SPDX-License-Identifier: GPL-2.0
#
# make                 build clasp.ko for every supported kernel whose headers
#                      are installed, and the userspace tools
# make KVER=<uname -r> build for one kernel
# make check           set up, build, run all selftests in QEMU on every kernel
# make check-tcp       the same selftests with kernel TCP as the protocol
# make check-rt        the selftests on Debian's PREEMPT_RT 6.12
# make demo            set up, build, boot a VM and show clasp at work
# make bench           set up, build, clasp against TCP in one VM
# make docs            regenerate the counter and tunable lists of
#                      Documentation/counters-and-tunables.md from the code
# make dkms-install    have DKMS build and install clasp.ko for every
#                      installed kernel, and rebuild it on kernel upgrades
# make dkms-uninstall  remove it again
# make install-dissector  the Wireshark plugin (userspace/wireshark/clasp.lua)
#                      into PLUGIN_DIR, ~/.local/lib/wireshark/plugins
#                      unless given (DESTDIR for packaging)
# make clean           remove everything the build made
#
# check, demo and bench run scripts/setup first and then call make again,
# so that the kernels setup installs are the ones they build for.

SHELL := /bin/bash
REPO := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
BUILD := $(REPO)/build

# Supported kernels: Debian 12's 6.1, its 6.12 LTS and 6.12's PREEMPT_RT
# flavour; scripts/kernels finds the installed ones (and says which).
ifndef KVERS
KVERS := $(shell $(REPO)/scripts/kernels 2>/dev/null)
endif
ifdef KVER
KVERS := $(KVER)
endif

SOURCES := $(wildcard $(REPO)/module/*.[ch]) $(wildcard $(REPO)/module/uapi/*.h)

.PHONY: all modules userspace selftests unit check check-tcp check-rt check-debug demo bench clean checkpatch setup docs \
	dkms-install dkms-uninstall \
	install-dissector uninstall-dissector

all: modules userspace

# Each kernel gets its own build directory populated with symlinks, so the
# object files of one kernel never meet those of another.
modules: $(foreach k,$(KVERS),$(BUILD)/$(k)/clasp.ko)
ifeq ($(strip $(KVERS)),)
	@echo "no kernel headers for a supported kernel (Debian's 6.1, 6.12, 6.12-rt):" >&2
	@echo "run scripts/setup, or give KVER=<uname -r> of a kernel with headers" >&2
	@exit 1
endif

# KDIR: the kernel build tree, /lib/modules/KVER/build unless given (the
# debug kernel of make check-debug has its own).
KDIR ?=
kdir = $(if $(KDIR),$(KDIR),/lib/modules/$(1)/build)

$(BUILD)/%/clasp.ko: $(SOURCES) $(REPO)/Kbuild
	@test -d $(call kdir,$*) || { echo "no headers for kernel $*" >&2; exit 1; }
	@mkdir -p $(BUILD)/$*/module/uapi
	@ln -sf $(REPO)/Kbuild $(BUILD)/$*/Kbuild
	@for f in $(SOURCES); do ln -sf $$f $(BUILD)/$*/$${f#$(REPO)/}; done
	set -o pipefail; $(MAKE) -C $(call kdir,$*) M=$(BUILD)/$* W=1 modules 2>&1 | tee $(BUILD)/$*/build.log
	@! grep -iE 'warning|error' $(BUILD)/$*/build.log || { echo "build for $* has warnings" >&2; exit 1; }

userspace:
	$(MAKE) -C $(REPO)/userspace

selftests: userspace
	$(MAKE) -C $(REPO)/selftests

setup:
	$(REPO)/scripts/setup

# The sub-make reads the kernels anew, after setup has installed them;
# scripts/check finds them itself.
check: setup
	$(MAKE) all selftests
	$(REPO)/scripts/check

check-tcp: setup
	$(MAKE) all selftests
	$(REPO)/scripts/check --tcp

check-rt: setup
	$(MAKE) all selftests
	CLASP_CHECK_TCP=0 $(REPO)/scripts/check 6.12-rt

check-debug: setup
	$(MAKE) userspace selftests
	$(REPO)/scripts/check-debug

demo: setup
	$(MAKE) all selftests
	$(REPO)/scripts/demo

bench: setup
	$(MAKE) all selftests
	$(REPO)/scripts/bench

dkms-install: setup
	$(REPO)/scripts/dkms install

dkms-uninstall:
	$(REPO)/scripts/dkms uninstall

checkpatch:
	$(REPO)/scripts/checkpatch

# The generated lists of the documentation (make check checks them).
docs:
	$(REPO)/scripts/gen-docs

# The module's pure functions in user space (scripts/check runs them too).
unit:
	$(MAKE) -C $(REPO)/unit check

# Wireshark loads Lua plugins from this personal directory without any
# configuration; a system-wide one is e.g. /usr/lib/x86_64-linux-gnu/wireshark/plugins.
PLUGIN_DIR ?= $(HOME)/.local/lib/wireshark/plugins

install-dissector:
	install -D -m 0644 $(REPO)/userspace/wireshark/clasp.lua $(DESTDIR)$(PLUGIN_DIR)/clasp.lua

uninstall-dissector:
	rm -f $(DESTDIR)$(PLUGIN_DIR)/clasp.lua

clean:
	rm -rf $(BUILD)/[0-9]* $(BUILD)/vm
	$(MAKE) -C $(REPO)/userspace clean
	$(MAKE) -C $(REPO)/unit clean
	-$(MAKE) -C $(REPO)/selftests clean
