/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * snp_certs: SEV-SNP certificate tables for VMMs.
 *
 * Builds and validates the GHCB certificate table that goes with an SNP
 * attestation report, and answers KVM_EXIT_COCO_REQ_CERTS exits from a
 * table file, following the OFD lock convention of
 * Documentation/virt/kvm/x86/amd-memory-encryption.rst.
 *
 * Dual licensed (GPL-2.0 OR BSD-2-Clause) so that VMMs of any license may
 * copy snp_certs.h and snp_certs.c.  C99 (gnu99), libc and pthreads only;
 * see Documentation/virt/kvm/x86/snp-certs.rst for the full reference.
 */
#ifndef SNP_CERTS_H
#define SNP_CERTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Only the exit helpers use these, through pointers: see <linux/kvm.h>. */
struct kvm_run;
struct kvm_exit_coco;

#define SNP_CERTS_GUID_SIZE		16
#define SNP_CERTS_GUID_STR_SIZE		37	/* 36 characters and a NUL */
#define SNP_CERTS_ENTRY_SIZE		24
#define SNP_CERTS_PAGE_SIZE		4096
/* The most entries a table may have, terminator not counted. */
#define SNP_CERTS_MAX_ENTRIES		64
/* The largest certificate buffer a Linux guest offers: 16 KiB. */
#define SNP_CERTS_GUEST_MAX_BYTES	(16 * 1024)
/* The largest page count KVM accepts with ENOSPC (16 MiB). */
#define SNP_CERTS_KVM_MAX_PAGES		4096
#define SNP_CERTS_MAX_TABLE_BYTES \
	((size_t)SNP_CERTS_KVM_MAX_PAGES * SNP_CERTS_PAGE_SIZE)
/* How often a provider reopens a table file that was renamed over. */
#define SNP_CERTS_REOPEN_TRIES		8

/* Flags of snp_certs_validate(), snp_certs_build(), snp_certs_provider_open(). */
#define SNP_CERTS_ALLOW_UNKNOWN		0x1u

enum snp_certs_kind {
	SNP_CERTS_UNKNOWN = -1,
	SNP_CERTS_ARK,
	SNP_CERTS_ASK,
	SNP_CERTS_VCEK,
	SNP_CERTS_VLEK,
	SNP_CERTS_CRL,
	SNP_CERTS_NR_KINDS,
};

enum snp_certs_error {
	SNP_CERTS_VALID,
	SNP_CERTS_E_NO_TERMINATOR,	/* no all-zero entry in the buffer */
	SNP_CERTS_E_TOO_MANY,		/* more than SNP_CERTS_MAX_ENTRIES */
	SNP_CERTS_E_ZERO_GUID,		/* all-zero GUID, not a terminator */
	SNP_CERTS_E_ZERO_LENGTH,	/* certificate of length 0 */
	SNP_CERTS_E_OVERFLOW,		/* offset + length overflows a u32 */
	SNP_CERTS_E_OUT_OF_RANGE,	/* offset + length beyond the buffer */
	SNP_CERTS_E_IN_ENTRIES,		/* certificate overlaps the entries */
	SNP_CERTS_E_UNKNOWN_GUID,	/* GUID of no known kind */
	SNP_CERTS_E_DUPLICATE_GUID,	/* GUID of an earlier entry */
	SNP_CERTS_E_OVERLAP,		/* overlaps an earlier certificate */
	SNP_CERTS_NR_ERRORS,
};

/* Which entry failed; other is the earlier entry for DUPLICATE/OVERLAP. */
struct snp_certs_verdict {
	enum snp_certs_error error;
	size_t entry;
	size_t other;
};

/* One decoded table entry (host byte order). */
struct snp_certs_entry {
	uint8_t guid[SNP_CERTS_GUID_SIZE];
	uint32_t offset;
	uint32_t length;
};

/* One certificate to put into a table: DER bytes and their GUID. */
struct snp_certs_item {
	uint8_t guid[SNP_CERTS_GUID_SIZE];
	const void *data;
	size_t len;
};

/* Returns 0 on success, anything else makes the answer EIO. */
typedef int (*snp_certs_write_guest_t)(void *opaque, uint64_t gpa,
				       const void *buf, size_t len);

/* GUIDs and kinds */
const uint8_t *snp_certs_kind_guid(enum snp_certs_kind kind);
const char *snp_certs_kind_name(enum snp_certs_kind kind);
enum snp_certs_kind snp_certs_kind_from_name(const char *name);
enum snp_certs_kind snp_certs_guid_kind(const uint8_t guid[SNP_CERTS_GUID_SIZE]);
int snp_certs_guid_parse(const char *str, uint8_t guid[SNP_CERTS_GUID_SIZE]);
void snp_certs_guid_format(const uint8_t guid[SNP_CERTS_GUID_SIZE],
			   char str[SNP_CERTS_GUID_STR_SIZE]);

/* Certificate files: DER as is, PEM decoded */
int snp_certs_decode(const void *data, size_t len, void **der, size_t *der_len);
int snp_certs_read_file(const char *path, void **der, size_t *der_len);

/* Tables */
size_t snp_certs_table_size(const struct snp_certs_item *items, size_t n);
int snp_certs_build(const struct snp_certs_item *items, size_t n,
		    unsigned int flags, void **table, size_t *len,
		    struct snp_certs_verdict *verdict);
enum snp_certs_error snp_certs_validate(const void *table, size_t len,
					unsigned int flags,
					struct snp_certs_verdict *verdict);
const char *snp_certs_strerror(enum snp_certs_error error);
size_t snp_certs_count(const void *table, size_t len);
int snp_certs_get_entry(const void *table, size_t len, size_t i,
			struct snp_certs_entry *entry);
uint64_t snp_certs_pages_needed(size_t len);
bool snp_certs_exceeds_guest_limit(size_t len);

/* KVM_EXIT_COCO_REQ_CERTS from a table in memory (no locking) */
int snp_certs_answer(const void *table, size_t len, struct kvm_exit_coco *coco,
		     snp_certs_write_guest_t write_guest, void *opaque);

/* KVM_EXIT_COCO_REQ_CERTS from a table file, with the OFD lock protocol */
struct snp_certs_provider;

/* One in-flight request; owned by one vCPU thread. */
struct snp_certs_request {
	int fd;		/* holds the shared lock while >= 0 */
};

#define SNP_CERTS_REQUEST_INIT { .fd = -1 }

struct snp_certs_provider *snp_certs_provider_open(const char *path,
						   unsigned int flags);
void snp_certs_provider_close(struct snp_certs_provider *provider);
int snp_certs_handle_exit(struct snp_certs_provider *provider,
			  struct snp_certs_request *req, struct kvm_run *run,
			  snp_certs_write_guest_t write_guest, void *opaque);
int snp_certs_handle_coco(struct snp_certs_provider *provider,
			  struct snp_certs_request *req,
			  struct kvm_exit_coco *coco,
			  snp_certs_write_guest_t write_guest, void *opaque);
void snp_certs_request_done(struct snp_certs_request *req);

#endif /* SNP_CERTS_H */
