// SPDX-License-Identifier: GPL-2.0-only
/*
 * SNP guest requests end to end on the emulated SNP platform of kvm-amd
 * (CONFIG_KVM_AMD_SNP_EMULATION, kvm_amd.snp_emulation=1): a real guest
 * seals requests with AES-256-GCM, issues them through the emulated VMGEXIT,
 * KVM's guest request code forwards them to the software PSP, and this VMM
 * answers KVM_EXIT_COCO_REQ_CERTS with a certificate table.
 *
 * The guest runs a small command loop: the VMM writes a command into the
 * vCPU's control block in guest memory, runs the vCPU until the next
 * GUEST_SYNC and checks the results there.
 */
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <string.h>

#include <linux/kvm.h>

#include "kselftest_harness.h"
#include "kvm_util.h"
#include "processor.h"
#include "snp_emul.h"
#include "test_certs.h"

#define MAX_VCPUS		3
#define CERTS_MAX_PAGES		4

enum guest_op {
	OP_NONE,
	OP_SEAL,	/* seal payload as a message of type */
	OP_SEND,	/* VMGEXIT with the sealed message */
	OP_OPEN,	/* check and decrypt the response */
	OP_RAW,		/* VMGEXIT with the GHCB page as the VMM wrote it */
};

struct vcpu_ctl {
	struct snp_guest_channel ch;
	uint64_t op;
	uint8_t type;
	uint16_t len;
	uint8_t payload[128];
	uint64_t exit_code;
	uint64_t certs_gpa;
	uint64_t certs_npages;
	struct snp_ghcb_result res;
	int64_t open_ret;
	uint8_t out[2048];
};

static struct vcpu_ctl ctl[MAX_VCPUS];

static void guest_do(struct vcpu_ctl *c, struct snp_req_pages *p)
{
	switch (c->op) {
	case OP_SEAL:
		snp_msg_seal(&c->ch, p->req, c->type, c->payload, c->len);
		break;
	case OP_SEND:
		snp_ghcb_request(p, c->exit_code, c->certs_gpa, c->certs_npages,
				 &c->res);
		break;
	case OP_OPEN:
		c->open_ret = snp_msg_open(&c->ch, p->resp, c->type, c->out,
					   sizeof(c->out));
		break;
	case OP_RAW:
		c->res.hc_ret = snp_vmgexit(p->ghcb_gpa);
		c->res.exit_info_1 = *(uint64_t *)((uint8_t *)p->ghcb +
						   GHCB_OFF_SW_EXIT_INFO_1);
		c->res.exit_info_2 = *(uint64_t *)((uint8_t *)p->ghcb +
						   GHCB_OFF_SW_EXIT_INFO_2);
		break;
	case OP_NONE:
		break;
	default:
		GUEST_FAIL("unknown op %lu", (unsigned long)c->op);
	}
}

static void guest_code(uint64_t v, struct snp_req_pages *p)
{
	for (;;) {
		GUEST_SYNC(v);
		guest_do(&ctl[v], p);
	}
}

/* One emulated SNP VM with its vCPUs, as the VMM sees it. */
struct env {
	struct kvm_vm *vm;
	struct kvm_snp_emul_init init;
	struct kvm_vcpu *vcpu[MAX_VCPUS];
	struct snp_req_pages *pages[MAX_VCPUS];	/* host view */
	struct vcpu_ctl *ctl[MAX_VCPUS];	/* host view */
	struct test_certs *certs;
	int nr_vcpus;
};

static void env_create(struct env *e, int nr_vcpus, bool certs_exit)
{
	struct ucall uc;
	vm_vaddr_t gva;
	int v;

	memset(e, 0, sizeof(*e));
	snp_emul_default_init(&e->init);
	e->vm = snp_emul_vm_create(&e->init, nr_vcpus, certs_exit);
	e->nr_vcpus = nr_vcpus;

	for (v = 0; v < nr_vcpus; v++) {
		e->vcpu[v] = vm_vcpu_add(e->vm, v, guest_code);
		gva = snp_req_pages_alloc(e->vm, CERTS_MAX_PAGES, &e->pages[v]);
		vcpu_args_set(e->vcpu[v], 2, (uint64_t)v, gva);
		e->ctl[v] = addr_gva2hva(e->vm, (vm_vaddr_t)&ctl[v]);
		snp_channel_init(&e->ctl[v]->ch, e->init.vmpck[v], v);

		/* Run up to the first GUEST_SYNC. */
		vcpu_run(e->vcpu[v]);
		TEST_ASSERT_EQ(get_ucall(e->vcpu[v], &uc), UCALL_SYNC);
	}
}

/* The host's view of a guest page of the request pages. */
static uint8_t *env_hva(struct env *e, void *gva)
{
	return addr_gva2hva(e->vm, (vm_vaddr_t)gva);
}

/* An emulated SNP VM whose VMM serves the certificate table @which. */
static void env_create_certs(struct env *e, int nr_vcpus, enum snp_test_certs which)
{
	env_create(e, nr_vcpus, true);
	e->certs = test_certs_create(which);
}

static void env_destroy(struct env *e)
{
	if (e->certs)
		test_certs_destroy(e->certs);
	kvm_vm_free(e->vm);
}

/*
 * Run vCPU @v through one command.  Answer KVM_EXIT_COCO with the provider;
 * return the first KVM_RUN error (errno), or 0 when the guest is back at its
 * GUEST_SYNC.
 */
static int env_op(struct env *e, int v, enum guest_op op)
{
	struct kvm_vcpu *vcpu = e->vcpu[v];
	struct ucall uc;

	e->ctl[v]->op = op;
	for (;;) {
		int r = __vcpu_run(vcpu);

		/* Whatever KVM_RUN returned, a pending request has completed. */
		if (e->certs)
			test_certs_request_done(e->certs, v);
		if (r)
			return errno;

		if (vcpu->run->exit_reason == KVM_EXIT_COCO) {
			TEST_ASSERT(e->certs, "KVM_EXIT_COCO without certificate exits");
			test_certs_handle(e->certs, e->vm, v, vcpu->run);
			continue;
		}

		switch (get_ucall(vcpu, &uc)) {
		case UCALL_SYNC:
			return 0;
		case UCALL_ABORT:
			REPORT_GUEST_ASSERT(uc);
		default:
			TEST_FAIL("unexpected exit %s",
				  exit_reason_str(vcpu->run->exit_reason));
		}
	}
}

static void env_do(struct env *e, int v, enum guest_op op)
{
	int r = env_op(e, v, op);

	TEST_ASSERT(!r, "KVM_RUN failed: %s", strerror(r));
}

static void env_seal_report(struct env *e, int v, uint32_t vmpl)
{
	struct snp_report_req req = { .vmpl = vmpl };
	struct vcpu_ctl *c = e->ctl[v];
	int i;

	for (i = 0; i < (int)sizeof(req.report_data); i++)
		req.report_data[i] = 0x40 + v + i;
	c->type = SNP_MSG_REPORT_REQ;
	c->len = sizeof(req);
	memcpy(c->payload, &req, sizeof(req));
	env_do(e, v, OP_SEAL);
}

static void env_prepare_send(struct env *e, int v, uint64_t exit_code,
			     uint64_t npages)
{
	struct vcpu_ctl *c = e->ctl[v];

	c->exit_code = exit_code;
	c->certs_gpa = e->pages[v]->certs_gpa;
	c->certs_npages = npages;
	c->op = OP_SEND;
}

static void env_send(struct env *e, int v, uint64_t exit_code, uint64_t npages)
{
	env_prepare_send(e, v, exit_code, npages);
	env_do(e, v, OP_SEND);
}

/* Check the answer of the last request against (exit_info_1, exit_info_2). */
static void assert_answer(struct env *e, int v, uint64_t info1, uint64_t info2)
{
	struct snp_ghcb_result *res = &e->ctl[v]->res;

	TEST_ASSERT_EQ(res->hc_ret, 0);
	TEST_ASSERT(res->exit_info_1 == info1 && res->exit_info_2 == info2,
		    "vCPU%d: got SW_EXITINFO1/2 = 0x%lx/0x%lx, want 0x%lx/0x%lx", v,
		    (unsigned long)res->exit_info_1, (unsigned long)res->exit_info_2,
		    (unsigned long)info1, (unsigned long)info2);
}

/* Open the response to a report request and check the report. */
static void assert_report(struct env *e, int v, uint32_t vmpl)
{
	struct vcpu_ctl *c = e->ctl[v];
	struct snp_report_resp *resp = (void *)c->out;
	struct snp_report_req *req = (void *)c->payload;
	struct snp_report *r = &resp->report;

	c->type = SNP_MSG_REPORT_REQ;
	env_do(e, v, OP_OPEN);
	TEST_ASSERT_EQ(c->open_ret, (int64_t)sizeof(*resp));
	TEST_ASSERT_EQ(resp->status, 0);
	TEST_ASSERT_EQ(resp->report_size, sizeof(*r));
	TEST_ASSERT_EQ(r->version, 2);
	TEST_ASSERT_EQ(r->vmpl, vmpl);
	TEST_ASSERT_EQ(r->signature_algo, 1);
	TEST_ASSERT_EQ(r->policy, e->init.policy);
	TEST_ASSERT_EQ(r->reported_tcb, e->init.reported_tcb);
	TEST_ASSERT(!memcmp(r->report_data, req->report_data, sizeof(r->report_data)),
		    "report_data differs from the request");
	TEST_ASSERT(!memcmp(r->measurement, e->init.measurement, sizeof(r->measurement)),
		    "measurement differs");
	TEST_ASSERT(!memcmp(r->host_data, e->init.host_data, sizeof(r->host_data)),
		    "host_data differs");
	TEST_ASSERT(!memcmp(r->chip_id, e->init.chip_id, sizeof(r->chip_id)),
		    "chip_id differs");
}

static uint64_t fw_commands(struct env *e)
{
	struct kvm_snp_emul_state state;

	snp_emul_get_state(e->vm, &state);
	return state.commands;
}

/* Return true, after a SKIP, if the kernel has no emulated SNP platform. */
static bool no_emulation(struct __test_metadata *_metadata)
{
	if (!snp_emul_supported())
		SKIP(return true,
		     "needs CONFIG_KVM_AMD_SNP_EMULATION and kvm_amd.snp_emulation=1");
	return false;
}

/* The guest's AES-256-GCM against published vectors. */
TEST(aes_gcm_vectors)
{
	static const uint8_t fips_ct[16] = {
		0x8e, 0xa2, 0xb7, 0xca, 0x51, 0x67, 0x45, 0xbf,
		0xea, 0xfc, 0x49, 0x90, 0x4b, 0x49, 0x60, 0x89,
	};
	static const uint8_t tc14_ct[16] = {
		0xce, 0xa7, 0x40, 0x3d, 0x4d, 0x60, 0x6b, 0x6e,
		0x07, 0x4e, 0xc5, 0xd3, 0xba, 0xf3, 0x9d, 0x18,
	};
	static const uint8_t tc14_tag[16] = {
		0xd0, 0xd1, 0xc8, 0xa7, 0x99, 0x99, 0x6b, 0xf0,
		0x26, 0x5b, 0x98, 0xb5, 0xd4, 0x8a, 0xb9, 0x19,
	};
	uint8_t key[32], pt[16], out[16], tag[16], iv[12] = { 0 };
	struct snp_aes256 aes;
	int i;

	/* FIPS 197, appendix C.3 */
	for (i = 0; i < 32; i++)
		key[i] = i;
	for (i = 0; i < 16; i++)
		pt[i] = i * 0x11;
	snp_aes256_expand(&aes, key);
	snp_aes256_encrypt_block(&aes, pt, out);
	ASSERT_EQ(0, memcmp(out, fips_ct, 16));

	/* GCM spec test case 14: zero key, zero IV, one zero block */
	memset(key, 0, sizeof(key));
	memset(pt, 0, sizeof(pt));
	snp_aes256_expand(&aes, key);
	snp_gcm_encrypt(&aes, iv, NULL, 0, pt, out, 16, tag);
	ASSERT_EQ(0, memcmp(out, tc14_ct, 16));
	ASSERT_EQ(0, memcmp(tag, tc14_tag, 16));
	ASSERT_TRUE(snp_gcm_decrypt(&aes, iv, NULL, 0, out, pt, 16, tag));

	tag[0] ^= 1;
	ASSERT_FALSE(snp_gcm_decrypt(&aes, iv, NULL, 0, out, pt, 16, tag));
}

/* An extended report request: the VMM serves the table, the guest gets both. */
TEST(report_with_certs)
{
	struct env e;
	size_t len;
	void *certs;

	if (no_emulation(_metadata))
		return;
	env_create_certs(&e, 1, SNP_TEST_CERTS_SMALL);

	env_seal_report(&e, 0, 1);
	env_send(&e, 0, SNP_EXT_GUEST_REQUEST, CERTS_MAX_PAGES);
	assert_answer(&e, 0, 0, 0);
	assert_report(&e, 0, 1);

	certs = addr_gpa2hva(e.vm, e.pages[0]->certs_gpa);
	len = test_certs_table(e.certs, NULL);
	ASSERT_EQ(0, test_certs_check_guest(e.certs, certs, len));

	ASSERT_EQ(vm_get_stat(e.vm, "snp_ext_guest_req"), 1);
	ASSERT_EQ(vm_get_stat(e.vm, "snp_guest_req_certs_exit"), 1);
	ASSERT_EQ(fw_commands(&e), 1);

	env_destroy(&e);
}

/* Too small a buffer: INVALID_LEN with the page count, then the same message. */
TEST(certs_buffer_too_small)
{
	struct env e;

	if (no_emulation(_metadata))
		return;
	env_create_certs(&e, 1, SNP_TEST_CERTS_LARGE);

	env_seal_report(&e, 0, 0);
	env_send(&e, 0, SNP_EXT_GUEST_REQUEST, 1);
	assert_answer(&e, 0, 0, SNP_GUEST_ERR(SNP_VMM_ERR_INVALID_LEN, 0));
	ASSERT_EQ(e.ctl[0]->res.rbx, 2);
	ASSERT_EQ(vm_get_stat(e.vm, "snp_guest_req_invalid_len"), 1);
	/* The firmware never saw the message ... */
	ASSERT_EQ(fw_commands(&e), 0);

	/* ... so the guest resends it, unchanged, with the pages asked for. */
	env_send(&e, 0, SNP_EXT_GUEST_REQUEST, e.ctl[0]->res.rbx);
	assert_answer(&e, 0, 0, 0);
	assert_report(&e, 0, 0);
	ASSERT_EQ(fw_commands(&e), 1);

	env_destroy(&e);
}

/* A provisioning tool holds the table: BUSY, and the retry succeeds. */
TEST(certs_busy_while_locked)
{
	struct env e;

	if (no_emulation(_metadata))
		return;
	env_create_certs(&e, 1, SNP_TEST_CERTS_SMALL);

	ASSERT_EQ(0, test_certs_lock_exclusive(e.certs, true));
	env_seal_report(&e, 0, 0);
	env_send(&e, 0, SNP_EXT_GUEST_REQUEST, CERTS_MAX_PAGES);
	assert_answer(&e, 0, 0, SNP_GUEST_ERR(SNP_VMM_ERR_BUSY, 0));
	ASSERT_EQ(fw_commands(&e), 0);
	ASSERT_EQ(0, test_certs_lock_exclusive(e.certs, false));

	env_send(&e, 0, SNP_EXT_GUEST_REQUEST, CERTS_MAX_PAGES);
	assert_answer(&e, 0, 0, 0);
	assert_report(&e, 0, 0);

	env_destroy(&e);
}

/* The VMM fails the request: the guest gets the generic error, no firmware. */
TEST(certs_vmm_eio)
{
	struct env e;

	if (no_emulation(_metadata))
		return;
	env_create_certs(&e, 1, SNP_TEST_CERTS_SMALL);
	test_certs_force_ret(e.certs, EIO);

	env_seal_report(&e, 0, 0);
	env_send(&e, 0, SNP_EXT_GUEST_REQUEST, CERTS_MAX_PAGES);
	assert_answer(&e, 0, 0, SNP_GUEST_ERR(SNP_VMM_ERR_GENERIC, 0));
	ASSERT_EQ(fw_commands(&e), 0);

	env_destroy(&e);
}

/* An undocumented ret fails KVM_RUN; entering again, the guest sees failure. */
TEST(certs_invalid_ret)
{
	struct env e;

	if (no_emulation(_metadata))
		return;
	env_create_certs(&e, 1, SNP_TEST_CERTS_SMALL);
	test_certs_force_ret(e.certs, ENOMEM);

	env_seal_report(&e, 0, 0);
	env_prepare_send(&e, 0, SNP_EXT_GUEST_REQUEST, CERTS_MAX_PAGES);
	ASSERT_EQ(EINVAL, env_op(&e, 0, OP_SEND));

	/* The VMM ignores the error and runs the guest on. */
	test_certs_force_ret(e.certs, 0);
	e.ctl[0]->op = OP_NONE;
	env_do(&e, 0, OP_NONE);
	assert_answer(&e, 0, 0, SNP_GUEST_ERR(SNP_VMM_ERR_GENERIC, 0));
	ASSERT_EQ(fw_commands(&e), 0);

	env_destroy(&e);
}

static void send_plain_report(struct env *e, uint64_t want_info2)
{
	env_seal_report(e, 0, 0);
	memset(env_hva(e, e->pages[0]->resp), 0x5a, 4096);
	env_send(e, 0, SNP_GUEST_REQUEST, 0);
	assert_answer(e, 0, 0, want_info2);
}

static void assert_resp_untouched(struct env *e)
{
	uint8_t *resp = env_hva(e, e->pages[0]->resp);

	TEST_ASSERT(resp[0] == 0x5a && resp[4095] == 0x5a && !memchr(resp, 0, 4096),
		    "response page written after a firmware error");
}

/* Firmware errors reach the guest with no response, and nothing breaks. */
TEST(firmware_errors)
{
	struct snp_guest_channel good;
	struct env e;

	if (no_emulation(_metadata))
		return;
	env_create(&e, 1, false);
	good = e.ctl[0]->ch;

	/* Wrong key */
	snp_channel_init(&e.ctl[0]->ch, e.init.vmpck[1], 0);
	send_plain_report(&e, SNP_FW_BAD_SIGNATURE);
	assert_resp_untouched(&e);

	/* Disabled VMPCK3 */
	snp_channel_init(&e.ctl[0]->ch, e.init.vmpck[0], 3);
	send_plain_report(&e, SNP_FW_INVALID_KEY);
	assert_resp_untouched(&e);

	/* Sequence number already used (or skipped) */
	e.ctl[0]->ch = good;
	e.ctl[0]->ch.seqno += 2;
	send_plain_report(&e, SNP_FW_INVALID_PARAM);
	assert_resp_untouched(&e);

	/* Tampered payload */
	e.ctl[0]->ch = good;
	env_seal_report(&e, 0, 0);
	env_hva(&e, e.pages[0]->req)[SNP_MSG_HDR_SIZE + 3] ^= 0x80;
	memset(env_hva(&e, e.pages[0]->resp), 0x5a, 4096);
	env_send(&e, 0, SNP_GUEST_REQUEST, 0);
	assert_answer(&e, 0, 0, SNP_FW_BAD_SIGNATURE);
	assert_resp_untouched(&e);

	/* Bad header: unknown algorithm */
	env_seal_report(&e, 0, 0);
	((struct snp_msg_hdr *)env_hva(&e, e.pages[0]->req))->algo = 0;
	env_send(&e, 0, SNP_GUEST_REQUEST, 0);
	assert_answer(&e, 0, 0, SNP_FW_INVALID_PARAM);

	/* Injected firmware status, once */
	snp_emul_set_fault(e.vm, KVM_SNP_EMUL_FAULT_FW_STATUS, 0x22, 1, 0);
	send_plain_report(&e, 0x22);
	assert_resp_untouched(&e);

	/* None of the above consumed a sequence number. */
	send_plain_report(&e, 0);
	assert_report(&e, 0, 0);
	ASSERT_EQ(vm_get_stat(e.vm, "snp_guest_req_fw_err"), 6);
	ASSERT_EQ(vm_get_stat(e.vm, "snp_guest_req"), 7);

	env_destroy(&e);
}

/* A busy PSP is BUSY for the guest; a dead one fails KVM_RUN. */
TEST(psp_busy_and_dead)
{
	struct env e;

	if (no_emulation(_metadata))
		return;
	env_create(&e, 1, false);

	snp_emul_set_fault(e.vm, KVM_SNP_EMUL_FAULT_BUSY, 0, 2, 0);
	env_seal_report(&e, 0, 0);
	env_send(&e, 0, SNP_GUEST_REQUEST, 0);
	assert_answer(&e, 0, 0, SNP_GUEST_ERR(SNP_VMM_ERR_BUSY, 0));
	env_send(&e, 0, SNP_GUEST_REQUEST, 0);
	assert_answer(&e, 0, 0, SNP_GUEST_ERR(SNP_VMM_ERR_BUSY, 0));
	env_send(&e, 0, SNP_GUEST_REQUEST, 0);
	assert_answer(&e, 0, 0, 0);
	assert_report(&e, 0, 0);
	ASSERT_EQ(vm_get_stat(e.vm, "snp_guest_req_busy"), 2);

	snp_emul_set_fault(e.vm, KVM_SNP_EMUL_FAULT_DEAD, 0, 1, 0);
	env_seal_report(&e, 0, 0);
	env_prepare_send(&e, 0, SNP_GUEST_REQUEST, 0);
	ASSERT_EQ(EIO, env_op(&e, 0, OP_SEND));
	env_do(&e, 0, OP_NONE);
	assert_answer(&e, 0, 0, SNP_GUEST_ERR(SNP_VMM_ERR_GENERIC, 0));

	env_destroy(&e);
}

/*
 * With immediate_exit set, KVM_RUN completes the request and returns EINTR
 * without running the guest: the VMM can release the table right away.
 */
TEST(complete_with_immediate_exit)
{
	struct kvm_run *run;
	struct env e;

	if (no_emulation(_metadata))
		return;
	env_create_certs(&e, 1, SNP_TEST_CERTS_SMALL);
	run = e.vcpu[0]->run;

	env_seal_report(&e, 0, 0);
	env_prepare_send(&e, 0, SNP_EXT_GUEST_REQUEST, CERTS_MAX_PAGES);
	vcpu_run(e.vcpu[0]);
	ASSERT_EQ(run->exit_reason, KVM_EXIT_COCO);
	test_certs_handle(e.certs, e.vm, 0, run);
	ASSERT_EQ(run->coco.ret, 0);

	/* The table stays locked until the request has completed. */
	ASSERT_EQ(-EAGAIN, test_certs_lock_exclusive(e.certs, true));

	run->immediate_exit = 1;
	ASSERT_EQ(-1, __vcpu_run(e.vcpu[0]));
	ASSERT_EQ(EINTR, errno);
	run->immediate_exit = 0;
	ASSERT_EQ(fw_commands(&e), 1);
	test_certs_request_done(e.certs, 0);
	ASSERT_EQ(0, test_certs_lock_exclusive(e.certs, true));
	ASSERT_EQ(0, test_certs_lock_exclusive(e.certs, false));

	/* The guest then finds the answer and the response. */
	env_do(&e, 0, OP_NONE);
	assert_answer(&e, 0, 0, 0);
	assert_report(&e, 0, 0);

	env_destroy(&e);
}

/* Plain requests and non-report messages never exit to the VMM. */
TEST(no_exit_without_report)
{
	struct snp_key_req key = { .vmpl = 0 };
	struct snp_key_resp *resp;
	struct env e;
	int i;

	if (no_emulation(_metadata))
		return;
	env_create(&e, 1, true);	/* no provider: an exit fails the test */

	send_plain_report(&e, 0);
	assert_report(&e, 0, 0);

	e.ctl[0]->type = SNP_MSG_KEY_REQ;
	e.ctl[0]->len = sizeof(key);
	memcpy(e.ctl[0]->payload, &key, sizeof(key));
	env_do(&e, 0, OP_SEAL);
	env_send(&e, 0, SNP_EXT_GUEST_REQUEST, CERTS_MAX_PAGES);
	assert_answer(&e, 0, 0, 0);
	env_do(&e, 0, OP_OPEN);
	ASSERT_EQ(e.ctl[0]->open_ret, (int64_t)sizeof(*resp));
	resp = (void *)e.ctl[0]->out;
	ASSERT_EQ(resp->status, 0);
	for (i = 0; i < (int)sizeof(resp->key) && !resp->key[i]; i++)
		;
	ASSERT_LT(i, (int)sizeof(resp->key));

	ASSERT_EQ(vm_get_stat(e.vm, "snp_guest_req_certs_exit"), 0);
	ASSERT_EQ(vm_get_stat(e.vm, "snp_ext_guest_req"), 1);
	env_destroy(&e);
}

/* Lay out the GHCB page as a guest would, with the three fields valid. */
static void write_ghcb(struct env *e, uint64_t code, uint64_t info1, uint64_t info2)
{
	uint8_t *ghcb = env_hva(e, e->pages[0]->ghcb);

	memset(ghcb, 0, 4096);
	snp_ghcb_set(ghcb, GHCB_OFF_SW_EXIT_CODE, code);
	snp_ghcb_set(ghcb, GHCB_OFF_SW_EXIT_INFO_1, info1);
	snp_ghcb_set(ghcb, GHCB_OFF_SW_EXIT_INFO_2, info2);
}

/* Malformed input gets SW_EXITINFO1 = 2 and the documented GHCB error. */
TEST(malformed_input)
{
	uint64_t req, resp;
	struct env e;

	if (no_emulation(_metadata))
		return;
	env_create(&e, 1, true);
	req = e.pages[0]->req_gpa;
	resp = e.pages[0]->resp_gpa;
	env_seal_report(&e, 0, 0);

	write_ghcb(&e, SNP_GUEST_REQUEST, req + 8, resp);
	env_do(&e, 0, OP_RAW);
	assert_answer(&e, 0, SNP_GHCB_ERROR, SNP_GHCB_ERR_INVALID_INPUT);

	write_ghcb(&e, SNP_GUEST_REQUEST, req, req);
	env_do(&e, 0, OP_RAW);
	assert_answer(&e, 0, SNP_GHCB_ERROR, SNP_GHCB_ERR_INVALID_INPUT);

	/* Outside guest memory */
	write_ghcb(&e, SNP_GUEST_REQUEST, req, 1ULL << 45);
	env_do(&e, 0, OP_RAW);
	assert_answer(&e, 0, SNP_GHCB_ERROR, SNP_GHCB_ERR_INVALID_INPUT);

	/* An extended report request needs RAX and RBX. */
	write_ghcb(&e, SNP_EXT_GUEST_REQUEST, req, resp);
	env_do(&e, 0, OP_RAW);
	assert_answer(&e, 0, SNP_GHCB_ERROR, SNP_GHCB_ERR_MISSING_INPUT);

	write_ghcb(&e, 0x80000013ULL, req, resp);
	env_do(&e, 0, OP_RAW);
	assert_answer(&e, 0, SNP_GHCB_ERROR, SNP_GHCB_ERR_INVALID_EVENT);

	/* A GHCB the host cannot use */
	e.pages[0]->ghcb_gpa += 8;
	env_do(&e, 0, OP_RAW);
	ASSERT_EQ(e.ctl[0]->res.hc_ret, KVM_SNP_EMUL_HC_BAD_GHCB);

	ASSERT_EQ(vm_get_stat(e.vm, "snp_guest_req_invalid"), 4);
	ASSERT_EQ(fw_commands(&e), 0);
	env_destroy(&e);
}

struct vcpu_thread {
	struct env *e;
	int v;
	int rounds;
};

static void *vcpu_thread_fn(void *arg)
{
	struct vcpu_thread *t = arg;
	int i;

	for (i = 0; i < t->rounds; i++) {
		env_seal_report(t->e, t->v, t->v);
		env_send(t->e, t->v, SNP_EXT_GUEST_REQUEST, CERTS_MAX_PAGES);
		assert_answer(t->e, t->v, 0, 0);
		assert_report(t->e, t->v, t->v);
	}
	return NULL;
}

/* vCPUs requesting at once, each with its own VMPCK, share one provider. */
TEST(many_vcpus)
{
	struct vcpu_thread t[MAX_VCPUS];
	pthread_t tid[MAX_VCPUS];
	struct kvm_snp_emul_state state;
	const int rounds = 4;
	struct env e;
	int v;

	if (no_emulation(_metadata))
		return;
	env_create_certs(&e, MAX_VCPUS, SNP_TEST_CERTS_SMALL);
	snp_emul_set_fault(e.vm, KVM_SNP_EMUL_FAULT_NONE, 0, 0, 2000);

	for (v = 0; v < MAX_VCPUS; v++) {
		t[v] = (struct vcpu_thread){ .e = &e, .v = v, .rounds = rounds };
		ASSERT_EQ(0, pthread_create(&tid[v], NULL, vcpu_thread_fn, &t[v]));
	}
	for (v = 0; v < MAX_VCPUS; v++)
		ASSERT_EQ(0, pthread_join(tid[v], NULL));

	snp_emul_get_state(e.vm, &state);
	for (v = 0; v < MAX_VCPUS; v++)
		ASSERT_EQ(state.msg_seqno[v], 2 * rounds);
	ASSERT_EQ(state.commands, MAX_VCPUS * rounds);
	ASSERT_EQ(vm_get_stat(e.vm, "snp_ext_guest_req"), MAX_VCPUS * rounds);
	ASSERT_EQ(vm_get_stat(e.vm, "snp_guest_req_certs_exit"), MAX_VCPUS * rounds);

	env_destroy(&e);
}

/* Destroying the VM while a vCPU waits in KVM_EXIT_COCO frees the request. */
TEST(destroy_during_exit)
{
	struct env e;
	int i;

	if (no_emulation(_metadata))
		return;
	for (i = 0; i < 3; i++) {
		env_create(&e, 1, true);
		env_seal_report(&e, 0, 0);
		env_prepare_send(&e, 0, SNP_EXT_GUEST_REQUEST, CERTS_MAX_PAGES);
		vcpu_run(e.vcpu[0]);
		ASSERT_EQ(e.vcpu[0]->run->exit_reason, KVM_EXIT_COCO);
		ASSERT_EQ(e.vcpu[0]->run->coco.nr, KVM_EXIT_COCO_REQ_CERTS);
		ASSERT_EQ(e.vcpu[0]->run->coco.req_certs.gpa, e.pages[0]->certs_gpa);
		ASSERT_EQ(e.vcpu[0]->run->coco.req_certs.npages, CERTS_MAX_PAGES);
		env_destroy(&e);
	}
}

/* Who may opt in, when, and what the test-only commands accept. */
TEST(opt_in_rules)
{
	struct kvm_snp_emul_init init;
	struct kvm_snp_emul_fault fault = { 0 };
	struct kvm_vm *vm;

	if (no_emulation(_metadata))
		return;
	snp_emul_default_init(&init);

	vm = vm_create_barebones();
	init.flags = 1;
	ASSERT_EQ(-1, __snp_emul_cmd(vm, KVM_SNP_EMUL_INIT, &init));
	ASSERT_EQ(EINVAL, errno);
	init.flags = 0;
	init.reserved[7] = 1;
	ASSERT_EQ(-1, __snp_emul_cmd(vm, KVM_SNP_EMUL_INIT, &init));
	ASSERT_EQ(EINVAL, errno);
	init.reserved[7] = 0;

	/* Not an emulated VM: the other commands and REQ_CERTS are refused. */
	ASSERT_EQ(-1, __snp_emul_cmd(vm, KVM_SNP_EMUL_SET_FAULT, &fault));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, __vm_enable_cap(vm, KVM_CAP_EXIT_COCO, KVM_EXIT_COCO_REQ_CERTS_MASK));
	ASSERT_EQ(EINVAL, errno);

	ASSERT_EQ(0, __snp_emul_cmd(vm, KVM_SNP_EMUL_INIT, &init));
	ASSERT_EQ(-1, __snp_emul_cmd(vm, KVM_SNP_EMUL_INIT, &init));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(0, __vm_enable_cap(vm, KVM_CAP_EXIT_COCO, KVM_EXIT_COCO_REQ_CERTS_MASK));

	fault.type = KVM_SNP_EMUL_FAULT_DEAD + 1;
	ASSERT_EQ(-1, __snp_emul_cmd(vm, KVM_SNP_EMUL_SET_FAULT, &fault));
	ASSERT_EQ(EINVAL, errno);
	fault.type = KVM_SNP_EMUL_FAULT_FW_STATUS;
	ASSERT_EQ(-1, __snp_emul_cmd(vm, KVM_SNP_EMUL_SET_FAULT, &fault));
	ASSERT_EQ(EINVAL, errno);
	fault.type = KVM_SNP_EMUL_FAULT_NONE;
	fault.latency_us = 1000001;
	ASSERT_EQ(-1, __snp_emul_cmd(vm, KVM_SNP_EMUL_SET_FAULT, &fault));
	ASSERT_EQ(EINVAL, errno);
	kvm_vm_free(vm);

	/* Only before vCPUs exist */
	vm = vm_create_barebones();
	__vm_vcpu_add(vm, 0);
	ASSERT_EQ(-1, __snp_emul_cmd(vm, KVM_SNP_EMUL_INIT, &init));
	ASSERT_EQ(EBUSY, errno);
	kvm_vm_free(vm);
}

TEST_HARNESS_MAIN
