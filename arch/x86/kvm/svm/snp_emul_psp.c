// SPDX-License-Identifier: GPL-2.0-only
/*
 * Software model of the PSP firmware's SNP_GUEST_REQUEST, the firmware
 * backend of the emulated SNP platform (see snp_emul.c).
 *
 * The model speaks the real message protocol of the SEV-SNP Firmware ABI
 * ("SNP_GUEST_REQUEST" and "Message Formats"): a 96-byte header that is
 * authenticated but not encrypted, an AES-256-GCM payload under the VMPCK the
 * header names, the 64-bit message sequence number as IV, and a per-VMPCK
 * sequence number that the firmware accepts once.  MSG_REPORT_REQ returns an
 * attestation report in the real layout.  What the model does not do:
 *
 *  - The report is not signed: the signature field is all zeroes, and no
 *    VCEK exists whose certificate could verify it.
 *  - MSG_KEY_REQ returns a SHA-256 over the VM's identity and the request,
 *    not a key derived the firmware's way.
 *  - Which status the firmware returns for each error is the model's
 *    choice, documented in Documentation/virt/kvm/x86/snp-emulation.rst; the
 *    Firmware ABI is the authority on hardware.
 *
 * The PSP is one device shared by all VMs of a host, and the firmware runs
 * one command at a time: one mutex serializes the model's commands and
 * protects the state of every emulated VM.
 */
#include <linux/delay.h>
#include <linux/kvm_host.h>
#include <linux/mutex.h>
#include <linux/psp-sev.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/unaligned.h>

#include <crypto/gcm.h>
#include <crypto/sha2.h>
#include <uapi/linux/kvm_snp_emul.h>
#include <uapi/linux/sev-guest.h>

#include <asm/sev.h>

#include "svm.h"
#include "snp_guest_req.h"
#include "snp_emul.h"

#define SNP_EMUL_HDR_VERSION		1
#define SNP_EMUL_MSG_VERSION		1
#define SNP_EMUL_AUTHTAG_SIZE		16
#define SNP_EMUL_MAX_PAYLOAD		sizeof_field(struct snp_guest_msg, payload)

/* Authenticated data: the header from the algo field to its end. */
#define SNP_EMUL_AAD_OFFSET		offsetof(struct snp_guest_msg_hdr, algo)
#define SNP_EMUL_AAD_SIZE		(sizeof(struct snp_guest_msg_hdr) - \
					 SNP_EMUL_AAD_OFFSET)

#define SNP_EMUL_REPORT_VERSION		2
#define SNP_EMUL_SIG_ALGO_ECDSA_P384	1
#define SNP_EMUL_FW_MAJOR		1
#define SNP_EMUL_FW_MINOR		55
#define SNP_EMUL_MAX_VMPL		3
#define SNP_EMUL_MAX_LATENCY_US		USEC_PER_SEC

/* ATTESTATION_REPORT of the SEV-SNP Firmware ABI. */
struct snp_emul_report {
	u32 version;
	u32 guest_svn;
	u64 policy;
	u8 family_id[16];
	u8 image_id[16];
	u32 vmpl;
	u32 signature_algo;
	u64 current_tcb;
	u64 platform_info;
	u32 flags;
	u32 reserved0;
	u8 report_data[SNP_REPORT_USER_DATA_SIZE];
	u8 measurement[48];
	u8 host_data[32];
	u8 id_key_digest[48];
	u8 author_key_digest[48];
	u8 report_id[32];
	u8 report_id_ma[32];
	u64 reported_tcb;
	u8 reserved1[24];
	u8 chip_id[64];
	u64 committed_tcb;
	u8 current_build;
	u8 current_minor;
	u8 current_major;
	u8 reserved2;
	u8 committed_build;
	u8 committed_minor;
	u8 committed_major;
	u8 reserved3;
	u64 launch_tcb;
	u8 reserved4[168];
	u8 signature[512];
} __packed;
static_assert(sizeof(struct snp_emul_report) == 0x4a0);
static_assert(offsetof(struct snp_emul_report, report_data) == 0x50);
static_assert(offsetof(struct snp_emul_report, chip_id) == 0x1a0);
static_assert(offsetof(struct snp_emul_report, signature) == 0x2a0);

/* MSG_REPORT_RSP */
struct snp_emul_report_resp {
	u32 status;
	u32 report_size;
	u8 reserved[24];
	struct snp_emul_report report;
} __packed;

/* MSG_KEY_RSP */
struct snp_emul_key_resp {
	u32 status;
	u8 reserved[28];
	u8 key[SHA256_DIGEST_SIZE];
} __packed;

/* Per-VM firmware state, all of it under snp_emul_psp_lock. */
struct snp_emul {
	struct aesgcm_ctx vmpck[KVM_SNP_EMUL_NR_VMPCKS];
	bool vmpck_enabled[KVM_SNP_EMUL_NR_VMPCKS];
	u64 msg_seqno[KVM_SNP_EMUL_NR_VMPCKS];

	u64 policy;
	u64 reported_tcb;
	u8 measurement[48];
	u8 host_data[32];
	u8 chip_id[64];
	u8 report_id[32];

	struct kvm_snp_emul_fault fault;
	u32 fault_left;
	u64 commands;
	u64 faults;

	/* Decrypted request payload. */
	u8 payload[SNP_EMUL_MAX_PAYLOAD];
};

static DEFINE_MUTEX(snp_emul_psp_lock);

static void snp_emul_iv(u64 seqno, u8 iv[GCM_AES_IV_SIZE])
{
	memset(iv, 0, GCM_AES_IV_SIZE);
	put_unaligned_le64(seqno, iv);
}

static bool snp_emul_hdr_is_valid(const struct snp_guest_msg_hdr *hdr)
{
	return hdr->algo == SNP_AEAD_AES_256_GCM &&
	       hdr->hdr_version == SNP_EMUL_HDR_VERSION &&
	       hdr->hdr_sz == sizeof(*hdr) &&
	       hdr->msg_version == SNP_EMUL_MSG_VERSION &&
	       hdr->msg_sz && hdr->msg_sz <= SNP_EMUL_MAX_PAYLOAD &&
	       hdr->msg_vmpck < KVM_SNP_EMUL_NR_VMPCKS;
}

/* A VMPL can ask about its own or a less privileged level. */
static bool snp_emul_vmpl_is_valid(u32 vmpl, u8 vmpck)
{
	return vmpl >= vmpck && vmpl <= SNP_EMUL_MAX_VMPL;
}

static int snp_emul_report(struct snp_emul *emul, u8 vmpck, void *out)
{
	const struct snp_report_req *req = (void *)emul->payload;
	struct snp_emul_report_resp *resp = out;
	struct snp_emul_report *report = &resp->report;

	if (!snp_emul_vmpl_is_valid(req->vmpl, vmpck)) {
		resp->status = SEV_RET_INVALID_PARAM;
		return sizeof(*resp);
	}

	resp->report_size = sizeof(*report);
	report->version = SNP_EMUL_REPORT_VERSION;
	report->policy = emul->policy;
	report->vmpl = req->vmpl;
	report->signature_algo = SNP_EMUL_SIG_ALGO_ECDSA_P384;
	report->current_tcb = emul->reported_tcb;
	report->reported_tcb = emul->reported_tcb;
	report->committed_tcb = emul->reported_tcb;
	report->launch_tcb = emul->reported_tcb;
	report->current_major = SNP_EMUL_FW_MAJOR;
	report->current_minor = SNP_EMUL_FW_MINOR;
	report->committed_major = SNP_EMUL_FW_MAJOR;
	report->committed_minor = SNP_EMUL_FW_MINOR;
	memcpy(report->report_data, req->user_data, sizeof(report->report_data));
	memcpy(report->measurement, emul->measurement, sizeof(report->measurement));
	memcpy(report->host_data, emul->host_data, sizeof(report->host_data));
	memcpy(report->report_id, emul->report_id, sizeof(report->report_id));
	memcpy(report->chip_id, emul->chip_id, sizeof(report->chip_id));
	return sizeof(*resp);
}

static int snp_emul_derive_key(struct snp_emul *emul, u8 vmpck, void *out)
{
	const struct snp_derived_key_req *req = (void *)emul->payload;
	struct snp_emul_key_resp *resp = out;
	struct sha256_state sha;

	if (!snp_emul_vmpl_is_valid(req->vmpl, vmpck)) {
		resp->status = SEV_RET_INVALID_PARAM;
		return sizeof(*resp);
	}

	sha256_init(&sha);
	sha256_update(&sha, emul->chip_id, sizeof(emul->chip_id));
	sha256_update(&sha, emul->measurement, sizeof(emul->measurement));
	sha256_update(&sha, (const u8 *)req, sizeof(*req));
	sha256_final(&sha, resp->key);
	return sizeof(*resp);
}

/*
 * Answer the decrypted message in emul->payload with a response payload in
 * @out.  Return the size of the response, or 0 for a message the model does
 * not accept.
 */
static int snp_emul_answer_msg(struct snp_emul *emul,
			       const struct snp_guest_msg_hdr *hdr, void *out)
{
	switch (hdr->msg_type) {
	case SNP_MSG_REPORT_REQ:
		if (hdr->msg_sz != sizeof(struct snp_report_req))
			return 0;
		return snp_emul_report(emul, hdr->msg_vmpck, out);
	case SNP_MSG_KEY_REQ:
		if (hdr->msg_sz != sizeof(struct snp_derived_key_req))
			return 0;
		return snp_emul_derive_key(emul, hdr->msg_vmpck, out);
	default:
		return 0;
	}
}

static void snp_emul_seal(struct snp_emul *emul, const struct snp_guest_msg_hdr *req_hdr,
			  struct snp_guest_msg *resp, int len)
{
	struct snp_guest_msg_hdr *hdr = &resp->hdr;
	u8 iv[GCM_AES_IV_SIZE];

	hdr->algo = SNP_AEAD_AES_256_GCM;
	hdr->hdr_version = SNP_EMUL_HDR_VERSION;
	hdr->hdr_sz = sizeof(*hdr);
	hdr->msg_type = req_hdr->msg_type + 1;
	hdr->msg_version = SNP_EMUL_MSG_VERSION;
	hdr->msg_sz = len;
	hdr->msg_vmpck = req_hdr->msg_vmpck;
	hdr->msg_seqno = req_hdr->msg_seqno + 1;

	snp_emul_iv(hdr->msg_seqno, iv);
	aesgcm_encrypt(&emul->vmpck[hdr->msg_vmpck], resp->payload, resp->payload,
		       len, &hdr->algo, SNP_EMUL_AAD_SIZE, iv, hdr->authtag);
}

/* Run SNP_GUEST_REQUEST; return the firmware status. */
static u32 snp_emul_guest_request(struct snp_emul *emul,
				  const struct snp_guest_msg *req,
				  struct snp_guest_msg *resp)
{
	const struct snp_guest_msg_hdr *hdr = &req->hdr;
	u8 iv[GCM_AES_IV_SIZE];
	u8 vmpck;
	int len;

	if (!snp_emul_hdr_is_valid(hdr))
		return SEV_RET_INVALID_PARAM;

	vmpck = hdr->msg_vmpck;
	if (!emul->vmpck_enabled[vmpck])
		return SEV_RET_INVALID_KEY;

	/* The response needs the next number too. */
	if (emul->msg_seqno[vmpck] >= U64_MAX - 2)
		return SEV_RET_AEAD_OFLOW;

	if (hdr->msg_seqno != emul->msg_seqno[vmpck] + 1)
		return SEV_RET_INVALID_PARAM;

	snp_emul_iv(hdr->msg_seqno, iv);
	if (!aesgcm_decrypt(&emul->vmpck[vmpck], emul->payload, req->payload,
			    hdr->msg_sz, &hdr->algo, SNP_EMUL_AAD_SIZE, iv,
			    hdr->authtag))
		return SEV_RET_BAD_SIGNATURE;

	memset(resp, 0, sizeof(*resp));
	len = snp_emul_answer_msg(emul, hdr, resp->payload);
	if (!len)
		return SEV_RET_INVALID_PARAM;

	snp_emul_seal(emul, hdr, resp, len);
	emul->msg_seqno[vmpck] = hdr->msg_seqno + 1;
	return SEV_RET_SUCCESS;
}

/* Return true if fault injection answers this command instead of firmware. */
static bool snp_emul_take_fault(struct snp_emul *emul)
{
	if (emul->fault.type == KVM_SNP_EMUL_FAULT_NONE)
		return false;

	if (emul->fault.count) {
		if (!emul->fault_left)
			return false;
		emul->fault_left--;
	}

	emul->faults++;
	return true;
}

static int __snp_emul_psp_request(struct snp_emul *emul, void *req_page,
				  void *resp_page, int *fw_err)
{
	u32 status;

	if (emul->fault.latency_us)
		fsleep(emul->fault.latency_us);

	if (snp_emul_take_fault(emul)) {
		switch (emul->fault.type) {
		case KVM_SNP_EMUL_FAULT_FW_STATUS:
			*fw_err = emul->fault.fw_status;
			return -EIO;
		case KVM_SNP_EMUL_FAULT_BUSY:
			return -EBUSY;
		default:
			return -ETIMEDOUT;
		}
	}

	emul->commands++;
	status = snp_emul_guest_request(emul, req_page, resp_page);
	*fw_err = status;
	return status ? -EIO : 0;
}

static int snp_emul_psp_request(struct kvm *kvm, void *req_page,
				void *resp_page, int *fw_err)
{
	struct snp_emul *emul = to_kvm_sev_info(kvm)->snp_emul;
	int ret;

	mutex_lock(&snp_emul_psp_lock);
	ret = __snp_emul_psp_request(emul, req_page, resp_page, fw_err);
	mutex_unlock(&snp_emul_psp_lock);

	return ret;
}

static void *snp_emul_psp_alloc_page(void)
{
	return (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
}

static void snp_emul_psp_free_page(void *page)
{
	free_page((unsigned long)page);
}

const struct snp_guest_req_fw_ops snp_emul_psp_ops = {
	.guest_request = snp_emul_psp_request,
	.alloc_resp_page = snp_emul_psp_alloc_page,
	.free_resp_page = snp_emul_psp_free_page,
};

static int snp_emul_set_vmpcks(struct snp_emul *emul,
			       const struct kvm_snp_emul_init *init)
{
	int i, r;

	for (i = 0; i < KVM_SNP_EMUL_NR_VMPCKS; i++) {
		if (!memchr_inv(init->vmpck[i], 0, KVM_SNP_EMUL_VMPCK_SIZE))
			continue;

		r = aesgcm_expandkey(&emul->vmpck[i], init->vmpck[i],
				     KVM_SNP_EMUL_VMPCK_SIZE,
				     SNP_EMUL_AUTHTAG_SIZE);
		if (r)
			return r;
		emul->vmpck_enabled[i] = true;
	}
	return 0;
}

struct snp_emul *snp_emul_psp_create(const struct kvm_snp_emul_init *init)
{
	struct snp_emul *emul;
	int r;

	emul = kzalloc(sizeof(*emul), GFP_KERNEL_ACCOUNT);
	if (!emul)
		return ERR_PTR(-ENOMEM);

	r = snp_emul_set_vmpcks(emul, init);
	if (r) {
		snp_emul_psp_destroy(emul);
		return ERR_PTR(r);
	}

	emul->policy = init->policy;
	emul->reported_tcb = init->reported_tcb;
	memcpy(emul->measurement, init->measurement, sizeof(emul->measurement));
	memcpy(emul->host_data, init->host_data, sizeof(emul->host_data));
	memcpy(emul->chip_id, init->chip_id, sizeof(emul->chip_id));
	get_random_bytes(emul->report_id, sizeof(emul->report_id));
	return emul;
}

void snp_emul_psp_destroy(struct snp_emul *emul)
{
	if (!emul)
		return;

	/* Keys and decrypted payloads must not outlive the VM. */
	kfree_sensitive(emul);
}

int snp_emul_psp_set_fault(struct snp_emul *emul,
			   const struct kvm_snp_emul_fault *fault)
{
	if (fault->type > KVM_SNP_EMUL_FAULT_DEAD ||
	    (fault->type == KVM_SNP_EMUL_FAULT_FW_STATUS && !fault->fw_status) ||
	    (fault->type != KVM_SNP_EMUL_FAULT_FW_STATUS && fault->fw_status) ||
	    fault->latency_us > SNP_EMUL_MAX_LATENCY_US ||
	    memchr_inv(fault->reserved, 0, sizeof(fault->reserved)))
		return -EINVAL;

	mutex_lock(&snp_emul_psp_lock);
	emul->fault = *fault;
	emul->fault_left = fault->count;
	mutex_unlock(&snp_emul_psp_lock);
	return 0;
}

void snp_emul_psp_get_state(struct snp_emul *emul,
			    struct kvm_snp_emul_state *state)
{
	memset(state, 0, sizeof(*state));

	mutex_lock(&snp_emul_psp_lock);
	memcpy(state->msg_seqno, emul->msg_seqno, sizeof(state->msg_seqno));
	state->commands = emul->commands;
	state->faults = emul->faults;
	mutex_unlock(&snp_emul_psp_lock);
}
