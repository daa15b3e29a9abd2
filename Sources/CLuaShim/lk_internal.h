// What the shim's C files share and Swift never calls: the guard of a state, the stops the
// watchdog and the allocator request, the boxes' finaliser, the registry keys, and the
// libraries' sandboxed versions. What Swift calls is in include/CLuaShim.h, prefixed lk_.
#ifndef LK_INTERNAL_H
#define LK_INTERNAL_H

#include "CLuaShim.h"

#include <lauxlib.h>

#define LK_HIDDEN __attribute__((visibility("hidden")))

/// The Swift entry points lk_install set (lk_state.c).
LK_HIDDEN extern lk_dispatch_fn lk_dispatch;
LK_HIDDEN extern lk_field_fn lk_field;

/// Registry keys, compared by address: the traceback the message handler recorded
/// (lk_call.c), and the set of read-only library views (lk_baselib.c, lk_sandbox.c).
LK_HIDDEN extern const char lk_traceback_key;
LK_HIDDEN extern const char lk_readonly_key;

/// A state's guard is its allocator's user data.
static inline lk_guard *guard_of(lua_State *L) {
    void *ud = NULL;
    lua_getallocf(L, &ud);
    return (lk_guard *)ud;
}

// lk_limits.c
/// Moves a running entry (deadline `seen`) to stopping for `why`, and arms the kill hook;
/// returns 0 if the entry had moved on. Safe from any thread.
LK_HIDDEN int lk_request_stop(lk_guard *g, int64_t seen, lk_stop why);
/// Adds a guard to the watchdog's registry (starting the watchdog once), and removes it.
LK_HIDDEN void lk_watchdog_register(lk_guard *g);
LK_HIDDEN void lk_watchdog_unregister(lk_guard *g);
/// Raises the kill sentinel if the running entry is being stopped. For C library loops that
/// run no Lua code, which the kill hook cannot reach; call it only from a C function Lua called.
LK_HIDDEN void lk_check_stop(lua_State *L);

// lk_call.c
/// A plain box's finaliser (queues the Swift object for release) and __tostring.
LK_HIDDEN int lk_box_gc(lua_State *L);
LK_HIDDEN int lk_box_tostring(lua_State *L);

// The libraries' sandboxed versions, each opened by lk_open_sandbox (lk_sandbox.c) on the
// stock library's table at `idx`.
/// string: find, match, gmatch and gsub through a matcher a stop can reach; rep that cannot
/// spin on nothing; no dump (lk_strlib.c).
LK_HIDDEN void lk_open_strlib(lua_State *L, int idx);
/// table: move that checks for a stop (lk_tablib.c).
LK_HIDDEN void lk_open_tablib(lua_State *L, int idx);
/// coroutine: resume, wrap and close that track the running thread for the watchdog
/// (lk_corolib.c).
LK_HIDDEN void lk_open_corolib(lua_State *L, int idx);
/// The base library's wrapped globals: load (text only), xpcall, setmetatable (no __gc),
/// rawset (not on read-only views), collectgarbage (no tuning) (lk_baselib.c).
LK_HIDDEN void lk_open_baselib(lua_State *L);
/// Replaces global `name` (a library table) with a read-only view of it (lk_baselib.c).
LK_HIDDEN void lk_make_readonly(lua_State *L, const char *name);

#endif
