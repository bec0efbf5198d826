// source/sqlite/readahead_vfs: read the main database file in large blocks while a
// check scans it (see readahead_vfs.cpp for why and when that is safe).
#pragma once

#include <sqlite3.h>

namespace lifeboat::source::sqlite {

inline constexpr const char* k_readahead_vfs = "lifeboat-readahead";

// Registers the VFS on first use (never as the default) and returns its name, for
// sqlite3_open_v2.
const char* readahead_vfs();

// Serves reads of `db`'s main file from read-ahead blocks (on) or straight from the
// file (off). Only while `db` holds a read transaction in which the file cannot change.
void set_readahead(sqlite3* db, bool on);

} // namespace lifeboat::source::sqlite
