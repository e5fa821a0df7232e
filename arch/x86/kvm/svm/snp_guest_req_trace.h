/* SPDX-License-Identifier: GPL-2.0-only */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM kvm

#if !defined(_TRACE_KVM_SNP_GUEST_REQ_H) || defined(TRACE_HEADER_MULTI_READ)
#define _TRACE_KVM_SNP_GUEST_REQ_H

#include <linux/tracepoint.h>

#include "snp_guest_req.h"

TRACE_DEFINE_ENUM(SNP_GUEST_REQ_OK);
TRACE_DEFINE_ENUM(SNP_GUEST_REQ_FW_ERR);
TRACE_DEFINE_ENUM(SNP_GUEST_REQ_BUSY);
TRACE_DEFINE_ENUM(SNP_GUEST_REQ_INVALID);
TRACE_DEFINE_ENUM(SNP_GUEST_REQ_HOST_ERR);
TRACE_DEFINE_ENUM(SNP_GUEST_REQ_INVALID_LEN);

/*
 * Tracepoint for the end of an SNP (Extended) Guest Request.  msg_type is
 * taken from the snapshot of the request page; 0 means no snapshot was taken.
 */
TRACE_EVENT(kvm_snp_guest_req,
	    TP_PROTO(unsigned int vcpu_id, bool ext, u8 msg_type, int result,
		     u32 fw_err, u64 exit_info_2),
	    TP_ARGS(vcpu_id, ext, msg_type, result, fw_err, exit_info_2),

	    TP_STRUCT__entry(__field(unsigned int, vcpu_id)
			     __field(bool, ext)
			     __field(u8, msg_type)
			     __field(int, result)
			     __field(u32, fw_err)
			     __field(u64, exit_info_2)),

	    TP_fast_assign(__entry->vcpu_id = vcpu_id;
			   __entry->ext = ext;
			   __entry->msg_type = msg_type;
			   __entry->result = result;
			   __entry->fw_err = fw_err;
			   __entry->exit_info_2 = exit_info_2;),

	    TP_printk("vcpu %u %s msg_type %u result %s fw_err %#x exit_info_2 %#llx",
		      __entry->vcpu_id, __entry->ext ? "ext" : "plain",
		      __entry->msg_type,
		      __print_symbolic(__entry->result,
				       { SNP_GUEST_REQ_OK, "ok" },
				       { SNP_GUEST_REQ_FW_ERR, "fw_err" },
				       { SNP_GUEST_REQ_BUSY, "busy" },
				       { SNP_GUEST_REQ_INVALID, "invalid" },
				       { SNP_GUEST_REQ_HOST_ERR, "host_err" },
				       { SNP_GUEST_REQ_INVALID_LEN, "invalid_len" }),
		      __entry->fw_err, __entry->exit_info_2)
);

#endif /* _TRACE_KVM_SNP_GUEST_REQ_H */

#undef TRACE_INCLUDE_PATH
/* Found through -I in Kbuild. */
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE snp_guest_req_trace

/* This part must be outside protection */
#include <trace/define_trace.h>
