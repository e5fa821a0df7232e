# SPDX-License-Identifier: GPL-2.0
# Boot the test kernel in QEMU with an initramfs; sourced by the scripts.
#
# TCG with -cpu EPYC-Milan gives the VM a CPU with SVM and NPT, so kvm_amd
# loads inside it and KVM selftests run real (nested) guests.

QEMU_CPU=${QEMU_CPU:-EPYC-Milan}
QEMU_MEM=${QEMU_MEM:-3G}
QEMU_SMP=${QEMU_SMP:-2}
VM_TIMEOUT=${VM_TIMEOUT:-1800}

# make_initramfs OUT_CPIO_GZ TESTLIST [FILE...]: busybox, the test init, the
# test list and the given programs under /tests/bin.
make_initramfs() {
	local out=$1 list=$2 dir
	shift 2
	dir=$(mktemp -d "$BUILD/initramfs.XXXXXX")
	mkdir -p "$dir"/{bin,sbin,proc,sys,dev,tmp,tests/bin}
	cp /bin/busybox "$dir/bin/busybox"
	ln -s busybox "$dir/bin/sh"
	cp "$ROOT/tests/vm/init" "$dir/init"
	chmod +x "$dir/init"
	cp "$list" "$dir/tests/list"
	[ $# -eq 0 ] || cp "$@" "$dir/tests/bin/"
	(cd "$dir" && find . | cpio -o -H newc --quiet | gzip -1) >"$out"
	rm -rf "$dir"
}

# boot_vm NAME INITRAMFS CMDLINE...: logs go to $BUILD/vm/NAME.{console,results}.
# TCG runs single-threaded: with one host thread per vCPU, a vCPU could
# still execute a stale translation of kernel text that another vCPU was
# live-patching (an int3 of text_poke_bp() after the patch was done, seen
# as "Oops: int3" in a static-key site), a QEMU race unrelated to the kernel.
boot_vm() {
	local name=$1 initrd=$2 rc=0
	shift 2
	mkdir -p "$BUILD/vm"
	VM_CONSOLE=$BUILD/vm/$name.console
	VM_RESULTS=$BUILD/vm/$name.results
	rm -f "$VM_CONSOLE" "$VM_RESULTS"
	timeout --foreground -k 10 "$VM_TIMEOUT" \
	qemu-system-x86_64 -machine q35 -accel tcg,thread=single -cpu "$QEMU_CPU" \
		-smp "$QEMU_SMP" -m "$QEMU_MEM" -nodefaults -display none -no-reboot \
		-kernel "$KERNEL_IMAGE" -initrd "$initrd" \
		-serial "file:$VM_CONSOLE" -serial "file:$VM_RESULTS" \
		-append "console=ttyS0 ignore_loglevel panic=-1 panic_on_warn=0 no_timer_check $*" \
		</dev/null 2>"$BUILD/vm/$name.qemu" || rc=$?
	# TCG lists the EPYC-Milan features it lacks; only real errors matter.
	grep -v "TCG doesn't support requested feature" "$BUILD/vm/$name.qemu" >&2 || true
	[ $rc -ne 124 ] || note "QEMU timed out after $VM_TIMEOUT s"
	return 0
}
