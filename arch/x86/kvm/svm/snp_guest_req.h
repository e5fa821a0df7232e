/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * SEV-SNP Guest Request and Extended Guest Request NAE events, see
 * snp_guest_req.c.
 */
#ifndef __KVM_SVM_SNP_GUEST_REQ_H
#define __KVM_SVM_SNP_GUEST_REQ_H

#include <linux/kvm_host.h>

#include <asm/sev-common.h>

#include "svm.h"

/*
 * SW_EXITINFO1 value that tells the guest that SW_EXITINFO2 holds one of the
 * GHCB_ERR_* codes instead of a result.
 */
#define SNP_GUEST_REQ_GHCB_ERROR	2

/* How a request ended, for the binary stats and the tracepoint. */
enum snp_guest_req_result {
	SNP_GUEST_REQ_OK,		/* firmware status 0, response copied */
	SNP_GUEST_REQ_FW_ERR,		/* firmware status != 0, no response */
	SNP_GUEST_REQ_BUSY,		/* message not sent, guest retries */
	SNP_GUEST_REQ_INVALID,		/* malformed input, GHCB error */
	SNP_GUEST_REQ_HOST_ERR,		/* host failure, generic VMM error */
	SNP_GUEST_REQ_INVALID_LEN,	/* cert buffer too small, not sent */
};

#ifdef CONFIG_KVM_AMD_SNP_GUEST_REQ
int snp_guest_req_init(struct kvm *kvm);
void snp_guest_req_cleanup(struct kvm *kvm);
int snp_handle_guest_req(struct vcpu_svm *svm, u64 exit_code);
void snp_guest_req_free_vcpu(struct vcpu_svm *svm);
#else
static inline int snp_guest_req_init(struct kvm *kvm) { return 0; }
static inline void snp_guest_req_cleanup(struct kvm *kvm) {}
static inline void snp_guest_req_free_vcpu(struct vcpu_svm *svm) {}

/*
 * Without CONFIG_KVM_AMD_SNP_GUEST_REQ, KVM does not implement the events:
 * answer them like any other unsupported NAE event.
 */
static inline int snp_handle_guest_req(struct vcpu_svm *svm, u64 exit_code)
{
	ghcb_set_sw_exit_info_1(svm->sev_es.ghcb, SNP_GUEST_REQ_GHCB_ERROR);
	ghcb_set_sw_exit_info_2(svm->sev_es.ghcb, GHCB_ERR_INVALID_EVENT);
	return 1; /* resume guest */
}
#endif

#endif /* __KVM_SVM_SNP_GUEST_REQ_H */
