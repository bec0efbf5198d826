// A SQLite VFS shim that reads the main database file in 256 KiB blocks.
//
// Why: quick_check reads every page of the snapshot through SQLite's unix VFS, one
// pread(2) per 4 KiB page. On a 1 GB database that is 250,000 system calls, about
// 0.6 s of CPU on the machine of bench/sqlite, taken from the cores that compress.
// B-trees written in key order are laid out mostly in file order, so reading ahead
// turns those calls into one per 64 pages (bench/sqlite: 263,000 pread calls -> N).
//
// Correctness: blocks are served only between enable and disable, which the caller
// issues inside one read transaction during which the main file cannot change
// (sqlite.cpp explains why). Reads that do not move forward near the previous one
// go straight to the file, so a fragmented database costs no more than without the
// shim. Every other method is forwarded unchanged to the default VFS.
#include "source/sqlite/readahead_vfs.hpp"

#include <algorithm>
#include <cstring>
#include <mutex>

namespace lifeboat::source::sqlite {

namespace {

constexpr int k_block = 256 * 1024;
constexpr int k_opcode = 0x4c42'0001; // SQLITE_FCNTL_ codes are small integers

struct File {
  sqlite3_file base; // pMethods points at k_methods, or null when the open failed
  sqlite3_file* real;
  bool main_db;
  bool enabled;
  unsigned char* block;
  sqlite3_int64 block_offset;
  sqlite3_int64 block_length;
  sqlite3_int64 file_size;
  sqlite3_int64 last_offset; // of the previous read: tells the direction of travel
};

sqlite3_vfs g_vfs{};
sqlite3_vfs* g_real = nullptr;

File* self(sqlite3_file* f) { return reinterpret_cast<File*>(f); }
sqlite3_file* real(sqlite3_file* f) { return self(f)->real; }

void drop_block(File* f) {
  sqlite3_free(f->block);
  f->block = nullptr;
  f->block_length = 0;
  f->enabled = false;
}

int x_close(sqlite3_file* f) {
  drop_block(self(f));
  return real(f)->pMethods->xClose(real(f));
}

int x_read(sqlite3_file* f, void* out, int amount, sqlite3_int64 offset) {
  File* file = self(f);
  sqlite3_file* r = file->real;
  if (!file->enabled || amount > k_block / 4) {
    return r->pMethods->xRead(r, out, amount, offset);
  }
  if (file->block_length > 0 && offset >= file->block_offset &&
      offset + amount <= file->block_offset + file->block_length) {
    std::memcpy(out, file->block + (offset - file->block_offset), static_cast<size_t>(amount));
    file->last_offset = offset;
    return SQLITE_OK;
  }
  // quick_check walks each b-tree from its last cell to its first, so pages mostly
  // come in descending order; a table scan reads them ascending. Read ahead in the
  // direction the reader moves, when it moves less than a block from the last read.
  sqlite3_int64 last = file->last_offset;
  file->last_offset = offset;
  sqlite3_int64 start;
  if (offset > last && offset < last + k_block) {
    start = offset;
  } else if (offset < last && offset + k_block > last) {
    start = std::max<sqlite3_int64>(0, offset + amount - k_block);
  } else {
    return r->pMethods->xRead(r, out, amount, offset);
  }
  sqlite3_int64 length = std::min<sqlite3_int64>(k_block, file->file_size - start);
  if (offset + amount > start + length ||
      r->pMethods->xRead(r, file->block, static_cast<int>(length), start) != SQLITE_OK) {
    file->block_length = 0;
    return r->pMethods->xRead(r, out, amount, offset);
  }
  file->block_offset = start;
  file->block_length = length;
  std::memcpy(out, file->block + (offset - start), static_cast<size_t>(amount));
  return SQLITE_OK;
}

int x_file_control(sqlite3_file* f, int op, void* arg) {
  File* file = self(f);
  if (op != k_opcode) {
    return real(f)->pMethods->xFileControl(real(f), op, arg);
  }
  bool on = *static_cast<int*>(arg) != 0;
  drop_block(file);
  if (on && file->main_db) {
    if (real(f)->pMethods->xFileSize(real(f), &file->file_size) != SQLITE_OK) {
      return SQLITE_OK; // stays off: reads go straight to the file
    }
    file->block = static_cast<unsigned char*>(sqlite3_malloc(k_block));
    file->enabled = file->block != nullptr;
    file->last_offset = -k_block; // the first read starts a block
  }
  return SQLITE_OK;
}

const sqlite3_io_methods k_methods = {
    3,
    x_close,
    x_read,
    [](sqlite3_file* f, const void* p, int n, sqlite3_int64 o) {
      drop_block(self(f)); // never written through: the connection is read-only
      return real(f)->pMethods->xWrite(real(f), p, n, o);
    },
    [](sqlite3_file* f, sqlite3_int64 size) {
      drop_block(self(f));
      return real(f)->pMethods->xTruncate(real(f), size);
    },
    [](sqlite3_file* f, int flags) { return real(f)->pMethods->xSync(real(f), flags); },
    [](sqlite3_file* f, sqlite3_int64* size) {
      return real(f)->pMethods->xFileSize(real(f), size);
    },
    [](sqlite3_file* f, int lock) { return real(f)->pMethods->xLock(real(f), lock); },
    [](sqlite3_file* f, int lock) { return real(f)->pMethods->xUnlock(real(f), lock); },
    [](sqlite3_file* f, int* out) { return real(f)->pMethods->xCheckReservedLock(real(f), out); },
    x_file_control,
    [](sqlite3_file* f) { return real(f)->pMethods->xSectorSize(real(f)); },
    [](sqlite3_file* f) { return real(f)->pMethods->xDeviceCharacteristics(real(f)); },
    [](sqlite3_file* f, int page, int size, int extend, void volatile** out) {
      auto* m = real(f)->pMethods;
      return m->iVersion >= 2 ? m->xShmMap(real(f), page, size, extend, out) : SQLITE_IOERR;
    },
    [](sqlite3_file* f, int offset, int n, int flags) {
      auto* m = real(f)->pMethods;
      return m->iVersion >= 2 ? m->xShmLock(real(f), offset, n, flags) : SQLITE_IOERR;
    },
    [](sqlite3_file* f) {
      auto* m = real(f)->pMethods;
      if (m->iVersion >= 2) {
        m->xShmBarrier(real(f));
      }
    },
    [](sqlite3_file* f, int remove) {
      auto* m = real(f)->pMethods;
      return m->iVersion >= 2 ? m->xShmUnmap(real(f), remove) : SQLITE_OK;
    },
    [](sqlite3_file* f, sqlite3_int64 offset, int n, void** out) {
      auto* m = real(f)->pMethods;
      if (m->iVersion < 3) {
        *out = nullptr;
        return SQLITE_OK;
      }
      return m->xFetch(real(f), offset, n, out);
    },
    [](sqlite3_file* f, sqlite3_int64 offset, void* p) {
      auto* m = real(f)->pMethods;
      return m->iVersion >= 3 ? m->xUnfetch(real(f), offset, p) : SQLITE_OK;
    },
};

int x_open(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* f, int flags, int* out_flags) {
  File* file = self(f);
  std::memset(file, 0, sizeof(File));
  file->real = reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(f) + sizeof(File));
  file->main_db = (flags & SQLITE_OPEN_MAIN_DB) != 0;
  int rc = g_real->xOpen(g_real, name, file->real, flags, out_flags);
  file->base.pMethods = file->real->pMethods != nullptr ? &k_methods : nullptr;
  return rc;
}

void register_vfs() {
  g_real = sqlite3_vfs_find(nullptr);
  g_vfs = *g_real;
  g_vfs.iVersion = std::min(g_real->iVersion, 3);
  g_vfs.szOsFile = static_cast<int>(sizeof(File)) + g_real->szOsFile;
  g_vfs.zName = k_readahead_vfs;
  g_vfs.pNext = nullptr;
  g_vfs.pAppData = nullptr;
  g_vfs.xOpen = x_open;
  // Every other method of the unix VFS ignores the vfs argument's identity except
  // through pAppData, so they are forwarded with the real one.
  g_vfs.xDelete = [](sqlite3_vfs*, const char* n, int sync) {
    return g_real->xDelete(g_real, n, sync);
  };
  g_vfs.xAccess = [](sqlite3_vfs*, const char* n, int flags, int* out) {
    return g_real->xAccess(g_real, n, flags, out);
  };
  g_vfs.xFullPathname = [](sqlite3_vfs*, const char* n, int size, char* out) {
    return g_real->xFullPathname(g_real, n, size, out);
  };
  g_vfs.xDlOpen = [](sqlite3_vfs*, const char* n) { return g_real->xDlOpen(g_real, n); };
  g_vfs.xDlError = [](sqlite3_vfs*, int n, char* out) { g_real->xDlError(g_real, n, out); };
  g_vfs.xDlSym = [](sqlite3_vfs*, void* h, const char* s) { return g_real->xDlSym(g_real, h, s); };
  g_vfs.xDlClose = [](sqlite3_vfs*, void* h) { g_real->xDlClose(g_real, h); };
  g_vfs.xRandomness = [](sqlite3_vfs*, int n, char* out) {
    return g_real->xRandomness(g_real, n, out);
  };
  g_vfs.xSleep = [](sqlite3_vfs*, int us) { return g_real->xSleep(g_real, us); };
  g_vfs.xCurrentTime = [](sqlite3_vfs*, double* out) { return g_real->xCurrentTime(g_real, out); };
  g_vfs.xGetLastError = [](sqlite3_vfs*, int n, char* out) {
    return g_real->xGetLastError(g_real, n, out);
  };
  if (g_vfs.iVersion >= 2) {
    g_vfs.xCurrentTimeInt64 = [](sqlite3_vfs*, sqlite3_int64* out) {
      return g_real->xCurrentTimeInt64(g_real, out);
    };
  }
  if (g_vfs.iVersion >= 3) {
    g_vfs.xSetSystemCall = [](sqlite3_vfs*, const char* n, sqlite3_syscall_ptr p) {
      return g_real->xSetSystemCall(g_real, n, p);
    };
    g_vfs.xGetSystemCall = [](sqlite3_vfs*, const char* n) {
      return g_real->xGetSystemCall(g_real, n);
    };
    g_vfs.xNextSystemCall = [](sqlite3_vfs*, const char* n) {
      return g_real->xNextSystemCall(g_real, n);
    };
  }
  sqlite3_vfs_register(&g_vfs, 0);
}

} // namespace

const char* readahead_vfs() {
  static std::once_flag once;
  std::call_once(once, register_vfs);
  return k_readahead_vfs;
}

void set_readahead(sqlite3* db, bool on) {
  int arg = on ? 1 : 0;
  sqlite3_file_control(db, "main", k_opcode, &arg);
}

} // namespace lifeboat::source::sqlite
