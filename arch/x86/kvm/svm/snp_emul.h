/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Emulated SEV-SNP platform for testing guest requests without SEV-SNP
 * hardware, see snp_emul.c.
 */
#ifndef __KVM_SVM_SNP_EMUL_H
#define __KVM_SVM_SNP_EMUL_H

#include <linux/kvm_host.h>

#include "svm.h"

struct kvm_snp_emul_init;
struct kvm_snp_emul_fault;
struct kvm_snp_emul_state;

#ifdef CONFIG_KVM_AMD_SNP_EMULATION
static inline bool snp_emul_vm(struct kvm *kvm)
{
	return !!to_kvm_sev_info(kvm)->snp_emul;
}

void __init snp_emul_set_cpu_caps(void);
int snp_emul_mem_enc_ioctl(struct kvm *kvm, void __user *argp);
bool snp_emul_is_vmgexit(struct kvm_vcpu *vcpu);
int snp_emul_handle_vmgexit(struct kvm_vcpu *vcpu);
void snp_emul_vm_destroy(struct kvm *kvm);

/* The software PSP, snp_emul_psp.c. */
extern const struct snp_guest_req_fw_ops snp_emul_psp_ops;
struct snp_emul *snp_emul_psp_create(const struct kvm_snp_emul_init *init);
void snp_emul_psp_destroy(struct snp_emul *emul);
int snp_emul_psp_set_fault(struct snp_emul *emul,
			   const struct kvm_snp_emul_fault *fault);
void snp_emul_psp_get_state(struct snp_emul *emul,
			    struct kvm_snp_emul_state *state);
#else
static inline bool snp_emul_vm(struct kvm *kvm) { return false; }
static inline void snp_emul_set_cpu_caps(void) {}
static inline int snp_emul_mem_enc_ioctl(struct kvm *kvm, void __user *argp)
{
	return -ENOTTY;
}

static inline bool snp_emul_is_vmgexit(struct kvm_vcpu *vcpu) { return false; }
static inline int snp_emul_handle_vmgexit(struct kvm_vcpu *vcpu) { return -EINVAL; }
static inline void snp_emul_vm_destroy(struct kvm *kvm) {}
#endif

#endif /* __KVM_SVM_SNP_EMUL_H */
