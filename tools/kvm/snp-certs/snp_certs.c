// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * snp_certs: SEV-SNP certificate tables for VMMs, see snp_certs.h and
 * Documentation/virt/kvm/x86/snp-certs.rst.
 *
 * Dual licensed (GPL-2.0 OR BSD-2-Clause) so that VMMs of any license may
 * copy this file and snp_certs.h.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE		/* F_OFD_SETLK */
#endif
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "snp_certs.h"

#ifndef KVM_EXIT_COCO
#error "<linux/kvm.h> lacks KVM_EXIT_COCO: set KHDR_INCLUDES to the patched uapi headers"
#endif

#define GUID_OFFSET		0
#define OFFSET_OFFSET		16
#define LENGTH_OFFSET		20

/* RFC 4122 byte order: the bytes in the order the string form writes them. */
static const uint8_t kind_guids[SNP_CERTS_NR_KINDS][SNP_CERTS_GUID_SIZE] = {
	[SNP_CERTS_ARK] = { 0xc0, 0xb4, 0x06, 0xa4, 0xa8, 0x03, 0x49, 0x52,
			    0x97, 0x43, 0x3f, 0xb6, 0x01, 0x4c, 0xd0, 0xae },
	[SNP_CERTS_ASK] = { 0x4a, 0xb7, 0xb3, 0x79, 0xbb, 0xac, 0x4f, 0xe4,
			    0xa0, 0x2f, 0x05, 0xae, 0xf3, 0x27, 0xc7, 0x82 },
	[SNP_CERTS_VCEK] = { 0x63, 0xda, 0x75, 0x8d, 0xe6, 0x64, 0x45, 0x64,
			     0xad, 0xc5, 0xf4, 0xb9, 0x3b, 0xe8, 0xac, 0xcd },
	[SNP_CERTS_VLEK] = { 0xa8, 0x07, 0x4b, 0xc2, 0xa2, 0x5a, 0x48, 0x3e,
			     0xaa, 0xe6, 0x39, 0xc0, 0x45, 0xa0, 0xb8, 0xa1 },
	[SNP_CERTS_CRL] = { 0x92, 0xf8, 0x1b, 0xc3, 0x58, 0x11, 0x4d, 0x3d,
			    0x97, 0xff, 0xd1, 0x9f, 0x88, 0xdc, 0x67, 0xea },
};

static const char * const kind_names[SNP_CERTS_NR_KINDS] = {
	[SNP_CERTS_ARK] = "ARK",
	[SNP_CERTS_ASK] = "ASK",
	[SNP_CERTS_VCEK] = "VCEK",
	[SNP_CERTS_VLEK] = "VLEK",
	[SNP_CERTS_CRL] = "CRL",
};

static const char * const error_strings[SNP_CERTS_NR_ERRORS] = {
	[SNP_CERTS_VALID] = "valid",
	[SNP_CERTS_E_NO_TERMINATOR] = "no terminating all-zero entry",
	[SNP_CERTS_E_TOO_MANY] = "too many entries",
	[SNP_CERTS_E_ZERO_GUID] = "all-zero GUID in an entry that is not the terminator",
	[SNP_CERTS_E_ZERO_LENGTH] = "zero-length certificate",
	[SNP_CERTS_E_OVERFLOW] = "offset + length overflows 32 bits",
	[SNP_CERTS_E_OUT_OF_RANGE] = "certificate extends beyond the end of the table",
	[SNP_CERTS_E_IN_ENTRIES] = "certificate overlaps the entry area",
	[SNP_CERTS_E_UNKNOWN_GUID] = "unknown GUID",
	[SNP_CERTS_E_DUPLICATE_GUID] = "duplicate GUID",
	[SNP_CERTS_E_OVERLAP] = "certificates overlap",
};

#ifdef SNP_CERTS_TEST_HOOKS
/* Set by snp_certs_test.c to replace the file between lock and stat. */
static void (*test_hook_locked)(const char *path);

static void hook_locked(const char *path)
{
	if (test_hook_locked)
		test_hook_locked(path);
}
#else
static inline void hook_locked(const char *path)
{
	(void)path;
}
#endif

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

static bool guid_is_zero(const uint8_t *guid)
{
	static const uint8_t zero[SNP_CERTS_GUID_SIZE];

	return !memcmp(guid, zero, SNP_CERTS_GUID_SIZE);
}

const uint8_t *snp_certs_kind_guid(enum snp_certs_kind kind)
{
	if (kind < 0 || kind >= SNP_CERTS_NR_KINDS)
		return NULL;
	return kind_guids[kind];
}

const char *snp_certs_kind_name(enum snp_certs_kind kind)
{
	if (kind < 0 || kind >= SNP_CERTS_NR_KINDS)
		return "unknown";
	return kind_names[kind];
}

enum snp_certs_kind snp_certs_kind_from_name(const char *name)
{
	int kind;

	for (kind = 0; kind < SNP_CERTS_NR_KINDS; kind++) {
		if (!strcasecmp(name, kind_names[kind]))
			return kind;
	}
	return SNP_CERTS_UNKNOWN;
}

enum snp_certs_kind snp_certs_guid_kind(const uint8_t guid[SNP_CERTS_GUID_SIZE])
{
	int kind;

	for (kind = 0; kind < SNP_CERTS_NR_KINDS; kind++) {
		if (!memcmp(guid, kind_guids[kind], SNP_CERTS_GUID_SIZE))
			return kind;
	}
	return SNP_CERTS_UNKNOWN;
}

static int hex_value(char c)
{
	static const char digits[] = "0123456789abcdef";
	const char *p;

	if (!c)
		return -1;
	p = strchr(digits, tolower((unsigned char)c));
	return p ? p - digits : -1;
}

static bool guid_dash_at(size_t i)
{
	/* 8-4-4-4-12 hex digits */
	return i == 8 || i == 13 || i == 18 || i == 23;
}

int snp_certs_guid_parse(const char *str, uint8_t guid[SNP_CERTS_GUID_SIZE])
{
	uint8_t tmp[SNP_CERTS_GUID_SIZE];
	size_t i = 0, n = 0;
	int hi, lo;

	if (strlen(str) != SNP_CERTS_GUID_STR_SIZE - 1)
		return -EINVAL;
	while (str[i]) {
		if (guid_dash_at(i)) {
			if (str[i++] != '-')
				return -EINVAL;
			continue;
		}
		hi = hex_value(str[i]);
		lo = hex_value(str[i + 1]);
		if (hi < 0 || lo < 0)
			return -EINVAL;
		tmp[n++] = hi << 4 | lo;
		i += 2;
	}
	memcpy(guid, tmp, sizeof(tmp));
	return 0;
}

void snp_certs_guid_format(const uint8_t guid[SNP_CERTS_GUID_SIZE],
			   char str[SNP_CERTS_GUID_STR_SIZE])
{
	const uint8_t *g = guid;

	snprintf(str, SNP_CERTS_GUID_STR_SIZE,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 g[0], g[1], g[2], g[3], g[4], g[5], g[6], g[7], g[8], g[9],
		 g[10], g[11], g[12], g[13], g[14], g[15]);
}

/* PEM as openssl writes it: one "-----BEGIN X-----" block of base64. */
#define PEM_BEGIN	"-----BEGIN "
#define PEM_END		"-----END "
#define PEM_DASHES	"-----"
#define B64_BITS	6
#define B64_QUAD	4
#define B64_MAX_PAD	2

static int b64_value(char c)
{
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *p;

	if (!c)
		return -1;
	p = strchr(alphabet, c);
	return p ? p - alphabet : -1;
}

/* Decode base64, skipping whitespace; out holds at least n * 3 / 4 bytes. */
static int b64_decode(const char *s, size_t n, uint8_t *out, size_t *out_len)
{
	size_t i, o = 0, sextets = 0, pad = 0;
	unsigned int bits = 0;
	uint32_t acc = 0;
	int v;

	for (i = 0; i < n; i++) {
		if (isspace((unsigned char)s[i]))
			continue;
		if (s[i] == '=') {
			pad++;
			continue;
		}
		v = b64_value(s[i]);
		if (v < 0 || pad)
			return -EBADMSG;
		acc = acc << B64_BITS | v;
		bits += B64_BITS;
		sextets++;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = acc >> bits;
			acc &= (1u << bits) - 1;
		}
	}
	if ((sextets + pad) % B64_QUAD || pad > B64_MAX_PAD)
		return -EBADMSG;
	*out_len = o;
	return 0;
}

static const char *skip_space(const char *p, const char *end)
{
	while (p < end && isspace((unsigned char)*p))
		p++;
	return p;
}

static bool is_pem(const char *p, size_t len)
{
	const char *start = skip_space(p, p + len);
	size_t left = len - (start - p);

	return left >= strlen(PEM_BEGIN) &&
	       !memcmp(start, PEM_BEGIN, strlen(PEM_BEGIN));
}

/* The base64 body of the one PEM block in text[0..len). */
static int pem_body(const char *text, size_t len, const char **body,
		    const char **stop)
{
	const char *end = text + len, *line, *eol;

	line = skip_space(text, end);
	eol = memchr(line, '\n', end - line);
	if (!eol)
		return -EBADMSG;
	if (!memmem(line + strlen(PEM_BEGIN), eol - line - strlen(PEM_BEGIN),
		    PEM_DASHES, strlen(PEM_DASHES)))
		return -EBADMSG;
	*body = eol + 1;
	*stop = memmem(*body, end - *body, PEM_END, strlen(PEM_END));
	if (!*stop)
		return -EBADMSG;
	if (memmem(*stop, end - *stop, PEM_BEGIN, strlen(PEM_BEGIN)))
		return -ENOTUNIQ;
	return 0;
}

static int pem_decode(const char *text, size_t len, void **der, size_t *der_len)
{
	const char *body, *stop;
	uint8_t *out;
	size_t n;
	int rc;

	rc = pem_body(text, len, &body, &stop);
	if (rc)
		return rc;
	out = malloc((stop - body) / B64_QUAD * 3 + 3);
	if (!out)
		return -ENOMEM;
	rc = b64_decode(body, stop - body, out, &n);
	if (!rc && !n)
		rc = -ENODATA;
	if (rc) {
		free(out);
		return rc;
	}
	*der = out;
	*der_len = n;
	return 0;
}

int snp_certs_decode(const void *data, size_t len, void **der, size_t *der_len)
{
	void *copy;

	if (!len)
		return -ENODATA;
	if (is_pem(data, len))
		return pem_decode(data, len, der, der_len);
	copy = malloc(len);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, data, len);
	*der = copy;
	*der_len = len;
	return 0;
}

static int pread_all(int fd, uint8_t *buf, size_t size, size_t *got)
{
	size_t done = 0;
	ssize_t n;

	while (done < size) {
		n = pread(fd, buf + done, size - done, done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (!n)
			break;
		done += n;
	}
	*got = done;
	return 0;
}

static int read_fd(int fd, void **buf, size_t *len)
{
	struct stat st;
	uint8_t *p;
	int rc;

	if (fstat(fd, &st))
		return -errno;
	if (st.st_size < 0 || (uint64_t)st.st_size > SNP_CERTS_MAX_TABLE_BYTES)
		return -EFBIG;
	p = malloc(st.st_size ? st.st_size : 1);
	if (!p)
		return -ENOMEM;
	rc = pread_all(fd, p, st.st_size, len);
	if (rc) {
		free(p);
		return rc;
	}
	*buf = p;
	return 0;
}

int snp_certs_read_file(const char *path, void **der, size_t *der_len)
{
	size_t len;
	void *raw;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	rc = read_fd(fd, &raw, &len);
	close(fd);
	if (rc)
		return rc;
	rc = snp_certs_decode(raw, len, der, der_len);
	free(raw);
	return rc;
}

size_t snp_certs_table_size(const struct snp_certs_item *items, size_t n)
{
	uint64_t size;
	size_t i;

	if (n > SNP_CERTS_MAX_ENTRIES)
		return 0;
	size = (uint64_t)(n + 1) * SNP_CERTS_ENTRY_SIZE;
	for (i = 0; i < n; i++) {
		if (items[i].len > UINT32_MAX)
			return 0;
		size += items[i].len;
		if (size > UINT32_MAX)
			return 0;
	}
	return size;
}

static enum snp_certs_error set_verdict(struct snp_certs_verdict *verdict,
					enum snp_certs_error error,
					size_t entry, size_t other)
{
	verdict->error = error;
	verdict->entry = entry;
	verdict->other = other;
	return error;
}

/* Catch what layout would hide: a zero GUID and length ends the table early. */
static int check_items(const struct snp_certs_item *items, size_t n,
		       struct snp_certs_verdict *verdict)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (guid_is_zero(items[i].guid))
			return set_verdict(verdict, SNP_CERTS_E_ZERO_GUID, i, i);
		if (!items[i].len)
			return set_verdict(verdict, SNP_CERTS_E_ZERO_LENGTH, i, i);
	}
	return SNP_CERTS_VALID;
}

static void layout(uint8_t *t, const struct snp_certs_item *items, size_t n)
{
	uint32_t off = (n + 1) * SNP_CERTS_ENTRY_SIZE;
	uint8_t *e;
	size_t i;

	for (i = 0; i < n; i++) {
		e = t + i * SNP_CERTS_ENTRY_SIZE;
		memcpy(e + GUID_OFFSET, items[i].guid, SNP_CERTS_GUID_SIZE);
		put_le32(e + OFFSET_OFFSET, off);
		put_le32(e + LENGTH_OFFSET, items[i].len);
		memcpy(t + off, items[i].data, items[i].len);
		off += items[i].len;
	}
	/* The terminator is already zero (calloc). */
}

int snp_certs_build(const struct snp_certs_item *items, size_t n,
		    unsigned int flags, void **table, size_t *len,
		    struct snp_certs_verdict *verdict)
{
	struct snp_certs_verdict dummy;
	size_t size;
	uint8_t *t;

	if (!verdict)
		verdict = &dummy;
	if (n > SNP_CERTS_MAX_ENTRIES) {
		set_verdict(verdict, SNP_CERTS_E_TOO_MANY, n, n);
		return -E2BIG;
	}
	if (check_items(items, n, verdict))
		return -EINVAL;
	size = snp_certs_table_size(items, n);
	if (!size)
		return -EOVERFLOW;
	t = calloc(1, size);
	if (!t)
		return -ENOMEM;
	layout(t, items, n);
	if (snp_certs_validate(t, size, flags, verdict)) {
		free(t);
		return -EINVAL;
	}
	*table = t;
	*len = size;
	return 0;
}

static void read_entry(const uint8_t *t, size_t i, struct snp_certs_entry *e)
{
	const uint8_t *p = t + i * SNP_CERTS_ENTRY_SIZE;

	memcpy(e->guid, p + GUID_OFFSET, SNP_CERTS_GUID_SIZE);
	e->offset = get_le32(p + OFFSET_OFFSET);
	e->length = get_le32(p + LENGTH_OFFSET);
}

static bool is_terminator(const struct snp_certs_entry *e)
{
	return guid_is_zero(e->guid) && !e->offset && !e->length;
}

/* *n: the terminator's index, or the number of whole entries without one. */
static bool find_terminator(const uint8_t *t, size_t len, size_t *n)
{
	size_t i, max = len / SNP_CERTS_ENTRY_SIZE;
	struct snp_certs_entry e;

	for (i = 0; i < max; i++) {
		read_entry(t, i, &e);
		if (is_terminator(&e)) {
			*n = i;
			return true;
		}
	}
	*n = max;
	return false;
}

static enum snp_certs_error check_entry(const struct snp_certs_entry *e,
					size_t len, size_t data_start,
					unsigned int flags)
{
	uint64_t end = (uint64_t)e->offset + e->length;

	if (guid_is_zero(e->guid))
		return SNP_CERTS_E_ZERO_GUID;
	if (!e->length)
		return SNP_CERTS_E_ZERO_LENGTH;
	if (end > UINT32_MAX)
		return SNP_CERTS_E_OVERFLOW;
	if (end > len)
		return SNP_CERTS_E_OUT_OF_RANGE;
	if (e->offset < data_start)
		return SNP_CERTS_E_IN_ENTRIES;
	if (!(flags & SNP_CERTS_ALLOW_UNKNOWN) &&
	    snp_certs_guid_kind(e->guid) == SNP_CERTS_UNKNOWN)
		return SNP_CERTS_E_UNKNOWN_GUID;
	return SNP_CERTS_VALID;
}

static enum snp_certs_error check_pair(const struct snp_certs_entry *a,
				       const struct snp_certs_entry *b)
{
	if (!memcmp(a->guid, b->guid, SNP_CERTS_GUID_SIZE))
		return SNP_CERTS_E_DUPLICATE_GUID;
	if (a->offset < (uint64_t)b->offset + b->length &&
	    b->offset < (uint64_t)a->offset + a->length)
		return SNP_CERTS_E_OVERLAP;
	return SNP_CERTS_VALID;
}

enum snp_certs_error snp_certs_validate(const void *table, size_t len,
					unsigned int flags,
					struct snp_certs_verdict *verdict)
{
	struct snp_certs_entry e[SNP_CERTS_MAX_ENTRIES];
	struct snp_certs_verdict dummy;
	enum snp_certs_error err;
	size_t n, i, j, data_start;

	if (!verdict)
		verdict = &dummy;
	if (!find_terminator(table, len, &n))
		return set_verdict(verdict, SNP_CERTS_E_NO_TERMINATOR, n, n);
	if (n > SNP_CERTS_MAX_ENTRIES)
		return set_verdict(verdict, SNP_CERTS_E_TOO_MANY,
				   SNP_CERTS_MAX_ENTRIES, SNP_CERTS_MAX_ENTRIES);
	data_start = (n + 1) * SNP_CERTS_ENTRY_SIZE;
	for (i = 0; i < n; i++) {
		read_entry(table, i, &e[i]);
		err = check_entry(&e[i], len, data_start, flags);
		if (err)
			return set_verdict(verdict, err, i, i);
		for (j = 0; j < i; j++) {
			err = check_pair(&e[i], &e[j]);
			if (err)
				return set_verdict(verdict, err, i, j);
		}
	}
	return set_verdict(verdict, SNP_CERTS_VALID, n, n);
}

const char *snp_certs_strerror(enum snp_certs_error error)
{
	if ((unsigned int)error >= SNP_CERTS_NR_ERRORS)
		return "unknown error";
	return error_strings[error];
}

size_t snp_certs_count(const void *table, size_t len)
{
	size_t n;

	find_terminator(table, len, &n);
	return n;
}

int snp_certs_get_entry(const void *table, size_t len, size_t i,
			struct snp_certs_entry *entry)
{
	if (i >= len / SNP_CERTS_ENTRY_SIZE)
		return -ERANGE;
	read_entry(table, i, entry);
	return 0;
}

uint64_t snp_certs_pages_needed(size_t len)
{
	return len / SNP_CERTS_PAGE_SIZE + (len % SNP_CERTS_PAGE_SIZE != 0);
}

bool snp_certs_exceeds_guest_limit(size_t len)
{
	return len > SNP_CERTS_GUEST_MAX_BYTES;
}

static int answer_ret(struct kvm_exit_coco *coco, int ret)
{
	coco->ret = ret;
	return ret;
}

static int answer_enospc(struct kvm_exit_coco *coco, uint64_t need)
{
	/* KVM_RUN fails with EINVAL on more pages than it accepts. */
	if (need > SNP_CERTS_KVM_MAX_PAGES)
		return answer_ret(coco, EIO);
	coco->req_certs.npages = need;
	return answer_ret(coco, ENOSPC);
}

int snp_certs_answer(const void *table, size_t len, struct kvm_exit_coco *coco,
		     snp_certs_write_guest_t write_guest, void *opaque)
{
	uint64_t gpa = coco->req_certs.gpa;
	uint64_t offered = coco->req_certs.npages;
	uint64_t need = snp_certs_pages_needed(len);

	if (snp_certs_validate(table, len, SNP_CERTS_ALLOW_UNKNOWN, NULL))
		return answer_ret(coco, EIO);
	/* No buffer and nothing to put in it: api.rst allows 0 unwritten. */
	if (!offered && !snp_certs_count(table, len))
		return answer_ret(coco, 0);
	if (need > offered)
		return answer_enospc(coco, need);
	if (write_guest(opaque, gpa, table, len))
		return answer_ret(coco, EIO);
	return answer_ret(coco, 0);
}

/*
 * The provider caches the last table it read; each request takes a
 * reference, so a vCPU can write one version into its guest while another
 * vCPU reads a newer one.
 */
struct snp_certs_blob {
	unsigned int refs;	/* under snp_certs_provider.lock */
	struct stat st;		/* the file the data came from */
	size_t len;
	uint8_t data[];
};

struct snp_certs_provider {
	char *path;
	unsigned int flags;
	pthread_mutex_t lock;
	struct snp_certs_blob *cur;
};

static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

static bool same_time(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
}

static bool same_content(const struct stat *a, const struct stat *b)
{
	return same_file(a, b) && a->st_size == b->st_size &&
	       same_time(&a->st_mtim, &b->st_mtim) &&
	       same_time(&a->st_ctim, &b->st_ctim);
}

static int set_ofd_lock(int fd, short type)
{
	struct flock fl = { .l_type = type, .l_whence = SEEK_SET };

	return fcntl(fd, F_OFD_SETLK, &fl) ? -errno : 0;
}

/* fd with a shared lock on the file path names now, -ESTALE if renamed over. */
static int lock_once(const char *path, struct stat *st)
{
	struct stat now;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	rc = set_ofd_lock(fd, F_RDLCK);
	if (rc == -EACCES)
		rc = -EAGAIN;
	if (rc)
		goto out_close;
	hook_locked(path);
	if (fstat(fd, st)) {
		rc = -errno;
		goto out_close;
	}
	if (stat(path, &now) || !same_file(st, &now)) {
		rc = -ESTALE;
		goto out_close;
	}
	return fd;
out_close:
	close(fd);
	return rc;
}

static int lock_path(const char *path, struct stat *st)
{
	int i, fd = -ESTALE;

	for (i = 0; i < SNP_CERTS_REOPEN_TRIES && fd == -ESTALE; i++)
		fd = lock_once(path, st);
	return fd == -ESTALE ? -EAGAIN : fd;
}

static int blob_read(int fd, const struct stat *st, unsigned int flags,
		     struct snp_certs_blob **blob)
{
	struct snp_certs_blob *b;
	size_t len;
	void *buf;
	int rc;

	rc = read_fd(fd, &buf, &len);
	if (rc)
		return rc;
	if (snp_certs_validate(buf, len, flags, NULL)) {
		free(buf);
		return -EINVAL;
	}
	b = malloc(sizeof(*b) + len);
	if (b) {
		b->refs = 1;
		b->st = *st;
		b->len = len;
		memcpy(b->data, buf, len);
	}
	free(buf);
	*blob = b;
	return b ? 0 : -ENOMEM;
}

static void blob_put_locked(struct snp_certs_blob *b)
{
	if (b && !--b->refs)
		free(b);
}

static void blob_put(struct snp_certs_provider *p, struct snp_certs_blob *b)
{
	pthread_mutex_lock(&p->lock);
	blob_put_locked(b);
	pthread_mutex_unlock(&p->lock);
}

/* The table in the locked fd: the cached one unless the file changed. */
static int blob_get(struct snp_certs_provider *p, int fd, const struct stat *st,
		    struct snp_certs_blob **blob)
{
	struct snp_certs_blob *b;
	int rc = 0;

	pthread_mutex_lock(&p->lock);
	if (!p->cur || !same_content(&p->cur->st, st)) {
		rc = blob_read(fd, st, p->flags, &b);
		if (rc)
			goto out_unlock;
		blob_put_locked(p->cur);
		p->cur = b;
	}
	p->cur->refs++;
	*blob = p->cur;
out_unlock:
	pthread_mutex_unlock(&p->lock);
	return rc;
}

static int provider_preload(struct snp_certs_provider *p)
{
	struct snp_certs_blob *b;
	struct stat st;
	int fd, rc;

	fd = lock_path(p->path, &st);
	if (fd == -EAGAIN)
		return 0;	/* being changed: load on the first exit */
	if (fd < 0)
		return fd;
	rc = blob_get(p, fd, &st, &b);
	if (!rc)
		blob_put(p, b);
	close(fd);
	return rc;
}

struct snp_certs_provider *snp_certs_provider_open(const char *path,
						   unsigned int flags)
{
	struct snp_certs_provider *p;
	int rc;

	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->flags = flags;
	pthread_mutex_init(&p->lock, NULL);
	p->path = strdup(path);
	rc = p->path ? provider_preload(p) : -ENOMEM;
	if (rc) {
		snp_certs_provider_close(p);
		errno = -rc;
		return NULL;
	}
	return p;
}

void snp_certs_provider_close(struct snp_certs_provider *provider)
{
	if (!provider)
		return;
	blob_put_locked(provider->cur);
	pthread_mutex_destroy(&provider->lock);
	free(provider->path);
	free(provider);
}

int snp_certs_handle_coco(struct snp_certs_provider *provider,
			  struct snp_certs_request *req,
			  struct kvm_exit_coco *coco,
			  snp_certs_write_guest_t write_guest, void *opaque)
{
	struct snp_certs_blob *b;
	struct stat st;
	int fd, ret;

	if (coco->nr != KVM_EXIT_COCO_REQ_CERTS)
		return -EINVAL;
	if (req->fd >= 0)
		return -EBUSY;
	fd = lock_path(provider->path, &st);
	if (fd < 0)
		return answer_ret(coco, fd == -EAGAIN ? EAGAIN : EIO);
	if (blob_get(provider, fd, &st, &b)) {
		close(fd);
		return answer_ret(coco, EIO);
	}
	ret = snp_certs_answer(b->data, b->len, coco, write_guest, opaque);
	blob_put(provider, b);
	if (ret)
		close(fd);
	else
		req->fd = fd;	/* until snp_certs_request_done() */
	return ret;
}

int snp_certs_handle_exit(struct snp_certs_provider *provider,
			  struct snp_certs_request *req, struct kvm_run *run,
			  snp_certs_write_guest_t write_guest, void *opaque)
{
	if (run->exit_reason != KVM_EXIT_COCO)
		return -EINVAL;
	return snp_certs_handle_coco(provider, req, &run->coco, write_guest,
				     opaque);
}

void snp_certs_request_done(struct snp_certs_request *req)
{
	if (req->fd < 0)
		return;
	/* Explicitly: a fork()ed child may share the open file description. */
	set_ofd_lock(req->fd, F_UNLCK);
	close(req->fd);
	req->fd = -1;
}
