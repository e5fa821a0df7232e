// SPDX-License-Identifier: GPL-2.0-only
/*
 * snp_emul_demo TABLE: one SNP attestation on the emulated SNP platform,
 * told as a transcript.  A guest asks for an attestation report with
 * certificates; this VMM answers KVM_EXIT_COCO_REQ_CERTS from the
 * certificate table file TABLE (built with `snp-certs build`) through the
 * snp-certs library; KVM forwards the request to the PSP, here a software
 * model; the guest checks and decrypts the answer.
 */
#include <stdio.h>
#include <string.h>

#include <linux/kvm.h>

#include "kvm_util.h"
#include "processor.h"
#include "snp_emul.h"
#include "test_certs.h"
#include "../../../../kvm/snp-certs/snp_certs.h"

#define CERTS_PAGES_FIRST	1
#define CERTS_MAX_PAGES		8

enum demo_stage {
	STAGE_SEALED = 1,	/* request sealed, about to be sent */
	STAGE_ANSWERED,		/* the VMGEXIT returned */
	STAGE_OPENED,		/* the response was checked and decrypted */
};

struct demo {
	struct snp_guest_channel ch;
	uint8_t nonce[64];
	uint64_t npages;
	struct snp_ghcb_result res;
	int64_t open_ret;
	struct snp_report_resp resp;
};

static struct demo demo;

static void guest_code(struct snp_req_pages *p)
{
	struct snp_report_req req = { .vmpl = 0 };

	memcpy(req.report_data, demo.nonce, sizeof(req.report_data));
	snp_msg_seal(&demo.ch, p->req, SNP_MSG_REPORT_REQ, &req, sizeof(req));
	demo.npages = CERTS_PAGES_FIRST;
	for (;;) {
		GUEST_SYNC(STAGE_SEALED);
		snp_ghcb_request(p, SNP_EXT_GUEST_REQUEST, p->certs_gpa,
				 demo.npages, &demo.res);
		GUEST_SYNC(STAGE_ANSWERED);
		/* Too small a buffer: resend the same message, as Linux does. */
		if (demo.res.exit_info_2 != SNP_GUEST_ERR(SNP_VMM_ERR_INVALID_LEN, 0))
			break;
		GUEST_ASSERT(demo.res.rbx <= p->certs_max_pages);
		demo.npages = demo.res.rbx;
	}
	GUEST_ASSERT_EQ(demo.res.exit_info_2, 0);
	demo.open_ret = snp_msg_open(&demo.ch, p->resp, SNP_MSG_REPORT_REQ,
				     &demo.resp, sizeof(demo.resp));
	GUEST_SYNC(STAGE_OPENED);
	GUEST_DONE();
}

static void hex(const char *label, const uint8_t *p, size_t n)
{
	size_t i;

	printf("%s", label);
	for (i = 0; i < n; i++)
		printf("%02x", p[i]);
	printf("%s\n", n < 16 ? "" : "...");
}

static bool all_zero(const uint8_t *p, size_t n)
{
	while (n--)
		if (*p++)
			return false;
	return true;
}

struct vmm {
	struct kvm_vm *vm;
	struct kvm_vcpu *vcpu;
	struct snp_req_pages *pages;
	struct demo *demo;
	struct snp_certs_provider *certs;
	struct snp_certs_request req;
	const char *table;
	struct kvm_snp_emul_init init;
};

static void show_request(struct vmm *v)
{
	struct snp_msg_hdr *hdr = addr_gva2hva(v->vm, (vm_vaddr_t)v->pages->req);

	printf("[guest] MSG_REPORT_REQ (type %u) sealed with VMPCK%u, AES-256-GCM,\n",
	       hdr->msg_type, hdr->msg_vmpck);
	printf("        sequence number %lu, %u payload bytes\n",
	       (unsigned long)hdr->msg_seqno, hdr->msg_sz);
	hex("        report_data (nonce) = ", v->demo->nonce, 16);
	printf("[guest] VMGEXIT: SNP Extended Guest Request (0x8000_0012),\n");
	printf("        request GPA 0x%lx, response GPA 0x%lx,\n",
	       (unsigned long)v->pages->req_gpa, (unsigned long)v->pages->resp_gpa);
	printf("        certificate buffer %lu page(s) at GPA 0x%lx\n",
	       (unsigned long)v->demo->npages, (unsigned long)v->pages->certs_gpa);
}

static void serve_certs(struct vmm *v)
{
	struct kvm_run *run = v->vcpu->run;
	int ret;

	printf("[kvm]   KVM_EXIT_COCO, nr = KVM_EXIT_COCO_REQ_CERTS:\n");
	printf("        gpa 0x%llx, npages %llu\n",
	       run->coco.req_certs.gpa, run->coco.req_certs.npages);
	ret = snp_certs_handle_exit(v->certs, &v->req, run, test_certs_write_vm, v->vm);
	if (ret == ENOSPC)
		printf("[vmm]   %s does not fit: ret = ENOSPC, npages = %llu\n",
		       v->table, run->coco.req_certs.npages);
	else
		printf("[vmm]   wrote the table of %s into the guest buffer: ret = %d (%s);\n"
		       "        shared lock held until the request completes\n",
		       v->table, ret, ret ? strerror(ret) : "ok");
}

static void show_firmware(struct vmm *v)
{
	struct kvm_snp_emul_state state;

	snp_emul_get_state(v->vm, &state);
	printf("[kvm]   request completed in KVM_RUN; firmware (emulated PSP):\n");
	printf("        %lu SNP_GUEST_REQUEST command(s), VMPCK0 sequence number now %lu\n",
	       (unsigned long)state.commands, (unsigned long)state.msg_seqno[0]);
	printf("        VM stats: snp_ext_guest_req %lu, snp_guest_req_certs_exit %lu,\n"
	       "        snp_guest_req_invalid_len %lu\n",
	       (unsigned long)vm_get_stat(v->vm, "snp_ext_guest_req"),
	       (unsigned long)vm_get_stat(v->vm, "snp_guest_req_certs_exit"),
	       (unsigned long)vm_get_stat(v->vm, "snp_guest_req_invalid_len"));
}

static void show_answer(struct vmm *v)
{
	struct snp_ghcb_result *res = &v->demo->res;

	printf("[guest] SW_EXITINFO1 0x%lx, SW_EXITINFO2 0x%lx, RBX %lu\n",
	       (unsigned long)res->exit_info_1, (unsigned long)res->exit_info_2,
	       (unsigned long)res->rbx);
	if (res->exit_info_2 == SNP_GUEST_ERR(SNP_VMM_ERR_INVALID_LEN, 0))
		printf("[guest] INVALID_LEN: needs %lu pages, resends the same message\n",
		       (unsigned long)res->rbx);
}

static void show_certs(struct vmm *v)
{
	const void *buf = addr_gpa2hva(v->vm, v->pages->certs_gpa);
	size_t len = v->demo->npages * SNP_CERTS_PAGE_SIZE, i, n;
	char guid[SNP_CERTS_GUID_STR_SIZE];
	struct snp_certs_verdict verdict;
	struct snp_certs_entry e;

	TEST_ASSERT(!snp_certs_validate(buf, len, 0, &verdict),
		    "certificate table invalid: %s", snp_certs_strerror(verdict.error));
	n = snp_certs_count(buf, len);
	printf("[guest] certificate table: %zu entries, valid, terminated\n", n);
	for (i = 0; i < n; i++) {
		TEST_ASSERT(!snp_certs_get_entry(buf, len, i, &e), "entry %zu", i);
		snp_certs_guid_format(e.guid, guid);
		printf("        %-5s %s  offset %5u  length %5u\n",
		       snp_certs_kind_name(snp_certs_guid_kind(e.guid)), guid,
		       e.offset, e.length);
	}
}

static void show_report(struct vmm *v)
{
	struct snp_report_resp *resp = &v->demo->resp;
	struct snp_report *r = &resp->report;

	TEST_ASSERT(v->demo->open_ret == sizeof(*resp),
		    "the response did not authenticate (%ld)", (long)v->demo->open_ret);
	printf("[guest] MSG_REPORT_RSP authenticated and decrypted with VMPCK0\n");
	printf("        (sequence number %lu): status %u, report %u bytes\n",
	       (unsigned long)v->demo->ch.seqno, resp->status, resp->report_size);
	printf("        version %u, vmpl %u, policy 0x%lx, reported_tcb 0x%lx, signature_algo %u\n",
	       r->version, r->vmpl, (unsigned long)r->policy,
	       (unsigned long)r->reported_tcb, r->signature_algo);
	hex("        report_data = ", r->report_data, 16);
	hex("        measurement = ", r->measurement, 16);
	hex("        chip_id     = ", r->chip_id, 16);
	printf("        report_data %s the nonce; signature %s\n",
	       memcmp(r->report_data, v->demo->nonce, 64) ? "DIFFERS FROM" : "matches",
	       all_zero((uint8_t *)r + 0x2a0, 512) ?
	       "empty (the emulated PSP has no VCEK to sign with)" : "present");
	TEST_ASSERT(!memcmp(r->report_data, v->demo->nonce, 64), "report_data");
	TEST_ASSERT(!memcmp(r->measurement, v->init.measurement, 48), "measurement");
}

static void vmm_setup(struct vmm *v)
{
	vm_vaddr_t gva;
	int i;

	snp_emul_default_init(&v->init);
	v->vm = snp_emul_vm_create(&v->init, 1, true);
	v->vcpu = vm_vcpu_add(v->vm, 0, guest_code);
	gva = snp_req_pages_alloc(v->vm, CERTS_MAX_PAGES, &v->pages);
	vcpu_args_set(v->vcpu, 1, gva);

	v->demo = addr_gva2hva(v->vm, (vm_vaddr_t)&demo);
	snp_channel_init(&v->demo->ch, v->init.vmpck[0], 0);
	for (i = 0; i < 64; i++)
		v->demo->nonce[i] = "make run: attestation demo nonce "[i % 33];

	v->req = (struct snp_certs_request)SNP_CERTS_REQUEST_INIT;
	v->certs = snp_certs_provider_open(v->table, 0);
	TEST_ASSERT(v->certs, "cannot open %s: %s", v->table, strerror(errno));
}

static bool vmm_step(struct vmm *v)
{
	struct ucall uc;

	vcpu_run(v->vcpu);
	snp_certs_request_done(&v->req);

	if (v->vcpu->run->exit_reason == KVM_EXIT_COCO) {
		serve_certs(v);
		return true;
	}

	switch (get_ucall(v->vcpu, &uc)) {
	case UCALL_SYNC:
		if (uc.args[1] == STAGE_SEALED) {
			show_request(v);
		} else if (uc.args[1] == STAGE_ANSWERED) {
			show_firmware(v);
			show_answer(v);
		} else {
			show_report(v);
			show_certs(v);
		}
		return true;
	case UCALL_DONE:
		return false;
	case UCALL_ABORT:
		REPORT_GUEST_ASSERT(uc);
	default:
		TEST_FAIL("unexpected exit %s", exit_reason_str(v->vcpu->run->exit_reason));
	}
	return false;
}

int main(int argc, char *argv[])
{
	struct vmm v = { 0 };

	if (argc != 2) {
		fprintf(stderr, "usage: %s CERTIFICATE_TABLE\n", argv[0]);
		return 2;
	}
	v.table = argv[1];
	TEST_REQUIRE(snp_emul_supported());

	printf("== One SNP attestation, end to end ==\n");
	printf("NOTE: the PSP firmware is EMULATED here (CONFIG_KVM_AMD_SNP_EMULATION,\n"
	       "      kvm_amd.snp_emulation=1): a software model in the test kernel answers\n"
	       "      SNP_GUEST_REQUEST.  On SEV-SNP hardware the same KVM code forwards the\n"
	       "      request to the real PSP, and the report is signed by the VCEK.\n");
	vmm_setup(&v);
	while (vmm_step(&v))
		;
	printf("== attestation complete ==\n");

	snp_certs_provider_close(v.certs);
	kvm_vm_free(v.vm);
	return 0;
}
