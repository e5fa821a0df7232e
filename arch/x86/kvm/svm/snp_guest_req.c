// SPDX-License-Identifier: GPL-2.0-only
/*
 * SEV-SNP Guest Request and Extended Guest Request NAE events.
 *
 * The guest hands KVM the GPAs of a request page and a response page, both
 * shared with the host.  The request is a message encrypted with a VMPCK that
 * only the guest and the PSP know; KVM forwards it with SNP_GUEST_REQUEST and
 * returns the PSP's response.
 *
 * Guest pages are never handed to firmware.  Firmware must not be pointed at
 * memory the guest can change (or convert to private) while the command runs,
 * and firmware may only write pages in the Firmware state of the RMP.  So the
 * request is copied into a kernel page and the response comes back through a
 * per-VM Firmware page, see "Page States" in the SEV-SNP Firmware ABI and
 * "RMP and VMPL Access Checks" in the APM.
 *
 * Rules, each one closing a hole of the original implementation:
 *
 *  - The request page is read exactly once, into a per-request snapshot, and
 *    every decision (msg_type included) uses the snapshot, which is also what
 *    firmware receives.
 *
 *  - SW_EXITINFO2 holds a defined error from the start of the request until
 *    the final answer is written, so a request that fails on the host side,
 *    including with an error returned from KVM_RUN, never reads as success.
 *
 *  - The response is copied to the guest only if firmware reported success,
 *    i.e. only if firmware wrote this request's response.  The Firmware page
 *    cannot be cleared by the host (host writes to it fault), so "copy only
 *    on success" is what keeps stale responses away from the guest.
 *
 *  - VMM errors that ask the guest to resend the same message (BUSY, and
 *    INVALID_LEN from userspace's KVM_EXIT_COCO_REQ_CERTS answer) are only
 *    answered while the message has not reached firmware: firmware accepts a
 *    message sequence number once.
 *
 *  - Malformed input gets SW_EXITINFO1 = 2 and SW_EXITINFO2 = a GHCB error:
 *    GHCB_ERR_MISSING_INPUT if a required field is not marked valid in the
 *    GHCB, GHCB_ERR_INVALID_INPUT if it is present but has a bad value.
 */
#include <linux/kvm_host.h>
#include <linux/mutex.h>
#include <linux/overflow.h>
#include <linux/psp.h>
#include <linux/psp-sev.h>
#include <linux/sizes.h>

#include <kunit/static_stub.h>
#include <uapi/linux/sev-guest.h>

#include <asm/sev.h>

#include "x86.h"
#include "svm.h"
#include "snp_guest_req.h"

#define CREATE_TRACE_POINTS
#include "snp_guest_req_trace.h"

#ifndef SNP_GUEST_VMM_ERR_GENERIC
#define SNP_GUEST_VMM_ERR_GENERIC	((u32)~0U)
#endif

/* Answer for host failures: the guest must not trust the response page. */
#define SNP_GUEST_REQ_ERR_GENERIC	SNP_GUEST_ERR(SNP_GUEST_VMM_ERR_GENERIC, 0)

/*
 * A certificate table entry is a GUID, an offset and a length; an entry of
 * all zeroes terminates the table, so an empty table is a single such entry.
 */
#define SNP_CERT_TABLE_ENTRY_SIZE	24

/*
 * Largest certificate buffer a guest may offer.  A certificate chain plus CRL
 * needs a few dozen KiB (Linux guests accept 16 KiB), so anything larger is
 * a guest bug, and the cap keeps gpa + size far from overflowing.
 */
#define SNP_GUEST_REQ_CERTS_MAX_NPAGES	(SZ_16M >> PAGE_SHIFT)

/* Per-VM state, owned by struct kvm_sev_info.guest_req. */
struct snp_guest_req_ctx {
	struct kvm *kvm;
	struct kvm_vm_stat *stat;

	/*
	 * Serializes use of resp_page by the vCPUs of the VM.  The PSP driver
	 * serializes all firmware commands host-wide on top of this.
	 */
	struct mutex lock;
	void *resp_page;	/* Firmware page for SNP_GUEST_REQUEST */

	const struct snp_guest_req_fw_ops *fw;
};

/* One request, from the GHCB fields to the answer. */
struct snp_guest_req {
	/* Inputs, as synced from the GHCB. */
	gpa_t req_gpa;			/* SW_EXITINFO1 */
	gpa_t resp_gpa;			/* SW_EXITINFO2 */
	gpa_t certs_gpa;		/* RAX */
	u64 certs_npages;		/* RBX */
	bool certs_gpa_valid;
	bool certs_npages_valid;
	bool ext;
	bool certs_exit;		/* userspace provides the certificates */
	unsigned int vcpu_id;

	/* Where the answer goes, see snp_guest_req_set_answer(). */
	const struct snp_guest_req_transport *transport;
	u64 cookie;

	/* Snapshot of the request page, what firmware receives. */
	struct snp_guest_msg *msg;
	u8 msg_type;

	/* Answer. */
	enum snp_guest_req_result result;
	u32 fw_err;
	u64 exit_info_1;
	u64 exit_info_2;
};

/* SNP_GUEST_REQUEST through the PSP driver, the backend on SNP hardware. */
static int snp_guest_req_psp_request(struct kvm *kvm, void *req_page,
				     void *resp_page, int *fw_err)
{
	struct kvm_sev_info *sev = to_kvm_sev_info(kvm);
	struct sev_data_snp_guest_request data;

	if (!sev->snp_context)
		return -ENXIO;

	data.gctx_paddr = __psp_pa(sev->snp_context);
	data.req_paddr = __psp_pa(req_page);
	data.res_paddr = __psp_pa(resp_page);

	/*
	 * Use the PSP driver directly rather than the VMM's /dev/sev fd: the
	 * guest context was authorized when it was created, and a guest request
	 * must not depend on what the VMM's fd table holds at this moment.
	 */
	return sev_do_cmd(SEV_CMD_SNP_GUEST_REQUEST, &data, fw_err);
}

static void *snp_guest_req_psp_alloc_page(void)
{
	return snp_alloc_firmware_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
}

static const struct snp_guest_req_fw_ops snp_guest_req_psp_ops = {
	.guest_request = snp_guest_req_psp_request,
	.alloc_resp_page = snp_guest_req_psp_alloc_page,
	.free_resp_page = snp_free_firmware_page,
};

/*
 * Seams to firmware, page allocation and guest memory.  Each is redirected
 * by the KUnit suite (KUNIT_STATIC_STUB_REDIRECT() is a no-op outside of a
 * running test).
 */
static int snp_guest_req_issue_fw(struct snp_guest_req_ctx *ctx, void *req_page,
				  void *resp_page, int *fw_err)
{
	KUNIT_STATIC_STUB_REDIRECT(snp_guest_req_issue_fw, ctx, req_page,
				   resp_page, fw_err);

	return ctx->fw->guest_request(ctx->kvm, req_page, resp_page, fw_err);
}

static void *snp_guest_req_alloc_fw_page(const struct snp_guest_req_fw_ops *fw)
{
	KUNIT_STATIC_STUB_REDIRECT(snp_guest_req_alloc_fw_page, fw);

	return fw->alloc_resp_page();
}

static void snp_guest_req_free_fw_page(const struct snp_guest_req_fw_ops *fw,
				       void *page)
{
	KUNIT_STATIC_STUB_REDIRECT(snp_guest_req_free_fw_page, fw, page);

	fw->free_resp_page(page);
}

static void *snp_guest_req_alloc_msg(void)
{
	KUNIT_STATIC_STUB_REDIRECT(snp_guest_req_alloc_msg);

	return (void *)__get_free_page(GFP_KERNEL_ACCOUNT);
}

static void snp_guest_req_free_msg(void *msg)
{
	KUNIT_STATIC_STUB_REDIRECT(snp_guest_req_free_msg, msg);

	free_page((unsigned long)msg);
}

/* The copy of a request that waits for userspace in the vCPU. */
static struct snp_guest_req *snp_guest_req_dup(const struct snp_guest_req *req)
{
	KUNIT_STATIC_STUB_REDIRECT(snp_guest_req_dup, req);

	return kmemdup(req, sizeof(*req), GFP_KERNEL_ACCOUNT);
}

static void snp_guest_req_free(struct snp_guest_req *req)
{
	KUNIT_STATIC_STUB_REDIRECT(snp_guest_req_free, req);

	kfree(req);
}

static bool snp_guest_req_gpa_is_mapped(struct snp_guest_req_ctx *ctx,
					gpa_t gpa, bool write)
{
	KUNIT_STATIC_STUB_REDIRECT(snp_guest_req_gpa_is_mapped, ctx, gpa, write);

	return snp_guest_req_gpa_in_memslot(ctx->kvm, gpa, write);
}

static int snp_guest_req_read_guest(struct snp_guest_req_ctx *ctx, gpa_t gpa,
				    void *data, unsigned long len)
{
	KUNIT_STATIC_STUB_REDIRECT(snp_guest_req_read_guest, ctx, gpa, data, len);

	return kvm_read_guest(ctx->kvm, gpa, data, len);
}

static int snp_guest_req_write_guest(struct snp_guest_req_ctx *ctx, gpa_t gpa,
				     const void *data, unsigned long len)
{
	KUNIT_STATIC_STUB_REDIRECT(snp_guest_req_write_guest, ctx, gpa, data, len);

	return kvm_write_guest(ctx->kvm, gpa, data, len);
}

static struct snp_guest_req_ctx *
snp_guest_req_ctx_create(struct kvm *kvm, struct kvm_vm_stat *stat,
			 const struct snp_guest_req_fw_ops *fw)
{
	struct snp_guest_req_ctx *ctx;

	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL_ACCOUNT);
	if (!ctx)
		return ERR_PTR(-ENOMEM);

	/*
	 * Allocate the Firmware page only after SNP firmware initialization,
	 * i.e. from KVM_SEV_INIT2, so that it is transitioned in the RMP.
	 */
	ctx->resp_page = snp_guest_req_alloc_fw_page(fw);
	if (!ctx->resp_page) {
		kfree(ctx);
		return ERR_PTR(-EIO);
	}

	ctx->kvm = kvm;
	ctx->stat = stat;
	ctx->fw = fw;
	mutex_init(&ctx->lock);
	return ctx;
}

static void snp_guest_req_ctx_destroy(struct snp_guest_req_ctx *ctx)
{
	if (!ctx)
		return;

	mutex_destroy(&ctx->lock);
	snp_guest_req_free_fw_page(ctx->fw, ctx->resp_page);
	kfree(ctx);
}

static void snp_guest_req_set_ghcb_err(struct snp_guest_req *req, u64 ghcb_err)
{
	req->result = SNP_GUEST_REQ_INVALID;
	req->exit_info_1 = SNP_GUEST_REQ_GHCB_ERROR;
	req->exit_info_2 = ghcb_err;
}

static bool snp_guest_req_gpas_are_valid(struct snp_guest_req_ctx *ctx,
					 struct snp_guest_req *req)
{
	if (!PAGE_ALIGNED(req->req_gpa) || !PAGE_ALIGNED(req->resp_gpa) ||
	    req->req_gpa == req->resp_gpa)
		return false;

	/*
	 * Check the response page up front: once firmware has consumed the
	 * message, failing to deliver the response costs the guest its VMPCK.
	 */
	return snp_guest_req_gpa_is_mapped(ctx, req->req_gpa, false) &&
	       snp_guest_req_gpa_is_mapped(ctx, req->resp_gpa, true);
}

/* Return 0 if RAX/RBX describe a usable certificate buffer, else a GHCB error. */
static u64 snp_guest_req_check_certs(struct snp_guest_req *req)
{
	gpa_t end;

	if (!req->certs_gpa_valid || !req->certs_npages_valid)
		return GHCB_ERR_MISSING_INPUT;

	if (!PAGE_ALIGNED(req->certs_gpa) ||
	    req->certs_npages > SNP_GUEST_REQ_CERTS_MAX_NPAGES ||
	    check_add_overflow(req->certs_gpa, req->certs_npages << PAGE_SHIFT, &end))
		return GHCB_ERR_INVALID_INPUT;

	return 0;
}

static bool snp_guest_req_has_certs(const struct snp_guest_req *req)
{
	return req->ext && req->msg_type == SNP_MSG_REPORT_REQ;
}

/*
 * Without a VMM that provides certificates, KVM has none to offer: write an
 * empty table (GHCB spec, "SNP Extended Guest Request").
 */
static int snp_guest_req_write_empty_certs(struct snp_guest_req_ctx *ctx,
					   struct snp_guest_req *req)
{
	static const u8 empty_table[SNP_CERT_TABLE_ENTRY_SIZE];

	if (!req->certs_npages)
		return 0;

	if (snp_guest_req_write_guest(ctx, req->certs_gpa, empty_table,
				      sizeof(empty_table))) {
		snp_guest_req_set_ghcb_err(req, GHCB_ERR_INVALID_INPUT);
		return 1; /* resume guest */
	}

	return 0;
}

/*
 * Validate the request and take the snapshot.  Return 0 if the request is
 * ready for firmware, 1 if it has been answered already, or a negative errno.
 */
static int snp_guest_req_prepare(struct snp_guest_req_ctx *ctx,
				 struct snp_guest_req *req)
{
	u64 ghcb_err;

	if (!snp_guest_req_gpas_are_valid(ctx, req)) {
		snp_guest_req_set_ghcb_err(req, GHCB_ERR_INVALID_INPUT);
		return 1; /* resume guest */
	}

	req->msg = snp_guest_req_alloc_msg();
	if (!req->msg)
		return -ENOMEM;

	/* The only read of the request page, see the rules at the top. */
	if (snp_guest_req_read_guest(ctx, req->req_gpa, req->msg, PAGE_SIZE)) {
		snp_guest_req_set_ghcb_err(req, GHCB_ERR_INVALID_INPUT);
		return 1; /* resume guest */
	}
	req->msg_type = req->msg->hdr.msg_type;

	/*
	 * Only REPORT_REQ carries certificates: any other message in an
	 * Extended Guest Request is a plain Guest Request, for which RAX and
	 * RBX mean nothing and are not checked.
	 */
	if (!snp_guest_req_has_certs(req))
		return 0;

	ghcb_err = snp_guest_req_check_certs(req);
	if (ghcb_err) {
		snp_guest_req_set_ghcb_err(req, ghcb_err);
		return 1; /* resume guest */
	}

	return 0;
}

static int __snp_guest_req_send(struct snp_guest_req_ctx *ctx,
				struct snp_guest_req *req)
{
	int fw_err = 0;
	int ret;

	lockdep_assert_held(&ctx->lock);

	/* The PSP driver leaves fw_err untouched if it never ran the command. */
	ret = snp_guest_req_issue_fw(ctx, req->msg, ctx->resp_page, &fw_err);
	req->fw_err = fw_err;

	/* Firmware consumed the message: the guest gets its status, no response. */
	if (fw_err) {
		req->result = SNP_GUEST_REQ_FW_ERR;
		req->exit_info_2 = SNP_GUEST_ERR(0, fw_err);
		return 1; /* resume guest */
	}

	/* The PSP driver rejected the command before firmware saw it. */
	if (ret == -EBUSY) {
		req->result = SNP_GUEST_REQ_BUSY;
		req->exit_info_2 = SNP_GUEST_ERR(SNP_GUEST_VMM_ERR_BUSY, 0);
		return 1; /* resume guest */
	}

	/* No status at all (e.g. timeout): fail KVM_RUN, keep the generic error. */
	if (ret)
		return -EIO;

	/*
	 * The message is consumed, so the guest cannot resend it; if the
	 * response cannot be delivered (the VMM removed the memslot since the
	 * check), the generic error makes the guest drop the VMPCK.
	 */
	if (snp_guest_req_write_guest(ctx, req->resp_gpa, ctx->resp_page, PAGE_SIZE))
		return 1; /* resume guest */

	req->result = SNP_GUEST_REQ_OK;
	req->exit_info_2 = SNP_GUEST_ERR(0, 0);
	return 1; /* resume guest */
}

static int snp_guest_req_send(struct snp_guest_req_ctx *ctx,
			      struct snp_guest_req *req)
{
	int ret;

	mutex_lock(&ctx->lock);
	ret = __snp_guest_req_send(ctx, req);
	mutex_unlock(&ctx->lock);

	return ret;
}

static void snp_guest_req_account(struct snp_guest_req_ctx *ctx,
				  struct snp_guest_req *req)
{
	struct kvm_vm_stat *stat = ctx->stat;

	atomic64_inc(req->ext ? &stat->snp_ext_guest_req : &stat->snp_guest_req);

	switch (req->result) {
	case SNP_GUEST_REQ_OK:
		break;
	case SNP_GUEST_REQ_FW_ERR:
		atomic64_inc(&stat->snp_guest_req_fw_err);
		break;
	case SNP_GUEST_REQ_BUSY:
		atomic64_inc(&stat->snp_guest_req_busy);
		break;
	case SNP_GUEST_REQ_INVALID:
		atomic64_inc(&stat->snp_guest_req_invalid);
		break;
	case SNP_GUEST_REQ_HOST_ERR:
		atomic64_inc(&stat->snp_guest_req_host_err);
		break;
	case SNP_GUEST_REQ_INVALID_LEN:
		atomic64_inc(&stat->snp_guest_req_invalid_len);
		break;
	}

	trace_kvm_snp_guest_req(req->vcpu_id, req->ext, req->msg_type,
				req->result, req->fw_err, req->exit_info_2);
}

/* Release the snapshot and account the request: once per request. */
static void snp_guest_req_finish(struct snp_guest_req_ctx *ctx,
				 struct snp_guest_req *req)
{
	snp_guest_req_free_msg(req->msg);
	req->msg = NULL;

	snp_guest_req_account(ctx, req);
}

/*
 * Handle one request.  Return 1 to resume the guest or a negative errno for
 * KVM_RUN; either way req->exit_info_{1,2} hold the answer for the guest and
 * the request is finished.  Return 0 if userspace must provide the
 * certificates first: the request then still holds its snapshot and goes on
 * with snp_guest_req_complete().
 */
static int snp_guest_req_process(struct snp_guest_req_ctx *ctx,
				 struct snp_guest_req *req)
{
	int ret;

	req->msg = NULL;
	req->msg_type = SNP_MSG_TYPE_INVALID;
	req->fw_err = 0;
	req->result = SNP_GUEST_REQ_HOST_ERR;
	req->exit_info_1 = 0;
	req->exit_info_2 = SNP_GUEST_REQ_ERR_GENERIC;

	ret = snp_guest_req_prepare(ctx, req);
	if (!ret && snp_guest_req_has_certs(req)) {
		if (req->certs_exit)
			return 0; /* exit to userspace */

		ret = snp_guest_req_write_empty_certs(ctx, req);
	}
	if (!ret)
		ret = snp_guest_req_send(ctx, req);

	snp_guest_req_finish(ctx, req);
	return ret;
}

/*
 * The certificates do not fit: tell the guest how many pages they need, which
 * must be more than it offered and no more than it may offer.
 */
static int snp_guest_req_set_invalid_len(struct snp_guest_req *req, u64 npages)
{
	if (npages <= req->certs_npages || npages > SNP_GUEST_REQ_CERTS_MAX_NPAGES)
		return -EINVAL;

	req->certs_npages = npages;
	req->result = SNP_GUEST_REQ_INVALID_LEN;
	req->exit_info_2 = SNP_GUEST_ERR(SNP_GUEST_VMM_ERR_INVALID_LEN, 0);
	return 1; /* resume guest */
}

/*
 * Go on with a request after KVM_EXIT_COCO_REQ_CERTS, with userspace's answer
 * in @coco (see KVM_EXIT_COCO in Documentation/virt/kvm/api.rst).  Userspace
 * can write kvm_run at any time: read each input once, and nothing else.
 * Only ret = 0 sends the message; the other answers ask the guest to resend
 * it or give up, so firmware must not consume its sequence number.
 */
static int snp_guest_req_complete(struct snp_guest_req_ctx *ctx,
				  struct snp_guest_req *req,
				  const struct kvm_exit_coco *coco)
{
	u64 npages;
	int ret = 1;

	switch (READ_ONCE(coco->ret)) {
	case 0:
		ret = snp_guest_req_send(ctx, req);
		break;
	case ENOSPC:
		npages = READ_ONCE(coco->req_certs.npages);
		ret = snp_guest_req_set_invalid_len(req, npages);
		break;
	case EAGAIN:
		req->result = SNP_GUEST_REQ_BUSY;
		req->exit_info_2 = SNP_GUEST_ERR(SNP_GUEST_VMM_ERR_BUSY, 0);
		break;
	case EIO:
		/* The generic error is in req->exit_info_2 already. */
		break;
	default:
		ret = -EINVAL;
		break;
	}

	snp_guest_req_finish(ctx, req);
	return ret;
}

static void snp_guest_req_set_answer(struct kvm_vcpu *vcpu,
				     const struct snp_guest_req *req)
{
	struct snp_guest_req_answer answer = {
		.exit_info_1 = req->exit_info_1,
		.exit_info_2 = req->exit_info_2,
		.set_rbx = req->result == SNP_GUEST_REQ_INVALID_LEN,
		.rbx = req->certs_npages,
	};

	req->transport->answer(vcpu, req->cookie, &answer);
}

static int snp_guest_req_complete_certs(struct kvm_vcpu *vcpu)
{
	struct vcpu_svm *svm = to_svm(vcpu);
	struct snp_guest_req_ctx *ctx = to_kvm_sev_info(vcpu->kvm)->guest_req;
	struct snp_guest_req *req = svm->sev_es.snp_guest_req;
	int ret;

	if (WARN_ON_ONCE(!req))
		return -EIO;

	svm->sev_es.snp_guest_req = NULL;

	ret = snp_guest_req_complete(ctx, req, &vcpu->run->coco);
	snp_guest_req_set_answer(vcpu, req);
	snp_guest_req_free(req);
	return ret;
}

/*
 * Keep the request in the vCPU and ask userspace for the certificates.  No
 * lock is held: the snapshot belongs to the request.
 */
static int snp_guest_req_exit_certs(struct vcpu_svm *svm,
				    struct snp_guest_req_ctx *ctx,
				    struct snp_guest_req *req)
{
	struct kvm_vcpu *vcpu = &svm->vcpu;
	struct kvm_run *run = vcpu->run;
	struct snp_guest_req *pending;

	pending = snp_guest_req_dup(req);
	if (!pending) {
		snp_guest_req_finish(ctx, req);
		return -ENOMEM;
	}

	svm->sev_es.snp_guest_req = pending;
	atomic64_inc(&ctx->stat->snp_guest_req_certs_exit);

	memset(&run->coco, 0, sizeof(run->coco));
	run->exit_reason = KVM_EXIT_COCO;
	run->coco.nr = KVM_EXIT_COCO_REQ_CERTS;
	run->coco.req_certs.gpa = req->certs_gpa;
	run->coco.req_certs.npages = req->certs_npages;
	vcpu->arch.complete_userspace_io = snp_guest_req_complete_certs;
	return 0; /* exit to userspace */
}

int snp_guest_req_dispatch(struct kvm_vcpu *vcpu,
			   const struct snp_guest_req_args *args,
			   const struct snp_guest_req_transport *transport,
			   u64 cookie)
{
	struct vcpu_svm *svm = to_svm(vcpu);
	struct snp_guest_req_ctx *ctx = to_kvm_sev_info(vcpu->kvm)->guest_req;
	struct snp_guest_req req = {
		.req_gpa = args->req_gpa,
		.resp_gpa = args->resp_gpa,
		.certs_gpa = args->rax,
		.certs_npages = args->rbx,
		.certs_gpa_valid = args->rax_valid,
		.certs_npages_valid = args->rbx_valid,
		.ext = args->exit_code == SVM_VMGEXIT_EXT_GUEST_REQUEST,
		.certs_exit = kvm_coco_exit_enabled(vcpu->kvm,
						    KVM_EXIT_COCO_REQ_CERTS),
		.vcpu_id = vcpu->vcpu_id,
		.transport = transport,
		.cookie = cookie,
		.result = SNP_GUEST_REQ_HOST_ERR,
		.exit_info_2 = SNP_GUEST_REQ_ERR_GENERIC,
	};
	int ret;

	/*
	 * Write a failure into SW_EXITINFO2 before anything can fail: if
	 * KVM_RUN returns an error and the VMM enters the guest anyway, the
	 * guest must see a failed request, never a zero "success" with an
	 * unwritten response page.  The same holds while the request waits
	 * for userspace.
	 */
	snp_guest_req_set_answer(vcpu, &req);

	/* The context exists for as long as the VM can issue requests. */
	if (KVM_BUG_ON(!ctx, vcpu->kvm))
		return -EIO;

	/* complete_userspace_io runs before the guest can get here again. */
	if (WARN_ON_ONCE(svm->sev_es.snp_guest_req))
		snp_guest_req_free_vcpu(svm);

	ret = snp_guest_req_process(ctx, &req);
	if (!ret)
		ret = snp_guest_req_exit_certs(svm, ctx, &req);

	snp_guest_req_set_answer(vcpu, &req);
	return ret;
}

/* The SEV-SNP transport: inputs and answer in the GHCB. */
static void snp_guest_req_ghcb_answer(struct kvm_vcpu *vcpu, u64 cookie,
				      const struct snp_guest_req_answer *answer)
{
	struct ghcb *ghcb = to_svm(vcpu)->sev_es.ghcb;

	ghcb_set_sw_exit_info_1(ghcb, answer->exit_info_1);
	ghcb_set_sw_exit_info_2(ghcb, answer->exit_info_2);

	/* Copied to the GHCB with the other GPRs by sev_es_sync_to_ghcb(). */
	if (answer->set_rbx)
		kvm_rbx_write(vcpu, answer->rbx);
}

static const struct snp_guest_req_transport snp_guest_req_ghcb = {
	.answer = snp_guest_req_ghcb_answer,
};

int snp_handle_guest_req(struct vcpu_svm *svm, u64 exit_code)
{
	struct vmcb_control_area *control = &svm->vmcb->control;
	struct kvm_vcpu *vcpu = &svm->vcpu;
	struct snp_guest_req_args args = {
		.exit_code = exit_code,
		.req_gpa = control->exit_info_1,
		.resp_gpa = control->exit_info_2,
		.rax = vcpu->arch.regs[VCPU_REGS_RAX],
		.rbx = vcpu->arch.regs[VCPU_REGS_RBX],
		.rax_valid = kvm_ghcb_rax_is_valid(svm),
		.rbx_valid = kvm_ghcb_rbx_is_valid(svm),
	};

	return snp_guest_req_dispatch(vcpu, &args, &snp_guest_req_ghcb, 0);
}

/*
 * Drop a request that still waits for userspace when the vCPU is destroyed,
 * alone or with its VM.  Touch only the request, not the per-VM context, so
 * that the order of vCPU and VM teardown does not matter.  The request is
 * neither answered nor accounted: the guest does not run again.
 */
void snp_guest_req_free_vcpu(struct vcpu_svm *svm)
{
	struct snp_guest_req *req = svm->sev_es.snp_guest_req;

	if (!req)
		return;

	svm->sev_es.snp_guest_req = NULL;
	snp_guest_req_free_msg(req->msg);
	snp_guest_req_free(req);
}

int snp_guest_req_init_backend(struct kvm *kvm,
			       const struct snp_guest_req_fw_ops *fw)
{
	struct kvm_sev_info *sev = to_kvm_sev_info(kvm);
	struct snp_guest_req_ctx *ctx;

	ctx = snp_guest_req_ctx_create(kvm, &kvm->stat, fw);
	if (IS_ERR(ctx))
		return PTR_ERR(ctx);

	sev->guest_req = ctx;
	return 0;
}

int snp_guest_req_init(struct kvm *kvm)
{
	return snp_guest_req_init_backend(kvm, &snp_guest_req_psp_ops);
}

void snp_guest_req_cleanup(struct kvm *kvm)
{
	struct kvm_sev_info *sev = to_kvm_sev_info(kvm);

	snp_guest_req_ctx_destroy(sev->guest_req);
	sev->guest_req = NULL;
}

#if IS_ENABLED(CONFIG_KVM_AMD_SNP_GUEST_REQ_KUNIT_TEST)
#include "snp_guest_req_test.c"
#endif
