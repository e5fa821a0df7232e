/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The VMM side of KVM_EXIT_COCO_REQ_CERTS for the selftests: a certificate
 * table in a file, served under the documented OFD lock protocol (a shared
 * lock from the exit until the request has completed, EAGAIN while a
 * provisioning tool holds the exclusive lock).
 */
#ifndef SELFTEST_KVM_TEST_CERTS_H
#define SELFTEST_KVM_TEST_CERTS_H

#include <stdbool.h>
#include <stddef.h>

#include <linux/kvm.h>

#include "kvm_util.h"

enum snp_test_certs {
	SNP_TEST_CERTS_SMALL,	/* ARK, ASK, VCEK in less than a page */
	SNP_TEST_CERTS_LARGE,	/* ARK, ASK, VCEK in just over a page */
};

struct test_certs;

struct test_certs *test_certs_create(enum snp_test_certs which);
void test_certs_destroy(struct test_certs *p);
/* Answer KVM_EXIT_COCO_REQ_CERTS of vCPU @vcpu_idx. */
void test_certs_handle(struct test_certs *p, struct kvm_vm *vm,
		       int vcpu_idx, struct kvm_run *run);
/* snp_certs write_guest callback for @opaque, a struct kvm_vm *. */
int test_certs_write_vm(void *opaque, uint64_t gpa, const void *buf, size_t len);
/* KVM_RUN has returned after the exit: the request has completed. */
void test_certs_request_done(struct test_certs *p, int vcpu_idx);
/* Take (@lock) or release the exclusive lock, as a provisioning tool does. */
int test_certs_lock_exclusive(struct test_certs *p, bool lock);
/* Answer every exit with @ret instead (0: serve the table again). */
void test_certs_force_ret(struct test_certs *p, int ret);
/* The table the provider serves; return its size. */
size_t test_certs_table(struct test_certs *p, const void **table);
/* Return 0 if @buf holds the served table, else the first differing offset + 1. */
size_t test_certs_check_guest(struct test_certs *p, const void *buf,
			      size_t len);

#endif /* SELFTEST_KVM_TEST_CERTS_H */
