// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the snp_certs library, KTAP ("TAP version 13") on stdout.
 *
 * The library source is included, not linked, to reach its one test hook
 * (test_hook_locked: replace the file between lock and stat); everything
 * else goes through the public API.  Inputs are tiny fixtures in this file
 * and files generated in a temporary directory; with SNP_CERTS_TEST_CERTS
 * set to the output of scripts/gen-test-certs.sh, a real openssl-made chain
 * is round-tripped too.
 */
#define SNP_CERTS_TEST_HOOKS
#include "snp_certs.c"

#include <dirent.h>
#include <limits.h>

#define GUEST_GPA	0x200000ull
#define GUEST_PAGES	4
#define POISON		0xa5
#define RET_UNSET	0xdeadbeefull
#define NR_THREADS	4
#define NR_ITERATIONS	200
#define NR_SWAPS	50

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static char tmpdir[PATH_MAX / 2];	/* room for the file names */
static bool case_failed;
static const char *case_skipped;

static bool expect(bool ok, int line, const char *what)
{
	if (!ok) {
		printf("# line %d: %s\n", line, what);
		case_failed = true;
	}
	return ok;
}

static bool expect_eq(long long got, long long want, int line, const char *what)
{
	if (got != want) {
		printf("# line %d: %s: got %lld, want %lld\n", line, what, got, want);
		case_failed = true;
	}
	return got == want;
}

#define EXPECT(cond)		expect(!!(cond), __LINE__, #cond)
#define EXPECT_EQ(got, want)	expect_eq((got), (want), __LINE__, #got)

/* Fixtures: tiny DER-shaped blobs (SEQUENCE { INTEGER, ... }). */
static const uint8_t fake_ark[] = { 0x30, 0x06, 0x02, 0x01, 0x01, 0x04, 0x01, 0xa1 };
static const uint8_t fake_ask[] = { 0x30, 0x05, 0x02, 0x01, 0x02, 0x05, 0x00 };
static const uint8_t fake_vcek[] = { 0x30, 0x03, 0x02, 0x01, 0x03 };
static const uint8_t * const fake_data[3] = { fake_ark, fake_ask, fake_vcek };
static const size_t fake_len[3] = { sizeof(fake_ark), sizeof(fake_ask), sizeof(fake_vcek) };

/* The GUIDs as REFERENCE.md writes them, parsed independently of the table. */
static const char * const guid_strings[SNP_CERTS_NR_KINDS] = {
	[SNP_CERTS_ARK] = "c0b406a4-a803-4952-9743-3fb6014cd0ae",
	[SNP_CERTS_ASK] = "4ab7b379-bbac-4fe4-a02f-05aef327c782",
	[SNP_CERTS_VCEK] = "63da758d-e664-4564-adc5-f4b93be8accd",
	[SNP_CERTS_VLEK] = "a8074bc2-a25a-483e-aae6-39c045a0b8a1",
	[SNP_CERTS_CRL] = "92f81bc3-5811-4d3d-97ff-d19f88dc67ea",
};

static const uint8_t other_guid[SNP_CERTS_GUID_SIZE] = {
	0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
	0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10,
};

static void item(struct snp_certs_item *it, enum snp_certs_kind kind,
		 const void *data, size_t len)
{
	memcpy(it->guid, snp_certs_kind_guid(kind), SNP_CERTS_GUID_SIZE);
	it->data = data;
	it->len = len;
}

static size_t fake_items(struct snp_certs_item items[3])
{
	item(&items[0], SNP_CERTS_ARK, fake_ark, sizeof(fake_ark));
	item(&items[1], SNP_CERTS_ASK, fake_ask, sizeof(fake_ask));
	item(&items[2], SNP_CERTS_VCEK, fake_vcek, sizeof(fake_vcek));
	return 3;
}

static uint8_t *build_fake(size_t *len)
{
	struct snp_certs_item items[3];
	void *table = NULL;
	size_t n = fake_items(items);

	if (!EXPECT_EQ(snp_certs_build(items, n, 0, &table, len, NULL), 0))
		return NULL;
	return table;
}

/* A table with one VCEK of (len - 2 entries) bytes, or none for len 24. */
static uint8_t *build_sized(size_t len)
{
	struct snp_certs_item it;
	size_t cert = len - 2 * SNP_CERTS_ENTRY_SIZE, got = 0;
	void *table = NULL, *data;
	int rc;

	if (len == SNP_CERTS_ENTRY_SIZE) {
		rc = snp_certs_build(NULL, 0, 0, &table, &got, NULL);
	} else {
		data = malloc(cert);
		memset(data, 0x30, cert);
		item(&it, SNP_CERTS_VCEK, data, cert);
		rc = snp_certs_build(&it, 1, 0, &table, &got, NULL);
		free(data);
	}
	EXPECT_EQ(rc, 0);
	EXPECT_EQ(got, len);
	return table;
}

static void put_entry(uint8_t *t, size_t i, const uint8_t *guid, uint32_t off,
		      uint32_t len)
{
	uint8_t *e = t + i * SNP_CERTS_ENTRY_SIZE;

	memcpy(e, guid, SNP_CERTS_GUID_SIZE);
	put_le32(e + OFFSET_OFFSET, off);
	put_le32(e + LENGTH_OFFSET, len);
}

static const char *tmp_path(const char *name)
{
	static char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	return path;
}

static int write_file(const char *path, const void *buf, size_t len)
{
	FILE *f = fopen(path, "w");
	size_t n;

	if (!f)
		return -1;
	n = fwrite(buf, 1, len, f);
	return fclose(f) || n != len ? -1 : 0;
}

/* Replace path by a new file (new inode), as "mv new path" does. */
static int replace_file(const char *path, const void *buf, size_t len)
{
	char tmp[PATH_MAX];

	snprintf(tmp, sizeof(tmp), "%s.new", path);
	if (write_file(tmp, buf, len))
		return -1;
	return rename(tmp, path);
}

static void b64_encode(const uint8_t *in, size_t len, char *out, int wrap,
		       const char *eol)
{
	static const char a[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i, col = 0;
	uint32_t v;

	for (i = 0; i < len; i += 3) {
		v = in[i] << 16 | (i + 1 < len ? in[i + 1] << 8 : 0) |
		    (i + 2 < len ? in[i + 2] : 0);
		*out++ = a[v >> 18 & 63];
		*out++ = a[v >> 12 & 63];
		*out++ = i + 1 < len ? a[v >> 6 & 63] : '=';
		*out++ = i + 2 < len ? a[v & 63] : '=';
		col += 4;
		if (col >= (size_t)wrap && i + 3 < len) {
			out = stpcpy(out, eol);
			col = 0;
		}
	}
	*out = 0;
}

/* PEM text as openssl writes it (wrap 64, "\n"), or variants. */
static char *make_pem(const void *der, size_t len, int wrap, const char *eol)
{
	char *body = malloc(len * 2 + 64), *pem = malloc(len * 2 + 256);

	b64_encode(der, len, body, wrap, eol);
	sprintf(pem, "-----BEGIN CERTIFICATE-----%s%s%s-----END CERTIFICATE-----%s",
		eol, body, eol, eol);
	free(body);
	return pem;
}

struct fake_guest {
	uint8_t mem[GUEST_PAGES * SNP_CERTS_PAGE_SIZE];
	size_t size;		/* what the guest offered */
	unsigned int calls;
	bool fail;
};

static int fake_write(void *opaque, uint64_t gpa, const void *buf, size_t len)
{
	struct fake_guest *g = opaque;
	uint64_t off = gpa - GUEST_GPA;

	g->calls++;
	if (g->fail || gpa < GUEST_GPA || off > g->size || len > g->size - off)
		return -1;
	memcpy(g->mem + off, buf, len);
	return 0;
}

static void guest_init(struct fake_guest *g, uint64_t npages)
{
	memset(g->mem, POISON, sizeof(g->mem));
	g->size = npages * SNP_CERTS_PAGE_SIZE;
	g->calls = 0;
	g->fail = false;
}

static void exit_init(struct kvm_run *run, uint64_t npages)
{
	memset(run, 0, sizeof(*run));
	run->exit_reason = KVM_EXIT_COCO;
	run->coco.nr = KVM_EXIT_COCO_REQ_CERTS;
	run->coco.ret = RET_UNSET;
	run->coco.req_certs.gpa = GUEST_GPA;
	run->coco.req_certs.npages = npages;
}

static bool guest_has(const struct fake_guest *g, const void *table, size_t len)
{
	return !memcmp(g->mem, table, len) &&
	       (len == sizeof(g->mem) || g->mem[len] == POISON);
}

/* What a writer would conflict with, seen from another open file description. */
static short lock_seen(const char *path)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	int fd = open(path, O_RDWR);

	if (fd < 0 || fcntl(fd, F_OFD_GETLK, &fl))
		fl.l_type = -1;
	if (fd >= 0)
		close(fd);
	return fl.l_type;
}

static int hold_lock(const char *path, short type)
{
	struct flock fl = { .l_type = type, .l_whence = SEEK_SET };
	int fd = open(path, O_RDWR);

	if (fd >= 0 && fcntl(fd, F_OFD_SETLK, &fl)) {
		close(fd);
		fd = -1;
	}
	return fd;
}

static void test_guid_ark_byte_order(void)
{
	static const uint8_t want[SNP_CERTS_GUID_SIZE] = {
		0xc0, 0xb4, 0x06, 0xa4, 0xa8, 0x03, 0x49, 0x52,
		0x97, 0x43, 0x3f, 0xb6, 0x01, 0x4c, 0xd0, 0xae,
	};
	struct snp_certs_entry e;
	uint8_t *t;
	size_t len;

	EXPECT(!memcmp(snp_certs_kind_guid(SNP_CERTS_ARK), want, sizeof(want)));
	t = build_fake(&len);
	if (!t)
		return;
	/* In the table, not only in the constant. */
	EXPECT(!memcmp(t, want, sizeof(want)));
	EXPECT_EQ(snp_certs_get_entry(t, len, 0, &e), 0);
	EXPECT(!memcmp(e.guid, want, sizeof(want)));
	free(t);
}

static void test_guid_known_kinds(void)
{
	char str[SNP_CERTS_GUID_STR_SIZE];
	uint8_t guid[SNP_CERTS_GUID_SIZE];
	int k;

	for (k = 0; k < SNP_CERTS_NR_KINDS; k++) {
		EXPECT_EQ(snp_certs_guid_parse(guid_strings[k], guid), 0);
		EXPECT(!memcmp(guid, snp_certs_kind_guid(k), sizeof(guid)));
		EXPECT_EQ(snp_certs_guid_kind(guid), k);
		snp_certs_guid_format(guid, str);
		EXPECT(!strcmp(str, guid_strings[k]));
		EXPECT_EQ(snp_certs_kind_from_name(snp_certs_kind_name(k)), k);
	}
	EXPECT_EQ(snp_certs_kind_from_name("vcek"), SNP_CERTS_VCEK);
	EXPECT_EQ(snp_certs_kind_from_name("asvk"), SNP_CERTS_UNKNOWN);
	EXPECT_EQ(snp_certs_guid_kind(other_guid), SNP_CERTS_UNKNOWN);
	EXPECT(!snp_certs_kind_guid(SNP_CERTS_NR_KINDS));
	EXPECT(!strcmp(snp_certs_kind_name(SNP_CERTS_UNKNOWN), "unknown"));
}

static void test_guid_parse_rejects(void)
{
	static const char * const bad[] = {
		"",
		"c0b406a4-a803-4952-9743-3fb6014cd0a",		/* short */
		"c0b406a4-a803-4952-9743-3fb6014cd0aef",	/* long */
		"c0b406a4a803-4952-9743-3fb6014cd0ae0",		/* dash moved */
		"c0b406a4-a803-4952-9743-3fb6014cd0ag",		/* not hex */
		"{0b406a4-a803-4952-9743-3fb6014cd0a}",
	};
	uint8_t guid[SNP_CERTS_GUID_SIZE];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++)
		EXPECT_EQ(snp_certs_guid_parse(bad[i], guid), -EINVAL);
	EXPECT_EQ(snp_certs_guid_parse("C0B406A4-A803-4952-9743-3FB6014CD0AE", guid), 0);
	EXPECT_EQ(snp_certs_guid_kind(guid), SNP_CERTS_ARK);
}

static void test_build_golden_layout(void)
{
	/* Entries written out by hand from REFERENCE.md section 1. */
	static const uint8_t want[4 * SNP_CERTS_ENTRY_SIZE] = {
		0xc0, 0xb4, 0x06, 0xa4, 0xa8, 0x03, 0x49, 0x52,
		0x97, 0x43, 0x3f, 0xb6, 0x01, 0x4c, 0xd0, 0xae,
		96, 0, 0, 0, 8, 0, 0, 0,
		0x4a, 0xb7, 0xb3, 0x79, 0xbb, 0xac, 0x4f, 0xe4,
		0xa0, 0x2f, 0x05, 0xae, 0xf3, 0x27, 0xc7, 0x82,
		104, 0, 0, 0, 7, 0, 0, 0,
		0x63, 0xda, 0x75, 0x8d, 0xe6, 0x64, 0x45, 0x64,
		0xad, 0xc5, 0xf4, 0xb9, 0x3b, 0xe8, 0xac, 0xcd,
		111, 0, 0, 0, 5, 0, 0, 0,
		/* terminator: zeroes */
	};
	uint8_t *t;
	size_t len;

	t = build_fake(&len);
	if (!t)
		return;
	EXPECT_EQ(len, 116);
	EXPECT(!memcmp(t, want, sizeof(want)));
	EXPECT(!memcmp(t + 96, fake_ark, sizeof(fake_ark)));
	EXPECT(!memcmp(t + 104, fake_ask, sizeof(fake_ask)));
	EXPECT(!memcmp(t + 111, fake_vcek, sizeof(fake_vcek)));
	EXPECT_EQ(snp_certs_table_size(NULL, 0), SNP_CERTS_ENTRY_SIZE);
	free(t);
}

/* Build from files, parse the table, compare each certificate's bytes. */
static void round_trip(const char * const paths[3], const uint8_t * const want[3],
		       const size_t want_len[3], uint8_t **out, size_t *out_len)
{
	static const enum snp_certs_kind kinds[3] = {
		SNP_CERTS_ARK, SNP_CERTS_ASK, SNP_CERTS_VCEK,
	};
	struct snp_certs_item items[3] = { 0 };
	struct snp_certs_entry e;
	void *der, *table = NULL;
	size_t i, len, tlen = 0;

	for (i = 0; i < 3; i++) {
		if (!EXPECT_EQ(snp_certs_read_file(paths[i], &der, &len), 0))
			goto out_free;
		EXPECT_EQ(len, want_len[i]);
		item(&items[i], kinds[i], der, len);
	}
	if (!EXPECT_EQ(snp_certs_build(items, 3, 0, &table, &tlen, NULL), 0))
		goto out_free;
	EXPECT_EQ(snp_certs_count(table, tlen), 3);
	for (i = 0; i < 3; i++) {
		EXPECT_EQ(snp_certs_get_entry(table, tlen, i, &e), 0);
		EXPECT_EQ(snp_certs_guid_kind(e.guid), kinds[i]);
		EXPECT_EQ(e.length, want_len[i]);
		EXPECT(e.offset + e.length <= tlen &&
		       !memcmp((uint8_t *)table + e.offset, want[i], want_len[i]));
	}
out_free:
	for (i = 0; i < 3; i++)
		free((void *)items[i].data);
	*out = table;
	*out_len = tlen;
}

static void fixture_files(const char *suffix, int wrap, const char *eol,
			  const char *paths[3])
{
	static char names[3][PATH_MAX];
	char *pem;
	int i;

	for (i = 0; i < 3; i++) {
		snprintf(names[i], PATH_MAX, "%s/fixture%d.%s", tmpdir, i, suffix);
		if (wrap) {
			pem = make_pem(fake_data[i], fake_len[i], wrap, eol);
			EXPECT_EQ(write_file(names[i], pem, strlen(pem)), 0);
			free(pem);
		} else {
			EXPECT_EQ(write_file(names[i], fake_data[i], fake_len[i]), 0);
		}
		paths[i] = names[i];
	}
}

static void test_build_der_round_trip(void)
{
	const char *paths[3];
	uint8_t *t, *golden;
	size_t len, glen;

	fixture_files("der", 0, NULL, paths);
	round_trip(paths, fake_data, fake_len, &t, &len);
	golden = build_fake(&glen);
	EXPECT(t && golden && len == glen && !memcmp(t, golden, len));
	free(t);
	free(golden);
}

static void test_build_pem_round_trip(void)
{
	static const struct { int wrap; const char *eol; } styles[] = {
		{ 64, "\n" }, { 4, "\r\n" }, { 76, "\n" },
	};
	const char *paths[3];
	uint8_t *t, *golden;
	size_t i, len, glen;

	golden = build_fake(&glen);
	for (i = 0; i < ARRAY_SIZE(styles); i++) {
		fixture_files("pem", styles[i].wrap, styles[i].eol, paths);
		round_trip(paths, fake_data, fake_len, &t, &len);
		EXPECT(t && golden && len == glen && !memcmp(t, golden, len));
		free(t);
	}
	free(golden);
}

static void test_pem_malformed(void)
{
	static const struct { const char *text; int rc; } cases[] = {
		{ "-----BEGIN CERTIFICATE-----\nMAMCAQM=\n", -EBADMSG },	/* no END */
		{ "-----BEGIN CERTIFICATE\nMAMCAQM=\n-----END CERTIFICATE-----\n", -EBADMSG },
		{ "-----BEGIN CERTIFICATE-----\nMAM*AQM=\n-----END CERTIFICATE-----\n", -EBADMSG },
		{ "-----BEGIN CERTIFICATE-----\nMAMCAQM\n-----END CERTIFICATE-----\n", -EBADMSG },
		{ "-----BEGIN CERTIFICATE-----\nMA=MCAQM\n-----END CERTIFICATE-----\n", -EBADMSG },
		{ "-----BEGIN CERTIFICATE-----\n\n-----END CERTIFICATE-----\n", -ENODATA },
		{ "-----BEGIN CERTIFICATE-----\nMAMCAQM=\n-----END CERTIFICATE-----\n"
		  "-----BEGIN CERTIFICATE-----\nMAMCAQM=\n-----END CERTIFICATE-----\n", -ENOTUNIQ },
		{ "", -ENODATA },
	};
	static const char good[] = "\n-----BEGIN X-----\nMAMCAQM=\n-----END X-----\n";
	void *der = NULL;
	size_t i, len;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		if (!EXPECT_EQ(snp_certs_decode(cases[i].text, strlen(cases[i].text),
						&der, &len), cases[i].rc))
			printf("# case %zu\n", i);
	}
	/* A well-formed one, after a blank line: fake_vcek. */
	EXPECT_EQ(snp_certs_decode(good, strlen(good), &der, &len), 0);
	EXPECT(len == sizeof(fake_vcek) && !memcmp(der, fake_vcek, len));
	free(der);
	EXPECT_EQ(snp_certs_read_file(tmp_path("missing"), &der, &len), -ENOENT);
}

static void test_build_rejects(void)
{
	struct snp_certs_item items[SNP_CERTS_MAX_ENTRIES + 1];
	struct snp_certs_verdict v;
	void *t = NULL;
	size_t i, len;

	fake_items(items);
	items[1].len = 0;
	EXPECT_EQ(snp_certs_build(items, 3, 0, &t, &len, &v), -EINVAL);
	EXPECT(v.error == SNP_CERTS_E_ZERO_LENGTH && v.entry == 1);
	fake_items(items);
	memset(items[2].guid, 0, SNP_CERTS_GUID_SIZE);
	EXPECT_EQ(snp_certs_build(items, 3, 0, &t, &len, &v), -EINVAL);
	EXPECT(v.error == SNP_CERTS_E_ZERO_GUID && v.entry == 2);
	fake_items(items);
	memcpy(items[2].guid, items[0].guid, SNP_CERTS_GUID_SIZE);
	EXPECT_EQ(snp_certs_build(items, 3, 0, &t, &len, &v), -EINVAL);
	EXPECT(v.error == SNP_CERTS_E_DUPLICATE_GUID && v.entry == 2 && v.other == 0);
	fake_items(items);
	memcpy(items[1].guid, other_guid, SNP_CERTS_GUID_SIZE);
	EXPECT_EQ(snp_certs_build(items, 3, 0, &t, &len, &v), -EINVAL);
	EXPECT(v.error == SNP_CERTS_E_UNKNOWN_GUID && v.entry == 1);
	EXPECT_EQ(snp_certs_build(items, 3, SNP_CERTS_ALLOW_UNKNOWN, &t, &len, &v), 0);
	free(t);
	for (i = 0; i <= SNP_CERTS_MAX_ENTRIES; i++)
		items[i] = items[0];
	EXPECT_EQ(snp_certs_build(items, SNP_CERTS_MAX_ENTRIES + 1, 0, &t, &len, &v), -E2BIG);
	items[0].len = (size_t)UINT32_MAX;
	EXPECT_EQ(snp_certs_table_size(items, 1), 0);
}

static void test_build_empty(void)
{
	static const uint8_t zero[SNP_CERTS_ENTRY_SIZE];
	struct snp_certs_verdict v;
	void *t = NULL;
	size_t len = 0;

	EXPECT_EQ(snp_certs_build(NULL, 0, 0, &t, &len, NULL), 0);
	EXPECT_EQ(len, SNP_CERTS_ENTRY_SIZE);
	EXPECT(t && !memcmp(t, zero, sizeof(zero)));
	EXPECT_EQ(snp_certs_validate(t, len, 0, &v), SNP_CERTS_VALID);
	EXPECT_EQ(v.entry, 0);
	EXPECT_EQ(snp_certs_count(t, len), 0);
	free(t);
}

/*
 * Validation: each case starts from the valid fake table (ARK 96+8, ASK
 * 104+7, VCEK 111+5, total 116) and breaks one thing.
 */
static void validate_case(void (*breakit)(uint8_t *t, size_t *len),
			  unsigned int flags, enum snp_certs_error want,
			  size_t entry, size_t other)
{
	struct snp_certs_verdict v = { 0 };
	size_t len;
	uint8_t *t;

	t = build_fake(&len);
	if (!t)
		return;
	t = realloc(t, len + 4 * SNP_CERTS_PAGE_SIZE);
	breakit(t, &len);
	EXPECT_EQ(snp_certs_validate(t, len, flags, &v), want);
	EXPECT_EQ(v.error, want);
	EXPECT_EQ(v.entry, entry);
	EXPECT_EQ(v.other, other);
	EXPECT(strcmp(snp_certs_strerror(v.error), "valid") || want == SNP_CERTS_VALID);
	free(t);
}

static void break_nothing(uint8_t *t, size_t *len)
{
	(void)t;
	(void)len;
}

static void break_terminator(uint8_t *t, size_t *len)
{
	/* Cut the table inside the terminator. */
	(void)t;
	*len = 3 * SNP_CERTS_ENTRY_SIZE + SNP_CERTS_ENTRY_SIZE - 1;
}

static void break_too_many(uint8_t *t, size_t *len)
{
	size_t i, n = SNP_CERTS_MAX_ENTRIES + 1;
	uint8_t guid[SNP_CERTS_GUID_SIZE];

	*len = (n + 1) * SNP_CERTS_ENTRY_SIZE + n;
	memset(t, 0, *len);
	for (i = 0; i < n; i++) {
		memcpy(guid, other_guid, sizeof(guid));
		guid[0] = i;
		put_entry(t, i, guid, (n + 1) * SNP_CERTS_ENTRY_SIZE + i, 1);
	}
}

static void break_zero_guid(uint8_t *t, size_t *len)
{
	(void)len;
	memset(t + SNP_CERTS_ENTRY_SIZE, 0, SNP_CERTS_GUID_SIZE);
}

static void break_zero_length(uint8_t *t, size_t *len)
{
	(void)len;
	put_le32(t + 2 * SNP_CERTS_ENTRY_SIZE + LENGTH_OFFSET, 0);
}

static void break_overflow(uint8_t *t, size_t *len)
{
	(void)len;
	/* 0xfffffff0 + 0x20 wraps to 0x10: in range if added in 32 bits. */
	put_le32(t + SNP_CERTS_ENTRY_SIZE + OFFSET_OFFSET, 0xfffffff0u);
	put_le32(t + SNP_CERTS_ENTRY_SIZE + LENGTH_OFFSET, 0x20);
}

static void break_out_of_range(uint8_t *t, size_t *len)
{
	(void)len;
	put_le32(t + 2 * SNP_CERTS_ENTRY_SIZE + LENGTH_OFFSET, 6);	/* 111 + 6 > 116 */
}

static void break_in_entries(uint8_t *t, size_t *len)
{
	(void)len;
	put_le32(t + OFFSET_OFFSET, 95);	/* last byte of the terminator */
}

static void break_unknown_guid(uint8_t *t, size_t *len)
{
	(void)len;
	memcpy(t + SNP_CERTS_ENTRY_SIZE, other_guid, SNP_CERTS_GUID_SIZE);
}

static void break_duplicate(uint8_t *t, size_t *len)
{
	(void)len;
	memcpy(t + 2 * SNP_CERTS_ENTRY_SIZE, t, SNP_CERTS_GUID_SIZE);
}

static void break_overlap(uint8_t *t, size_t *len)
{
	(void)len;
	put_le32(t + 2 * SNP_CERTS_ENTRY_SIZE + OFFSET_OFFSET, 103);	/* ARK's last byte */
}

static void test_validate_valid(void)
{
	validate_case(break_nothing, 0, SNP_CERTS_VALID, 3, 3);
}

static void test_validate_no_terminator(void)
{
	validate_case(break_terminator, 0, SNP_CERTS_E_NO_TERMINATOR, 3, 3);
	EXPECT_EQ(snp_certs_validate(fake_ark, 0, 0, NULL), SNP_CERTS_E_NO_TERMINATOR);
}

static void test_validate_too_many(void)
{
	validate_case(break_too_many, SNP_CERTS_ALLOW_UNKNOWN, SNP_CERTS_E_TOO_MANY,
		      SNP_CERTS_MAX_ENTRIES, SNP_CERTS_MAX_ENTRIES);
}

static void test_validate_zero_guid(void)
{
	validate_case(break_zero_guid, 0, SNP_CERTS_E_ZERO_GUID, 1, 1);
}

static void test_validate_zero_length(void)
{
	validate_case(break_zero_length, 0, SNP_CERTS_E_ZERO_LENGTH, 2, 2);
}

static void test_validate_overflow(void)
{
	validate_case(break_overflow, 0, SNP_CERTS_E_OVERFLOW, 1, 1);
}

static void test_validate_out_of_range(void)
{
	validate_case(break_out_of_range, 0, SNP_CERTS_E_OUT_OF_RANGE, 2, 2);
}

static void test_validate_in_entries(void)
{
	validate_case(break_in_entries, 0, SNP_CERTS_E_IN_ENTRIES, 0, 0);
}

static void test_validate_unknown_guid(void)
{
	validate_case(break_unknown_guid, 0, SNP_CERTS_E_UNKNOWN_GUID, 1, 1);
	validate_case(break_unknown_guid, SNP_CERTS_ALLOW_UNKNOWN, SNP_CERTS_VALID, 3, 3);
}

static void test_validate_duplicate_guid(void)
{
	validate_case(break_duplicate, 0, SNP_CERTS_E_DUPLICATE_GUID, 2, 0);
}

static void test_validate_overlap(void)
{
	validate_case(break_overlap, 0, SNP_CERTS_E_OVERLAP, 2, 0);
}

static void test_validate_strerror(void)
{
	int i, j;

	for (i = 0; i < SNP_CERTS_NR_ERRORS; i++) {
		EXPECT(snp_certs_strerror(i) && *snp_certs_strerror(i));
		for (j = 0; j < i; j++)
			EXPECT(strcmp(snp_certs_strerror(i), snp_certs_strerror(j)));
	}
	EXPECT(!strcmp(snp_certs_strerror(SNP_CERTS_NR_ERRORS), "unknown error"));
}

static void test_pages_needed(void)
{
	EXPECT_EQ(snp_certs_pages_needed(0), 0);
	EXPECT_EQ(snp_certs_pages_needed(1), 1);
	EXPECT_EQ(snp_certs_pages_needed(24), 1);
	EXPECT_EQ(snp_certs_pages_needed(4095), 1);
	EXPECT_EQ(snp_certs_pages_needed(4096), 1);
	EXPECT_EQ(snp_certs_pages_needed(4097), 2);
	EXPECT_EQ(snp_certs_pages_needed(8192), 2);
	EXPECT_EQ(snp_certs_pages_needed(8193), 3);
}

static void test_guest_limit(void)
{
	EXPECT_EQ(SNP_CERTS_GUEST_MAX_BYTES, 16384);
	EXPECT(!snp_certs_exceeds_guest_limit(16384));
	EXPECT(snp_certs_exceeds_guest_limit(16385));
	EXPECT(!snp_certs_exceeds_guest_limit(SNP_CERTS_ENTRY_SIZE));
}

struct answer_case {
	const char *name;
	size_t table_len;
	uint64_t offered;
	int ret;
	uint64_t npages;	/* req_certs.npages afterwards */
	bool written;
};

static const struct answer_case answer_cases[] = {
	{ "answer_0_certs_offer_0", 24, 0, 0, 0, false },
	{ "answer_0_certs_offer_1", 24, 1, 0, 1, true },
	{ "answer_0_certs_offer_2", 24, 2, 0, 2, true },
	{ "answer_49_bytes_offer_0", 49, 0, ENOSPC, 1, false },
	{ "answer_49_bytes_offer_1", 49, 1, 0, 1, true },
	{ "answer_49_bytes_offer_2", 49, 2, 0, 2, true },
	{ "answer_4096_bytes_offer_0", 4096, 0, ENOSPC, 1, false },
	{ "answer_4096_bytes_offer_1", 4096, 1, 0, 1, true },
	{ "answer_4096_bytes_offer_2", 4096, 2, 0, 2, true },
	{ "answer_4097_bytes_offer_0", 4097, 0, ENOSPC, 2, false },
	{ "answer_4097_bytes_offer_1", 4097, 1, ENOSPC, 2, false },
	{ "answer_4097_bytes_offer_2", 4097, 2, 0, 2, true },
};

static void run_answer_case(const struct answer_case *c)
{
	struct fake_guest *g = malloc(sizeof(*g));
	struct kvm_run run;
	uint8_t *t;

	t = build_sized(c->table_len);
	if (!t)
		goto out_free;
	guest_init(g, c->offered);
	exit_init(&run, c->offered);
	EXPECT_EQ(snp_certs_answer(t, c->table_len, &run.coco, fake_write, g), c->ret);
	EXPECT_EQ(run.coco.ret, c->ret);
	EXPECT_EQ(run.coco.req_certs.npages, c->npages);
	EXPECT_EQ(run.coco.req_certs.gpa, GUEST_GPA);
	EXPECT_EQ(g->calls, c->written);
	if (c->written)
		EXPECT(guest_has(g, t, c->table_len));
	else
		EXPECT_EQ(g->mem[0], POISON);
out_free:
	free(t);
	free(g);
}

static void test_answer_terminator_written(void)
{
	static const uint8_t zero[SNP_CERTS_ENTRY_SIZE];
	struct fake_guest *g = malloc(sizeof(*g));
	struct kvm_run run;
	uint8_t *t;
	size_t len;

	t = build_fake(&len);
	guest_init(g, 1);
	exit_init(&run, 1);
	EXPECT_EQ(snp_certs_answer(t, len, &run.coco, fake_write, g), 0);
	/* Poisoned guest memory: the zeroes can only come from the write. */
	EXPECT(!memcmp(g->mem + 3 * SNP_CERTS_ENTRY_SIZE, zero, sizeof(zero)));
	EXPECT(!memcmp(g->mem + 96, fake_ark, sizeof(fake_ark)));
	EXPECT_EQ(g->mem[len], POISON);
	free(t);
	t = build_sized(SNP_CERTS_ENTRY_SIZE);
	guest_init(g, 1);
	exit_init(&run, 1);
	EXPECT_EQ(snp_certs_answer(t, SNP_CERTS_ENTRY_SIZE, &run.coco, fake_write, g), 0);
	EXPECT(!memcmp(g->mem, zero, sizeof(zero)));
	EXPECT_EQ(g->mem[SNP_CERTS_ENTRY_SIZE], POISON);
	free(t);
	free(g);
}

static void test_answer_beyond_kvm_max(void)
{
	struct fake_guest *g = malloc(sizeof(*g));
	size_t len = SNP_CERTS_MAX_TABLE_BYTES + 1;
	struct kvm_run run;
	uint8_t *t;

	/* ENOSPC with more than 4096 pages makes KVM_RUN fail: EIO instead. */
	t = build_sized(len);
	guest_init(g, 1);
	exit_init(&run, 1);
	EXPECT_EQ(snp_certs_answer(t, len, &run.coco, fake_write, g), EIO);
	EXPECT_EQ(run.coco.req_certs.npages, 1);
	free(t);
	t = build_sized(len - 1);
	exit_init(&run, 1);
	EXPECT_EQ(snp_certs_answer(t, len - 1, &run.coco, fake_write, g), ENOSPC);
	EXPECT_EQ(run.coco.req_certs.npages, SNP_CERTS_KVM_MAX_PAGES);
	EXPECT_EQ(g->calls, 0);
	free(t);
	free(g);
}

static void test_answer_invalid_table(void)
{
	struct fake_guest *g = malloc(sizeof(*g));
	struct kvm_run run;
	uint8_t *t;
	size_t len;

	t = build_fake(&len);
	guest_init(g, 1);
	exit_init(&run, 1);
	EXPECT_EQ(snp_certs_answer(t, len - 24, &run.coco, fake_write, g), EIO);
	EXPECT_EQ(g->calls, 0);
	free(t);
	free(g);
}

static void test_answer_write_fails(void)
{
	struct fake_guest *g = malloc(sizeof(*g));
	struct kvm_run run;
	uint8_t *t;
	size_t len;

	t = build_fake(&len);
	guest_init(g, 1);
	g->fail = true;
	exit_init(&run, 1);
	EXPECT_EQ(snp_certs_answer(t, len, &run.coco, fake_write, g), EIO);
	EXPECT_EQ(run.coco.ret, EIO);
	EXPECT_EQ(g->calls, 1);
	free(t);
	free(g);
}

/* A provider on a fresh copy of the fake table: the file name is "name". */
static struct snp_certs_provider *provider_on(const char *name, uint8_t **t,
					      size_t *len)
{
	struct snp_certs_provider *p;

	*t = build_fake(len);
	if (!*t || !EXPECT_EQ(write_file(tmp_path(name), *t, *len), 0))
		return NULL;
	p = snp_certs_provider_open(tmp_path(name), 0);
	EXPECT(p);
	return p;
}

static void test_exit_wrong_reason(void)
{
	struct snp_certs_request req = SNP_CERTS_REQUEST_INIT;
	struct snp_certs_provider *p;
	struct fake_guest *g = malloc(sizeof(*g));
	struct kvm_run run;
	uint8_t *t;
	size_t len;

	p = provider_on("reason", &t, &len);
	guest_init(g, 1);
	exit_init(&run, 1);
	run.exit_reason = KVM_EXIT_HYPERCALL;
	EXPECT_EQ(snp_certs_handle_exit(p, &req, &run, fake_write, g), -EINVAL);
	exit_init(&run, 1);
	run.coco.nr = KVM_EXIT_COCO_REQ_CERTS + 1;
	EXPECT_EQ(snp_certs_handle_exit(p, &req, &run, fake_write, g), -EINVAL);
	EXPECT_EQ(run.coco.ret, RET_UNSET);
	EXPECT_EQ(g->calls, 0);
	EXPECT_EQ(req.fd, -1);
	snp_certs_provider_close(p);
	free(t);
	free(g);
}

static void test_provider_serves_file(void)
{
	struct snp_certs_request req = SNP_CERTS_REQUEST_INIT;
	struct snp_certs_provider *p;
	struct fake_guest *g = malloc(sizeof(*g));
	struct kvm_run run;
	uint8_t *t;
	size_t len;

	p = provider_on("serve", &t, &len);
	guest_init(g, 1);
	exit_init(&run, 1);
	EXPECT_EQ(snp_certs_handle_exit(p, &req, &run, fake_write, g), 0);
	EXPECT_EQ(run.coco.ret, 0);
	EXPECT(guest_has(g, t, len));
	snp_certs_request_done(&req);
	EXPECT_EQ(req.fd, -1);
	/* Too small a buffer: ENOSPC, and no lock kept. */
	exit_init(&run, 0);
	EXPECT_EQ(snp_certs_handle_exit(p, &req, &run, fake_write, g), ENOSPC);
	EXPECT_EQ(run.coco.req_certs.npages, 1);
	EXPECT_EQ(req.fd, -1);
	EXPECT_EQ(lock_seen(tmp_path("serve")), F_UNLCK);
	snp_certs_provider_close(p);
	free(t);
	free(g);
}

static void test_provider_eagain_while_locked(void)
{
	struct snp_certs_request req = SNP_CERTS_REQUEST_INIT;
	struct snp_certs_provider *p;
	struct fake_guest *g = malloc(sizeof(*g));
	struct kvm_run run;
	uint8_t *t;
	size_t len;
	int fd;

	p = provider_on("busy", &t, &len);
	/* Another open file description in this process: OFD locks conflict. */
	fd = hold_lock(tmp_path("busy"), F_WRLCK);
	EXPECT(fd >= 0);
	guest_init(g, 1);
	exit_init(&run, 1);
	EXPECT_EQ(snp_certs_handle_exit(p, &req, &run, fake_write, g), EAGAIN);
	EXPECT_EQ(run.coco.ret, EAGAIN);
	EXPECT_EQ(g->calls, 0);
	EXPECT_EQ(req.fd, -1);
	close(fd);
	exit_init(&run, 1);
	EXPECT_EQ(snp_certs_handle_exit(p, &req, &run, fake_write, g), 0);
	EXPECT(guest_has(g, t, len));
	snp_certs_request_done(&req);
	snp_certs_provider_close(p);
	free(t);
	free(g);
}

static void test_provider_lock_until_done(void)
{
	struct snp_certs_request req = SNP_CERTS_REQUEST_INIT;
	struct snp_certs_provider *p;
	struct fake_guest *g = malloc(sizeof(*g));
	const char *path = tmp_path("held");
	struct kvm_run run;
	uint8_t *t;
	size_t len;
	int fd;

	p = provider_on("held", &t, &len);
	EXPECT_EQ(lock_seen(path), F_UNLCK);
	guest_init(g, 1);
	exit_init(&run, 1);
	EXPECT_EQ(snp_certs_handle_exit(p, &req, &run, fake_write, g), 0);
	/* Between the exit and request_done (the next KVM_RUN) it is held. */
	EXPECT_EQ(lock_seen(path), F_RDLCK);
	fd = hold_lock(path, F_WRLCK);
	EXPECT_EQ(fd, -1);
	if (fd >= 0)
		close(fd);
	snp_certs_request_done(&req);
	EXPECT_EQ(lock_seen(path), F_UNLCK);
	fd = hold_lock(path, F_WRLCK);
	EXPECT(fd >= 0);
	if (fd >= 0)
		close(fd);
	/* Released even if a fork()ed child still shares the description. */
	exit_init(&run, 1);
	EXPECT_EQ(snp_certs_handle_exit(p, &req, &run, fake_write, g), 0);
	fd = dup(req.fd);
	snp_certs_request_done(&req);
	EXPECT_EQ(lock_seen(path), F_UNLCK);
	close(fd);
	snp_certs_provider_close(p);
	free(t);
	free(g);
}

static void test_provider_two_requests(void)
{
	struct snp_certs_request a = SNP_CERTS_REQUEST_INIT, b = SNP_CERTS_REQUEST_INIT;
	struct snp_certs_provider *p;
	struct fake_guest *g = malloc(sizeof(*g));
	const char *path = tmp_path("two");
	struct kvm_run run;
	uint8_t *t;
	size_t len;

	/* Two vCPUs in the exit at once: each request holds its own lock. */
	p = provider_on("two", &t, &len);
	guest_init(g, 1);
	exit_init(&run, 1);
	EXPECT_EQ(snp_certs_handle_exit(p, &a, &run, fake_write, g), 0);
	exit_init(&run, 1);
	EXPECT_EQ(snp_certs_handle_exit(p, &b, &run, fake_write, g), 0);
	EXPECT(a.fd >= 0 && b.fd >= 0 && a.fd != b.fd);
	/* A request still in flight cannot start another. */
	exit_init(&run, 1);
	EXPECT_EQ(snp_certs_handle_exit(p, &a, &run, fake_write, g), -EBUSY);
	EXPECT_EQ(run.coco.ret, RET_UNSET);
	snp_certs_request_done(&a);
	EXPECT_EQ(lock_seen(path), F_RDLCK);
	snp_certs_request_done(&b);
	EXPECT_EQ(lock_seen(path), F_UNLCK);
	snp_certs_request_done(&b);	/* harmless twice */
	snp_certs_provider_close(p);
	free(t);
	free(g);
}

static void request_into(struct snp_certs_provider *p, const void *want,
			 size_t len, int ret)
{
	struct snp_certs_request req = SNP_CERTS_REQUEST_INIT;
	struct fake_guest *g = malloc(sizeof(*g));
	struct kvm_run run;

	guest_init(g, 1);
	exit_init(&run, 1);
	EXPECT_EQ(snp_certs_handle_exit(p, &req, &run, fake_write, g), ret);
	if (!ret)
		EXPECT(guest_has(g, want, len));
	snp_certs_request_done(&req);
	free(g);
}

static uint8_t *build_other(size_t *len)
{
	struct snp_certs_item items[2];
	void *t = NULL;

	item(&items[0], SNP_CERTS_ARK, fake_vcek, sizeof(fake_vcek));
	item(&items[1], SNP_CERTS_VLEK, fake_ark, sizeof(fake_ark));
	EXPECT_EQ(snp_certs_build(items, 2, 0, &t, len, NULL), 0);
	return t;
}

static void test_provider_rename_between(void)
{
	const char *path = tmp_path("renamed");
	struct snp_certs_provider *p;
	uint8_t *t, *t2;
	size_t len, len2;

	p = provider_on("renamed", &t, &len);
	t2 = build_other(&len2);
	request_into(p, t, len, 0);
	EXPECT_EQ(replace_file(path, t2, len2), 0);
	request_into(p, t2, len2, 0);
	EXPECT_EQ(replace_file(path, t, len), 0);
	request_into(p, t, len, 0);
	snp_certs_provider_close(p);
	free(t);
	free(t2);
}

static void test_provider_rewrite_in_place(void)
{
	const char *path = tmp_path("inplace");
	struct snp_certs_provider *p;
	uint8_t *t, *t2;
	size_t len, len2;
	struct stat a, b;

	p = provider_on("inplace", &t, &len);
	t2 = build_other(&len2);
	request_into(p, t, len, 0);
	stat(path, &a);
	EXPECT_EQ(write_file(path, t2, len2), 0);
	stat(path, &b);
	EXPECT_EQ(a.st_ino, b.st_ino);
	request_into(p, t2, len2, 0);
	snp_certs_provider_close(p);
	free(t);
	free(t2);
}

static struct {
	const void *data;
	size_t len;
	int left;
	int calls;
} rename_hook_state;

static void rename_hook(const char *path)
{
	rename_hook_state.calls++;
	if (rename_hook_state.left-- > 0)
		replace_file(path, rename_hook_state.data, rename_hook_state.len);
}

static void test_provider_cache_refs(void)
{
	const char *path = tmp_path("refs");
	struct snp_certs_blob *a, *b, *c;
	struct snp_certs_provider *p;
	uint8_t *t, *t2;
	size_t len, len2;
	struct stat st;
	int fd;

	p = provider_on("refs", &t, &len);
	t2 = build_other(&len2);
	if (!p || !t2)
		return;
	EXPECT(p->cur && p->cur->refs == 1);	/* loaded by open */
	fd = lock_path(path, &st);
	EXPECT_EQ(blob_get(p, fd, &st, &a), 0);
	EXPECT(a == p->cur && a->refs == 2);
	close(fd);
	/* A new version replaces the cache; the old one lives while in use. */
	EXPECT_EQ(replace_file(path, t2, len2), 0);
	fd = lock_path(path, &st);
	EXPECT_EQ(blob_get(p, fd, &st, &b), 0);
	EXPECT(b == p->cur && b != a && b->refs == 2);
	EXPECT_EQ(a->refs, 1);
	EXPECT(a->len == len && !memcmp(a->data, t, len));
	EXPECT(b->len == len2 && !memcmp(b->data, t2, len2));
	/* Unchanged file: the cached copy, not a new read. */
	EXPECT_EQ(blob_get(p, fd, &st, &c), 0);
	EXPECT(c == b && b->refs == 3);
	close(fd);
	blob_put(p, a);
	blob_put(p, b);
	blob_put(p, c);
	EXPECT_EQ(p->cur->refs, 1);
	snp_certs_provider_close(p);
	free(t);
	free(t2);
}

static void test_provider_rename_after_open(void)
{
	const char *path = tmp_path("race");
	struct snp_certs_provider *p;
	uint8_t *t, *t2;
	size_t len, len2;

	p = provider_on("race", &t, &len);
	t2 = build_other(&len2);
	/* Renamed once between open+lock and stat: reopen, serve the new file. */
	rename_hook_state.data = t2;
	rename_hook_state.len = len2;
	rename_hook_state.left = 1;
	rename_hook_state.calls = 0;
	test_hook_locked = rename_hook;
	request_into(p, t2, len2, 0);
	EXPECT_EQ(rename_hook_state.calls, 2);
	/* Renamed every time: give up after SNP_CERTS_REOPEN_TRIES with EAGAIN. */
	rename_hook_state.left = INT_MAX;
	rename_hook_state.calls = 0;
	request_into(p, NULL, 0, EAGAIN);
	EXPECT_EQ(rename_hook_state.calls, SNP_CERTS_REOPEN_TRIES);
	test_hook_locked = NULL;
	EXPECT_EQ(lock_seen(path), F_UNLCK);
	snp_certs_provider_close(p);
	free(t);
	free(t2);
}

static void test_provider_write_fails_eio(void)
{
	struct snp_certs_request req = SNP_CERTS_REQUEST_INIT;
	struct snp_certs_provider *p;
	struct fake_guest *g = malloc(sizeof(*g));
	struct kvm_run run;
	uint8_t *t;
	size_t len;

	p = provider_on("eio", &t, &len);
	guest_init(g, 1);
	g->fail = true;
	exit_init(&run, 1);
	EXPECT_EQ(snp_certs_handle_exit(p, &req, &run, fake_write, g), EIO);
	EXPECT_EQ(run.coco.ret, EIO);
	EXPECT_EQ(g->calls, 1);
	EXPECT_EQ(req.fd, -1);
	EXPECT_EQ(lock_seen(tmp_path("eio")), F_UNLCK);
	snp_certs_provider_close(p);
	free(t);
	free(g);
}

static void test_provider_bad_file_eio(void)
{
	const char *path = tmp_path("bad");
	struct snp_certs_provider *p, *lax;
	uint8_t *t;
	size_t len;

	p = provider_on("bad", &t, &len);
	lax = snp_certs_provider_open(path, SNP_CERTS_ALLOW_UNKNOWN);
	EXPECT(lax);
	EXPECT_EQ(write_file(path, t, len - 1), 0);	/* truncated */
	request_into(p, NULL, 0, EIO);
	memcpy(t + SNP_CERTS_ENTRY_SIZE, other_guid, SNP_CERTS_GUID_SIZE);
	EXPECT_EQ(write_file(path, t, len), 0);
	request_into(p, NULL, 0, EIO);
	request_into(lax, t, len, 0);
	unlink(path);
	request_into(p, NULL, 0, EIO);
	snp_certs_provider_close(p);
	snp_certs_provider_close(lax);
	free(t);
}

static void test_provider_open_errors(void)
{
	const char *path = tmp_path("open");
	struct snp_certs_provider *p;
	uint8_t *t;
	size_t len;
	int fd;

	errno = 0;
	EXPECT(!snp_certs_provider_open(tmp_path("none"), 0));
	EXPECT_EQ(errno, ENOENT);
	t = build_fake(&len);
	EXPECT_EQ(write_file(path, t, len - 1), 0);
	errno = 0;
	EXPECT(!snp_certs_provider_open(path, 0));
	EXPECT_EQ(errno, EINVAL);
	/* Locked by a provisioning tool: opens, loads on the first exit. */
	EXPECT_EQ(write_file(path, t, len), 0);
	fd = hold_lock(path, F_WRLCK);
	p = snp_certs_provider_open(path, 0);
	EXPECT(p);
	if (fd >= 0)
		close(fd);
	if (p)
		request_into(p, t, len, 0);
	snp_certs_provider_close(p);
	free(t);
}

struct vcpu_thread {
	pthread_t thread;
	struct snp_certs_provider *p;
	const uint8_t *versions[2];
	size_t lens[2];
	int errors;
};

/* A vCPU thread: every answer is one whole version of the table. */
static void *vcpu_fn(void *arg)
{
	struct snp_certs_request req = SNP_CERTS_REQUEST_INIT;
	struct vcpu_thread *v = arg;
	struct fake_guest *g = malloc(sizeof(*g));
	struct kvm_run run;
	int i, ret;

	for (i = 0; i < NR_ITERATIONS; i++) {
		guest_init(g, 1);
		exit_init(&run, 1);
		ret = snp_certs_handle_exit(v->p, &req, &run, fake_write, g);
		if (ret == EAGAIN)
			continue;
		if (ret || (!guest_has(g, v->versions[0], v->lens[0]) &&
			    !guest_has(g, v->versions[1], v->lens[1])))
			v->errors++;
		snp_certs_request_done(&req);
	}
	free(g);
	return NULL;
}

static void test_provider_threads(void)
{
	struct vcpu_thread v[NR_THREADS];
	const char *path = tmp_path("threads");
	struct snp_certs_provider *p;
	uint8_t *t, *t2;
	size_t len, len2;
	int i;

	p = provider_on("threads", &t, &len);
	t2 = build_other(&len2);
	if (!p || !t2)
		return;
	for (i = 0; i < NR_THREADS; i++) {
		v[i] = (struct vcpu_thread){ .p = p, .versions = { t, t2 },
					     .lens = { len, len2 } };
		pthread_create(&v[i].thread, NULL, vcpu_fn, &v[i]);
	}
	/* Meanwhile, provisioning replaces the file again and again. */
	for (i = 0; i < NR_SWAPS; i++)
		replace_file(path, i % 2 ? t : t2, i % 2 ? len : len2);
	for (i = 0; i < NR_THREADS; i++) {
		pthread_join(v[i].thread, NULL);
		EXPECT_EQ(v[i].errors, 0);
	}
	EXPECT_EQ(lock_seen(path), F_UNLCK);
	snp_certs_provider_close(p);
	free(t);
	free(t2);
}

static void test_openssl_chain(void)
{
	static const char * const names[3] = { "ark", "ask", "vcek" };
	const char *dir = getenv("SNP_CERTS_TEST_CERTS");
	char pem[3][PATH_MAX], der[3][PATH_MAX];
	const char *pems[3], *ders[3];
	const uint8_t *data[3];
	uint8_t *t1, *t2;
	size_t lens[3], l1, l2;
	void *buf;
	int i;

	if (!dir) {
		case_skipped = "SNP_CERTS_TEST_CERTS not set (scripts/gen-test-certs.sh)";
		return;
	}
	for (i = 0; i < 3; i++) {
		snprintf(pem[i], PATH_MAX, "%s/%s.pem", dir, names[i]);
		snprintf(der[i], PATH_MAX, "%s/%s.der", dir, names[i]);
		pems[i] = pem[i];
		ders[i] = der[i];
		if (!EXPECT_EQ(snp_certs_read_file(der[i], &buf, &lens[i]), 0))
			return;
		EXPECT_EQ(((uint8_t *)buf)[0], 0x30);	/* SEQUENCE */
		data[i] = buf;
	}
	round_trip(pems, data, lens, &t1, &l1);
	round_trip(ders, data, lens, &t2, &l2);
	EXPECT(t1 && t2 && l1 == l2 && !memcmp(t1, t2, l1));
	for (i = 0; i < 3; i++)
		free((void *)data[i]);
	free(t1);
	free(t2);
}

struct test {
	const char *name;
	void (*fn)(void);
};

#define TEST(name) { #name, test_##name }

static const struct test tests[] = {
	TEST(guid_ark_byte_order),
	TEST(guid_known_kinds),
	TEST(guid_parse_rejects),
	TEST(build_golden_layout),
	TEST(build_der_round_trip),
	TEST(build_pem_round_trip),
	TEST(pem_malformed),
	TEST(build_rejects),
	TEST(build_empty),
	TEST(validate_valid),
	TEST(validate_no_terminator),
	TEST(validate_too_many),
	TEST(validate_zero_guid),
	TEST(validate_zero_length),
	TEST(validate_overflow),
	TEST(validate_out_of_range),
	TEST(validate_in_entries),
	TEST(validate_unknown_guid),
	TEST(validate_duplicate_guid),
	TEST(validate_overlap),
	TEST(validate_strerror),
	TEST(pages_needed),
	TEST(guest_limit),
	TEST(answer_terminator_written),
	TEST(answer_beyond_kvm_max),
	TEST(answer_invalid_table),
	TEST(answer_write_fails),
	TEST(exit_wrong_reason),
	TEST(provider_serves_file),
	TEST(provider_eagain_while_locked),
	TEST(provider_lock_until_done),
	TEST(provider_two_requests),
	TEST(provider_rename_between),
	TEST(provider_rewrite_in_place),
	TEST(provider_cache_refs),
	TEST(provider_rename_after_open),
	TEST(provider_write_fails_eio),
	TEST(provider_bad_file_eio),
	TEST(provider_open_errors),
	TEST(provider_threads),
	TEST(openssl_chain),
};

static bool report(int nr, const char *name)
{
	bool ok = !case_failed;

	if (case_skipped && ok)
		printf("ok %d %s # SKIP %s\n", nr, name, case_skipped);
	else
		printf("%sok %d %s\n", ok ? "" : "not ", nr, name);
	fflush(stdout);
	case_failed = false;
	case_skipped = NULL;
	return ok;
}

static void remove_tmpdir(void)
{
	struct dirent *d;
	DIR *dir = opendir(tmpdir);

	while (dir && (d = readdir(dir))) {
		if (strcmp(d->d_name, ".") && strcmp(d->d_name, ".."))
			unlink(tmp_path(d->d_name));
	}
	if (dir)
		closedir(dir);
	rmdir(tmpdir);
}

int main(void)
{
	const char *base = getenv("TMPDIR");
	size_t i, nr = 0;
	int failed = 0;

	snprintf(tmpdir, sizeof(tmpdir), "%s/snp_certs_test.XXXXXX", base ? base : "/tmp");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	printf("TAP version 13\n1..%zu\n", ARRAY_SIZE(tests) + ARRAY_SIZE(answer_cases));
	for (i = 0; i < ARRAY_SIZE(tests); i++) {
		tests[i].fn();
		failed += !report(++nr, tests[i].name);
	}
	for (i = 0; i < ARRAY_SIZE(answer_cases); i++) {
		run_answer_case(&answer_cases[i]);
		failed += !report(++nr, answer_cases[i].name);
	}
	remove_tmpdir();
	printf("# %zu tests, %d failed\n", nr, failed);
	return failed ? 1 : 0;
}
