# SPDX-License-Identifier: GPL-2.0
# Entry points of the project; the work is done by scripts/.

SHELL := /bin/bash

.PHONY: help run check kernel kunit selftests lint coverage patches bisect-check

help:
	@echo "make run        build and boot the patched kernel, run the demo"
	@echo "make check      everything that runs here; last line: N passed, N failed"
	@echo "make kernel     the patched test kernel (bzImage)"
	@echo "make kunit      the project's KUnit suites, booted in QEMU"
	@echo "make selftests  the project's and upstream regression KVM selftests in QEMU"
	@echo "make lint       checkpatch, sparse, W=1, uapi header test, docs"
	@echo "make coverage   gcov line coverage of the new code under KUnit"
	@echo "make patches    export the series (git format-patch) and check it with git am"
	@echo "make bisect-check  build and lint every step of the series"

run:
	@scripts/run.sh
check:
	@scripts/check.sh
kernel:
	@scripts/kernel.sh
kunit:
	@scripts/kunit.sh
selftests:
	@scripts/selftests.sh
lint:
	@scripts/lint.sh
coverage:
	@scripts/coverage.sh
patches:
	@scripts/patches.sh
bisect-check:
	@scripts/bisect-check.sh
