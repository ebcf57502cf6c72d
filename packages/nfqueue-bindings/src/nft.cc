// SPDX-License-Identifier: GPL-2.0-or-later
#include "nft.h"

#include <malloc.h>
#include <nftables/libnftables.h>

namespace nfqb {

NftResult RunNft(const std::string& script, unsigned int outputFlags) {
  NftResult result;
  // One context per call: a context is not thread-safe, and a call runs on any libuv pool thread.
  nft_ctx* ctx = nft_ctx_new(NFT_CTX_DEFAULT);
  if (ctx == nullptr) {
    result.error = "libnftables: cannot create a context";
    return result;
  }
  if (nft_ctx_buffer_output(ctx) != 0 || nft_ctx_buffer_error(ctx) != 0) {
    nft_ctx_free(ctx);
    result.error = "libnftables: cannot buffer its output";
    return result;
  }
  nft_ctx_output_set_flags(ctx, nft_ctx_output_get_flags(ctx) | outputFlags);
  int status = nft_run_cmd_from_buffer(ctx, script.c_str());
  const char* output = nft_ctx_get_output_buffer(ctx);
  const char* error = nft_ctx_get_error_buffer(ctx);
  if (output != nullptr) result.output = output;
  if (status != 0) {
    result.error = error != nullptr && error[0] != '\0' ? error : "libnftables: the commands failed";
  }
  nft_ctx_free(ctx);
  // libnftables parses a script (and fetches its cache) into many small allocations on this pool
  // thread's arena; glibc keeps them after they are freed. Give them back, or they stay resident.
  malloc_trim(0);
  return result;
}

}  // namespace nfqb
