// SPDX-License-Identifier: GPL-2.0-or-later
// nftables commands through libnftables (the library the nft program is built on): the script is
// parsed and sent to the kernel over netlink as one transaction, with no program to run. Plain
// C++, no N-API; a call blocks for the netlink round trips: run it off the event loop.
#pragma once

#include <string>

namespace nfqb {

struct NftResult {
  std::string output;  // what the commands print (list ...), JSON when asked for
  std::string error;   // empty on success, else libnftables' error text
};

// Runs an nft script (nft -f syntax) in one transaction: all of it applies, or none.
// `outputFlags`: NFT_CTX_OUTPUT_* bits added to the defaults (e.g. JSON, TERSE: no set elements).
NftResult RunNft(const std::string& script, unsigned int outputFlags);

}  // namespace nfqb
