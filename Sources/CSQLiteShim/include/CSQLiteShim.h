// What the store needs of SQLite's C API that Swift cannot call: sqlite3_db_config is
// variadic, and Swift imports no variadic C function.
#ifndef CSQLITESHIM_H
#define CSQLITESHIM_H

#include <sqlite3.h>

/// Closing the connection will not copy its WAL into the database file: a store that refuses
/// to open (its recovery failed) then leaves both files byte for byte as they were.
int liaison_sqlite_no_checkpoint_on_close(sqlite3 *db);

#endif
