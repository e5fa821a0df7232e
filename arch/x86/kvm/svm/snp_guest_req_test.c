// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit suites for SNP guest request handling.  #included at the end of
 * snp_guest_req.c to reach its static functions.
 *
 * The PSP, the page allocators and guest memory are replaced with static
 * stubs, so the suites run without SEV-SNP hardware and without a VM: guest
 * memory is a small buffer behind one fake memslot, and the fake firmware
 * writes a recognizable response and returns whatever the case asks for.
 */
#include <kunit/test.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/vmalloc.h>

/* Fake guest memory: one memslot of SNP_TEST_NPAGES pages. */
#define SNP_TEST_NPAGES		16
#define SNP_TEST_GPA_BASE	0x100000ULL
#define SNP_TEST_GPA(page)	(SNP_TEST_GPA_BASE + (page) * PAGE_SIZE)
#define SNP_TEST_REQ		SNP_TEST_GPA(0)
#define SNP_TEST_RESP		SNP_TEST_GPA(1)
#define SNP_TEST_CERTS		SNP_TEST_GPA(2)
#define SNP_TEST_RO_PAGE	6	/* page of a read-only memslot */
#define SNP_TEST_RO		SNP_TEST_GPA(SNP_TEST_RO_PAGE)
#define SNP_TEST_UNMAPPED	0x80000000ULL
#define SNP_TEST_TOP_PAGE	(~0ULL & PAGE_MASK)
#define SNP_TEST_WORKER_PAGE	8	/* workers use pages 8 and up, two each */

/* Byte patterns that identify who wrote a page. */
#define SNP_TEST_REQ_BYTE	0x3c	/* request payload, as the guest wrote it */
#define SNP_TEST_GUEST_REWRITE	0xee	/* guest rewrote its request page */
#define SNP_TEST_RESP_BYTE	0xa5	/* response, as firmware wrote it */
#define SNP_TEST_GUEST_BYTE	0x5a	/* response page before the request */
#define SNP_TEST_CERTS_BYTE	0xcc	/* certificate buffer before the request */

#define SNP_TEST_MSG_TYPE_UNKNOWN	0xff
#define SNP_TEST_NO_FLIP		-1

/* Faults a case injects. */
#define SNP_TEST_FAIL_READ		BIT(0)
#define SNP_TEST_FAIL_RESP_WRITE	BIT(1)
#define SNP_TEST_FAIL_ALLOC_MSG		BIT(2)
#define SNP_TEST_FAIL_ALLOC_FW_PAGE	BIT(3)
#define SNP_TEST_FAIL_ALLOC_PENDING	BIT(4)

#define SNP_TEST_WORKERS	4
#define SNP_TEST_ITERATIONS	50

struct snp_test_vm {
	struct snp_guest_req_ctx *ctx;
	struct kvm_vm_stat stat;
	u8 *mem;
	atomic_t in_fw;		/* commands in flight on this context */
	atomic_t overlaps;	/* commands that found another one in flight */
};

struct snp_test_env {
	struct kunit *test;
	struct snp_test_vm vm[2];

	/* Fake firmware. */
	int fw_ret;
	u32 fw_status;
	bool fw_writes_resp;
	bool fw_echo;
	bool guest_rewrites_in_flight;
	int guest_flips_msg_type;
	u8 resp_byte;

	unsigned int faults;
	struct snp_guest_req *cur_req;

	/* Observations. */
	atomic_t fw_calls;
	atomic_t reads;
	atomic_t msg_allocs;
	atomic_t msg_frees;
	atomic_t fw_page_allocs;
	atomic_t fw_page_frees;
	atomic_t pending_allocs;
	atomic_t pending_frees;
	u8 fw_seen_msg_type;
	u8 fw_seen_payload;
	u64 fw_seen_exit_info_2;
	u64 fw_seen_ghcb_exit_info_2;
	bool fw_saw_guest_page;
	struct ghcb *ghcb;
};

static struct snp_test_env *snp_test_env(void)
{
	return kunit_get_current_test()->priv;
}

static struct snp_test_vm *snp_test_vm_of(struct snp_test_env *env,
					  struct snp_guest_req_ctx *ctx)
{
	return env->vm[1].ctx == ctx ? &env->vm[1] : &env->vm[0];
}

static u8 *snp_test_page(struct snp_test_vm *vm, gpa_t gpa)
{
	return vm->mem + (gpa - SNP_TEST_GPA_BASE);
}

static bool snp_test_range_is_mapped(gpa_t gpa, unsigned long len)
{
	return gpa >= SNP_TEST_GPA_BASE && len <= SNP_TEST_NPAGES * PAGE_SIZE &&
	       gpa - SNP_TEST_GPA_BASE <= SNP_TEST_NPAGES * PAGE_SIZE - len;
}

static bool snp_test_range_is_ro(gpa_t gpa, unsigned long len)
{
	return gpa < SNP_TEST_RO + PAGE_SIZE && gpa + len > SNP_TEST_RO;
}

static int snp_test_fw(struct snp_guest_req_ctx *ctx, void *req_page,
		       void *resp_page, int *fw_err)
{
	struct snp_test_env *env = snp_test_env();
	struct snp_test_vm *vm = snp_test_vm_of(env, ctx);
	struct snp_guest_msg *msg = req_page;
	u8 *resp = resp_page;
	int i;

	KUNIT_EXPECT_TRUE(env->test, mutex_is_locked(&ctx->lock));
	KUNIT_EXPECT_PTR_EQ(env->test, resp_page, ctx->resp_page);

	if (atomic_inc_return(&vm->in_fw) > 1)
		atomic_inc(&vm->overlaps);
	atomic_inc(&env->fw_calls);

	if ((u8 *)req_page >= vm->mem &&
	    (u8 *)req_page < vm->mem + SNP_TEST_NPAGES * PAGE_SIZE)
		env->fw_saw_guest_page = true;

	if (env->guest_rewrites_in_flight)
		memset(snp_test_page(vm, SNP_TEST_REQ), SNP_TEST_GUEST_REWRITE,
		       PAGE_SIZE);

	if (env->fw_echo) {
		usleep_range(10, 50);
		for (i = 0; i < PAGE_SIZE; i++)
			resp[i] = ((u8 *)req_page)[i] ^ 0xff;
	} else {
		env->fw_seen_msg_type = msg->hdr.msg_type;
		env->fw_seen_payload = msg->payload[0];
		if (env->cur_req)
			env->fw_seen_exit_info_2 = env->cur_req->exit_info_2;
		if (env->ghcb)
			env->fw_seen_ghcb_exit_info_2 = env->ghcb->save.sw_exit_info_2;
		if (env->fw_writes_resp)
			memset(resp_page, env->resp_byte, PAGE_SIZE);
	}

	atomic_dec(&vm->in_fw);

	if (env->fw_status)
		*fw_err = env->fw_status;
	return env->fw_ret;
}

static void *snp_test_alloc_fw_page(const struct snp_guest_req_fw_ops *fw)
{
	struct snp_test_env *env = snp_test_env();
	void *page;

	if (env->faults & SNP_TEST_FAIL_ALLOC_FW_PAGE)
		return NULL;

	page = (void *)get_zeroed_page(GFP_KERNEL);
	if (page)
		atomic_inc(&env->fw_page_allocs);
	return page;
}

static void snp_test_free_fw_page(const struct snp_guest_req_fw_ops *fw,
				  void *page)
{
	if (!page)
		return;

	atomic_inc(&snp_test_env()->fw_page_frees);
	free_page((unsigned long)page);
}

static void *snp_test_alloc_msg(void)
{
	struct snp_test_env *env = snp_test_env();
	void *msg;

	if (env->faults & SNP_TEST_FAIL_ALLOC_MSG)
		return NULL;

	msg = (void *)__get_free_page(GFP_KERNEL);
	if (msg)
		atomic_inc(&env->msg_allocs);
	return msg;
}

static void snp_test_free_msg(void *msg)
{
	if (!msg)
		return;

	atomic_inc(&snp_test_env()->msg_frees);
	free_page((unsigned long)msg);
}

static struct snp_guest_req *snp_test_dup(const struct snp_guest_req *req)
{
	struct snp_test_env *env = snp_test_env();
	struct snp_guest_req *copy;

	if (env->faults & SNP_TEST_FAIL_ALLOC_PENDING)
		return NULL;

	copy = kmemdup(req, sizeof(*req), GFP_KERNEL);
	if (copy)
		atomic_inc(&env->pending_allocs);
	return copy;
}

static void snp_test_free_pending(struct snp_guest_req *req)
{
	if (!req)
		return;

	atomic_inc(&snp_test_env()->pending_frees);
	kfree(req);
}

static bool snp_test_gpa_is_mapped(struct snp_guest_req_ctx *ctx, gpa_t gpa,
				   bool write)
{
	if (!snp_test_range_is_mapped(gpa, 1))
		return false;

	return !write || !snp_test_range_is_ro(gpa, 1);
}

static int snp_test_read_guest(struct snp_guest_req_ctx *ctx, gpa_t gpa,
			       void *data, unsigned long len)
{
	struct snp_test_env *env = snp_test_env();
	struct snp_test_vm *vm = snp_test_vm_of(env, ctx);
	struct snp_guest_msg *guest_msg;

	atomic_inc(&env->reads);
	if ((env->faults & SNP_TEST_FAIL_READ) || !snp_test_range_is_mapped(gpa, len))
		return -EFAULT;

	memcpy(data, snp_test_page(vm, gpa), len);

	/* A guest that changes the message right after KVM copied it. */
	if (env->guest_flips_msg_type != SNP_TEST_NO_FLIP) {
		guest_msg = (void *)snp_test_page(vm, gpa);
		guest_msg->hdr.msg_type = env->guest_flips_msg_type;
	}
	return 0;
}

static int snp_test_write_guest(struct snp_guest_req_ctx *ctx, gpa_t gpa,
				const void *data, unsigned long len)
{
	struct snp_test_env *env = snp_test_env();
	struct snp_test_vm *vm = snp_test_vm_of(env, ctx);

	if (!snp_test_range_is_mapped(gpa, len) || snp_test_range_is_ro(gpa, len))
		return -EFAULT;

	if ((env->faults & SNP_TEST_FAIL_RESP_WRITE) && gpa == SNP_TEST_RESP)
		return -EFAULT;

	memcpy(snp_test_page(vm, gpa), data, len);
	return 0;
}

static void snp_test_fill_guest(struct snp_test_vm *vm, u8 msg_type)
{
	struct snp_guest_msg *msg = (void *)snp_test_page(vm, SNP_TEST_REQ);

	memset(msg, SNP_TEST_REQ_BYTE, PAGE_SIZE);
	msg->hdr.msg_type = msg_type;
	memset(snp_test_page(vm, SNP_TEST_RESP), SNP_TEST_GUEST_BYTE, PAGE_SIZE);
	memset(snp_test_page(vm, SNP_TEST_CERTS), SNP_TEST_CERTS_BYTE, PAGE_SIZE);
}

static bool snp_test_page_is(struct snp_test_vm *vm, gpa_t gpa, u8 byte,
			     unsigned long len)
{
	return !memchr_inv(snp_test_page(vm, gpa), byte, len);
}

static int snp_test_vm_init(struct kunit *test, struct snp_test_vm *vm)
{
	struct snp_guest_req_ctx *ctx;

	vm->mem = kunit_kzalloc(test, SNP_TEST_NPAGES * PAGE_SIZE, GFP_KERNEL);
	if (!vm->mem)
		return -ENOMEM;

	ctx = snp_guest_req_ctx_create(NULL, &vm->stat, &snp_guest_req_psp_ops);
	if (IS_ERR(ctx))
		return PTR_ERR(ctx);

	vm->ctx = ctx;
	return 0;
}

static int __snp_test_init(struct kunit *test, bool create_contexts)
{
	struct snp_test_env *env;

	env = kunit_kzalloc(test, sizeof(*env), GFP_KERNEL);
	if (!env)
		return -ENOMEM;

	env->test = test;
	env->fw_writes_resp = true;
	env->resp_byte = SNP_TEST_RESP_BYTE;
	env->guest_flips_msg_type = SNP_TEST_NO_FLIP;
	test->priv = env;

	kunit_activate_static_stub(test, snp_guest_req_issue_fw, snp_test_fw);
	kunit_activate_static_stub(test, snp_guest_req_alloc_fw_page,
				   snp_test_alloc_fw_page);
	kunit_activate_static_stub(test, snp_guest_req_free_fw_page,
				   snp_test_free_fw_page);
	kunit_activate_static_stub(test, snp_guest_req_alloc_msg, snp_test_alloc_msg);
	kunit_activate_static_stub(test, snp_guest_req_free_msg, snp_test_free_msg);
	kunit_activate_static_stub(test, snp_guest_req_dup, snp_test_dup);
	kunit_activate_static_stub(test, snp_guest_req_free, snp_test_free_pending);
	kunit_activate_static_stub(test, snp_guest_req_gpa_is_mapped,
				   snp_test_gpa_is_mapped);
	kunit_activate_static_stub(test, snp_guest_req_read_guest,
				   snp_test_read_guest);
	kunit_activate_static_stub(test, snp_guest_req_write_guest,
				   snp_test_write_guest);

	if (!create_contexts)
		return 0;

	return snp_test_vm_init(test, &env->vm[0]) ?:
	       snp_test_vm_init(test, &env->vm[1]);
}

static int snp_test_init(struct kunit *test)
{
	return __snp_test_init(test, true);
}

static void snp_test_exit(struct kunit *test)
{
	struct snp_test_env *env = test->priv;

	snp_guest_req_ctx_destroy(env->vm[0].ctx);
	snp_guest_req_ctx_destroy(env->vm[1].ctx);

	/* Every page allocated by the code under test has been freed. */
	KUNIT_EXPECT_EQ(test, atomic_read(&env->msg_allocs),
			atomic_read(&env->msg_frees));
	KUNIT_EXPECT_EQ(test, atomic_read(&env->fw_page_allocs),
			atomic_read(&env->fw_page_frees));
	KUNIT_EXPECT_EQ(test, atomic_read(&env->pending_allocs),
			atomic_read(&env->pending_frees));
}

/* Table of single requests: inputs, environment and the expected answer. */
struct snp_test_case {
	const char *desc;

	bool ext;
	gpa_t req_gpa;
	gpa_t resp_gpa;
	u8 msg_type;
	gpa_t rax;
	u64 rbx;
	bool rax_valid;
	bool rbx_valid;

	int fw_ret;
	u32 fw_status;
	unsigned int faults;

	int ret;
	u64 exit_info_1;
	u64 exit_info_2;
	enum snp_guest_req_result result;
	bool fw_called;
	bool resp_copied;
	bool certs_written;
};

#define SNP_TEST_GPAS			.req_gpa = SNP_TEST_REQ, .resp_gpa = SNP_TEST_RESP
#define SNP_TEST_PLAIN(type)		SNP_TEST_GPAS, .msg_type = (type)
#define SNP_TEST_EXT_REPORT(gpa, npages, gpa_valid, npages_valid)	\
	SNP_TEST_GPAS, .msg_type = SNP_MSG_REPORT_REQ, .ext = true,	\
	.rax = (gpa), .rbx = (npages), .rax_valid = (gpa_valid),	\
	.rbx_valid = (npages_valid)
#define SNP_TEST_REPORT_CERTS(gpa, npages)				\
	SNP_TEST_EXT_REPORT(gpa, npages, true, true)

#define SNP_TEST_EXPECT_OK						\
	.ret = 1, .exit_info_2 = 0, .result = SNP_GUEST_REQ_OK,		\
	.fw_called = true, .resp_copied = true
/* exit_info_2 of a firmware error is checked against fw_status. */
#define SNP_TEST_EXPECT_FW_STATUS(status)				\
	.fw_ret = -EIO, .fw_status = (status), .ret = 1,		\
	.result = SNP_GUEST_REQ_FW_ERR, .fw_called = true
#define SNP_TEST_EXPECT_GHCB_ERR(err)					\
	.ret = 1, .exit_info_1 = SNP_GUEST_REQ_GHCB_ERROR,		\
	.exit_info_2 = (err), .result = SNP_GUEST_REQ_INVALID
#define SNP_TEST_EXPECT_INVALID	SNP_TEST_EXPECT_GHCB_ERR(GHCB_ERR_INVALID_INPUT)
#define SNP_TEST_EXPECT_MISSING	SNP_TEST_EXPECT_GHCB_ERR(GHCB_ERR_MISSING_INPUT)
#define SNP_TEST_EXPECT_BUSY						\
	.fw_ret = -EBUSY, .ret = 1,					\
	.exit_info_2 = SNP_GUEST_ERR(SNP_GUEST_VMM_ERR_BUSY, 0),	\
	.result = SNP_GUEST_REQ_BUSY, .fw_called = true
#define SNP_TEST_EXPECT_KVM_RUN_EIO(err)				\
	.fw_ret = (err), .ret = -EIO,					\
	.exit_info_2 = SNP_GUEST_REQ_ERR_GENERIC,			\
	.result = SNP_GUEST_REQ_HOST_ERR, .fw_called = true

static const struct snp_test_case snp_test_cases[] = {
	/* Success. */
	{ .desc = "plain REPORT_REQ: firmware success, response copied",
	  SNP_TEST_PLAIN(SNP_MSG_REPORT_REQ), SNP_TEST_EXPECT_OK },
	{ .desc = "plain KEY_REQ: firmware success, response copied",
	  SNP_TEST_PLAIN(SNP_MSG_KEY_REQ), SNP_TEST_EXPECT_OK },
	{ .desc = "plain REPORT_REQ ignores RAX/RBX, even if not valid",
	  SNP_TEST_PLAIN(SNP_MSG_REPORT_REQ), .rax = 1, .rbx = ~0ULL,
	  SNP_TEST_EXPECT_OK },
	{ .desc = "ext REPORT_REQ, 1 cert page: empty table, response copied",
	  SNP_TEST_REPORT_CERTS(SNP_TEST_CERTS, 1), SNP_TEST_EXPECT_OK,
	  .certs_written = true },
	{ .desc = "ext REPORT_REQ, 0 cert pages: no table, response copied",
	  SNP_TEST_REPORT_CERTS(SNP_TEST_CERTS, 0), SNP_TEST_EXPECT_OK },
	{ .desc = "ext REPORT_REQ, 0 cert pages at GPA 0: accepted",
	  SNP_TEST_REPORT_CERTS(0, 0), SNP_TEST_EXPECT_OK },
	{ .desc = "ext REPORT_REQ, 4 cert pages (16 KiB): empty table",
	  SNP_TEST_REPORT_CERTS(SNP_TEST_CERTS, 4), SNP_TEST_EXPECT_OK,
	  .certs_written = true },
	{ .desc = "ext REPORT_REQ, largest cert buffer (16 MiB): empty table",
	  SNP_TEST_REPORT_CERTS(SNP_TEST_CERTS, SNP_GUEST_REQ_CERTS_MAX_NPAGES),
	  SNP_TEST_EXPECT_OK, .certs_written = true },
	{ .desc = "ext KEY_REQ: plain path, RAX/RBX not valid and not needed",
	  .ext = true, SNP_TEST_PLAIN(SNP_MSG_KEY_REQ), SNP_TEST_EXPECT_OK },
	{ .desc = "ext CPUID_REQ: plain path",
	  .ext = true, SNP_TEST_PLAIN(SNP_MSG_CPUID_REQ), SNP_TEST_EXPECT_OK },
	{ .desc = "ext EXPORT_REQ with misaligned RAX: plain path, RAX ignored",
	  .ext = true, SNP_TEST_PLAIN(SNP_MSG_EXPORT_REQ), .rax = 1,
	  .rax_valid = true, .rbx = 1, .rbx_valid = true, SNP_TEST_EXPECT_OK },
	{ .desc = "ext msg_type 0: plain path, firmware judges the message",
	  .ext = true, SNP_TEST_PLAIN(SNP_MSG_TYPE_INVALID), SNP_TEST_EXPECT_OK },
	{ .desc = "ext unknown msg_type 0xff: plain path",
	  .ext = true, SNP_TEST_PLAIN(SNP_TEST_MSG_TYPE_UNKNOWN),
	  SNP_TEST_EXPECT_OK },

	/* Firmware status: the guest gets it, and no response. */
	{ .desc = "fw status INVALID_GUEST_STATE: status to guest, no response",
	  SNP_TEST_PLAIN(SNP_MSG_REPORT_REQ),
	  SNP_TEST_EXPECT_FW_STATUS(SEV_RET_INVALID_GUEST_STATE) },
	{ .desc = "fw status INVALID_ADDRESS: status to guest, no response",
	  SNP_TEST_PLAIN(SNP_MSG_REPORT_REQ),
	  SNP_TEST_EXPECT_FW_STATUS(SEV_RET_INVALID_ADDRESS) },
	{ .desc = "fw status INVALID_GUEST: status to guest, no response",
	  SNP_TEST_PLAIN(SNP_MSG_REPORT_REQ),
	  SNP_TEST_EXPECT_FW_STATUS(SEV_RET_INVALID_GUEST) },
	{ .desc = "fw status INVALID_PARAM: status to guest, no response",
	  SNP_TEST_PLAIN(SNP_MSG_KEY_REQ),
	  SNP_TEST_EXPECT_FW_STATUS(SEV_RET_INVALID_PARAM) },
	{ .desc = "fw status INVALID_PAGE_STATE: status to guest, no response",
	  SNP_TEST_PLAIN(SNP_MSG_REPORT_REQ),
	  SNP_TEST_EXPECT_FW_STATUS(SEV_RET_INVALID_PAGE_STATE) },
	{ .desc = "fw status AEAD_OFLOW: status to guest, no response",
	  SNP_TEST_PLAIN(SNP_MSG_REPORT_REQ),
	  SNP_TEST_EXPECT_FW_STATUS(SEV_RET_AEAD_OFLOW) },
	{ .desc = "fw status 0xffff (largest): status to guest, no response",
	  SNP_TEST_PLAIN(SNP_MSG_REPORT_REQ), SNP_TEST_EXPECT_FW_STATUS(0xffff) },
	{ .desc = "ext REPORT_REQ, fw status: table written, no response",
	  SNP_TEST_REPORT_CERTS(SNP_TEST_CERTS, 1),
	  SNP_TEST_EXPECT_FW_STATUS(SEV_RET_INVALID_PARAM), .certs_written = true },
	{ .desc = "fw status without an errno: still a firmware error",
	  SNP_TEST_PLAIN(SNP_MSG_REPORT_REQ), .fw_status = SEV_RET_INVALID_GUEST,
	  .ret = 1, .result = SNP_GUEST_REQ_FW_ERR, .fw_called = true },

	/* PSP busy: the message did not reach firmware, the guest retries. */
	{ .desc = "PSP busy: guest gets VMM BUSY, KVM_RUN goes on",
	  SNP_TEST_PLAIN(SNP_MSG_REPORT_REQ), SNP_TEST_EXPECT_BUSY },
	{ .desc = "ext REPORT_REQ, PSP busy: guest gets VMM BUSY",
	  SNP_TEST_REPORT_CERTS(SNP_TEST_CERTS, 1), SNP_TEST_EXPECT_BUSY,
	  .certs_written = true },

	/* Host failures: KVM_RUN fails or the guest gets the generic error. */
	{ .desc = "PSP timeout (dead): KVM_RUN -EIO, guest left with generic error",
	  SNP_TEST_PLAIN(SNP_MSG_REPORT_REQ), SNP_TEST_EXPECT_KVM_RUN_EIO(-ETIMEDOUT) },
	{ .desc = "no PSP device: KVM_RUN -EIO, generic error",
	  SNP_TEST_PLAIN(SNP_MSG_REPORT_REQ), SNP_TEST_EXPECT_KVM_RUN_EIO(-ENODEV) },
	{ .desc = "PSP -EIO without status: KVM_RUN -EIO, generic error",
	  SNP_TEST_PLAIN(SNP_MSG_KEY_REQ), SNP_TEST_EXPECT_KVM_RUN_EIO(-EIO) },
	{ .desc = "no guest context: KVM_RUN -EIO, generic error",
	  SNP_TEST_PLAIN(SNP_MSG_REPORT_REQ), SNP_TEST_EXPECT_KVM_RUN_EIO(-ENXIO) },
	{ .desc = "response not writable after success: generic error, resume",
	  SNP_TEST_PLAIN(SNP_MSG_REPORT_REQ), .faults = SNP_TEST_FAIL_RESP_WRITE,
	  .ret = 1, .exit_info_2 = SNP_GUEST_REQ_ERR_GENERIC,
	  .result = SNP_GUEST_REQ_HOST_ERR, .fw_called = true },
	{ .desc = "snapshot allocation fails: KVM_RUN -ENOMEM, generic error",
	  SNP_TEST_PLAIN(SNP_MSG_REPORT_REQ), .faults = SNP_TEST_FAIL_ALLOC_MSG,
	  .ret = -ENOMEM, .exit_info_2 = SNP_GUEST_REQ_ERR_GENERIC,
	  .result = SNP_GUEST_REQ_HOST_ERR },

	/* Malformed request/response GPAs: INVALID_INPUT, firmware untouched. */
	{ .desc = "request GPA not page aligned: INVALID_INPUT",
	  .req_gpa = SNP_TEST_REQ + 8, .resp_gpa = SNP_TEST_RESP,
	  SNP_TEST_EXPECT_INVALID },
	{ .desc = "response GPA not page aligned: INVALID_INPUT",
	  .req_gpa = SNP_TEST_REQ, .resp_gpa = SNP_TEST_RESP + PAGE_SIZE / 2,
	  SNP_TEST_EXPECT_INVALID },
	{ .desc = "request GPA equals response GPA: INVALID_INPUT",
	  .req_gpa = SNP_TEST_REQ, .resp_gpa = SNP_TEST_REQ,
	  SNP_TEST_EXPECT_INVALID },
	{ .desc = "request GPA outside memslots: INVALID_INPUT",
	  .req_gpa = SNP_TEST_UNMAPPED, .resp_gpa = SNP_TEST_RESP,
	  SNP_TEST_EXPECT_INVALID },
	{ .desc = "response GPA outside memslots: INVALID_INPUT",
	  .req_gpa = SNP_TEST_REQ, .resp_gpa = SNP_TEST_UNMAPPED,
	  SNP_TEST_EXPECT_INVALID },
	{ .desc = "response GPA in a read-only memslot: INVALID_INPUT",
	  .req_gpa = SNP_TEST_REQ, .resp_gpa = SNP_TEST_RO,
	  SNP_TEST_EXPECT_INVALID },
	{ .desc = "request GPA at the top of the address space: INVALID_INPUT",
	  .req_gpa = SNP_TEST_TOP_PAGE, .resp_gpa = SNP_TEST_RESP,
	  SNP_TEST_EXPECT_INVALID },
	{ .desc = "request page unreadable (memslot gone): INVALID_INPUT",
	  SNP_TEST_PLAIN(SNP_MSG_REPORT_REQ), .faults = SNP_TEST_FAIL_READ,
	  SNP_TEST_EXPECT_INVALID },
	{ .desc = "ext KEY_REQ, misaligned response GPA: INVALID_INPUT",
	  .ext = true, .msg_type = SNP_MSG_KEY_REQ, .req_gpa = SNP_TEST_REQ,
	  .resp_gpa = SNP_TEST_RESP + 1,
	  SNP_TEST_EXPECT_INVALID },

	/* Malformed RAX/RBX of an extended REPORT_REQ. */
	{ .desc = "ext REPORT_REQ, RAX not valid: MISSING_INPUT",
	  SNP_TEST_EXT_REPORT(SNP_TEST_CERTS, 1, false, true),
	  SNP_TEST_EXPECT_MISSING },
	{ .desc = "ext REPORT_REQ, RBX not valid: MISSING_INPUT",
	  SNP_TEST_EXT_REPORT(SNP_TEST_CERTS, 1, true, false),
	  SNP_TEST_EXPECT_MISSING },
	{ .desc = "ext REPORT_REQ, RAX and RBX not valid: MISSING_INPUT",
	  .ext = true, SNP_TEST_PLAIN(SNP_MSG_REPORT_REQ), SNP_TEST_EXPECT_MISSING },
	{ .desc = "ext REPORT_REQ, RAX not page aligned: INVALID_INPUT",
	  SNP_TEST_REPORT_CERTS(SNP_TEST_CERTS + 24, 1), SNP_TEST_EXPECT_INVALID },
	{ .desc = "ext REPORT_REQ, RAX not aligned, 0 pages: INVALID_INPUT",
	  SNP_TEST_REPORT_CERTS(SNP_TEST_CERTS + 1, 0), SNP_TEST_EXPECT_INVALID },
	{ .desc = "ext REPORT_REQ, RBX one page over the cap: INVALID_INPUT",
	  SNP_TEST_REPORT_CERTS(SNP_TEST_CERTS, SNP_GUEST_REQ_CERTS_MAX_NPAGES + 1),
	  SNP_TEST_EXPECT_INVALID },
	{ .desc = "ext REPORT_REQ, RBX = ~0: INVALID_INPUT",
	  SNP_TEST_REPORT_CERTS(SNP_TEST_CERTS, ~0ULL), SNP_TEST_EXPECT_INVALID },
	{ .desc = "ext REPORT_REQ, RAX + RBX pages wraps: INVALID_INPUT",
	  SNP_TEST_REPORT_CERTS(SNP_TEST_TOP_PAGE, 2), SNP_TEST_EXPECT_INVALID },
	{ .desc = "ext REPORT_REQ, RAX + RBX pages ends at 2^64: INVALID_INPUT",
	  SNP_TEST_REPORT_CERTS(SNP_TEST_TOP_PAGE, 1), SNP_TEST_EXPECT_INVALID },
	{ .desc = "ext REPORT_REQ, cert buffer outside memslots: INVALID_INPUT",
	  SNP_TEST_REPORT_CERTS(SNP_TEST_UNMAPPED, 1), SNP_TEST_EXPECT_INVALID },
	{ .desc = "ext REPORT_REQ, cert buffer read-only: INVALID_INPUT",
	  SNP_TEST_REPORT_CERTS(SNP_TEST_RO, 1), SNP_TEST_EXPECT_INVALID },
};

static void snp_test_case_desc(const struct snp_test_case *tc, char *desc)
{
	strscpy(desc, tc->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(snp_test_request, snp_test_cases, snp_test_case_desc);

static void snp_test_request(struct kunit *test)
{
	const struct snp_test_case *tc = test->param_value;
	struct snp_test_env *env = test->priv;
	struct snp_test_vm *vm = &env->vm[0];
	struct snp_guest_req req = {
		.req_gpa = tc->req_gpa,
		.resp_gpa = tc->resp_gpa,
		.certs_gpa = tc->rax,
		.certs_npages = tc->rbx,
		.certs_gpa_valid = tc->rax_valid,
		.certs_npages_valid = tc->rbx_valid,
		.ext = tc->ext,
	};
	atomic64_t *count = tc->ext ? &vm->stat.snp_ext_guest_req :
				      &vm->stat.snp_guest_req;
	int ret;

	snp_test_fill_guest(vm, tc->msg_type);
	env->fw_ret = tc->fw_ret;
	env->fw_status = tc->fw_status;
	env->faults = tc->faults;
	env->cur_req = &req;

	ret = snp_guest_req_process(vm->ctx, &req);

	KUNIT_EXPECT_EQ(test, ret, tc->ret);
	KUNIT_EXPECT_EQ(test, req.exit_info_1, tc->exit_info_1);
	KUNIT_EXPECT_EQ(test, req.result, tc->result);
	if (tc->result == SNP_GUEST_REQ_FW_ERR)
		KUNIT_EXPECT_EQ(test, req.exit_info_2, SNP_GUEST_ERR(0, tc->fw_status));
	else
		KUNIT_EXPECT_EQ(test, req.exit_info_2, tc->exit_info_2);
	KUNIT_EXPECT_EQ(test, atomic_read(&env->fw_calls), (int)tc->fw_called);
	KUNIT_EXPECT_FALSE(test, env->fw_saw_guest_page);
	KUNIT_EXPECT_LE(test, atomic_read(&env->reads), 1);
	KUNIT_EXPECT_EQ(test, atomic64_read(count), 1);

	/* The firmware page is always scribbled on, so this checks KVM's copy. */
	KUNIT_EXPECT_EQ(test, snp_test_page_is(vm, SNP_TEST_RESP,
					       SNP_TEST_RESP_BYTE, PAGE_SIZE),
			tc->resp_copied);
	if (!tc->resp_copied && tc->resp_gpa == SNP_TEST_RESP)
		KUNIT_EXPECT_TRUE(test, snp_test_page_is(vm, SNP_TEST_RESP,
							 SNP_TEST_GUEST_BYTE,
							 PAGE_SIZE));

	KUNIT_EXPECT_EQ(test, snp_test_page_is(vm, SNP_TEST_CERTS, 0,
					       SNP_CERT_TABLE_ENTRY_SIZE),
			tc->certs_written);

	/* The answer is a defined error until firmware has finished. */
	if (tc->fw_called) {
		KUNIT_EXPECT_EQ(test, env->fw_seen_exit_info_2,
				SNP_GUEST_REQ_ERR_GENERIC);
		KUNIT_EXPECT_EQ(test, env->fw_seen_msg_type, tc->msg_type);
	}
}

/* A guest changing msg_type right after KVM's copy changes nothing. */
struct snp_test_flip {
	const char *desc;
	u8 msg_type;
	u8 flipped;
	bool certs_written;
};

static const struct snp_test_flip snp_test_flips[] = {
	{ .desc = "REPORT_REQ flipped to KEY_REQ after copy: certs path kept",
	  .msg_type = SNP_MSG_REPORT_REQ, .flipped = SNP_MSG_KEY_REQ,
	  .certs_written = true },
	{ .desc = "KEY_REQ flipped to REPORT_REQ after copy: plain path kept",
	  .msg_type = SNP_MSG_KEY_REQ, .flipped = SNP_MSG_REPORT_REQ },
	{ .desc = "REPORT_REQ flipped to 0 after copy: firmware sees REPORT_REQ",
	  .msg_type = SNP_MSG_REPORT_REQ, .flipped = SNP_MSG_TYPE_INVALID,
	  .certs_written = true },
};

static void snp_test_flip_desc(const struct snp_test_flip *f, char *desc)
{
	strscpy(desc, f->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(snp_test_flip, snp_test_flips, snp_test_flip_desc);

static void snp_test_flip(struct kunit *test)
{
	const struct snp_test_flip *f = test->param_value;
	struct snp_test_env *env = test->priv;
	struct snp_test_vm *vm = &env->vm[0];
	struct snp_guest_req req = {
		.req_gpa = SNP_TEST_REQ,
		.resp_gpa = SNP_TEST_RESP,
		.certs_gpa = SNP_TEST_CERTS,
		.certs_npages = 1,
		.certs_gpa_valid = f->msg_type == SNP_MSG_REPORT_REQ,
		.certs_npages_valid = f->msg_type == SNP_MSG_REPORT_REQ,
		.ext = true,
	};

	snp_test_fill_guest(vm, f->msg_type);
	env->guest_flips_msg_type = f->flipped;

	KUNIT_EXPECT_EQ(test, snp_guest_req_process(vm->ctx, &req), 1);
	KUNIT_EXPECT_EQ(test, req.exit_info_2, 0);
	KUNIT_EXPECT_EQ(test, req.msg_type, f->msg_type);
	KUNIT_EXPECT_EQ(test, env->fw_seen_msg_type, f->msg_type);
	KUNIT_EXPECT_EQ(test, atomic_read(&env->reads), 1);
	KUNIT_EXPECT_EQ(test, snp_test_page_is(vm, SNP_TEST_CERTS, 0,
					       SNP_CERT_TABLE_ENTRY_SIZE),
			f->certs_written);
}

/* Firmware gets the snapshot, even if the guest rewrites the page in flight. */
static void snp_test_rewrite_in_flight(struct kunit *test)
{
	struct snp_test_env *env = test->priv;
	struct snp_test_vm *vm = &env->vm[0];
	struct snp_guest_req req = {
		.req_gpa = SNP_TEST_REQ,
		.resp_gpa = SNP_TEST_RESP,
	};

	snp_test_fill_guest(vm, SNP_MSG_REPORT_REQ);
	env->guest_rewrites_in_flight = true;

	KUNIT_EXPECT_EQ(test, snp_guest_req_process(vm->ctx, &req), 1);
	KUNIT_EXPECT_EQ(test, req.exit_info_2, 0);
	KUNIT_EXPECT_EQ(test, env->fw_seen_msg_type, SNP_MSG_REPORT_REQ);
	KUNIT_EXPECT_EQ(test, env->fw_seen_payload, SNP_TEST_REQ_BYTE);
	KUNIT_EXPECT_FALSE(test, env->fw_saw_guest_page);
	KUNIT_EXPECT_EQ(test, atomic_read(&env->reads), 1);
	KUNIT_EXPECT_TRUE(test, snp_test_page_is(vm, SNP_TEST_REQ,
						 SNP_TEST_GUEST_REWRITE, PAGE_SIZE));
}

/*
 * The Firmware page keeps the last response; a later request that gets no
 * response from firmware must not hand that one to the guest.
 */
static void snp_test_no_stale_response(struct kunit *test)
{
	static const struct { int fw_ret; u32 fw_status; } failures[] = {
		{ -EIO, SEV_RET_INVALID_PARAM },
		{ -EBUSY, 0 },
		{ -ETIMEDOUT, 0 },
		{ 0, SEV_RET_INVALID_GUEST },
	};
	struct snp_test_env *env = test->priv;
	struct snp_test_vm *vm = &env->vm[0];
	struct snp_guest_req req = {
		.req_gpa = SNP_TEST_REQ,
		.resp_gpa = SNP_TEST_RESP,
	};
	int i;

	snp_test_fill_guest(vm, SNP_MSG_REPORT_REQ);
	KUNIT_ASSERT_EQ(test, snp_guest_req_process(vm->ctx, &req), 1);
	KUNIT_ASSERT_TRUE(test, snp_test_page_is(vm, SNP_TEST_RESP,
						 SNP_TEST_RESP_BYTE, PAGE_SIZE));

	/* Failing firmware writes nothing: the old response stays in its page. */
	env->fw_writes_resp = false;
	for (i = 0; i < ARRAY_SIZE(failures); i++) {
		snp_test_fill_guest(vm, SNP_MSG_REPORT_REQ);
		env->fw_ret = failures[i].fw_ret;
		env->fw_status = failures[i].fw_status;

		snp_guest_req_process(vm->ctx, &req);

		KUNIT_EXPECT_NE(test, req.exit_info_2, 0);
		KUNIT_EXPECT_TRUE(test, snp_test_page_is(vm, SNP_TEST_RESP,
							 SNP_TEST_GUEST_BYTE,
							 PAGE_SIZE));
	}

	/* The next success delivers its own response. */
	snp_test_fill_guest(vm, SNP_MSG_REPORT_REQ);
	env->fw_ret = 0;
	env->fw_status = 0;
	env->fw_writes_resp = true;
	env->resp_byte = SNP_TEST_RESP_BYTE + 1;
	KUNIT_EXPECT_EQ(test, snp_guest_req_process(vm->ctx, &req), 1);
	KUNIT_EXPECT_TRUE(test, snp_test_page_is(vm, SNP_TEST_RESP,
						 SNP_TEST_RESP_BYTE + 1, PAGE_SIZE));
}

/* A stale "success" in the request never survives a failing request. */
static void snp_test_error_preset(struct kunit *test)
{
	struct snp_test_env *env = test->priv;
	struct snp_test_vm *vm = &env->vm[0];
	struct snp_guest_req req = {
		.req_gpa = SNP_TEST_REQ,
		.resp_gpa = SNP_TEST_RESP,
		.exit_info_1 = 0,
		.exit_info_2 = 0,
		.result = SNP_GUEST_REQ_OK,
	};

	snp_test_fill_guest(vm, SNP_MSG_REPORT_REQ);
	env->faults = SNP_TEST_FAIL_ALLOC_MSG;
	KUNIT_EXPECT_EQ(test, snp_guest_req_process(vm->ctx, &req), -ENOMEM);
	KUNIT_EXPECT_EQ(test, req.exit_info_2, SNP_GUEST_REQ_ERR_GENERIC);
	KUNIT_EXPECT_EQ(test, req.result, SNP_GUEST_REQ_HOST_ERR);

	env->faults = 0;
	env->fw_ret = -ETIMEDOUT;
	req.exit_info_2 = 0;
	KUNIT_EXPECT_EQ(test, snp_guest_req_process(vm->ctx, &req), -EIO);
	KUNIT_EXPECT_EQ(test, req.exit_info_2, SNP_GUEST_REQ_ERR_GENERIC);
	KUNIT_EXPECT_EQ(test, upper_32_bits(req.exit_info_2),
			SNP_GUEST_VMM_ERR_GENERIC);
}

static void snp_test_stats(struct kunit *test)
{
	struct snp_test_env *env = test->priv;
	struct snp_test_vm *vm = &env->vm[0];
	struct kvm_vm_stat *stat = &vm->stat;
	struct snp_guest_req plain = {
		.req_gpa = SNP_TEST_REQ,
		.resp_gpa = SNP_TEST_RESP,
	};
	struct snp_guest_req ext = plain;
	struct snp_guest_req bad = plain;

	ext.ext = true;
	bad.resp_gpa = SNP_TEST_REQ;
	snp_test_fill_guest(vm, SNP_MSG_KEY_REQ);

	snp_guest_req_process(vm->ctx, &plain);
	snp_guest_req_process(vm->ctx, &plain);
	snp_guest_req_process(vm->ctx, &ext);
	snp_guest_req_process(vm->ctx, &bad);

	env->fw_ret = -EIO;
	env->fw_status = SEV_RET_INVALID_PARAM;
	snp_guest_req_process(vm->ctx, &plain);

	env->fw_ret = -EBUSY;
	env->fw_status = 0;
	snp_guest_req_process(vm->ctx, &ext);
	snp_guest_req_process(vm->ctx, &plain);

	env->fw_ret = -ETIMEDOUT;
	snp_guest_req_process(vm->ctx, &ext);

	KUNIT_EXPECT_EQ(test, atomic64_read(&stat->snp_guest_req), 5);
	KUNIT_EXPECT_EQ(test, atomic64_read(&stat->snp_ext_guest_req), 3);
	KUNIT_EXPECT_EQ(test, atomic64_read(&stat->snp_guest_req_fw_err), 1);
	KUNIT_EXPECT_EQ(test, atomic64_read(&stat->snp_guest_req_busy), 2);
	KUNIT_EXPECT_EQ(test, atomic64_read(&stat->snp_guest_req_invalid), 1);
	KUNIT_EXPECT_EQ(test, atomic64_read(&stat->snp_guest_req_host_err), 1);

	/* Counters are per VM. */
	KUNIT_EXPECT_EQ(test, atomic64_read(&env->vm[1].stat.snp_guest_req), 0);
	KUNIT_EXPECT_EQ(test, atomic64_read(&env->vm[1].stat.snp_ext_guest_req), 0);
}

/* The vCPU entry point, on a fake vCPU whose GHCB the test inspects. */
struct snp_test_vcpu_case {
	const char *desc;
	u64 exit_code;
	u8 msg_type;
	bool rbx_valid;
	int fw_ret;
	int ret;
	u64 exit_info_1;
	u64 exit_info_2;
	bool certs_written;
};

static const struct snp_test_vcpu_case snp_test_vcpu_cases[] = {
	{ .desc = "vCPU: Guest Request success: GHCB 0/0, resume",
	  .exit_code = SVM_VMGEXIT_GUEST_REQUEST, .msg_type = SNP_MSG_REPORT_REQ,
	  .ret = 1 },
	{ .desc = "vCPU: ext REPORT_REQ, RAX/RBX valid in GHCB: table written",
	  .exit_code = SVM_VMGEXIT_EXT_GUEST_REQUEST,
	  .msg_type = SNP_MSG_REPORT_REQ, .rbx_valid = true, .ret = 1,
	  .certs_written = true },
	{ .desc = "vCPU: ext REPORT_REQ, RBX not valid in GHCB: MISSING_INPUT",
	  .exit_code = SVM_VMGEXIT_EXT_GUEST_REQUEST,
	  .msg_type = SNP_MSG_REPORT_REQ, .ret = 1,
	  .exit_info_1 = SNP_GUEST_REQ_GHCB_ERROR,
	  .exit_info_2 = GHCB_ERR_MISSING_INPUT },
	{ .desc = "vCPU: PSP busy: GHCB says BUSY, resume",
	  .exit_code = SVM_VMGEXIT_GUEST_REQUEST, .msg_type = SNP_MSG_KEY_REQ,
	  .fw_ret = -EBUSY, .ret = 1,
	  .exit_info_2 = SNP_GUEST_ERR(SNP_GUEST_VMM_ERR_BUSY, 0) },
	{ .desc = "vCPU: PSP dead: KVM_RUN -EIO, GHCB keeps the generic error",
	  .exit_code = SVM_VMGEXIT_EXT_GUEST_REQUEST, .msg_type = SNP_MSG_KEY_REQ,
	  .fw_ret = -ETIMEDOUT, .ret = -EIO,
	  .exit_info_2 = SNP_GUEST_REQ_ERR_GENERIC },
};

static void snp_test_vcpu_desc(const struct snp_test_vcpu_case *tc, char *desc)
{
	strscpy(desc, tc->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(snp_test_vcpu, snp_test_vcpu_cases, snp_test_vcpu_desc);

static void snp_test_vcpu(struct kunit *test)
{
	const struct snp_test_vcpu_case *tc = test->param_value;
	struct snp_test_env *env = test->priv;
	struct snp_test_vm *vm = &env->vm[0];
	struct kvm_svm *kvm_svm;
	struct vcpu_svm *svm;

	kvm_svm = vzalloc(sizeof(*kvm_svm));
	KUNIT_ASSERT_NOT_NULL(test, kvm_svm);
	svm = kunit_kzalloc(test, sizeof(*svm), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, svm);
	svm->vmcb = kunit_kzalloc(test, sizeof(*svm->vmcb), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, svm->vmcb);
	env->ghcb = kunit_kzalloc(test, sizeof(*env->ghcb), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, env->ghcb);

	kvm_svm->sev_info.guest_req = vm->ctx;
	svm->vcpu.kvm = &kvm_svm->kvm;
	svm->sev_es.ghcb = env->ghcb;

	/* What sev_es_sync_from_ghcb() and sev_handle_vmgexit() leave behind. */
	svm->vmcb->control.exit_info_1 = SNP_TEST_REQ;
	svm->vmcb->control.exit_info_2 = SNP_TEST_RESP;
	svm->vcpu.arch.regs[VCPU_REGS_RAX] = SNP_TEST_CERTS;
	svm->vcpu.arch.regs[VCPU_REGS_RBX] = 1;
	__set_bit(GHCB_BITMAP_IDX(rax), (unsigned long *)svm->sev_es.valid_bitmap);
	if (tc->rbx_valid)
		__set_bit(GHCB_BITMAP_IDX(rbx),
			  (unsigned long *)svm->sev_es.valid_bitmap);
	ghcb_set_sw_exit_info_1(env->ghcb, 0);
	ghcb_set_sw_exit_info_2(env->ghcb, 0);

	snp_test_fill_guest(vm, tc->msg_type);
	env->fw_ret = tc->fw_ret;

	KUNIT_EXPECT_EQ(test, snp_handle_guest_req(svm, tc->exit_code), tc->ret);
	KUNIT_EXPECT_EQ(test, env->ghcb->save.sw_exit_info_1, tc->exit_info_1);
	KUNIT_EXPECT_EQ(test, env->ghcb->save.sw_exit_info_2, tc->exit_info_2);
	KUNIT_EXPECT_EQ(test, snp_test_page_is(vm, SNP_TEST_CERTS, 0,
					       SNP_CERT_TABLE_ENTRY_SIZE),
			tc->certs_written);

	/* The guest-visible answer was an error for as long as firmware ran. */
	if (atomic_read(&env->fw_calls))
		KUNIT_EXPECT_EQ(test, env->fw_seen_ghcb_exit_info_2,
				SNP_GUEST_REQ_ERR_GENERIC);

	vfree(kvm_svm);
}

struct snp_test_worker {
	struct kunit *test;
	struct snp_test_vm *vm;
	unsigned int id;
};

static bool snp_test_worker_request(struct snp_test_worker *w, unsigned int i)
{
	gpa_t req_gpa = SNP_TEST_GPA(SNP_TEST_WORKER_PAGE + 2 * w->id);
	struct snp_guest_req req = {
		.req_gpa = req_gpa,
		.resp_gpa = req_gpa + PAGE_SIZE,
	};
	struct snp_guest_msg *msg = (void *)snp_test_page(w->vm, req_gpa);
	u8 *resp = snp_test_page(w->vm, req.resp_gpa);

	memset(msg, w->id, PAGE_SIZE);
	msg->hdr.msg_type = SNP_MSG_KEY_REQ;
	msg->payload[0] = i;

	if (snp_guest_req_process(w->vm->ctx, &req) != 1 || req.exit_info_2)
		return false;

	/* The echo of this worker's own message, nobody else's. */
	return resp[offsetof(struct snp_guest_msg, payload)] == (u8)(i ^ 0xff) &&
	       !memchr_inv(resp + PAGE_SIZE / 2, w->id ^ 0xff, PAGE_SIZE / 2);
}

static int snp_test_worker_fn(void *data)
{
	struct snp_test_worker *w = data;
	unsigned int i, errors = 0;

	/* Let the static stubs of the test reach this thread. */
	current->kunit_test = w->test;

	for (i = 0; i < SNP_TEST_ITERATIONS; i++)
		errors += !snp_test_worker_request(w, i);

	current->kunit_test = NULL;
	return errors;
}

static void snp_test_run_workers(struct kunit *test, unsigned int nr_vms)
{
	struct snp_test_env *env = test->priv;
	struct snp_test_worker workers[SNP_TEST_WORKERS];
	struct task_struct *tasks[SNP_TEST_WORKERS];
	unsigned int i, started;

	env->fw_echo = true;

	for (started = 0; started < SNP_TEST_WORKERS; started++) {
		workers[started] = (struct snp_test_worker) {
			.test = test,
			.vm = &env->vm[started % nr_vms],
			.id = started,
		};
		tasks[started] = kthread_run(snp_test_worker_fn, &workers[started],
					     "snp_test_worker/%u", started);
		if (IS_ERR(tasks[started]))
			break;
		get_task_struct(tasks[started]);
	}

	/* Reap every started worker before @workers goes out of scope. */
	for (i = 0; i < started; i++) {
		KUNIT_EXPECT_EQ(test, kthread_stop(tasks[i]), 0);
		put_task_struct(tasks[i]);
	}
	KUNIT_ASSERT_EQ(test, started, SNP_TEST_WORKERS);

	for (i = 0; i < nr_vms; i++) {
		KUNIT_EXPECT_EQ(test, atomic_read(&env->vm[i].overlaps), 0);
		KUNIT_EXPECT_EQ(test, atomic64_read(&env->vm[i].stat.snp_guest_req),
				SNP_TEST_WORKERS / nr_vms * SNP_TEST_ITERATIONS);
	}
	KUNIT_EXPECT_EQ(test, atomic_read(&env->fw_calls),
			SNP_TEST_WORKERS * SNP_TEST_ITERATIONS);
}

static void snp_test_concurrent_one_vm(struct kunit *test)
{
	snp_test_run_workers(test, 1);
}

static void snp_test_concurrent_two_vms(struct kunit *test)
{
	snp_test_run_workers(test, 2);
}

static struct kunit_case snp_test_request_cases[] = {
	KUNIT_CASE_PARAM(snp_test_request, snp_test_request_gen_params),
	{}
};

static struct kunit_suite snp_test_request_suite = {
	.name = "kvm_snp_guest_req",
	.init = snp_test_init,
	.exit = snp_test_exit,
	.test_cases = snp_test_request_cases,
};

static struct kunit_case snp_test_rule_cases[] = {
	KUNIT_CASE_PARAM(snp_test_flip, snp_test_flip_gen_params),
	KUNIT_CASE_PARAM(snp_test_vcpu, snp_test_vcpu_gen_params),
	KUNIT_CASE(snp_test_rewrite_in_flight),
	KUNIT_CASE(snp_test_no_stale_response),
	KUNIT_CASE(snp_test_error_preset),
	KUNIT_CASE(snp_test_stats),
	KUNIT_CASE_SLOW(snp_test_concurrent_one_vm),
	KUNIT_CASE_SLOW(snp_test_concurrent_two_vms),
	{}
};

static struct kunit_suite snp_test_rule_suite = {
	.name = "kvm_snp_guest_req_rules",
	.init = snp_test_init,
	.exit = snp_test_exit,
	.test_cases = snp_test_rule_cases,
};

/* Lifetime of the per-VM context, through the same entry points as sev.c. */
static int snp_test_lifetime_init(struct kunit *test)
{
	return __snp_test_init(test, false);
}

static void snp_test_lifetime(struct kunit *test)
{
	struct snp_test_env *env = test->priv;
	struct kvm_svm *kvm_svm;
	struct kvm *kvm;

	kvm_svm = vzalloc(sizeof(*kvm_svm));
	KUNIT_ASSERT_NOT_NULL(test, kvm_svm);
	kvm = &kvm_svm->kvm;

	KUNIT_EXPECT_EQ(test, snp_guest_req_init(kvm), 0);
	KUNIT_ASSERT_NOT_NULL(test, kvm_svm->sev_info.guest_req);
	KUNIT_EXPECT_PTR_EQ(test, kvm_svm->sev_info.guest_req->stat, &kvm->stat);
	KUNIT_EXPECT_PTR_EQ(test, kvm_svm->sev_info.guest_req->kvm, kvm);
	KUNIT_EXPECT_EQ(test, atomic_read(&env->fw_page_allocs), 1);

	snp_guest_req_cleanup(kvm);
	KUNIT_EXPECT_NULL(test, kvm_svm->sev_info.guest_req);
	KUNIT_EXPECT_EQ(test, atomic_read(&env->fw_page_frees), 1);

	/* A second teardown (or one of a VM that never got a context) is a nop. */
	snp_guest_req_cleanup(kvm);
	KUNIT_EXPECT_EQ(test, atomic_read(&env->fw_page_frees), 1);

	vfree(kvm_svm);
}

static void snp_test_lifetime_init_fails(struct kunit *test)
{
	struct snp_test_env *env = test->priv;
	struct kvm_svm *kvm_svm;

	kvm_svm = vzalloc(sizeof(*kvm_svm));
	KUNIT_ASSERT_NOT_NULL(test, kvm_svm);

	env->faults = SNP_TEST_FAIL_ALLOC_FW_PAGE;
	KUNIT_EXPECT_EQ(test, snp_guest_req_init(&kvm_svm->kvm), -EIO);
	KUNIT_EXPECT_NULL(test, kvm_svm->sev_info.guest_req);

	/* The failed-creation path of sev_vm_destroy() must be safe, too. */
	snp_guest_req_cleanup(&kvm_svm->kvm);
	KUNIT_EXPECT_EQ(test, atomic_read(&env->fw_page_allocs), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&env->fw_page_frees), 0);

	vfree(kvm_svm);
}

static void snp_test_lifetime_requests(struct kunit *test)
{
	static const struct { int fw_ret; u32 fw_status; } outcomes[] = {
		{ 0, 0 },
		{ -EIO, SEV_RET_INVALID_PARAM },
		{ -EBUSY, 0 },
		{ -ETIMEDOUT, 0 },
	};
	struct snp_test_env *env = test->priv;
	struct snp_test_vm *vm = &env->vm[0];
	struct snp_guest_req req = {
		.req_gpa = SNP_TEST_REQ,
		.resp_gpa = SNP_TEST_RESP,
	};
	int i;

	KUNIT_ASSERT_EQ(test, snp_test_vm_init(test, vm), 0);

	/* One snapshot page per request, freed on every outcome. */
	snp_test_fill_guest(vm, SNP_MSG_REPORT_REQ);
	for (i = 0; i < ARRAY_SIZE(outcomes); i++) {
		env->fw_ret = outcomes[i].fw_ret;
		env->fw_status = outcomes[i].fw_status;
		snp_guest_req_process(vm->ctx, &req);
		KUNIT_EXPECT_EQ(test, atomic_read(&env->msg_allocs), i + 1);
		KUNIT_EXPECT_EQ(test, atomic_read(&env->msg_frees), i + 1);
	}

	snp_guest_req_ctx_destroy(vm->ctx);
	vm->ctx = NULL;
	KUNIT_EXPECT_EQ(test, atomic_read(&env->fw_page_allocs), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&env->fw_page_frees), 1);
}

static struct kunit_case snp_test_lifetime_cases[] = {
	KUNIT_CASE(snp_test_lifetime),
	KUNIT_CASE(snp_test_lifetime_init_fails),
	KUNIT_CASE(snp_test_lifetime_requests),
	{}
};

static struct kunit_suite snp_test_lifetime_suite = {
	.name = "kvm_snp_guest_req_lifetime",
	.init = snp_test_lifetime_init,
	.exit = snp_test_exit,
	.test_cases = snp_test_lifetime_cases,
};

/*
 * KVM_EXIT_COCO_REQ_CERTS round trips on fake vCPUs: the exit, every answer
 * userspace can give, and a vCPU or VM destroyed while userspace handles the
 * request.  That KVM_RUN runs complete_userspace_io before it honours
 * kvm_run.immediate_exit is x86 core behaviour (kvm_arch_vcpu_ioctl_run()),
 * not tested here; the suite calls the callback as KVM_RUN would.
 */
#define SNP_TEST_TABLE_BYTE	0x77	/* certificate table, as the VMM wrote it */

KUNIT_DEFINE_ACTION_WRAPPER(snp_test_vfree, vfree, const void *);

/* A fake SNP VM on the context of @vm, with REQ_CERTS enabled or not. */
static struct kvm_svm *snp_test_kvm_create(struct kunit *test,
					   struct snp_test_vm *vm, bool certs_exit)
{
	struct kvm_svm *kvm_svm;

	kvm_svm = vzalloc(sizeof(*kvm_svm));
	KUNIT_ASSERT_NOT_NULL(test, kvm_svm);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, snp_test_vfree,
							kvm_svm), 0);

	kvm_svm->sev_info.guest_req = vm->ctx;
	if (certs_exit)
		kvm_svm->kvm.arch.coco_exits = KVM_EXIT_COCO_REQ_CERTS_MASK;
	return kvm_svm;
}

/* A fake vCPU as sev_handle_vmgexit() leaves it for an Extended Guest Request. */
static struct vcpu_svm *snp_test_vcpu_create(struct kunit *test,
					     struct kvm_svm *kvm_svm,
					     u64 certs_npages)
{
	struct vcpu_svm *svm;

	svm = kunit_kzalloc(test, sizeof(*svm), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, svm);
	svm->vmcb = kunit_kzalloc(test, sizeof(*svm->vmcb), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, svm->vmcb);
	svm->sev_es.ghcb = kunit_kzalloc(test, sizeof(*svm->sev_es.ghcb),
					 GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, svm->sev_es.ghcb);
	svm->vcpu.run = kunit_kzalloc(test, sizeof(*svm->vcpu.run), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, svm->vcpu.run);

	svm->vcpu.kvm = &kvm_svm->kvm;
	svm->vmcb->control.exit_info_1 = SNP_TEST_REQ;
	svm->vmcb->control.exit_info_2 = SNP_TEST_RESP;
	svm->vcpu.arch.regs[VCPU_REGS_RAX] = SNP_TEST_CERTS;
	svm->vcpu.arch.regs[VCPU_REGS_RBX] = certs_npages;
	__set_bit(GHCB_BITMAP_IDX(rax), (unsigned long *)svm->sev_es.valid_bitmap);
	__set_bit(GHCB_BITMAP_IDX(rbx), (unsigned long *)svm->sev_es.valid_bitmap);

	/* What the guest left in the GHCB, and garbage the exit must clear. */
	ghcb_set_sw_exit_info_1(svm->sev_es.ghcb, SNP_TEST_REQ);
	ghcb_set_sw_exit_info_2(svm->sev_es.ghcb, SNP_TEST_RESP);
	memset(&svm->vcpu.run->coco, 0xff, sizeof(svm->vcpu.run->coco));
	return svm;
}

/* The exit as userspace sees it, and the state KVM keeps meanwhile. */
static void snp_test_check_exit(struct kunit *test, struct vcpu_svm *svm,
				u64 certs_npages)
{
	struct snp_test_env *env = test->priv;
	struct kvm_run *run = svm->vcpu.run;
	int i;

	KUNIT_EXPECT_EQ(test, run->exit_reason, KVM_EXIT_COCO);
	KUNIT_EXPECT_EQ(test, run->coco.nr, KVM_EXIT_COCO_REQ_CERTS);
	KUNIT_EXPECT_EQ(test, run->coco.ret, 0);
	KUNIT_EXPECT_EQ(test, run->coco.req_certs.gpa, SNP_TEST_CERTS);
	KUNIT_EXPECT_EQ(test, run->coco.req_certs.npages, certs_npages);
	for (i = sizeof(run->coco.req_certs) / sizeof(run->coco.padding[0]);
	     i < ARRAY_SIZE(run->coco.padding); i++)
		KUNIT_EXPECT_EQ(test, run->coco.padding[i], 0);

	KUNIT_EXPECT_TRUE(test, svm->vcpu.arch.complete_userspace_io ==
				snp_guest_req_complete_certs);
	KUNIT_EXPECT_NOT_NULL(test, svm->sev_es.snp_guest_req);

	/* A guest run during the exit would see a failure. */
	KUNIT_EXPECT_EQ(test, svm->sev_es.ghcb->save.sw_exit_info_1, 0);
	KUNIT_EXPECT_EQ(test, svm->sev_es.ghcb->save.sw_exit_info_2,
			SNP_GUEST_REQ_ERR_GENERIC);

	/* Not sent, snapshot kept, certificate buffer left to userspace. */
	KUNIT_EXPECT_EQ(test, atomic_read(&env->fw_calls), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&env->msg_frees),
			atomic_read(&env->msg_allocs) - 1);
	KUNIT_EXPECT_TRUE(test, snp_test_page_is(&env->vm[0], SNP_TEST_CERTS,
						 SNP_TEST_CERTS_BYTE, PAGE_SIZE));
}

/*
 * What the VMM does before the next KVM_RUN: write the table (for ret 0),
 * answer, and scribble on the fields that are not inputs.  The guest cannot
 * run meanwhile, but rewrite its request page anyway to show that firmware
 * gets the snapshot.  Return true if a table was written.
 */
static bool snp_test_vmm_answer(struct snp_test_vm *vm, struct kvm_run *run,
				u64 ret, u64 npages)
{
	bool table = !ret && run->coco.req_certs.npages;

	if (table)
		memset(snp_test_page(vm, SNP_TEST_CERTS), SNP_TEST_TABLE_BYTE,
		       PAGE_SIZE);
	memset(snp_test_page(vm, SNP_TEST_REQ), SNP_TEST_GUEST_REWRITE, PAGE_SIZE);

	run->coco.ret = ret;
	run->coco.req_certs.npages = npages;
	run->coco.nr = ~0ULL;
	run->coco.req_certs.gpa = SNP_TEST_UNMAPPED;
	return table;
}

static atomic64_t *snp_test_result_stat(struct kvm_vm_stat *stat,
					enum snp_guest_req_result result)
{
	switch (result) {
	case SNP_GUEST_REQ_FW_ERR:
		return &stat->snp_guest_req_fw_err;
	case SNP_GUEST_REQ_BUSY:
		return &stat->snp_guest_req_busy;
	case SNP_GUEST_REQ_INVALID:
		return &stat->snp_guest_req_invalid;
	case SNP_GUEST_REQ_HOST_ERR:
		return &stat->snp_guest_req_host_err;
	case SNP_GUEST_REQ_INVALID_LEN:
		return &stat->snp_guest_req_invalid_len;
	default:
		return NULL;
	}
}

static s64 snp_test_result_stats_sum(struct kvm_vm_stat *stat)
{
	return atomic64_read(&stat->snp_guest_req_fw_err) +
	       atomic64_read(&stat->snp_guest_req_busy) +
	       atomic64_read(&stat->snp_guest_req_invalid) +
	       atomic64_read(&stat->snp_guest_req_host_err) +
	       atomic64_read(&stat->snp_guest_req_invalid_len);
}

struct snp_test_certs_case {
	const char *desc;

	/* The request and the VM. */
	u64 exit_code;
	u8 msg_type;
	u64 rbx;
	bool rbx_invalid;
	bool enabled;

	/* Userspace's answer (after an exit) and firmware. */
	u64 ret;
	u64 npages;
	int fw_ret;
	u32 fw_status;

	/* Expected; run_ret is the handler's, or the callback's after an exit. */
	bool exits;
	int run_ret;
	u64 exit_info_1;
	u64 exit_info_2;
	enum snp_guest_req_result result;
	bool fw_called;
	bool resp_copied;
	bool empty_table;
};

#define SNP_TEST_EXT_REQ(type, pages)					\
	.exit_code = SVM_VMGEXIT_EXT_GUEST_REQUEST, .msg_type = (type),	\
	.rbx = (pages)
#define SNP_TEST_EXT_REPORT_REQ(pages)	SNP_TEST_EXT_REQ(SNP_MSG_REPORT_REQ, pages)
#define SNP_TEST_CERTS_EXIT(pages)					\
	SNP_TEST_EXT_REPORT_REQ(pages), .enabled = true, .exits = true
#define SNP_TEST_CERTS_SENT						\
	.run_ret = 1, .result = SNP_GUEST_REQ_OK, .fw_called = true,	\
	.resp_copied = true
#define SNP_TEST_CERTS_ANSWER(vmm_err, res)				\
	.run_ret = 1, .exit_info_2 = SNP_GUEST_ERR(vmm_err, 0), .result = (res)
#define SNP_TEST_CERTS_REJECTED(answer)					\
	.ret = (answer), .run_ret = -EINVAL,				\
	.exit_info_2 = SNP_GUEST_REQ_ERR_GENERIC,			\
	.result = SNP_GUEST_REQ_HOST_ERR

static const struct snp_test_certs_case snp_test_certs_cases[] = {
	/* No exit. */
	{ .desc = "REQ_CERTS off: empty table, sent, no exit",
	  SNP_TEST_EXT_REPORT_REQ(1), SNP_TEST_CERTS_SENT, .empty_table = true },
	{ .desc = "REQ_CERTS off, 0 pages: no table, sent, no exit",
	  SNP_TEST_EXT_REPORT_REQ(0), SNP_TEST_CERTS_SENT },
	{ .desc = "REQ_CERTS on, ext KEY_REQ: plain path, no exit",
	  SNP_TEST_EXT_REQ(SNP_MSG_KEY_REQ, 1), .enabled = true,
	  SNP_TEST_CERTS_SENT },
	{ .desc = "REQ_CERTS on, ext msg_type 0xff: plain path, no exit",
	  SNP_TEST_EXT_REQ(SNP_TEST_MSG_TYPE_UNKNOWN, 1), .enabled = true,
	  SNP_TEST_CERTS_SENT },
	{ .desc = "REQ_CERTS on, plain Guest Request REPORT_REQ: no exit",
	  .exit_code = SVM_VMGEXIT_GUEST_REQUEST,
	  .msg_type = SNP_MSG_REPORT_REQ, .rbx = 1, .enabled = true,
	  SNP_TEST_CERTS_SENT },
	{ .desc = "REQ_CERTS on, RBX not valid: MISSING_INPUT, no exit",
	  SNP_TEST_EXT_REPORT_REQ(1), .rbx_invalid = true, .enabled = true,
	  .run_ret = 1, .exit_info_1 = SNP_GUEST_REQ_GHCB_ERROR,
	  .exit_info_2 = GHCB_ERR_MISSING_INPUT, .result = SNP_GUEST_REQ_INVALID },
	{ .desc = "REQ_CERTS on, RBX over the cap: INVALID_INPUT, no exit",
	  SNP_TEST_EXT_REPORT_REQ(SNP_GUEST_REQ_CERTS_MAX_NPAGES + 1),
	  .enabled = true, .run_ret = 1,
	  .exit_info_1 = SNP_GUEST_REQ_GHCB_ERROR,
	  .exit_info_2 = GHCB_ERR_INVALID_INPUT, .result = SNP_GUEST_REQ_INVALID },

	/* ret 0: sent after the exit. */
	{ .desc = "exit, ret 0: VMM's table kept, sent, response copied",
	  SNP_TEST_CERTS_EXIT(1), SNP_TEST_CERTS_SENT },
	{ .desc = "exit for 0 pages too, ret 0: sent, response copied",
	  SNP_TEST_CERTS_EXIT(0), SNP_TEST_CERTS_SENT },
	{ .desc = "exit for the largest buffer (16 MiB), ret 0: sent",
	  SNP_TEST_CERTS_EXIT(SNP_GUEST_REQ_CERTS_MAX_NPAGES),
	  SNP_TEST_CERTS_SENT },
	{ .desc = "exit, ret 0 with npages 0 written back: npages ignored, sent",
	  SNP_TEST_CERTS_EXIT(4), .npages = 0, SNP_TEST_CERTS_SENT },
	{ .desc = "exit, ret 0, firmware error: status, no response",
	  SNP_TEST_CERTS_EXIT(1), .fw_ret = -EIO,
	  .fw_status = SEV_RET_INVALID_GUEST_STATE, .run_ret = 1,
	  .result = SNP_GUEST_REQ_FW_ERR, .fw_called = true },
	{ .desc = "exit, ret 0, PSP busy: BUSY, resume",
	  SNP_TEST_CERTS_EXIT(1), .fw_ret = -EBUSY,
	  SNP_TEST_CERTS_ANSWER(SNP_GUEST_VMM_ERR_BUSY, SNP_GUEST_REQ_BUSY),
	  .fw_called = true },
	{ .desc = "exit, ret 0, PSP dead: KVM_RUN -EIO, generic error",
	  SNP_TEST_CERTS_EXIT(1), .fw_ret = -ETIMEDOUT, .run_ret = -EIO,
	  .exit_info_2 = SNP_GUEST_REQ_ERR_GENERIC,
	  .result = SNP_GUEST_REQ_HOST_ERR, .fw_called = true },

	/* ENOSPC. */
	{ .desc = "exit, ENOSPC 1 -> 2 pages: INVALID_LEN, RBX 2, not sent",
	  SNP_TEST_CERTS_EXIT(1), .ret = ENOSPC, .npages = 2,
	  SNP_TEST_CERTS_ANSWER(SNP_GUEST_VMM_ERR_INVALID_LEN,
				SNP_GUEST_REQ_INVALID_LEN) },
	{ .desc = "exit, ENOSPC 0 -> 4 pages: INVALID_LEN, RBX 4, not sent",
	  SNP_TEST_CERTS_EXIT(0), .ret = ENOSPC, .npages = 4,
	  SNP_TEST_CERTS_ANSWER(SNP_GUEST_VMM_ERR_INVALID_LEN,
				SNP_GUEST_REQ_INVALID_LEN) },
	{ .desc = "exit, ENOSPC 1 -> 4096 pages (cap): INVALID_LEN, not sent",
	  SNP_TEST_CERTS_EXIT(1), .ret = ENOSPC,
	  .npages = SNP_GUEST_REQ_CERTS_MAX_NPAGES,
	  SNP_TEST_CERTS_ANSWER(SNP_GUEST_VMM_ERR_INVALID_LEN,
				SNP_GUEST_REQ_INVALID_LEN) },
	{ .desc = "exit, ENOSPC with the offered count: KVM_RUN -EINVAL",
	  SNP_TEST_CERTS_EXIT(2), SNP_TEST_CERTS_REJECTED(ENOSPC), .npages = 2 },
	{ .desc = "exit, ENOSPC with fewer pages: KVM_RUN -EINVAL",
	  SNP_TEST_CERTS_EXIT(4), SNP_TEST_CERTS_REJECTED(ENOSPC), .npages = 2 },
	{ .desc = "exit, ENOSPC 0 -> 0 pages: KVM_RUN -EINVAL",
	  SNP_TEST_CERTS_EXIT(0), SNP_TEST_CERTS_REJECTED(ENOSPC), .npages = 0 },
	{ .desc = "exit, ENOSPC one page over the cap: KVM_RUN -EINVAL",
	  SNP_TEST_CERTS_EXIT(1), SNP_TEST_CERTS_REJECTED(ENOSPC),
	  .npages = SNP_GUEST_REQ_CERTS_MAX_NPAGES + 1 },
	{ .desc = "exit, ENOSPC with npages ~0: KVM_RUN -EINVAL",
	  SNP_TEST_CERTS_EXIT(1), SNP_TEST_CERTS_REJECTED(ENOSPC),
	  .npages = ~0ULL },

	/* EAGAIN, EIO. */
	{ .desc = "exit, EAGAIN: BUSY, not sent, resume",
	  SNP_TEST_CERTS_EXIT(1), .ret = EAGAIN,
	  SNP_TEST_CERTS_ANSWER(SNP_GUEST_VMM_ERR_BUSY, SNP_GUEST_REQ_BUSY) },
	{ .desc = "exit, EIO: generic error, not sent, resume",
	  SNP_TEST_CERTS_EXIT(1), .ret = EIO,
	  SNP_TEST_CERTS_ANSWER(SNP_GUEST_VMM_ERR_GENERIC,
				SNP_GUEST_REQ_HOST_ERR) },

	/* Any other ret. */
	{ .desc = "exit, ret 1 (EPERM): KVM_RUN -EINVAL, not sent",
	  SNP_TEST_CERTS_EXIT(1), SNP_TEST_CERTS_REJECTED(EPERM) },
	{ .desc = "exit, ret EINVAL: KVM_RUN -EINVAL, not sent",
	  SNP_TEST_CERTS_EXIT(1), SNP_TEST_CERTS_REJECTED(EINVAL) },
	{ .desc = "exit, ret ENOMEM: KVM_RUN -EINVAL, not sent",
	  SNP_TEST_CERTS_EXIT(1), SNP_TEST_CERTS_REJECTED(ENOMEM) },
	{ .desc = "exit, ret -EIO (negative errno): KVM_RUN -EINVAL",
	  SNP_TEST_CERTS_EXIT(1), SNP_TEST_CERTS_REJECTED((u64)-EIO) },
	{ .desc = "exit, ret -1 (~0): KVM_RUN -EINVAL, not sent",
	  SNP_TEST_CERTS_EXIT(1), SNP_TEST_CERTS_REJECTED(~0ULL) },
	{ .desc = "exit, ret 1 << 32 (0 if truncated): KVM_RUN -EINVAL",
	  SNP_TEST_CERTS_EXIT(1), SNP_TEST_CERTS_REJECTED(BIT_ULL(32)) },
	{ .desc = "exit, ret ENOSPC | 1 << 32: KVM_RUN -EINVAL",
	  SNP_TEST_CERTS_EXIT(1), SNP_TEST_CERTS_REJECTED(BIT_ULL(32) | ENOSPC),
	  .npages = 2 },
};

static void snp_test_certs_desc(const struct snp_test_certs_case *tc, char *desc)
{
	strscpy(desc, tc->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(snp_test_certs, snp_test_certs_cases, snp_test_certs_desc);

static void snp_test_certs_check_pages(struct kunit *test,
				       const struct snp_test_certs_case *tc,
				       bool table)
{
	struct snp_test_env *env = test->priv;
	struct snp_test_vm *vm = &env->vm[0];

	KUNIT_EXPECT_EQ(test, snp_test_page_is(vm, SNP_TEST_RESP,
					       SNP_TEST_RESP_BYTE, PAGE_SIZE),
			tc->resp_copied);
	if (!tc->resp_copied)
		KUNIT_EXPECT_TRUE(test, snp_test_page_is(vm, SNP_TEST_RESP,
							 SNP_TEST_GUEST_BYTE,
							 PAGE_SIZE));

	/* KVM writes a table only without REQ_CERTS, and never over the VMM's. */
	if (table)
		KUNIT_EXPECT_TRUE(test, snp_test_page_is(vm, SNP_TEST_CERTS,
							 SNP_TEST_TABLE_BYTE,
							 PAGE_SIZE));
	else if (tc->empty_table)
		KUNIT_EXPECT_TRUE(test, snp_test_page_is(vm, SNP_TEST_CERTS, 0,
							 SNP_CERT_TABLE_ENTRY_SIZE));
	else
		KUNIT_EXPECT_TRUE(test, snp_test_page_is(vm, SNP_TEST_CERTS,
							 SNP_TEST_CERTS_BYTE,
							 PAGE_SIZE));
}

static void snp_test_certs_check_stats(struct kunit *test,
				       const struct snp_test_certs_case *tc)
{
	struct snp_test_env *env = test->priv;
	struct kvm_vm_stat *stat = &env->vm[0].stat;
	atomic64_t *result = snp_test_result_stat(stat, tc->result);
	bool ext = tc->exit_code == SVM_VMGEXIT_EXT_GUEST_REQUEST;

	KUNIT_EXPECT_EQ(test, atomic64_read(&stat->snp_ext_guest_req), (s64)ext);
	KUNIT_EXPECT_EQ(test, atomic64_read(&stat->snp_guest_req), (s64)!ext);
	KUNIT_EXPECT_EQ(test, atomic64_read(&stat->snp_guest_req_certs_exit),
			(s64)tc->exits);
	KUNIT_EXPECT_EQ(test, snp_test_result_stats_sum(stat), (s64)!!result);
	if (result)
		KUNIT_EXPECT_EQ(test, atomic64_read(result), 1);
}

static void snp_test_certs(struct kunit *test)
{
	const struct snp_test_certs_case *tc = test->param_value;
	struct snp_test_env *env = test->priv;
	struct snp_test_vm *vm = &env->vm[0];
	struct kvm_svm *kvm_svm = snp_test_kvm_create(test, vm, tc->enabled);
	struct vcpu_svm *svm = snp_test_vcpu_create(test, kvm_svm, tc->rbx);
	struct kvm_vcpu *vcpu = &svm->vcpu;
	struct ghcb *ghcb = svm->sev_es.ghcb;
	u64 rbx = tc->result == SNP_GUEST_REQ_INVALID_LEN ? tc->npages : tc->rbx;
	bool table = false;
	int ret;

	if (tc->rbx_invalid)
		__clear_bit(GHCB_BITMAP_IDX(rbx),
			    (unsigned long *)svm->sev_es.valid_bitmap);
	snp_test_fill_guest(vm, tc->msg_type);
	env->ghcb = ghcb;
	env->fw_ret = tc->fw_ret;
	env->fw_status = tc->fw_status;

	ret = snp_handle_guest_req(svm, tc->exit_code);
	if (tc->exits) {
		KUNIT_EXPECT_EQ(test, ret, 0);
		snp_test_check_exit(test, svm, tc->rbx);
		table = snp_test_vmm_answer(vm, vcpu->run, tc->ret, tc->npages);
		KUNIT_ASSERT_NOT_NULL(test, vcpu->arch.complete_userspace_io);
		ret = vcpu->arch.complete_userspace_io(vcpu);
	} else {
		KUNIT_EXPECT_EQ(test, vcpu->run->exit_reason, KVM_EXIT_UNKNOWN);
		KUNIT_EXPECT_NULL(test, vcpu->arch.complete_userspace_io);
	}

	KUNIT_EXPECT_EQ(test, ret, tc->run_ret);
	KUNIT_EXPECT_NULL(test, svm->sev_es.snp_guest_req);
	KUNIT_EXPECT_EQ(test, ghcb->save.sw_exit_info_1, tc->exit_info_1);
	if (tc->result == SNP_GUEST_REQ_FW_ERR)
		KUNIT_EXPECT_EQ(test, ghcb->save.sw_exit_info_2,
				SNP_GUEST_ERR(0, tc->fw_status));
	else
		KUNIT_EXPECT_EQ(test, ghcb->save.sw_exit_info_2, tc->exit_info_2);
	KUNIT_EXPECT_EQ(test, vcpu->arch.regs[VCPU_REGS_RBX], rbx);

	KUNIT_EXPECT_EQ(test, atomic_read(&env->fw_calls), (int)tc->fw_called);
	if (tc->fw_called) {
		/* The snapshot, with the guest-visible answer still an error. */
		KUNIT_EXPECT_EQ(test, env->fw_seen_msg_type, tc->msg_type);
		KUNIT_EXPECT_EQ(test, env->fw_seen_payload, SNP_TEST_REQ_BYTE);
		KUNIT_EXPECT_EQ(test, env->fw_seen_ghcb_exit_info_2,
				SNP_GUEST_REQ_ERR_GENERIC);
	}
	KUNIT_EXPECT_LE(test, atomic_read(&env->reads), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&env->msg_frees),
			atomic_read(&env->msg_allocs));
	KUNIT_EXPECT_EQ(test, atomic_read(&env->pending_allocs), (int)tc->exits);
	KUNIT_EXPECT_EQ(test, atomic_read(&env->pending_frees), (int)tc->exits);

	snp_test_certs_check_pages(test, tc, table);
	snp_test_certs_check_stats(test, tc);
}

/* Put a fake vCPU of @kvm_svm into the REQ_CERTS exit. */
static struct vcpu_svm *snp_test_vcpu_in_exit(struct kunit *test,
					      struct kvm_svm *kvm_svm)
{
	struct vcpu_svm *svm = snp_test_vcpu_create(test, kvm_svm, 1);

	KUNIT_EXPECT_EQ(test, snp_handle_guest_req(svm, SVM_VMGEXIT_EXT_GUEST_REQUEST),
			0);
	KUNIT_EXPECT_EQ(test, svm->vcpu.run->exit_reason, KVM_EXIT_COCO);
	KUNIT_EXPECT_NOT_NULL(test, svm->sev_es.snp_guest_req);
	return svm;
}

/* Every snapshot page and stashed request allocated so far is freed. */
static void snp_test_expect_no_leak(struct kunit *test)
{
	struct snp_test_env *env = test->priv;

	KUNIT_EXPECT_EQ(test, atomic_read(&env->msg_frees),
			atomic_read(&env->msg_allocs));
	KUNIT_EXPECT_EQ(test, atomic_read(&env->pending_frees),
			atomic_read(&env->pending_allocs));
}

static void snp_test_certs_destroy_vcpu(struct kunit *test)
{
	struct snp_test_env *env = test->priv;
	struct snp_test_vm *vm = &env->vm[0];
	struct kvm_svm *kvm_svm = snp_test_kvm_create(test, vm, true);
	struct vcpu_svm *svm;

	snp_test_fill_guest(vm, SNP_MSG_REPORT_REQ);
	svm = snp_test_vcpu_in_exit(test, kvm_svm);
	KUNIT_EXPECT_EQ(test, atomic_read(&env->pending_allocs), 1);

	/* sev_free_vcpu() with the exit pending: freed, never sent. */
	snp_guest_req_free_vcpu(svm);
	KUNIT_EXPECT_NULL(test, svm->sev_es.snp_guest_req);
	KUNIT_EXPECT_EQ(test, atomic_read(&env->pending_frees), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&env->msg_frees), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&env->fw_calls), 0);

	/* Idempotent, and a no-op for a vCPU without a pending request. */
	snp_guest_req_free_vcpu(svm);
	snp_test_expect_no_leak(test);
	KUNIT_EXPECT_EQ(test, atomic_read(&env->pending_frees), 1);
}

/*
 * VM destruction with two vCPUs in the exit, in the order of
 * kvm_arch_destroy_vm() (vCPUs, then sev_vm_destroy()) and in the reverse
 * order: freeing a pending request never needs the per-VM context.
 */
static void snp_test_certs_destroy_vm(struct kunit *test)
{
	struct snp_test_env *env = test->priv;
	struct kvm_svm *kvm_svm[2];
	struct vcpu_svm *svm[2][2];
	int i;

	for (i = 0; i < ARRAY_SIZE(kvm_svm); i++) {
		kvm_svm[i] = snp_test_kvm_create(test, &env->vm[i], true);
		snp_test_fill_guest(&env->vm[i], SNP_MSG_REPORT_REQ);
		svm[i][0] = snp_test_vcpu_in_exit(test, kvm_svm[i]);
		svm[i][1] = snp_test_vcpu_in_exit(test, kvm_svm[i]);
	}
	KUNIT_EXPECT_EQ(test, atomic_read(&env->pending_allocs), 4);

	snp_guest_req_free_vcpu(svm[0][0]);
	snp_guest_req_free_vcpu(svm[0][1]);
	snp_guest_req_cleanup(&kvm_svm[0]->kvm);
	env->vm[0].ctx = NULL;

	snp_guest_req_cleanup(&kvm_svm[1]->kvm);
	env->vm[1].ctx = NULL;
	snp_guest_req_free_vcpu(svm[1][0]);
	snp_guest_req_free_vcpu(svm[1][1]);

	KUNIT_EXPECT_EQ(test, atomic_read(&env->pending_frees), 4);
	KUNIT_EXPECT_EQ(test, atomic_read(&env->fw_page_frees), 2);
	KUNIT_EXPECT_EQ(test, atomic_read(&env->fw_calls), 0);
	snp_test_expect_no_leak(test);
}

/* No memory for the stash: KVM_RUN -ENOMEM, generic error, no exit. */
static void snp_test_certs_alloc_fails(struct kunit *test)
{
	struct snp_test_env *env = test->priv;
	struct snp_test_vm *vm = &env->vm[0];
	struct kvm_svm *kvm_svm = snp_test_kvm_create(test, vm, true);
	struct vcpu_svm *svm = snp_test_vcpu_create(test, kvm_svm, 1);

	snp_test_fill_guest(vm, SNP_MSG_REPORT_REQ);
	env->faults = SNP_TEST_FAIL_ALLOC_PENDING;

	KUNIT_EXPECT_EQ(test, snp_handle_guest_req(svm, SVM_VMGEXIT_EXT_GUEST_REQUEST),
			-ENOMEM);
	KUNIT_EXPECT_EQ(test, svm->vcpu.run->exit_reason, KVM_EXIT_UNKNOWN);
	KUNIT_EXPECT_NULL(test, svm->vcpu.arch.complete_userspace_io);
	KUNIT_EXPECT_NULL(test, svm->sev_es.snp_guest_req);
	KUNIT_EXPECT_EQ(test, svm->sev_es.ghcb->save.sw_exit_info_2,
			SNP_GUEST_REQ_ERR_GENERIC);
	KUNIT_EXPECT_EQ(test, atomic_read(&env->fw_calls), 0);
	KUNIT_EXPECT_EQ(test, atomic64_read(&vm->stat.snp_guest_req_host_err), 1);
	KUNIT_EXPECT_EQ(test, atomic64_read(&vm->stat.snp_guest_req_certs_exit), 0);
	snp_test_expect_no_leak(test);
}

/*
 * What a Linux guest does: after BUSY it resends the same message, after
 * INVALID_LEN it asks again with the size it was told.  The message reaches
 * firmware once, with the last answer.
 */
static void snp_test_certs_retry(struct kunit *test)
{
	struct snp_test_env *env = test->priv;
	struct snp_test_vm *vm = &env->vm[0];
	struct kvm_svm *kvm_svm = snp_test_kvm_create(test, vm, true);
	struct vcpu_svm *svm = snp_test_vcpu_create(test, kvm_svm, 1);
	struct kvm_vcpu *vcpu = &svm->vcpu;
	u64 *exit_info_2 = &svm->sev_es.ghcb->save.sw_exit_info_2;

	snp_test_fill_guest(vm, SNP_MSG_REPORT_REQ);
	KUNIT_ASSERT_EQ(test, snp_handle_guest_req(svm, SVM_VMGEXIT_EXT_GUEST_REQUEST), 0);
	snp_test_vmm_answer(vm, vcpu->run, EAGAIN, 0);
	KUNIT_EXPECT_EQ(test, vcpu->arch.complete_userspace_io(vcpu), 1);
	KUNIT_EXPECT_EQ(test, *exit_info_2, SNP_GUEST_ERR(SNP_GUEST_VMM_ERR_BUSY, 0));

	snp_test_fill_guest(vm, SNP_MSG_REPORT_REQ);
	KUNIT_ASSERT_EQ(test, snp_handle_guest_req(svm, SVM_VMGEXIT_EXT_GUEST_REQUEST), 0);
	snp_test_vmm_answer(vm, vcpu->run, ENOSPC, 4);
	KUNIT_EXPECT_EQ(test, vcpu->arch.complete_userspace_io(vcpu), 1);
	KUNIT_EXPECT_EQ(test, *exit_info_2,
			SNP_GUEST_ERR(SNP_GUEST_VMM_ERR_INVALID_LEN, 0));
	KUNIT_EXPECT_EQ(test, vcpu->arch.regs[VCPU_REGS_RBX], 4);

	/* The guest asks again, with the 4 pages it was told. */
	snp_test_fill_guest(vm, SNP_MSG_REPORT_REQ);
	KUNIT_ASSERT_EQ(test, snp_handle_guest_req(svm, SVM_VMGEXIT_EXT_GUEST_REQUEST), 0);
	snp_test_check_exit(test, svm, 4);
	snp_test_vmm_answer(vm, vcpu->run, 0, 0);
	KUNIT_EXPECT_EQ(test, vcpu->arch.complete_userspace_io(vcpu), 1);
	KUNIT_EXPECT_EQ(test, *exit_info_2, 0);
	KUNIT_EXPECT_TRUE(test, snp_test_page_is(vm, SNP_TEST_RESP,
						 SNP_TEST_RESP_BYTE, PAGE_SIZE));

	KUNIT_EXPECT_EQ(test, atomic_read(&env->fw_calls), 1);
	KUNIT_EXPECT_EQ(test, atomic64_read(&vm->stat.snp_ext_guest_req), 3);
	KUNIT_EXPECT_EQ(test, atomic64_read(&vm->stat.snp_guest_req_certs_exit), 3);
	KUNIT_EXPECT_EQ(test, atomic64_read(&vm->stat.snp_guest_req_busy), 1);
	KUNIT_EXPECT_EQ(test, atomic64_read(&vm->stat.snp_guest_req_invalid_len), 1);
	snp_test_expect_no_leak(test);
}

static struct kunit_case snp_test_certs_suite_cases[] = {
	KUNIT_CASE_PARAM(snp_test_certs, snp_test_certs_gen_params),
	KUNIT_CASE(snp_test_certs_destroy_vcpu),
	KUNIT_CASE(snp_test_certs_destroy_vm),
	KUNIT_CASE(snp_test_certs_alloc_fails),
	KUNIT_CASE(snp_test_certs_retry),
	{}
};

static struct kunit_suite snp_test_certs_suite = {
	.name = "kvm_snp_guest_req_certs",
	.init = snp_test_init,
	.exit = snp_test_exit,
	.test_cases = snp_test_certs_suite_cases,
};

kunit_test_suites(&snp_test_request_suite, &snp_test_rule_suite,
		  &snp_test_lifetime_suite, &snp_test_certs_suite);
