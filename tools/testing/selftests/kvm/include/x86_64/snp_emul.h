/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Guest and VMM helpers for the emulated SNP platform of kvm-amd
 * (CONFIG_KVM_AMD_SNP_EMULATION): a guest-side SNP guest message layer
 * (AES-256-GCM, sequence numbers), the GHCB-page VMGEXIT, and the VMM side
 * of KVM_SNP_EMUL_*.
 */
#ifndef SELFTEST_KVM_SNP_EMUL_H
#define SELFTEST_KVM_SNP_EMUL_H

#include <stdbool.h>
#include <stdint.h>

#include <linux/compiler.h>
#include <linux/kvm.h>
#include <linux/kvm_snp_emul.h>

#include "kvm_util.h"

#define SNP_GUEST_REQUEST		0x80000011ULL
#define SNP_EXT_GUEST_REQUEST		0x80000012ULL

/* SW_EXITINFO1 = 2: SW_EXITINFO2 holds a GHCB error. */
#define SNP_GHCB_ERROR			2
#define SNP_GHCB_ERR_MISSING_INPUT	4
#define SNP_GHCB_ERR_INVALID_INPUT	5
#define SNP_GHCB_ERR_INVALID_EVENT	6

#define SNP_VMM_ERR_INVALID_LEN		1ULL
#define SNP_VMM_ERR_BUSY		2ULL
#define SNP_VMM_ERR_GENERIC		0xffffffffULL
#define SNP_GUEST_ERR(vmm, fw)		(((uint64_t)(vmm) << 32) | (fw))

/* Firmware statuses the emulated PSP returns, see snp-emulation.rst. */
#define SNP_FW_BAD_SIGNATURE		0x0a
#define SNP_FW_INVALID_PARAM		0x16
#define SNP_FW_INVALID_KEY		0x27

#define SNP_MSG_KEY_REQ			3
#define SNP_MSG_REPORT_REQ		5
#define SNP_AEAD_AES_256_GCM		1
#define SNP_MSG_HDR_SIZE		96
#define SNP_MSG_MAX_PAYLOAD		(4096 - SNP_MSG_HDR_SIZE)
#define SNP_AUTHTAG_SIZE		16
#define SNP_VMPCK_SIZE			32

/* The GHCB fields the guest request events use ("GHCB Layout"). */
#define GHCB_OFF_RAX			0x1f8
#define GHCB_OFF_RBX			0x318
#define GHCB_OFF_SW_EXIT_CODE		0x390
#define GHCB_OFF_SW_EXIT_INFO_1		0x398
#define GHCB_OFF_SW_EXIT_INFO_2		0x3a0
#define GHCB_OFF_VALID_BITMAP		0x3f0
#define GHCB_OFF_USAGE			0xffc

struct snp_msg_hdr {
	uint8_t authtag[32];
	uint64_t msg_seqno;
	uint8_t rsvd1[8];
	uint8_t algo;
	uint8_t hdr_version;
	uint16_t hdr_sz;
	uint8_t msg_type;
	uint8_t msg_version;
	uint16_t msg_sz;
	uint32_t rsvd2;
	uint8_t msg_vmpck;
	uint8_t rsvd3[35];
} __packed;

struct snp_report_req {
	uint8_t report_data[64];
	uint32_t vmpl;
	uint8_t rsvd[28];
} __packed;

/* ATTESTATION_REPORT, the fields the tests look at. */
struct snp_report {
	uint32_t version;
	uint32_t guest_svn;
	uint64_t policy;
	uint8_t family_id[16];
	uint8_t image_id[16];
	uint32_t vmpl;
	uint32_t signature_algo;
	uint64_t current_tcb;
	uint64_t platform_info;
	uint32_t flags;
	uint32_t reserved0;
	uint8_t report_data[64];
	uint8_t measurement[48];
	uint8_t host_data[32];
	uint8_t id_key_digest[48];
	uint8_t author_key_digest[48];
	uint8_t report_id[32];
	uint8_t report_id_ma[32];
	uint64_t reported_tcb;
	uint8_t reserved1[24];
	uint8_t chip_id[64];
	uint8_t rest[0x4a0 - 0x1e0];
} __packed;

struct snp_report_resp {
	uint32_t status;
	uint32_t report_size;
	uint8_t reserved[24];
	struct snp_report report;
} __packed;

struct snp_key_req {
	uint32_t root_key_select;
	uint32_t rsvd;
	uint64_t guest_field_select;
	uint32_t vmpl;
	uint32_t guest_svn;
	uint64_t tcb_version;
} __packed;

struct snp_key_resp {
	uint32_t status;
	uint8_t reserved[28];
	uint8_t key[32];
} __packed;

/* AES-256-GCM, usable by guest code. */
struct snp_aes256 {
	uint32_t rk[60];
};

void snp_aes256_expand(struct snp_aes256 *aes, const uint8_t key[32]);
void snp_aes256_encrypt_block(const struct snp_aes256 *aes, const uint8_t in[16],
			      uint8_t out[16]);
void snp_gcm_encrypt(const struct snp_aes256 *aes, const uint8_t iv[12],
		     const uint8_t *aad, size_t aad_len, const uint8_t *in,
		     uint8_t *out, size_t len, uint8_t tag[16]);
bool snp_gcm_decrypt(const struct snp_aes256 *aes, const uint8_t iv[12],
		     const uint8_t *aad, size_t aad_len, const uint8_t *in,
		     uint8_t *out, size_t len, const uint8_t tag[16]);

/* The guest's side of one VMPCK, in guest memory. */
struct snp_guest_channel {
	struct snp_aes256 aes;
	uint64_t seqno;		/* last sequence number used */
	uint8_t vmpck_id;
};

void snp_channel_init(struct snp_guest_channel *ch, const uint8_t key[32],
		      uint8_t vmpck_id);
/* Seal @payload into the message page @msg with the next sequence number. */
void snp_msg_seal(struct snp_guest_channel *ch, void *msg, uint8_t type,
		  const void *payload, uint16_t len);
/*
 * Check and decrypt the response to the last sealed request; on success
 * advance the channel and return the payload size, else return -1.
 */
int snp_msg_open(struct snp_guest_channel *ch, const void *msg, uint8_t type,
		 void *payload, uint16_t max_len);

/* What the guest's VMGEXIT returned. */
struct snp_ghcb_result {
	uint64_t hc_ret;	/* RAX of the VMMCALL */
	uint64_t exit_info_1;
	uint64_t exit_info_2;
	uint64_t rbx;
};

/* Pages of a guest request, with their guest virtual and physical addresses. */
struct snp_req_pages {
	void *ghcb;
	void *req;
	void *resp;
	void *certs;
	uint64_t ghcb_gpa;
	uint64_t req_gpa;
	uint64_t resp_gpa;
	uint64_t certs_gpa;
	uint64_t certs_max_pages;
};

/*
 * Issue an SNP (Extended) Guest Request through the emulated VMGEXIT; RAX and
 * RBX of the GHCB are only set (and marked valid) for @exit_code
 * SNP_EXT_GUEST_REQUEST.
 */
void snp_ghcb_request(const struct snp_req_pages *pages, uint64_t exit_code,
		      uint64_t certs_gpa, uint64_t certs_npages,
		      struct snp_ghcb_result *res);
/* Set a GHCB field at offset @off and mark it valid. */
void snp_ghcb_set(void *ghcb, unsigned int off, uint64_t val);
/* VMGEXIT with the GHCB page as the caller laid it out; return RAX. */
uint64_t snp_vmgexit(uint64_t ghcb_gpa);

/* VMM side. */
void snp_emul_default_init(struct kvm_snp_emul_init *init);
int __snp_emul_cmd(struct kvm_vm *vm, uint32_t id, void *data);
void snp_emul_cmd(struct kvm_vm *vm, uint32_t id, void *data);
bool snp_emul_supported(void);
/* Create a VM with KVM_SNP_EMUL_INIT and KVM_CAP_EXIT_COCO, without vCPUs. */
struct kvm_vm *snp_emul_vm_create(const struct kvm_snp_emul_init *init,
				  uint32_t nr_vcpus, bool certs_exit);
/*
 * Allocate the request pages of one vCPU (@certs_max_pages for certificates)
 * and their descriptor in guest memory; return the descriptor's guest address
 * and its host address in @hva.
 */
vm_vaddr_t snp_req_pages_alloc(struct kvm_vm *vm, uint64_t certs_max_pages,
			       struct snp_req_pages **hva);
void snp_emul_set_fault(struct kvm_vm *vm, uint32_t type, uint32_t fw_status,
			uint32_t count, uint32_t latency_us);
void snp_emul_get_state(struct kvm_vm *vm, struct kvm_snp_emul_state *state);

#endif /* SELFTEST_KVM_SNP_EMUL_H */
