// SPDX-License-Identifier: GPL-2.0-only
/*
 * Emulated SEV-SNP platform, for testing only.
 *
 * Without SEV-SNP hardware, an SNP guest cannot exist, so the guest request
 * code of snp_guest_req.c, the KVM_EXIT_COCO_REQ_CERTS exit and the VMM that
 * answers it could only be tested piecemeal.  The emulation lets an ordinary
 * VM act as an SNP guest for guest requests:
 *
 *  - The VMM opts the VM in with KVM_SNP_EMUL_INIT before creating vCPUs and
 *    hands KVM the VMPCKs.  Such a VM counts as SNP for KVM_CAP_EXIT_COCO.
 *
 *  - The guest lays out a GHCB in a page of its memory and executes VMMCALL
 *    with RAX = KVM_SNP_EMUL_HC_VMGEXIT and RBX = the page's GPA, which stands
 *    in for VMGEXIT.  Only the transport differs from hardware: the request
 *    goes through snp_guest_req_dispatch() like a GHCB request of an SNP
 *    guest, with the same validation, bounce pages, stats, tracepoint and
 *    KVM_EXIT_COCO flow.
 *
 *  - Firmware commands go to the software PSP of snp_emul_psp.c.
 *
 * The option is test-only, and the module parameter kvm_amd.snp_emulation
 * must enable it as well.
 */
#include <linux/kvm_host.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include <uapi/linux/kvm_snp_emul.h>

#include <asm/sev.h>

#include "x86.h"
#include "svm.h"
#include "snp_guest_req.h"
#include "snp_emul.h"

static bool snp_emulation;
module_param(snp_emulation, bool, 0444);
MODULE_PARM_DESC(snp_emulation,
		 "Emulate SEV-SNP guest requests for testing (never in production)");

void __init snp_emul_set_cpu_caps(void)
{
	if (snp_emulation)
		kvm_caps.supported_coco_exits |= KVM_EXIT_COCO_REQ_CERTS_MASK;
}

/* The answer of the emulated VMGEXIT goes into the GHCB page at @cookie. */
static void snp_emul_answer(struct kvm_vcpu *vcpu, u64 cookie,
			    const struct snp_guest_req_answer *answer)
{
	struct kvm *kvm = vcpu->kvm;
	gpa_t ghcb_gpa = cookie;

	/* snp_emul_handle_vmgexit() checked that the page is writable. */
	kvm_write_guest(kvm, ghcb_gpa + offsetof(struct ghcb, save.sw_exit_info_1),
			&answer->exit_info_1, sizeof(answer->exit_info_1));
	kvm_write_guest(kvm, ghcb_gpa + offsetof(struct ghcb, save.sw_exit_info_2),
			&answer->exit_info_2, sizeof(answer->exit_info_2));
	if (answer->set_rbx)
		kvm_write_guest(kvm, ghcb_gpa + offsetof(struct ghcb, save.rbx),
				&answer->rbx, sizeof(answer->rbx));
}

static const struct snp_guest_req_transport snp_emul_transport = {
	.answer = snp_emul_answer,
};

bool snp_emul_is_vmgexit(struct kvm_vcpu *vcpu)
{
	return snp_emul_vm(vcpu->kvm) &&
	       kvm_rax_read(vcpu) == KVM_SNP_EMUL_HC_VMGEXIT &&
	       !kvm_x86_call(get_cpl)(vcpu);
}

static void snp_emul_ghcb_error(struct kvm_vcpu *vcpu, gpa_t ghcb_gpa, u64 error)
{
	struct snp_guest_req_answer answer = {
		.exit_info_1 = SNP_GUEST_REQ_GHCB_ERROR,
		.exit_info_2 = error,
	};

	snp_emul_answer(vcpu, ghcb_gpa, &answer);
}

/*
 * Check the GHCB the way sev_es_validate_vmgexit() does for the events the
 * emulation implements.  Return 0 or the GHCB error for the guest.
 */
static u64 snp_emul_check_ghcb(struct ghcb *ghcb)
{
	u64 exit_code;

	if (ghcb->ghcb_usage != GHCB_DEFAULT_USAGE)
		return GHCB_ERR_INVALID_USAGE;

	if (!ghcb_sw_exit_code_is_valid(ghcb) ||
	    !ghcb_sw_exit_info_1_is_valid(ghcb) ||
	    !ghcb_sw_exit_info_2_is_valid(ghcb))
		return GHCB_ERR_MISSING_INPUT;

	exit_code = ghcb_get_sw_exit_code(ghcb);
	if (exit_code != SVM_VMGEXIT_GUEST_REQUEST &&
	    exit_code != SVM_VMGEXIT_EXT_GUEST_REQUEST)
		return GHCB_ERR_INVALID_EVENT;

	return 0;
}

static int snp_emul_dispatch(struct kvm_vcpu *vcpu, gpa_t ghcb_gpa,
			     struct ghcb *ghcb)
{
	struct snp_guest_req_args args;
	u64 error;

	error = snp_emul_check_ghcb(ghcb);
	if (error) {
		snp_emul_ghcb_error(vcpu, ghcb_gpa, error);
		return 1; /* resume guest */
	}

	args = (struct snp_guest_req_args) {
		.exit_code = ghcb_get_sw_exit_code(ghcb),
		.req_gpa = ghcb_get_sw_exit_info_1(ghcb),
		.resp_gpa = ghcb_get_sw_exit_info_2(ghcb),
		.rax = ghcb_get_rax(ghcb),
		.rbx = ghcb_get_rbx(ghcb),
		.rax_valid = ghcb_rax_is_valid(ghcb),
		.rbx_valid = ghcb_rbx_is_valid(ghcb),
	};

	return snp_guest_req_dispatch(vcpu, &args, &snp_emul_transport, ghcb_gpa);
}

static bool snp_emul_ghcb_is_usable(struct kvm *kvm, gpa_t gpa)
{
	return PAGE_ALIGNED(gpa) && snp_guest_req_gpa_in_memslot(kvm, gpa, true);
}

static int __snp_emul_handle_vmgexit(struct kvm_vcpu *vcpu, gpa_t ghcb_gpa)
{
	struct ghcb *ghcb;
	int ret;

	if (!snp_emul_ghcb_is_usable(vcpu->kvm, ghcb_gpa)) {
		kvm_rax_write(vcpu, KVM_SNP_EMUL_HC_BAD_GHCB);
		return 1; /* resume guest */
	}
	kvm_rax_write(vcpu, 0);

	/* One copy of the GHCB, as sev_es_sync_from_ghcb() takes on hardware. */
	ghcb = kmalloc(sizeof(*ghcb), GFP_KERNEL_ACCOUNT);
	if (!ghcb)
		return -ENOMEM;

	if (kvm_read_guest(vcpu->kvm, ghcb_gpa, ghcb, sizeof(*ghcb))) {
		kvm_rax_write(vcpu, KVM_SNP_EMUL_HC_BAD_GHCB);
		ret = 1; /* resume guest */
		goto out_free;
	}

	ret = snp_emul_dispatch(vcpu, ghcb_gpa, ghcb);

out_free:
	kfree(ghcb);
	return ret;
}

int snp_emul_handle_vmgexit(struct kvm_vcpu *vcpu)
{
	gpa_t ghcb_gpa = kvm_rbx_read(vcpu);
	int skip, ret;

	/*
	 * Step over VMMCALL first: if the request exits to userspace, the
	 * guest resumes after the completion, at the next instruction.  A
	 * single-step exit is reported only if the request resumes the guest.
	 */
	skip = kvm_skip_emulated_instruction(vcpu);

	ret = __snp_emul_handle_vmgexit(vcpu, ghcb_gpa);
	return ret == 1 ? skip : ret;
}

static int snp_emul_init(struct kvm *kvm, void __user *data)
{
	struct kvm_sev_info *sev = to_kvm_sev_info(kvm);
	struct kvm_snp_emul_init init;
	struct snp_emul *emul;
	int r;

	if (copy_from_user(&init, data, sizeof(init)))
		return -EFAULT;

	if (init.flags || memchr_inv(init.reserved, 0, sizeof(init.reserved)))
		return -EINVAL;

	/* An ordinary VM only: real SEV VMs have their own firmware context. */
	if (kvm->arch.vm_type != KVM_X86_DEFAULT_VM || sev->snp_emul)
		return -EINVAL;

	/* vCPUs read sev->snp_emul and kvm->arch.coco_exits without a lock. */
	if (kvm->created_vcpus)
		return -EBUSY;

	emul = snp_emul_psp_create(&init);
	memzero_explicit(&init, sizeof(init));
	if (IS_ERR(emul))
		return PTR_ERR(emul);

	sev->snp_emul = emul;
	r = snp_guest_req_init_backend(kvm, &snp_emul_psp_ops);
	if (r) {
		sev->snp_emul = NULL;
		snp_emul_psp_destroy(emul);
	}
	return r;
}

static int snp_emul_get_state(struct kvm *kvm, void __user *data)
{
	struct kvm_snp_emul_state state;

	snp_emul_psp_get_state(to_kvm_sev_info(kvm)->snp_emul, &state);
	return copy_to_user(data, &state, sizeof(state)) ? -EFAULT : 0;
}

static int snp_emul_set_fault(struct kvm *kvm, void __user *data)
{
	struct kvm_snp_emul_fault fault;

	if (copy_from_user(&fault, data, sizeof(fault)))
		return -EFAULT;

	return snp_emul_psp_set_fault(to_kvm_sev_info(kvm)->snp_emul, &fault);
}

static int __snp_emul_mem_enc_ioctl(struct kvm *kvm, u32 id, void __user *data)
{
	lockdep_assert_held(&kvm->lock);

	if (id == KVM_SNP_EMUL_INIT)
		return snp_emul_init(kvm, data);

	if (!snp_emul_vm(kvm))
		return -EINVAL;

	if (id == KVM_SNP_EMUL_SET_FAULT)
		return snp_emul_set_fault(kvm, data);

	return snp_emul_get_state(kvm, data);
}

/*
 * The KVM_SNP_EMUL_* commands of KVM_MEMORY_ENCRYPT_OP.  Return -ENOTTY for
 * every other command, which sev_mem_enc_ioctl() then handles.
 */
int snp_emul_mem_enc_ioctl(struct kvm *kvm, void __user *argp)
{
	struct kvm_sev_cmd cmd;
	int r;

	if (!snp_emulation || !argp)
		return -ENOTTY;

	if (copy_from_user(&cmd, argp, sizeof(cmd)))
		return -EFAULT;

	if (cmd.id != KVM_SNP_EMUL_INIT && cmd.id != KVM_SNP_EMUL_SET_FAULT &&
	    cmd.id != KVM_SNP_EMUL_GET_STATE)
		return -ENOTTY;

	mutex_lock(&kvm->lock);
	r = __snp_emul_mem_enc_ioctl(kvm, cmd.id, u64_to_user_ptr(cmd.data));
	mutex_unlock(&kvm->lock);

	return r;
}

void snp_emul_vm_destroy(struct kvm *kvm)
{
	struct kvm_sev_info *sev = to_kvm_sev_info(kvm);

	if (!sev->snp_emul)
		return;

	snp_guest_req_cleanup(kvm);
	snp_emul_psp_destroy(sev->snp_emul);
	sev->snp_emul = NULL;
}
