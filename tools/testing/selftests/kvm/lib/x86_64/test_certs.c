// SPDX-License-Identifier: GPL-2.0-only
/*
 * The selftests' certificate provider, see test_certs.h: a table file served
 * through the VMM library of tools/kvm/snp-certs, which is built into the
 * selftests' library from its own source.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kvm_util.h"
#include "test_certs.h"
#include "../../../../../kvm/snp-certs/snp_certs.h"

#define TEST_CERTS_MAX_VCPUS	8

struct test_certs {
	char path[64];
	void *table;
	size_t len;
	struct snp_certs_provider *provider;
	struct snp_certs_request req[TEST_CERTS_MAX_VCPUS];
	int forced_ret;
	int lock_fd;
};

/* Stand-ins for DER certificates: the library does not parse X.509. */
static void *fake_cert(size_t len, uint8_t seed)
{
	uint8_t *p = malloc(len);
	size_t i;

	TEST_ASSERT(p, "malloc");
	for (i = 0; i < len; i++)
		p[i] = seed + i * 7;
	return p;
}

static void build_table(struct test_certs *t, enum snp_test_certs which)
{
	static const size_t small[] = { 600, 600, 500 }, large[] = { 1500, 1500, 1200 };
	const size_t *sizes = which == SNP_TEST_CERTS_LARGE ? large : small;
	static const enum snp_certs_kind kinds[] = {
		SNP_CERTS_ARK, SNP_CERTS_ASK, SNP_CERTS_VCEK,
	};
	struct snp_certs_item items[3];
	struct snp_certs_verdict verdict;
	int i, r;

	for (i = 0; i < 3; i++) {
		memcpy(items[i].guid, snp_certs_kind_guid(kinds[i]), SNP_CERTS_GUID_SIZE);
		items[i].data = fake_cert(sizes[i], 0x31 * (i + 1));
		items[i].len = sizes[i];
	}
	r = snp_certs_build(items, 3, 0, &t->table, &t->len, &verdict);
	TEST_ASSERT(!r, "snp_certs_build: %d (%s)", r, snp_certs_strerror(verdict.error));
	for (i = 0; i < 3; i++)
		free((void *)items[i].data);
}

struct test_certs *test_certs_create(enum snp_test_certs which)
{
	struct test_certs *t = calloc(1, sizeof(*t));
	int fd, i;

	TEST_ASSERT(t, "calloc");
	build_table(t, which);

	snprintf(t->path, sizeof(t->path), "/tmp/snp-certs-test-XXXXXX");
	fd = mkstemp(t->path);
	TEST_ASSERT(fd >= 0, "mkstemp");
	TEST_ASSERT(write(fd, t->table, t->len) == (ssize_t)t->len, "write table");
	close(fd);

	t->provider = snp_certs_provider_open(t->path, 0);
	TEST_ASSERT(t->provider, "snp_certs_provider_open(%s): %s", t->path,
		    strerror(errno));
	for (i = 0; i < TEST_CERTS_MAX_VCPUS; i++)
		t->req[i] = (struct snp_certs_request)SNP_CERTS_REQUEST_INIT;
	t->lock_fd = -1;
	return t;
}

void test_certs_destroy(struct test_certs *t)
{
	int i;

	for (i = 0; i < TEST_CERTS_MAX_VCPUS; i++)
		snp_certs_request_done(&t->req[i]);
	if (t->lock_fd >= 0)
		close(t->lock_fd);
	snp_certs_provider_close(t->provider);
	unlink(t->path);
	free(t->table);
	free(t);
}

int test_certs_write_vm(void *opaque, uint64_t gpa, const void *buf, size_t len)
{
	memcpy(addr_gpa2hva(opaque, gpa), buf, len);
	return 0;
}

void test_certs_handle(struct test_certs *t, struct kvm_vm *vm, int vcpu_idx,
		       struct kvm_run *run)
{
	int r;

	TEST_ASSERT(vcpu_idx < TEST_CERTS_MAX_VCPUS, "vCPU index %d", vcpu_idx);
	TEST_ASSERT_EQ(run->coco.nr, KVM_EXIT_COCO_REQ_CERTS);

	if (t->forced_ret) {
		run->coco.ret = t->forced_ret;
		return;
	}

	/* The answer is in run->coco.ret, and returned. */
	r = snp_certs_handle_exit(t->provider, &t->req[vcpu_idx], run,
				  test_certs_write_vm, vm);
	TEST_ASSERT_EQ(r, (int)run->coco.ret);
}

void test_certs_request_done(struct test_certs *t, int vcpu_idx)
{
	snp_certs_request_done(&t->req[vcpu_idx]);
}

int test_certs_lock_exclusive(struct test_certs *t, bool lock)
{
	struct flock fl = {
		.l_type = lock ? F_WRLCK : F_UNLCK,
		.l_whence = SEEK_SET,
	};

	if (t->lock_fd < 0) {
		t->lock_fd = open(t->path, O_RDWR);
		if (t->lock_fd < 0)
			return -errno;
	}
	return fcntl(t->lock_fd, F_OFD_SETLK, &fl) ? -errno : 0;
}

void test_certs_force_ret(struct test_certs *t, int ret)
{
	t->forced_ret = ret;
}

size_t test_certs_table(struct test_certs *t, const void **table)
{
	if (table)
		*table = t->table;
	return t->len;
}

size_t test_certs_check_guest(struct test_certs *t, const void *buf, size_t len)
{
	const uint8_t *a = buf, *b = t->table;
	size_t i;

	if (len != t->len)
		return len + 1;
	for (i = 0; i < len; i++)
		if (a[i] != b[i])
			return i + 1;
	return 0;
}
