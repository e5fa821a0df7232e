// SPDX-License-Identifier: GPL-2.0-only
/*
 * Build the VMM certificate library of tools/kvm/snp-certs into the
 * selftests' library, so that the tests use the code VMMs are given.
 */
#include "../../../../../kvm/snp-certs/snp_certs.c"
