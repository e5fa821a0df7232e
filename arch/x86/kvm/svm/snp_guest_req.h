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

/* The inputs of one request, whatever transport carried them. */
struct snp_guest_req_args {
	u64 exit_code;		/* SVM_VMGEXIT_{,EXT_}GUEST_REQUEST */
	gpa_t req_gpa;		/* SW_EXITINFO1 */
	gpa_t resp_gpa;		/* SW_EXITINFO2 */
	u64 rax;		/* certificate buffer GPA */
	u64 rbx;		/* certificate buffer size in pages */
	bool rax_valid;
	bool rbx_valid;
};

/* The answer of a request, as the GHCB carries it back to the guest. */
struct snp_guest_req_answer {
	u64 exit_info_1;
	u64 exit_info_2;
	u64 rbx;
	bool set_rbx;		/* rbx holds the pages the certificates need */
};

/*
 * How answers reach the guest.  answer() runs once with a generic error
 * before the request is handled and once with the final answer, possibly
 * from the completion of KVM_EXIT_COCO; @cookie is what the transport passed
 * to snp_guest_req_dispatch().
 */
struct snp_guest_req_transport {
	void (*answer)(struct kvm_vcpu *vcpu, u64 cookie,
		       const struct snp_guest_req_answer *answer);
};

/*
 * The firmware backend: SNP_GUEST_REQUEST on a request page, with the
 * response written to a page from alloc_resp_page().  guest_request()
 * returns 0 or a negative errno, and sets *fw_err to the firmware status if
 * the firmware ran the command; -EBUSY without a status means the command
 * never reached the firmware.
 */
struct snp_guest_req_fw_ops {
	int (*guest_request)(struct kvm *kvm, void *req_page, void *resp_page,
			     int *fw_err);
	void *(*alloc_resp_page)(void);
	void (*free_resp_page)(void *page);
};

/* Return true if @gpa is guest memory that KVM may read, and write if @write. */
static inline bool snp_guest_req_gpa_in_memslot(struct kvm *kvm, gpa_t gpa,
						bool write)
{
	struct kvm_memory_slot *slot = gfn_to_memslot(kvm, gpa_to_gfn(gpa));

	if (!kvm_is_visible_memslot(slot))
		return false;

	return !write || !(slot->flags & KVM_MEM_READONLY);
}

#ifdef CONFIG_KVM_AMD_SNP_GUEST_REQ
int snp_guest_req_init(struct kvm *kvm);
int snp_guest_req_init_backend(struct kvm *kvm,
			       const struct snp_guest_req_fw_ops *fw);
int snp_guest_req_dispatch(struct kvm_vcpu *vcpu,
			   const struct snp_guest_req_args *args,
			   const struct snp_guest_req_transport *transport,
			   u64 cookie);
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
