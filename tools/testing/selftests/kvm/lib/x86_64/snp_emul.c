// SPDX-License-Identifier: GPL-2.0-only
/*
 * Guest and VMM helpers for the emulated SNP platform, see snp_emul.h.
 *
 * The AES-256-GCM here runs in guest code, so it uses no library calls but
 * memcpy()/memset(), which the selftests provide to guests.  It is slow and
 * simple on purpose: a byte-wise AES (FIPS 197) and a bit-wise GHASH
 * (NIST SP 800-38D), checked against published vectors by snp_emul_test and
 * against the kernel's lib/crypto by every request the emulated PSP accepts.
 */
#include <string.h>
#include <sys/ioctl.h>

#include "kvm_util.h"
#include "processor.h"
#include "snp_emul.h"

static const uint8_t snp_sbox[256] = {
	0x63, 0x7c, 0x77, 0x7b, 0xf2, 0x6b, 0x6f, 0xc5,
	0x30, 0x01, 0x67, 0x2b, 0xfe, 0xd7, 0xab, 0x76,
	0xca, 0x82, 0xc9, 0x7d, 0xfa, 0x59, 0x47, 0xf0,
	0xad, 0xd4, 0xa2, 0xaf, 0x9c, 0xa4, 0x72, 0xc0,
	0xb7, 0xfd, 0x93, 0x26, 0x36, 0x3f, 0xf7, 0xcc,
	0x34, 0xa5, 0xe5, 0xf1, 0x71, 0xd8, 0x31, 0x15,
	0x04, 0xc7, 0x23, 0xc3, 0x18, 0x96, 0x05, 0x9a,
	0x07, 0x12, 0x80, 0xe2, 0xeb, 0x27, 0xb2, 0x75,
	0x09, 0x83, 0x2c, 0x1a, 0x1b, 0x6e, 0x5a, 0xa0,
	0x52, 0x3b, 0xd6, 0xb3, 0x29, 0xe3, 0x2f, 0x84,
	0x53, 0xd1, 0x00, 0xed, 0x20, 0xfc, 0xb1, 0x5b,
	0x6a, 0xcb, 0xbe, 0x39, 0x4a, 0x4c, 0x58, 0xcf,
	0xd0, 0xef, 0xaa, 0xfb, 0x43, 0x4d, 0x33, 0x85,
	0x45, 0xf9, 0x02, 0x7f, 0x50, 0x3c, 0x9f, 0xa8,
	0x51, 0xa3, 0x40, 0x8f, 0x92, 0x9d, 0x38, 0xf5,
	0xbc, 0xb6, 0xda, 0x21, 0x10, 0xff, 0xf3, 0xd2,
	0xcd, 0x0c, 0x13, 0xec, 0x5f, 0x97, 0x44, 0x17,
	0xc4, 0xa7, 0x7e, 0x3d, 0x64, 0x5d, 0x19, 0x73,
	0x60, 0x81, 0x4f, 0xdc, 0x22, 0x2a, 0x90, 0x88,
	0x46, 0xee, 0xb8, 0x14, 0xde, 0x5e, 0x0b, 0xdb,
	0xe0, 0x32, 0x3a, 0x0a, 0x49, 0x06, 0x24, 0x5c,
	0xc2, 0xd3, 0xac, 0x62, 0x91, 0x95, 0xe4, 0x79,
	0xe7, 0xc8, 0x37, 0x6d, 0x8d, 0xd5, 0x4e, 0xa9,
	0x6c, 0x56, 0xf4, 0xea, 0x65, 0x7a, 0xae, 0x08,
	0xba, 0x78, 0x25, 0x2e, 0x1c, 0xa6, 0xb4, 0xc6,
	0xe8, 0xdd, 0x74, 0x1f, 0x4b, 0xbd, 0x8b, 0x8a,
	0x70, 0x3e, 0xb5, 0x66, 0x48, 0x03, 0xf6, 0x0e,
	0x61, 0x35, 0x57, 0xb9, 0x86, 0xc1, 0x1d, 0x9e,
	0xe1, 0xf8, 0x98, 0x11, 0x69, 0xd9, 0x8e, 0x94,
	0x9b, 0x1e, 0x87, 0xe9, 0xce, 0x55, 0x28, 0xdf,
	0x8c, 0xa1, 0x89, 0x0d, 0xbf, 0xe6, 0x42, 0x68,
	0x41, 0x99, 0x2d, 0x0f, 0xb0, 0x54, 0xbb, 0x16,
};

static uint32_t sub_word(uint32_t w)
{
	return (uint32_t)snp_sbox[w >> 24] << 24 |
	       (uint32_t)snp_sbox[(w >> 16) & 0xff] << 16 |
	       (uint32_t)snp_sbox[(w >> 8) & 0xff] << 8 |
	       snp_sbox[w & 0xff];
}

static uint32_t load_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static uint64_t load_be64(const uint8_t *p)
{
	return (uint64_t)load_be32(p) << 32 | load_be32(p + 4);
}

static void store_be64(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--, v >>= 8)
		p[i] = v & 0xff;
}

void snp_aes256_expand(struct snp_aes256 *aes, const uint8_t key[32])
{
	uint32_t rcon = 1, t;
	int i;

	for (i = 0; i < 8; i++)
		aes->rk[i] = load_be32(key + 4 * i);

	for (i = 8; i < 60; i++) {
		t = aes->rk[i - 1];
		if (i % 8 == 0) {
			t = sub_word(t << 8 | t >> 24) ^ rcon << 24;
			rcon = rcon << 1 ^ ((rcon & 0x80) ? 0x11b : 0);
		} else if (i % 8 == 4) {
			t = sub_word(t);
		}
		aes->rk[i] = aes->rk[i - 8] ^ t;
	}
}

static uint8_t xtime(uint8_t b)
{
	return (uint8_t)(b << 1) ^ ((b & 0x80) ? 0x1b : 0);
}

static void add_round_key(uint8_t s[16], const uint32_t *rk)
{
	int c;

	for (c = 0; c < 4; c++) {
		s[4 * c] ^= rk[c] >> 24;
		s[4 * c + 1] ^= rk[c] >> 16;
		s[4 * c + 2] ^= rk[c] >> 8;
		s[4 * c + 3] ^= rk[c];
	}
}

/* SubBytes and ShiftRows; the state is column-major as in FIPS 197. */
static void sub_shift(uint8_t s[16])
{
	uint8_t t[16];
	int r, c;

	for (c = 0; c < 4; c++)
		for (r = 0; r < 4; r++)
			t[4 * c + r] = snp_sbox[s[4 * ((c + r) % 4) + r]];
	memcpy(s, t, 16);
}

static void mix_columns(uint8_t s[16])
{
	uint8_t a0, a1, a2, a3, all;
	int c;

	for (c = 0; c < 4; c++) {
		a0 = s[4 * c];
		a1 = s[4 * c + 1];
		a2 = s[4 * c + 2];
		a3 = s[4 * c + 3];
		all = a0 ^ a1 ^ a2 ^ a3;
		s[4 * c] ^= all ^ xtime(a0 ^ a1);
		s[4 * c + 1] ^= all ^ xtime(a1 ^ a2);
		s[4 * c + 2] ^= all ^ xtime(a2 ^ a3);
		s[4 * c + 3] ^= all ^ xtime(a3 ^ a0);
	}
}

void snp_aes256_encrypt_block(const struct snp_aes256 *aes, const uint8_t in[16],
			      uint8_t out[16])
{
	uint8_t s[16];
	int round;

	memcpy(s, in, 16);
	add_round_key(s, aes->rk);
	for (round = 1; round < 14; round++) {
		sub_shift(s);
		mix_columns(s);
		add_round_key(s, aes->rk + 4 * round);
	}
	sub_shift(s);
	add_round_key(s, aes->rk + 56);
	memcpy(out, s, 16);
}

/* X := X * H in GF(2^128), bit-reflected as GCM defines it. */
static void gf128_mul(uint8_t x[16], const uint8_t h[16])
{
	uint64_t zh = 0, zl = 0, vh = load_be64(h), vl = load_be64(h + 8);
	uint64_t carry;
	int i;

	for (i = 0; i < 128; i++) {
		if (x[i / 8] & (0x80 >> (i % 8))) {
			zh ^= vh;
			zl ^= vl;
		}
		carry = vl & 1;
		vl = vl >> 1 | vh << 63;
		vh = vh >> 1 ^ (carry ? 0xe100000000000000ULL : 0);
	}
	store_be64(x, zh);
	store_be64(x + 8, zl);
}

static void ghash_update(uint8_t y[16], const uint8_t h[16],
			 const uint8_t *data, size_t len)
{
	size_t i, n;

	while (len) {
		n = len < 16 ? len : 16;
		for (i = 0; i < n; i++)
			y[i] ^= data[i];
		gf128_mul(y, h);
		data += n;
		len -= n;
	}
}

static void gcm_ctr(const struct snp_aes256 *aes, const uint8_t j0[16],
		    const uint8_t *in, uint8_t *out, size_t len)
{
	uint8_t ctr[16], ks[16];
	uint32_t n = load_be32(j0 + 12);
	size_t i, off;

	memcpy(ctr, j0, 16);
	for (off = 0; off < len; off += 16) {
		n++;
		ctr[12] = n >> 24;
		ctr[13] = n >> 16;
		ctr[14] = n >> 8;
		ctr[15] = n;
		snp_aes256_encrypt_block(aes, ctr, ks);
		for (i = 0; i < 16 && off + i < len; i++)
			out[off + i] = in[off + i] ^ ks[i];
	}
}

static void gcm_tag(const struct snp_aes256 *aes, const uint8_t j0[16],
		    const uint8_t *aad, size_t aad_len, const uint8_t *ct,
		    size_t len, uint8_t tag[16])
{
	uint8_t h[16] = { 0 }, y[16] = { 0 }, lens[16], ek[16];
	int i;

	snp_aes256_encrypt_block(aes, h, h);
	ghash_update(y, h, aad, aad_len);
	ghash_update(y, h, ct, len);
	store_be64(lens, (uint64_t)aad_len * 8);
	store_be64(lens + 8, (uint64_t)len * 8);
	ghash_update(y, h, lens, 16);

	snp_aes256_encrypt_block(aes, j0, ek);
	for (i = 0; i < 16; i++)
		tag[i] = ek[i] ^ y[i];
}

static void gcm_j0(const uint8_t iv[12], uint8_t j0[16])
{
	memcpy(j0, iv, 12);
	j0[12] = 0;
	j0[13] = 0;
	j0[14] = 0;
	j0[15] = 1;
}

void snp_gcm_encrypt(const struct snp_aes256 *aes, const uint8_t iv[12],
		     const uint8_t *aad, size_t aad_len, const uint8_t *in,
		     uint8_t *out, size_t len, uint8_t tag[16])
{
	uint8_t j0[16];

	gcm_j0(iv, j0);
	gcm_ctr(aes, j0, in, out, len);
	gcm_tag(aes, j0, aad, aad_len, out, len, tag);
}

bool snp_gcm_decrypt(const struct snp_aes256 *aes, const uint8_t iv[12],
		     const uint8_t *aad, size_t aad_len, const uint8_t *in,
		     uint8_t *out, size_t len, const uint8_t tag[16])
{
	uint8_t j0[16], want[16], diff = 0;
	int i;

	gcm_j0(iv, j0);
	gcm_tag(aes, j0, aad, aad_len, in, len, want);
	for (i = 0; i < 16; i++)
		diff |= want[i] ^ tag[i];
	if (diff)
		return false;

	gcm_ctr(aes, j0, in, out, len);
	return true;
}

void snp_channel_init(struct snp_guest_channel *ch, const uint8_t key[32],
		      uint8_t vmpck_id)
{
	snp_aes256_expand(&ch->aes, key);
	ch->seqno = 0;
	ch->vmpck_id = vmpck_id;
}

/* The IV is the message sequence number, little endian, zero padded. */
static void snp_iv(uint64_t seqno, uint8_t iv[12])
{
	memset(iv, 0, 12);
	memcpy(iv, &seqno, sizeof(seqno));
}

#define SNP_AAD_OFFSET	offsetof(struct snp_msg_hdr, algo)
#define SNP_AAD_SIZE	(SNP_MSG_HDR_SIZE - SNP_AAD_OFFSET)

void snp_msg_seal(struct snp_guest_channel *ch, void *msg, uint8_t type,
		  const void *payload, uint16_t len)
{
	struct snp_msg_hdr *hdr = msg;
	uint8_t iv[12];

	memset(msg, 0, 4096);
	hdr->msg_seqno = ch->seqno + 1;
	hdr->algo = SNP_AEAD_AES_256_GCM;
	hdr->hdr_version = 1;
	hdr->hdr_sz = SNP_MSG_HDR_SIZE;
	hdr->msg_type = type;
	hdr->msg_version = 1;
	hdr->msg_sz = len;
	hdr->msg_vmpck = ch->vmpck_id;

	snp_iv(hdr->msg_seqno, iv);
	snp_gcm_encrypt(&ch->aes, iv, &hdr->algo, SNP_AAD_SIZE, payload,
			(uint8_t *)msg + SNP_MSG_HDR_SIZE, len, hdr->authtag);
}

int snp_msg_open(struct snp_guest_channel *ch, const void *msg, uint8_t type,
		 void *payload, uint16_t max_len)
{
	const struct snp_msg_hdr *hdr = msg;
	uint8_t iv[12];

	if (hdr->msg_seqno != ch->seqno + 2 || hdr->msg_type != type + 1 ||
	    hdr->msg_vmpck != ch->vmpck_id || hdr->algo != SNP_AEAD_AES_256_GCM ||
	    hdr->hdr_sz != SNP_MSG_HDR_SIZE || hdr->msg_sz > max_len)
		return -1;

	snp_iv(hdr->msg_seqno, iv);
	if (!snp_gcm_decrypt(&ch->aes, iv, &hdr->algo, SNP_AAD_SIZE,
			     (const uint8_t *)msg + SNP_MSG_HDR_SIZE, payload,
			     hdr->msg_sz, hdr->authtag))
		return -1;

	ch->seqno += 2;
	return hdr->msg_sz;
}

#define GHCB_FIELD(ghcb, off)	(*(uint64_t *)((uint8_t *)(ghcb) + (off)))

void snp_ghcb_set(void *ghcb, unsigned int off, uint64_t val)
{
	uint8_t *bitmap = (uint8_t *)ghcb + GHCB_OFF_VALID_BITMAP;
	unsigned int bit = off / 8;

	GHCB_FIELD(ghcb, off) = val;
	bitmap[bit / 8] |= 1 << (bit % 8);
}

uint64_t snp_vmgexit(uint64_t ghcb_gpa)
{
	uint64_t rax = KVM_SNP_EMUL_HC_VMGEXIT;

	asm volatile("vmmcall" : "+a"(rax) : "b"(ghcb_gpa) : "memory");
	return rax;
}

void snp_ghcb_request(const struct snp_req_pages *pages, uint64_t exit_code,
		      uint64_t certs_gpa, uint64_t certs_npages,
		      struct snp_ghcb_result *res)
{
	void *ghcb = pages->ghcb;

	memset(ghcb, 0, 4096);
	snp_ghcb_set(ghcb, GHCB_OFF_SW_EXIT_CODE, exit_code);
	snp_ghcb_set(ghcb, GHCB_OFF_SW_EXIT_INFO_1, pages->req_gpa);
	snp_ghcb_set(ghcb, GHCB_OFF_SW_EXIT_INFO_2, pages->resp_gpa);
	if (exit_code == SNP_EXT_GUEST_REQUEST) {
		snp_ghcb_set(ghcb, GHCB_OFF_RAX, certs_gpa);
		snp_ghcb_set(ghcb, GHCB_OFF_RBX, certs_npages);
	}

	res->hc_ret = snp_vmgexit(pages->ghcb_gpa);
	res->exit_info_1 = GHCB_FIELD(ghcb, GHCB_OFF_SW_EXIT_INFO_1);
	res->exit_info_2 = GHCB_FIELD(ghcb, GHCB_OFF_SW_EXIT_INFO_2);
	res->rbx = GHCB_FIELD(ghcb, GHCB_OFF_RBX);
}

void snp_emul_default_init(struct kvm_snp_emul_init *init)
{
	int i, k;

	memset(init, 0, sizeof(*init));
	init->policy = 0x30000;
	init->reported_tcb = 0x1400000000000004ULL;
	/* VMPCKs 0-2 enabled, VMPCK3 all zero, i.e. disabled. */
	for (k = 0; k < 3; k++)
		for (i = 0; i < KVM_SNP_EMUL_VMPCK_SIZE; i++)
			init->vmpck[k][i] = 0x10 * (k + 1) + i;
	for (i = 0; i < (int)sizeof(init->measurement); i++)
		init->measurement[i] = 0xa0 + i;
	for (i = 0; i < (int)sizeof(init->host_data); i++)
		init->host_data[i] = 0x50 + i;
	for (i = 0; i < (int)sizeof(init->chip_id); i++)
		init->chip_id[i] = 0xc0 ^ i;
}

int __snp_emul_cmd(struct kvm_vm *vm, uint32_t id, void *data)
{
	struct kvm_sev_cmd cmd = {
		.id = id,
		.data = (uint64_t)(uintptr_t)data,
	};

	/* KVM_MEMORY_ENCRYPT_OP is declared with the wrong size for __vm_ioctl(). */
	return ioctl(vm->fd, KVM_MEMORY_ENCRYPT_OP, &cmd);
}

void snp_emul_cmd(struct kvm_vm *vm, uint32_t id, void *data)
{
	int r = __snp_emul_cmd(vm, id, data);

	TEST_ASSERT(!r, "KVM_SNP_EMUL command 0x%x failed: %d (errno %d)", id, r, errno);
}

bool snp_emul_supported(void)
{
	FILE *f = fopen("/sys/module/kvm_amd/parameters/snp_emulation", "r");
	int c;

	if (!f)
		return false;
	c = fgetc(f);
	fclose(f);
	return c == 'Y';
}

struct kvm_vm *snp_emul_vm_create(const struct kvm_snp_emul_init *init,
				  uint32_t nr_vcpus, bool certs_exit)
{
	struct kvm_snp_emul_init copy = *init;
	struct kvm_vm *vm = vm_create(nr_vcpus);

	snp_emul_cmd(vm, KVM_SNP_EMUL_INIT, &copy);
	if (certs_exit)
		vm_enable_cap(vm, KVM_CAP_EXIT_COCO, KVM_EXIT_COCO_REQ_CERTS_MASK);
	return vm;
}

static void *alloc_pages_gva(struct kvm_vm *vm, int n, uint64_t *gpa)
{
	vm_vaddr_t gva = vm_vaddr_alloc_pages(vm, n);

	*gpa = addr_gva2gpa(vm, gva);
	return (void *)gva;
}

vm_vaddr_t snp_req_pages_alloc(struct kvm_vm *vm, uint64_t certs_max_pages,
			       struct snp_req_pages **hva)
{
	vm_vaddr_t gva = vm_vaddr_alloc_page(vm);
	struct snp_req_pages *p = addr_gva2hva(vm, gva);

	p->ghcb = alloc_pages_gva(vm, 1, &p->ghcb_gpa);
	p->req = alloc_pages_gva(vm, 1, &p->req_gpa);
	p->resp = alloc_pages_gva(vm, 1, &p->resp_gpa);
	p->certs = alloc_pages_gva(vm, certs_max_pages, &p->certs_gpa);
	p->certs_max_pages = certs_max_pages;
	*hva = p;
	return gva;
}

void snp_emul_set_fault(struct kvm_vm *vm, uint32_t type, uint32_t fw_status,
			uint32_t count, uint32_t latency_us)
{
	struct kvm_snp_emul_fault fault = {
		.type = type,
		.fw_status = fw_status,
		.count = count,
		.latency_us = latency_us,
	};

	snp_emul_cmd(vm, KVM_SNP_EMUL_SET_FAULT, &fault);
}

void snp_emul_get_state(struct kvm_vm *vm, struct kvm_snp_emul_state *state)
{
	memset(state, 0, sizeof(*state));
	snp_emul_cmd(vm, KVM_SNP_EMUL_GET_STATE, state);
}
