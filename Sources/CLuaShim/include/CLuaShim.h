// CLuaShim: the only C that Liaison writes, and what Swift calls of it (prefixed lk_). What only
// its C files share is in ../lk_internal.h. Its files follow Lua's own: lk_state.c (a state
// and its allocator), lk_limits.c (stops, the kill hook, the watchdog), lk_call.c (calls across
// the bridge, boxes, messages), lk_types.c (bridged types), and the sandbox's libraries,
// lk_sandbox.c opening lk_baselib.c, lk_strlib.c, lk_tablib.c and lk_corolib.c.
//
// Invariants they keep (docs/ARCHITECTURE.md, "The bridge's rules", says why):
//
//  1. No longjmp crosses a Swift frame. Swift code called from Lua is entered only
//     through `lk_trampoline`; Swift reports failure by returning LK_RAISE with the
//     error value pushed, and the trampoline (C) calls lua_error after Swift has returned.
//  2. Swift calls Lua code only through `lk_pcall`, which installs `lk_msgh`.
//  3. Memory: the allocator refuses to grow past the state's limit only while Lua code
//     runs (`enforce` set). While a Swift frame is active it never fails on account of
//     the limit, so the `m` API functions Swift calls directly cannot raise.
//  4. Time: no permanent count hook. A watchdog thread checks deadlines every tick and,
//     when one passes, arms a count hook on the threads that are running. The hook
//     raises `lk_kill_sentinel` on every instruction until the protected call that
//     armed the deadline returns, so a script's own pcall/xpcall/coroutine cannot
//     swallow it. The watchdog only ever calls lua_sethook (async-safe by design).
//  5. The sandbox: only the allow-listed libraries, each in a version a stop can reach; load
//     takes text only; no string.dump, no __gc metamethods, no retuning the collector; the
//     library tables are read-only views; print and require go to the host.
//  6. Swift objects cross as boxes (full userdata holding a retained pointer). A finaliser
//     only queues its box; Swift releases queued boxes on the state's thread when no entry is
//     running (lk_drain), never from inside an allocation.
#ifndef CLUASHIM_H
#define CLUASHIM_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <lua.h>

#define LK_MAXCHAIN 256                 // coroutines resumed inside each other; Lua stops at ~200
#define LK_NO_DEADLINE INT64_MAX         // "a call is running, with no time budget"
#define LK_TICK_NS 2000000L              // watchdog resolution: 2 ms

/// Per-state bookkeeping for limits, shared between the owning thread and the watchdog.
/// Its fields are private to this header and the shim's C files; it is declared here only so that
/// lk_begin and lk_end, which run on every call, can be inlined into Swift.
typedef struct lk_guard lk_guard;
struct lk_guard {
    // Owning thread only.
    size_t used, limit;
    int enforce;                         // 1 while Lua code runs: the limit applies
    int depth;                           // nesting of lk_begin
    int refusals;                        // consecutive refused allocations
    void **pending;                      // boxes whose userdata were finalised
    size_t npending, cap;
    char where[192];
    // Shared with the watchdog. deadline: > 0 the current (or last) entry's deadline, < 0 that
    // entry is stopping (-lk_stop). The owner never clears it: the next lk_begin overwrites it,
    // so ending an entry costs one load; a stale deadline that expires while the state is idle
    // only arms a hook that disarms itself at the next entry's first instruction.
    _Atomic int64_t deadline;
    _Atomic int running;                 // an entry is under way (for lk_interrupt)
    lua_State *main;                     // always hooked on a stop: at depth 0 Swift calls on it
    pthread_mutex_t lock;                // guards chain[] against the watchdog
    lua_State *chain[LK_MAXCHAIN];       // other threads running Lua code: coroutines resumed
    int nchain;
    lk_guard *prev, *next;               // the watchdog's registry, under reg_lock
};

/// Why a protected call was stopped from outside the script, if it was.
typedef enum {
    LK_STOP_NONE = 0,
    LK_STOP_TIMEOUT = 1,
    LK_STOP_MEMORY = 2,
    LK_STOP_INTERRUPT = 3,
} lk_stop;

/// Returned by a Swift callback to ask the trampoline to raise the value on top of the stack.
#define LK_RAISE (-1)

/// The Swift side of every Swift function that Lua can call. `box` is the retained Swift
/// object behind the function; the return value is the number of results, or LK_RAISE.
typedef int (*lk_dispatch_fn)(lua_State *L, void *box);
/// Reads a field (`kind` 0), writes one (`kind` 1) of a bridged object.
typedef int (*lk_field_fn)(lua_State *L, void *type, int field, int kind);

/// Installs the Swift entry points. Called once, before any state is created.
void lk_install(lk_dispatch_fn dispatch, lk_field_fn field);

/// A fresh state with a capped allocator and the guard that watches it.
/// `memory_limit` 0 means no limit. Returns NULL when the C allocator itself fails.
lua_State *lk_newstate(size_t memory_limit, lk_guard **guard);
/// Unregisters the guard from the watchdog, closes the state, frees the guard.
/// Boxes released by finalisers during the close are handed to `release`.
void lk_close(lua_State *L, lk_guard *g, void (*release)(void *));

size_t lk_memory_used(const lk_guard *g);
void lk_set_memory_limit(lk_guard *g, size_t limit);

/// Why the current entry is being stopped (LK_STOP_NONE while it runs normally).
lk_stop lk_stopping(const lk_guard *g);
/// Lists a thread other than the main one as running Lua code, for the watchdog to hook.
void lk_chain_push(lk_guard *g, lua_State *L);
void lk_chain_pop(lk_guard *g);
/// The watchdog's clock, advanced every tick. lk_begin reads it instead of the system clock
/// (one load instead of a clock_gettime per call). It lags the true time by at most a tick
/// while the watchdog is scheduled normally, so a deadline gets one tick of slack: a budget is
/// never cut short, and a call may run up to two ticks past it before the kill lands.
extern _Atomic int64_t lk_clock;

/// Saved state of one protected entry, on the caller's stack.
typedef struct { int enforce; int depth; int pushed; } lk_entry;

// The outermost entry runs on the main thread, which the watchdog always hooks, so it needs
// no lock; a nested entry runs on the thread that called into Swift, which is the main thread
// or a coroutine already in the chain. Only an entry on some other thread is added to it.
static inline void lk_begin(lk_guard *g, lua_State *L, int64_t budget_ns, lk_entry *saved) {
    saved->enforce = g->enforce;
    saved->depth = g->depth;
    saved->pushed = L != g->main && (g->nchain == 0 || g->chain[g->nchain - 1] != L);
    if (saved->pushed) lk_chain_push(g, L);
    if (g->depth == 0) {
        g->where[0] = 0;
        g->refusals = 0;
        int64_t deadline = budget_ns > 0
            ? atomic_load_explicit(&lk_clock, memory_order_relaxed) + budget_ns + LK_TICK_NS
            : LK_NO_DEADLINE;
        atomic_store_explicit(&g->deadline, deadline, memory_order_release);
        atomic_store_explicit(&g->running, 1, memory_order_release);
    }
    g->enforce = 1;
    g->depth++;
}

static inline lk_stop lk_end(lk_guard *g, lua_State *L, const lk_entry *saved) {
    g->enforce = saved->enforce;
    g->depth = saved->depth;
    if (saved->pushed) lk_chain_pop(g);
    if (g->depth > 0) return lk_stopping(g);
    atomic_store_explicit(&g->running, 0, memory_order_release);
    int64_t d = atomic_load_explicit(&g->deadline, memory_order_acquire);
    if (d >= 0) return LK_STOP_NONE;
    lua_sethook(L, NULL, 0, 0);          // coroutines that got the hook disarm themselves
    return (lk_stop)(-d);
}

/// An entry set aside by lk_suspend_entry, on the caller's stack.
typedef struct { int depth; int64_t deadline; int64_t remaining; } lk_suspension;

/// Swift-callable, from a Swift function Lua called. Sets the running entry aside while the
/// host runs other code that may call into this state again (a handler of the same plugin,
/// reacting to a command this entry gave): its time stops counting, and a call made meanwhile
/// is an outermost entry with a budget of its own. Every lk_suspend_entry is followed by
/// lk_resume_entry with the same `s`, before control returns to Lua.
void lk_suspend_entry(lk_guard *g, lk_suspension *s);
/// Takes the entry up again with the time it had left (or still stopping, if it was).
void lk_resume_entry(lk_guard *g, const lk_suspension *s);

/// Where the hook stopped the script ("file:line"), or "" if it never ran.
const char *lk_stop_where(const lk_guard *g);
/// Asks a running entry to stop. Safe from any thread. Returns 0 when nothing was running.
int lk_interrupt(lk_guard *g);

/// The message handler every call from Swift uses: it records a traceback beside the error
/// and returns the error value unchanged (it never runs the value's __tostring).
int lk_msgh(lua_State *L);
/// lua_pcall with the handler that `lk_pushmsgh` pushed at stack index `handler`, below the
/// function and its `nargs` arguments.
int lk_pcall(lua_State *L, int nargs, int nresults, int handler);
/// After lk_pcall failed with LUA_ERRRUN: pushes the traceback the handler recorded.
void lk_push_traceback(lua_State *L);
/// The light userdata the kill hook raises. Compared by pointer.
extern const char lk_kill_sentinel;

/// Pushes a C closure that calls `dispatch(L, box)`; `box_ud` is the index of a full
/// userdata from `lk_newbox` whose payload is the box pointer. Pops nothing.
void lk_push_function(lua_State *L, int box_ud);
/// Pushes a new full userdata holding `box`, with the metatable in the registry under
/// `lk_box_key`: its __gc hands `box` to the guard's pending-release list.
void *lk_newbox(lua_State *L, void *box);
/// The payload of a box userdata, or NULL if the value at `idx` is not one with metatable `mt`.
void *lk_tobox(lua_State *L, int idx, const void *mt);
/// Queues `box` to be released by the next lk_drain (when no call is running).
void lk_queue_release(lk_guard *g, void *box);
/// How many protected entries are under way (0: no Lua code and no callback is running).
int lk_depth(const lk_guard *g);
/// Moves the boxes finalised since the last call to `release`, on the owning thread.
void lk_drain(lk_guard *g, void (*release)(void *));
/// The metatable shared by every plain box (functions, errors).
extern const char lk_box_key;

/// Pushes the message luaL_argerror would raise, without raising it.
void lk_push_argerror(lua_State *L, int arg, const char *extramsg, const char *fallback_name);
/// Pushes "file:line: " for the Lua function `level` levels up (or "" if none), as luaL_where.
void lk_push_where(lua_State *L, int level);
/// Pushes the name of the type of the value at `idx`, using __name as luaL_typeerror does.
const char *lk_typename(lua_State *L, int idx);

/// Creates a metatable for a bridged type, leaves it on the stack. `type` is the Swift
/// descriptor handed back to the field function; `methods` (index) is the plain table that
/// method lookups resolve from, `fields` (index) maps field names to integer ids (negative
/// id: read-only).
void lk_push_type_metatable(lua_State *L, void *type, int methods, int fields, const char *name);
/// Creates the metatable a released object of type `name` is switched to.
void lk_push_destroyed_metatable(lua_State *L, const char *name);

/// Replaces the standard globals with the sandbox's allow-list (run it through lk_pcall).
int lk_open_sandbox(lua_State *L);
/// Replaces `print` with one that formats like Lua's own and hands each line to the
/// function on top of the stack (popped).
void lk_set_print(lua_State *L);
/// Replaces `require` with one that asks the loader function on top of the stack (popped)
/// for each module's chunk and caches the results.
void lk_set_require(lua_State *L);

/// Lua's function-like macros and computed constants, which Swift cannot import.
static inline int lk_registryindex(void) { return LUA_REGISTRYINDEX; }
static inline void lk_pop(lua_State *L, int n) { lua_settop(L, -(n)-1); }
static inline void lk_remove(lua_State *L, int idx) { lua_rotate(L, idx, -1); lua_settop(L, -2); }
static inline void lk_pushsentinel(lua_State *L) { lua_pushlightuserdata(L, (void *)&lk_kill_sentinel); }
static inline int lk_issentinel(lua_State *L, int idx) {
    return lua_type(L, idx) == LUA_TLIGHTUSERDATA && lua_touserdata(L, idx) == (void *)&lk_kill_sentinel;
}
static inline void lk_pushboxmetatable(lua_State *L) { lua_rawgetp(L, LUA_REGISTRYINDEX, &lk_box_key); }
static inline void lk_pushopensandbox(lua_State *L) { lua_pushcfunction(L, lk_open_sandbox); }
static inline void lk_pushmsgh(lua_State *L) { lua_pushcfunction(L, lk_msgh); }

#endif
