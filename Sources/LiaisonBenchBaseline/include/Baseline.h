// Baselines for liaison-bench: the same work as LuaKit's cases, written against the raw
// Lua C API, as a careful hand-written C binding would do it. Each returns seconds taken.
#ifndef LIAISON_BENCH_BASELINE_H
#define LIAISON_BENCH_BASELINE_H

/// A Lua loop calling a C function `add(a, b)` n times.
double baseline_lua_calls_c(long n);
/// C calling a Lua function `function(a, b) return a + b end` n times through lua_pcall.
double baseline_c_calls_lua(long n);
/// A Lua loop reading field `x` of a userdata n times (__index is a C function).
double baseline_field(long n);
/// A Lua loop calling method `get` of a userdata n times (__index is a table of C functions).
double baseline_method(long n);

/// Runs `script` (a chunk taking n) in a stock state with the standard libraries.
double baseline_script(const char *script, long n);

/// SQLite alone, as the store uses it (WAL, synchronous=NORMAL): n transactions, each
/// inserting one row shaped like a ledger entry of the lifecycle case into a new database at
/// `path`. The floor under a store that makes each command durable before the next.
double baseline_sqlite_ledger(const char *path, long n);

/// Bytes the C heap has handed out now (glibc's mallinfo2), for per-state memory.
unsigned long baseline_heap_in_use(void);

#endif
