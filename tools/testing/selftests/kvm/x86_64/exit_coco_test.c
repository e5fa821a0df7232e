// SPDX-License-Identifier: GPL-2.0-only
/*
 * Test KVM_CAP_EXIT_COCO and the layout of KVM_EXIT_COCO.
 *
 * The capability and ENABLE_CAP checks need no SEV hardware: a plain VM must
 * refuse every sub-type, and every malformed KVM_ENABLE_CAP must fail on any
 * host.  The cases that need an SNP VM skip unless the host can create one.
 */
#include <errno.h>
#include <stddef.h>
#include <unistd.h>

#include <linux/kvm.h>

#include "kselftest_harness.h"
#include "kvm_util.h"
#include "test_util.h"

/* The sub-types this test knows, i.e. that KVM may report. */
#define EXIT_COCO_KNOWN_MASK	KVM_EXIT_COCO_REQ_CERTS_MASK

/* The uapi layout is ABI: catch any change at build time. */
static_assert(offsetof(struct kvm_exit_coco, nr) == 0, "nr");
static_assert(offsetof(struct kvm_exit_coco, ret) == 8, "ret");
static_assert(offsetof(struct kvm_exit_coco, req_certs.gpa) == 16, "gpa");
static_assert(offsetof(struct kvm_exit_coco, req_certs.npages) == 24, "npages");
static_assert(sizeof(struct kvm_exit_coco) == 128, "struct kvm_exit_coco");
static_assert(offsetof(struct kvm_run, coco) == offsetof(struct kvm_run, hw),
	      "coco is a member of the exit union");
static_assert(offsetof(struct kvm_run, coco) == 32, "kvm_run.coco");
static_assert(sizeof(struct kvm_run) == 2352, "struct kvm_run");

static int enable_exit_coco(struct kvm_vm *vm, __u32 flags, __u64 arg0,
			    __u64 arg1, __u64 arg2, __u64 arg3)
{
	struct kvm_enable_cap cap = {
		.cap = KVM_CAP_EXIT_COCO,
		.flags = flags,
		.args = { arg0, arg1, arg2, arg3 },
	};

	return __vm_ioctl(vm, KVM_ENABLE_CAP, &cap);
}

static int enable_exit_coco_mask(struct kvm_vm *vm, __u64 mask)
{
	return enable_exit_coco(vm, 0, mask, 0, 0, 0);
}

static void assert_einval(struct kvm_vm *vm, __u32 flags, __u64 arg0,
			  __u64 arg1, __u64 arg2, __u64 arg3)
{
	int r = enable_exit_coco(vm, flags, arg0, arg1, arg2, arg3);

	TEST_ASSERT(r == -1 && errno == EINVAL,
		    "KVM_ENABLE_CAP(flags 0x%x, args 0x%llx 0x%llx 0x%llx 0x%llx) should fail with EINVAL, got r = %d, errno = %d",
		    flags, arg0, arg1, arg2, arg3, r, errno);
}

static bool vm_type_supported(unsigned long type)
{
	return kvm_check_cap(KVM_CAP_VM_TYPES) & BIT(type);
}

/*
 * A test kernel may emulate SNP for ordinary VMs (kvm_amd.snp_emulation=1,
 * see snp_emul_test), which then support REQ_CERTS too.
 */
static bool snp_emulation_enabled(void)
{
	FILE *f = fopen("/sys/module/kvm_amd/parameters/snp_emulation", "r");
	int c;

	if (!f)
		return false;
	c = fgetc(f);
	fclose(f);
	return c == 'Y';
}

/*
 * A kernel without KVM_CAP_EXIT_COCO reports 0 and refuses every
 * KVM_ENABLE_CAP, so tell it apart by enabling the empty mask, which any VM
 * accepts.
 */
static struct kvm_vm *create_plain_vm(struct __test_metadata *_metadata)
{
	struct kvm_vm *vm = vm_create_barebones();

	if (enable_exit_coco_mask(vm, 0)) {
		kvm_vm_free(vm);
		SKIP(return NULL, "KVM_CAP_EXIT_COCO not supported by this kernel");
	}
	return vm;
}

TEST(uapi_layout)
{
	struct kvm_run run;

	/* Repeat the build-time checks so that they show up in the results. */
	TEST_ASSERT_EQ(offsetof(struct kvm_exit_coco, ret), 8);
	TEST_ASSERT_EQ(offsetof(struct kvm_exit_coco, req_certs.gpa), 16);
	TEST_ASSERT_EQ(offsetof(struct kvm_exit_coco, req_certs.npages), 24);
	TEST_ASSERT_EQ(sizeof(run.coco), 128);
	TEST_ASSERT_EQ(offsetof(struct kvm_run, coco), 32);
	TEST_ASSERT_EQ(sizeof(run), 2352);
	TEST_ASSERT_EQ(KVM_EXIT_COCO_REQ_CERTS, 0);
	TEST_ASSERT_EQ(KVM_EXIT_COCO_REQ_CERTS_MASK, 1ULL << KVM_EXIT_COCO_REQ_CERTS);
}

TEST(check_extension)
{
	struct kvm_vm *vm = create_plain_vm(_metadata);
	unsigned int supported;
	bool snp, emulated;

	if (!vm)
		return;

	supported = kvm_check_cap(KVM_CAP_EXIT_COCO);
	snp = vm_type_supported(KVM_X86_SNP_VM);
	emulated = snp_emulation_enabled();

	TEST_ASSERT(!(supported & ~EXIT_COCO_KNOWN_MASK),
		    "KVM_CHECK_EXTENSION reports unknown sub-types: 0x%x", supported);
	TEST_ASSERT(snp || emulated || !(supported & KVM_EXIT_COCO_REQ_CERTS_MASK),
		    "REQ_CERTS reported on a host that cannot create SNP VMs");
	TEST_ASSERT(!emulated || (supported & KVM_EXIT_COCO_REQ_CERTS_MASK),
		    "REQ_CERTS not reported with the emulated SNP platform");
	TEST_ASSERT_EQ(vm_check_cap(vm, KVM_CAP_EXIT_COCO), supported);

	ksft_print_msg("KVM_CAP_EXIT_COCO = 0x%x, SNP VMs %ssupported, SNP emulation %s\n",
		       supported, snp ? "" : "not ", emulated ? "on" : "off");
	kvm_vm_free(vm);
}

TEST(enable_empty_mask)
{
	struct kvm_vm *vm = create_plain_vm(_metadata);

	if (!vm)
		return;

	/* Enabling replaces the mask, so doing it again must work too. */
	TEST_ASSERT_EQ(enable_exit_coco_mask(vm, 0), 0);
	kvm_vm_free(vm);
}

TEST(invalid_subtype_bits)
{
	struct kvm_vm *vm = create_plain_vm(_metadata);
	int bit;

	if (!vm)
		return;

	for (bit = 0; bit < 64; bit++) {
		if (BIT_ULL(bit) & EXIT_COCO_KNOWN_MASK)
			continue;
		assert_einval(vm, 0, BIT_ULL(bit), 0, 0, 0);
	}
	assert_einval(vm, 0, ~EXIT_COCO_KNOWN_MASK, 0, 0, 0);
	assert_einval(vm, 0, ~0ULL, 0, 0, 0);
	kvm_vm_free(vm);
}

TEST(nonzero_flags)
{
	struct kvm_vm *vm = create_plain_vm(_metadata);
	int bit;

	if (!vm)
		return;

	for (bit = 0; bit < 32; bit++)
		assert_einval(vm, BIT(bit), 0, 0, 0, 0);
	kvm_vm_free(vm);
}

TEST(nonzero_args)
{
	struct kvm_vm *vm = create_plain_vm(_metadata);
	int bit;

	if (!vm)
		return;

	for (bit = 0; bit < 64; bit++) {
		assert_einval(vm, 0, 0, BIT_ULL(bit), 0, 0);
		assert_einval(vm, 0, 0, 0, BIT_ULL(bit), 0);
		assert_einval(vm, 0, 0, 0, 0, BIT_ULL(bit));
	}
	kvm_vm_free(vm);
}

/* Every VM type but SNP must refuse REQ_CERTS, whatever the host supports. */
TEST(req_certs_non_snp_vm)
{
	static const unsigned long types[] = {
		KVM_X86_DEFAULT_VM, KVM_X86_SW_PROTECTED_VM,
		KVM_X86_SEV_VM, KVM_X86_SEV_ES_VM,
	};
	struct kvm_vm *vm = create_plain_vm(_metadata);
	int i;

	if (!vm)
		return;
	kvm_vm_free(vm);

	for (i = 0; i < ARRAY_SIZE(types); i++) {
		if (!vm_type_supported(types[i]))
			continue;

		vm = vm_create_barebones_type(types[i]);
		assert_einval(vm, 0, KVM_EXIT_COCO_REQ_CERTS_MASK, 0, 0, 0);
		kvm_vm_free(vm);
	}
}

static void assert_ebusy_after_vcpu(struct kvm_vm *vm, __u64 mask)
{
	int vcpu_fd, r;

	vcpu_fd = __vm_ioctl(vm, KVM_CREATE_VCPU, (void *)0);
	TEST_ASSERT(vcpu_fd >= 0, KVM_IOCTL_ERROR(KVM_CREATE_VCPU, vcpu_fd));

	r = enable_exit_coco_mask(vm, mask);
	TEST_ASSERT(r == -1 && errno == EBUSY,
		    "KVM_ENABLE_CAP(0x%llx) after KVM_CREATE_VCPU should fail with EBUSY, got r = %d, errno = %d",
		    mask, r, errno);
	close(vcpu_fd);
}

TEST(enable_after_vcpu)
{
	struct kvm_vm *vm = create_plain_vm(_metadata);

	if (!vm)
		return;

	assert_ebusy_after_vcpu(vm, 0);

	/* Argument errors take precedence over the vCPU check. */
	assert_einval(vm, 0, KVM_EXIT_COCO_REQ_CERTS_MASK, 0, 0, 0);
	assert_einval(vm, 1, 0, 0, 0, 0);
	kvm_vm_free(vm);
}

/* Return an SNP VM with REQ_CERTS support, or NULL after a SKIP. */
static struct kvm_vm *create_snp_vm(struct __test_metadata *_metadata)
{
	struct kvm_vm *vm = create_plain_vm(_metadata);

	if (!vm)
		return NULL;
	kvm_vm_free(vm);

	if (!vm_type_supported(KVM_X86_SNP_VM))
		SKIP(return NULL, "SNP VMs not supported on this host");
	if (!(kvm_check_cap(KVM_CAP_EXIT_COCO) & KVM_EXIT_COCO_REQ_CERTS_MASK))
		SKIP(return NULL, "KVM_EXIT_COCO_REQ_CERTS not supported on this host");

	return vm_create_barebones_type(KVM_X86_SNP_VM);
}

TEST(snp_enable_req_certs)
{
	struct kvm_vm *vm = create_snp_vm(_metadata);

	if (!vm)
		return;

	TEST_ASSERT_EQ(enable_exit_coco_mask(vm, KVM_EXIT_COCO_REQ_CERTS_MASK), 0);
	TEST_ASSERT_EQ(enable_exit_coco_mask(vm, 0), 0);
	TEST_ASSERT_EQ(enable_exit_coco_mask(vm, KVM_EXIT_COCO_REQ_CERTS_MASK), 0);
	assert_einval(vm, 0, KVM_EXIT_COCO_REQ_CERTS_MASK | BIT_ULL(1), 0, 0, 0);
	assert_einval(vm, 1, KVM_EXIT_COCO_REQ_CERTS_MASK, 0, 0, 0);
	assert_einval(vm, 0, KVM_EXIT_COCO_REQ_CERTS_MASK, 1, 0, 0);
	assert_ebusy_after_vcpu(vm, KVM_EXIT_COCO_REQ_CERTS_MASK);
	kvm_vm_free(vm);
}

/*
 * The exit itself needs a guest that sends Extended Guest Requests: see
 * snp_emul_test, which runs one on the emulated SNP platform.
 */

int main(int argc, char *argv[])
{
	return test_harness_run(argc, argv);
}
