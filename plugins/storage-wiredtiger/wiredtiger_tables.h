// The tables WiredTigerBackend keeps (see wiredtiger_backend.h for why one
// data table holds every bucket) and how they are created.
#pragma once

#include <string_view>

namespace cairn::storage {

inline constexpr const char* kMetaTable = "table:cairn_meta";
inline constexpr const char* kDataTables[2] = {"table:cairn_data_0", "table:cairn_data_1"};
// memory_page_max: revision keys only grow, so every write lands on the last
// leaf page, which WiredTiger force-evicts (reconciles and splits) in the
// writing thread once it holds this much. At the default 5 MB that stalled
// the apply loop 8-32 ms every few seconds under a stream of puts; at 1 MB
// the stalls stay under 8 ms for the same CPU (etcd's Go client, 100
// clients: put p99 about 10% lower).
inline constexpr const char* kTableFormat = "key_format=u,value_format=u,memory_page_max=1MB";
inline constexpr std::string_view kActiveKey = "active";
// The data dir's row layout (wiredtiger_key.h), written when it is created;
// a dir from before layout versions has no such row (layout 1).
inline constexpr std::string_view kLayoutKey = "layout";
// Why a rewrite into the newest layout found the dir's own rows unfit (a row
// the old layout cannot split): the rewrite would fail the same way at every
// open, after copying the table up to that row, so later opens skip it until
// upgrade_layout=force. A successful rewrite removes the row.
inline constexpr std::string_view kRewriteRefusedKey = "layout_rewrite_refused";

}  // namespace cairn::storage
