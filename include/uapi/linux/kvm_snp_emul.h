/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * Test-only interface of the emulated SEV-SNP platform of kvm-amd
 * (CONFIG_KVM_AMD_SNP_EMULATION, module parameter kvm_amd.snp_emulation),
 * see Documentation/virt/kvm/x86/snp-emulation.rst.
 *
 * The emulation lets an ordinary VM issue SNP Guest Requests to a software
 * model of the PSP firmware, so that KVM's guest request handling and the
 * KVM_EXIT_COCO_REQ_CERTS exit can be tested without SEV-SNP hardware.  It is
 * not a stable ABI and production kernels do not build it.
 */
#ifndef _UAPI_LINUX_KVM_SNP_EMUL_H
#define _UAPI_LINUX_KVM_SNP_EMUL_H

#include <linux/types.h>

/* Commands of KVM_MEMORY_ENCRYPT_OP, in struct kvm_sev_cmd.id. */
#define KVM_SNP_EMUL_INIT		0x5e00
#define KVM_SNP_EMUL_SET_FAULT		0x5e01
#define KVM_SNP_EMUL_GET_STATE		0x5e02

#define KVM_SNP_EMUL_NR_VMPCKS		4
#define KVM_SNP_EMUL_VMPCK_SIZE		32

/**
 * struct kvm_snp_emul_init - KVM_SNP_EMUL_INIT, turn a VM into an emulated
 *	SNP VM; only before vCPUs are created
 * @flags: must be zero
 * @policy: guest policy, reported in the attestation report
 * @reported_tcb: TCB version reported in the attestation report
 * @vmpck: the VM Platform Communication Keys; an all-zero key is disabled
 * @measurement: launch measurement, reported in the attestation report
 * @host_data: reported in the attestation report
 * @chip_id: reported in the attestation report
 * @reserved: must be zero
 */
struct kvm_snp_emul_init {
	__u64 flags;
	__u64 policy;
	__u64 reported_tcb;
	__u8 vmpck[KVM_SNP_EMUL_NR_VMPCKS][KVM_SNP_EMUL_VMPCK_SIZE];
	__u8 measurement[48];
	__u8 host_data[32];
	__u8 chip_id[64];
	__u64 reserved[8];
};

/* What the emulated PSP does instead of running a command. */
#define KVM_SNP_EMUL_FAULT_NONE		0	/* run commands normally */
#define KVM_SNP_EMUL_FAULT_FW_STATUS	1	/* fail with @fw_status */
#define KVM_SNP_EMUL_FAULT_BUSY		2	/* PSP busy, command not run */
#define KVM_SNP_EMUL_FAULT_DEAD		3	/* PSP does not answer */

/**
 * struct kvm_snp_emul_fault - KVM_SNP_EMUL_SET_FAULT, fault injection for
 *	the VM's firmware commands; replaces the previous setting
 * @type: one of KVM_SNP_EMUL_FAULT_*
 * @fw_status: firmware status for KVM_SNP_EMUL_FAULT_FW_STATUS, non-zero
 * @count: number of commands the fault applies to, 0 for all until replaced
 * @latency_us: time every command of the VM takes, with the emulated PSP
 *	held busy for all VMs of the host, at most 1000000
 * @reserved: must be zero
 */
struct kvm_snp_emul_fault {
	__u32 type;
	__u32 fw_status;
	__u32 count;
	__u32 latency_us;
	__u64 reserved[2];
};

/**
 * struct kvm_snp_emul_state - KVM_SNP_EMUL_GET_STATE, the emulated
 *	firmware's view of the VM
 * @msg_seqno: last message sequence number the firmware used, per VMPCK
 * @commands: SNP_GUEST_REQUEST commands that reached the firmware
 * @faults: commands answered by fault injection
 * @reserved: zero
 */
struct kvm_snp_emul_state {
	__u64 msg_seqno[KVM_SNP_EMUL_NR_VMPCKS];
	__u64 commands;
	__u64 faults;
	__u64 reserved[4];
};

/*
 * The guest's VMGEXIT: VMMCALL at CPL 0 with RAX = KVM_SNP_EMUL_HC_VMGEXIT
 * and RBX = the GPA of a page laid out as a GHCB (GHCB specification,
 * "GHCB Layout").  KVM handles the NAE event named by SW_EXITCODE as on
 * SEV-SNP hardware and writes SW_EXITINFO1, SW_EXITINFO2 and, where the event
 * returns one, RBX into that page.  RAX returns 0, or
 * KVM_SNP_EMUL_HC_BAD_GHCB if the page is not page aligned or not writable
 * guest memory.  Other registers are preserved.
 */
#define KVM_SNP_EMUL_HC_VMGEXIT		0x534e5000
#define KVM_SNP_EMUL_HC_BAD_GHCB	1

#endif /* _UAPI_LINUX_KVM_SNP_EMUL_H */
