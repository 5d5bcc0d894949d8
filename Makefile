# SPDX-License-Identifier: GPL-2.0
#
# make                 build clasp.ko for every supported kernel whose headers
#                      are installed, and the userspace tools
# make KVER=<uname -r> build for one kernel
# make check           set up, build, run all selftests in QEMU on every kernel
# make demo            boot a VM and show clasp at work
# make clean           remove everything the build made

SHELL := /bin/bash
REPO := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
BUILD := $(REPO)/build

# Supported kernels: Debian 12's 6.1 and its 6.12 LTS.
SUPPORTED := 6.1 6.12
find_kver = $(lastword $(sort $(notdir $(patsubst %/build,%,$(wildcard /lib/modules/$(1).*-amd64/build)))))
KVERS ?= $(strip $(foreach v,$(SUPPORTED),$(call find_kver,$(v))))
ifdef KVER
KVERS := $(KVER)
endif

SOURCES := $(wildcard $(REPO)/module/*.[ch]) $(wildcard $(REPO)/module/uapi/*.h)

.PHONY: all modules userspace selftests check check-debug demo bench clean checkpatch setup

all: modules userspace

# Each kernel gets its own build directory populated with symlinks, so the
# object files of one kernel never meet those of another.
modules: $(foreach k,$(KVERS),$(BUILD)/$(k)/clasp.ko)

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

check: setup
	$(MAKE) all selftests
	$(REPO)/scripts/check $(KVERS)

check-debug: setup
	$(MAKE) userspace selftests
	$(REPO)/scripts/check-debug

demo: all selftests
	$(REPO)/scripts/demo

bench: all selftests
	$(REPO)/scripts/bench

checkpatch:
	$(REPO)/scripts/checkpatch

clean:
	rm -rf $(BUILD)/[0-9]* $(BUILD)/vm
	$(MAKE) -C $(REPO)/userspace clean
	-$(MAKE) -C $(REPO)/selftests clean
