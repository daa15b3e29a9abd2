// CLuaShim: see include/CLuaShim.h for the invariants this file keeps.
//
// Reading guide: every place that raises (lua_error, luaL_error, luaL_check*) is inside a
// C function that Lua itself called, never in a function Swift calls directly; the
// functions Swift calls directly are marked "Swift-callable" and use only API functions
// that cannot raise, or `m` functions while the allocator cannot fail (enforce == 0).
#include "CLuaShim.h"

#include <lauxlib.h>
#include <lualib.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>


const char lk_kill_sentinel = 0;
const char lk_box_key = 0;
static const char lk_traceback_key = 0;
static const char lk_readonly_key = 0;
static const char lk_loading_marker = 0;

static lk_dispatch_fn lk_dispatch;
static lk_field_fn lk_field;

void lk_install(lk_dispatch_fn dispatch, lk_field_fn field) {
    lk_dispatch = dispatch;
    lk_field = field;
}

static lk_guard *guard_of(lua_State *L) {
    void *ud = NULL;
    lua_getallocf(L, &ud);
    return (lk_guard *)ud;
}

static int64_t now_ns(void) {
    // The coarse clock costs a few ns through the vDSO; its ~4 ms resolution is finer
    // than the budgets it enforces and no coarser than the watchdog's tick.
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

// ---------------------------------------------------------------------------------------
// The kill hook and how it is armed

static void lk_hook(lua_State *L, lua_Debug *ar) {
    lk_guard *g = guard_of(L);
    if (atomic_load_explicit(&g->deadline, memory_order_acquire) >= 0) {
        lua_sethook(L, NULL, 0, 0);      // left over from an earlier entry: disarm, go on
        return;
    }
    if (g->where[0] == 0 && lua_getinfo(L, "Sl", ar) && ar->currentline > 0)
        snprintf(g->where, sizeof g->where, "%s:%d", ar->short_src, ar->currentline);
    lua_pushlightuserdata(L, (void *)&lk_kill_sentinel);
    lua_error(L);                        // raised inside Lua's own hook call: no Swift frame
}

static void arm_kill(lk_guard *g) {
    lua_sethook(g->main, lk_hook, LUA_MASKCOUNT, 1);
    pthread_mutex_lock(&g->lock);
    for (int i = 0; i < g->nchain; i++)
        lua_sethook(g->chain[i], lk_hook, LUA_MASKCOUNT, 1);
    pthread_mutex_unlock(&g->lock);
}

// Moves a running entry (deadline `seen`) to stopping; returns 0 if it was not `seen` any more.
static int request_stop(lk_guard *g, int64_t seen, lk_stop why) {
    if (seen <= 0) return 0;
    if (!atomic_compare_exchange_strong(&g->deadline, &seen, -(int64_t)why)) return 0;
    arm_kill(g);
    return 1;
}

int lk_interrupt(lk_guard *g) {
    if (!atomic_load_explicit(&g->running, memory_order_acquire)) return 0;
    return request_stop(g, atomic_load(&g->deadline), LK_STOP_INTERRUPT);
}

lk_stop lk_stopping(const lk_guard *g) {
    int64_t d = atomic_load(&((lk_guard *)g)->deadline);
    return d < 0 ? (lk_stop)(-d) : LK_STOP_NONE;
}

const char *lk_stop_where(const lk_guard *g) { return g->where; }

// Swift-callable (see the header). The watchdog may fire between the load and the exchange:
// the exchange then fails and the entry keeps its stop, which lk_resume_entry re-arms.
void lk_suspend_entry(lk_guard *g, lk_suspension *s) {
    s->depth = g->depth;
    s->remaining = 0;
    int64_t d = atomic_load(&g->deadline);
    if (d > 0 && d != LK_NO_DEADLINE) {
        s->remaining = d - atomic_load_explicit(&lk_clock, memory_order_relaxed);
        if (s->remaining < 1) s->remaining = 1;
    }
    if (d > 0 && !atomic_compare_exchange_strong(&g->deadline, &d, LK_NO_DEADLINE)) {
        // d now holds the stop the watchdog just requested
    }
    s->deadline = d;
    g->depth = 0;
    atomic_store_explicit(&g->running, 0, memory_order_release);
}

void lk_resume_entry(lk_guard *g, const lk_suspension *s) {
    g->depth = s->depth;
    g->refusals = 0;
    int64_t d = s->deadline;
    if (d < 0) {
        atomic_store_explicit(&g->deadline, d, memory_order_release);
        arm_kill(g);
    } else {
        g->where[0] = 0;
        if (d > 0 && d != LK_NO_DEADLINE) d = atomic_load_explicit(&lk_clock, memory_order_relaxed) + s->remaining;
        atomic_store_explicit(&g->deadline, d, memory_order_release);
    }
    atomic_store_explicit(&g->running, 1, memory_order_release);
}

void lk_chain_push(lk_guard *g, lua_State *L) {
    pthread_mutex_lock(&g->lock);
    g->chain[g->nchain++] = L;
    pthread_mutex_unlock(&g->lock);
    if (lk_stopping(g) != LK_STOP_NONE)  // the watchdog fired before L was listed
        lua_sethook(L, lk_hook, LUA_MASKCOUNT, 1);
}

void lk_chain_pop(lk_guard *g) {
    pthread_mutex_lock(&g->lock);
    g->nchain--;
    pthread_mutex_unlock(&g->lock);
}

// ---------------------------------------------------------------------------------------
// The watchdog: one thread for the process, ticking while any guard is registered.

// The watchdog's clock (see lk_begin in the header).
_Atomic int64_t lk_clock;

static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t reg_cond = PTHREAD_COND_INITIALIZER;
static lk_guard *registry;
static int watchdog_started;

static void *watchdog_main(void *unused) {
    (void)unused;
    struct timespec tick = {0, LK_TICK_NS};
    for (;;) {
        pthread_mutex_lock(&reg_lock);
        while (registry == NULL) pthread_cond_wait(&reg_cond, &reg_lock);
        int64_t now = now_ns();
        atomic_store_explicit(&lk_clock, now, memory_order_relaxed);
        for (lk_guard *g = registry; g; g = g->next) {
            int64_t d = atomic_load(&g->deadline);
            if (d > 0 && d != LK_NO_DEADLINE && now >= d) request_stop(g, d, LK_STOP_TIMEOUT);
        }
        pthread_mutex_unlock(&reg_lock);
        nanosleep(&tick, NULL);
    }
    return NULL;
}

static void watchdog_register(lk_guard *g) {
    pthread_mutex_lock(&reg_lock);
    if (!watchdog_started) {
        pthread_t t;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        pthread_attr_setstacksize(&attr, 64 * 1024);
        watchdog_started = pthread_create(&t, &attr, watchdog_main, NULL) == 0;
        pthread_attr_destroy(&attr);
    }
    atomic_store_explicit(&lk_clock, now_ns(), memory_order_relaxed);
    g->prev = NULL;
    g->next = registry;
    if (registry) registry->prev = g;
    registry = g;
    pthread_cond_signal(&reg_cond);
    pthread_mutex_unlock(&reg_lock);
}

static void watchdog_unregister(lk_guard *g) {
    pthread_mutex_lock(&reg_lock);
    if (g->prev) g->prev->next = g->next; else registry = g->next;
    if (g->next) g->next->prev = g->prev;
    pthread_mutex_unlock(&reg_lock);
}

// ---------------------------------------------------------------------------------------
// The allocator

static void *lk_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
    lk_guard *g = (lk_guard *)ud;
    size_t old = ptr ? osize : 0;        // without a block, osize names the object's kind
    if (nsize == 0) {
        free(ptr);
        g->used -= old;
        return NULL;
    }
    if (nsize > old && g->enforce && g->limit && g->used - old + nsize > g->limit) {
        // Lua retries once after an emergency collection; a second refusal in a row means
        // the script really holds that much, and the stop becomes one it cannot catch.
        if (++g->refusals >= 2) request_stop(g, atomic_load(&g->deadline), LK_STOP_MEMORY);
        return NULL;
    }
    void *p = realloc(ptr, nsize);
    if (p) {
        g->used = g->used - old + nsize;
        if (nsize > old) g->refusals = 0;
    }
    return p;
}

static int lk_panic(lua_State *L) {
    const char *msg = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "(not a string)";
    fprintf(stderr, "liaison: unprotected Lua error (a bug in LuaKit): %s\n", msg);
    abort();
}

static void lk_ignore_warning(void *ud, const char *msg, int tocont) {
    (void)ud; (void)msg; (void)tocont;
}

static int lk_box_gc(lua_State *L);
static int lk_box_tostring(lua_State *L);

// Swift-callable: enforce is 0 during creation, so nothing here can fail on the limit.
lua_State *lk_newstate(size_t memory_limit, lk_guard **out) {
    lk_guard *g = calloc(1, sizeof *g);
    if (!g) return NULL;
    g->limit = memory_limit;
    pthread_mutex_init(&g->lock, NULL);
    atomic_init(&g->deadline, 0);
    lua_State *L = lua_newstate(lk_alloc, g);
    if (!L) {
        pthread_mutex_destroy(&g->lock);
        free(g);
        return NULL;
    }
    g->main = L;
    lua_atpanic(L, lk_panic);
    lua_setwarnf(L, lk_ignore_warning, NULL);
    lua_createtable(L, 0, 4);            // the metatable of every plain box
    lua_pushcfunction(L, lk_box_gc);
    lua_setfield(L, -2, "__gc");
    lua_pushcfunction(L, lk_box_tostring);
    lua_setfield(L, -2, "__tostring");
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    lua_pushliteral(L, "swift value");
    lua_setfield(L, -2, "__name");
    lua_rawsetp(L, LUA_REGISTRYINDEX, &lk_box_key);
    watchdog_register(g);
    *out = g;
    return L;
}

void lk_close(lua_State *L, lk_guard *g, void (*release)(void *)) {
    watchdog_unregister(g);
    g->enforce = 0;
    lua_close(L);                        // runs the box finalisers, which only queue
    lk_drain(g, release);
    free(g->pending);
    pthread_mutex_destroy(&g->lock);
    free(g);
}

size_t lk_memory_used(const lk_guard *g) { return g->used; }
void lk_set_memory_limit(lk_guard *g, size_t limit) { g->limit = limit; }

// ---------------------------------------------------------------------------------------
// Protected entries from Swift

// The message handler: records a traceback beside the error and returns the error itself,
// so that a Swift error box or the kill sentinel arrives unchanged. It never calls
// __tostring: an error value's own code is not run while reporting it.
int lk_msgh(lua_State *L) {
    if (lua_touserdata(L, 1) == (void *)&lk_kill_sentinel) return 1;
    luaL_traceback(L, L, NULL, 1);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &lk_traceback_key);
    return 1;
}

// Swift-callable: lua_pcall itself never raises.
// No per-call reset of the recorded traceback: the handler records one for every runtime
// error, which is the only status for which Swift reads it.
int lk_pcall(lua_State *L, int nargs, int nresults, int handler) {
    return lua_pcall(L, nargs, nresults, handler);
}

void lk_push_traceback(lua_State *L) {
    lua_rawgetp(L, LUA_REGISTRYINDEX, &lk_traceback_key);
}

// ---------------------------------------------------------------------------------------
// Boxes: full userdata holding a retained Swift object

void lk_queue_release(lk_guard *g, void *box) {
    if (g->npending == g->cap) {
        size_t cap = g->cap ? g->cap * 2 : 64;
        void **p = realloc(g->pending, cap * sizeof *p);
        if (!p) return;                  // out of C memory: leak the box rather than crash
        g->pending = p;
        g->cap = cap;
    }
    g->pending[g->npending++] = box;
}

// A finaliser may run inside any allocation, even one Swift asked for; so it only queues
// the box, and Swift releases it at the end of the outermost entry (lk_drain).
static int lk_box_gc(lua_State *L) {
    void **slot = (void **)lua_touserdata(L, 1);
    if (slot && *slot) {
        lk_queue_release(guard_of(L), *slot);
        *slot = NULL;
    }
    return 0;
}

static int lk_box_tostring(lua_State *L) {
    if (lua_getiuservalue(L, 1, 1) != LUA_TSTRING) lua_pushliteral(L, "swift value");
    return 1;
}

int lk_depth(const lk_guard *g) { return g->depth; }

void lk_drain(lk_guard *g, void (*release)(void *)) {
    while (g->npending > 0) release(g->pending[--g->npending]);
}

// A box's payload is the Swift object's pointer, then its state's guard, which saves the
// trampoline a call into liblua to find it.
void *lk_newbox(lua_State *L, void *box) {
    void **slot = (void **)lua_newuserdatauv(L, 2 * sizeof(void *), 1);
    slot[0] = box;
    slot[1] = guard_of(L);
    lua_rawgetp(L, LUA_REGISTRYINDEX, &lk_box_key);
    lua_setmetatable(L, -2);
    return slot;
}

void *lk_tobox(lua_State *L, int idx, const void *mt) {
    void *slot = lua_touserdata(L, idx);
    if (!slot || !lua_getmetatable(L, idx)) return NULL;
    const void *actual = lua_topointer(L, -1);
    lua_pop(L, 1);
    return actual == mt ? slot : NULL;
}

// The one way into Swift from Lua.
static int lk_trampoline(lua_State *L) {
    void **slot = (void **)lua_touserdata(L, lua_upvalueindex(1));
    lk_guard *g = (lk_guard *)slot[1];
    int enforce = g->enforce;
    g->enforce = 0;                      // Swift frame active: allocations must not fail
    int n = lk_dispatch(L, *slot);
    g->enforce = enforce;
    if (n == LK_RAISE) return lua_error(L);
    return n;
}

void lk_push_function(lua_State *L, int box_ud) {
    lua_pushvalue(L, box_ud);
    lua_pushcclosure(L, lk_trampoline, 1);
}

// ---------------------------------------------------------------------------------------
// Messages in Lua's own words

void lk_push_where(lua_State *L, int level) {
    lua_Debug ar;
    if (lua_getstack(L, level, &ar) && lua_getinfo(L, "Sl", &ar) && ar.currentline > 0)
        lua_pushfstring(L, "%s:%d: ", ar.short_src, ar.currentline);
    else
        lua_pushliteral(L, "");
}

void lk_push_argerror(lua_State *L, int arg, const char *extramsg, const char *fallback) {
    lua_Debug ar;
    const char *name = fallback;
    if (lua_getstack(L, 0, &ar)) {
        lua_getinfo(L, "n", &ar);
        if (ar.name) name = ar.name;
        if (ar.namewhat && strcmp(ar.namewhat, "method") == 0) {
            arg--;                       // a method's self is not counted, as in luaL_argerror
            if (arg == 0) {
                lk_push_where(L, 1);
                lua_pushfstring(L, "calling '%s' on bad self (%s)", name, extramsg);
                lua_concat(L, 2);
                return;
            }
        }
    }
    lk_push_where(L, 1);
    lua_pushfstring(L, "bad argument #%d to '%s' (%s)", arg, name, extramsg);
    lua_concat(L, 2);
}

const char *lk_typename(lua_State *L, int idx) {
    const char *name;
    if (luaL_getmetafield(L, idx, "__name") == LUA_TSTRING) {
        name = lua_tostring(L, -1);      // stays alive in the metatable after the pop
        lua_pop(L, 1);
        return name;
    }
    if (lua_type(L, idx) == LUA_TLIGHTUSERDATA) return "light userdata";
    return luaL_typename(L, idx);
}

// ---------------------------------------------------------------------------------------
// Bridged types

static int call_field(lua_State *L, int field, int kind) {
    lk_guard *g = guard_of(L);
    int enforce = g->enforce;
    g->enforce = 0;
    int n = lk_field(L, lua_touserdata(L, lua_upvalueindex(3)), field, kind);
    g->enforce = enforce;
    if (n == LK_RAISE) return lua_error(L);
    return n;
}

// __index: methods resolve from a plain table without entering Swift; fields go through
// the field table to one Swift getter.
// Lua calls it with exactly (object, key).
static int lk_index(lua_State *L) {
    lua_pushvalue(L, 2);
    if (lua_rawget(L, lua_upvalueindex(1)) != LUA_TNIL) return 1;
    lua_pushvalue(L, 2);
    if (lua_rawget(L, lua_upvalueindex(2)) == LUA_TNUMBER) {
        int id = (int)lua_tointeger(L, -1);
        lua_settop(L, 2);
        return call_field(L, id < 0 ? -id : id, 0);
    }
    if (lua_type(L, 2) == LUA_TSTRING)
        return luaL_error(L, "%s has no field or method '%s'", lua_tostring(L, lua_upvalueindex(4)),
                          lua_tostring(L, 2));
    return luaL_error(L, "%s has no field or method of type %s", lua_tostring(L, lua_upvalueindex(4)),
                      luaL_typename(L, 2));
}

static int lk_newindex(lua_State *L) {
    lua_settop(L, 3);
    lua_pushvalue(L, 2);
    if (lua_rawget(L, lua_upvalueindex(2)) == LUA_TNUMBER) {
        int id = (int)lua_tointeger(L, -1);
        lua_settop(L, 3);
        return call_field(L, id < 0 ? -id : id, id < 0 ? 2 : 1);
    }
    lua_pushvalue(L, 2);
    int method = lua_rawget(L, lua_upvalueindex(1)) != LUA_TNIL;
    const char *type = lua_tostring(L, lua_upvalueindex(4));
    const char *key = lua_type(L, 2) == LUA_TSTRING ? lua_tostring(L, 2) : luaL_typename(L, 2);
    if (method) return luaL_error(L, "cannot assign to method '%s' of %s", key, type);
    return luaL_error(L, "%s has no field '%s'", type, key);
}

void lk_push_type_metatable(lua_State *L, void *type, int methods, int fields, const char *name) {
    methods = lua_absindex(L, methods);
    fields = lua_absindex(L, fields);
    lua_createtable(L, 0, 8);
    lua_pushvalue(L, methods);
    lua_pushvalue(L, fields);
    lua_pushlightuserdata(L, type);
    lua_pushstring(L, name);
    lua_pushvalue(L, -4);
    lua_pushvalue(L, -4);
    lua_pushvalue(L, -4);
    lua_pushvalue(L, -4);
    lua_pushcclosure(L, lk_newindex, 4);
    lua_setfield(L, -6, "__newindex");
    lua_pushcclosure(L, lk_index, 4);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, lk_box_gc);
    lua_setfield(L, -2, "__gc");
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    lua_pushstring(L, name);
    lua_setfield(L, -2, "__name");
}

static int lk_destroyed_error(lua_State *L) {
    return luaL_error(L, "attempt to use a released %s object", lua_tostring(L, lua_upvalueindex(1)));
}

static int lk_destroyed_tostring(lua_State *L) {
    lua_pushfstring(L, "%s (released)", lua_tostring(L, lua_upvalueindex(1)));
    return 1;
}

void lk_push_destroyed_metatable(lua_State *L, const char *name) {
    lua_createtable(L, 0, 5);
    lua_pushstring(L, name);
    lua_pushvalue(L, -1);
    lua_pushcclosure(L, lk_destroyed_error, 1);
    lua_setfield(L, -3, "__index");
    lua_pushvalue(L, -1);
    lua_pushcclosure(L, lk_destroyed_error, 1);
    lua_setfield(L, -3, "__newindex");
    lua_pushvalue(L, -1);
    lua_pushcclosure(L, lk_destroyed_tostring, 1);
    lua_setfield(L, -3, "__tostring");
    lua_setfield(L, -2, "__name");
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
}

// ---------------------------------------------------------------------------------------
// Coroutines, tracked so that the watchdog can arm the hook on whichever thread runs

// A coroutine that the kill hook stopped dies with hooks still disallowed (the hook's
// longjmp skips the line in ldo.c that allows them again, and lua_resetthread does not).
// Resetting it would run its pending __close handlers with no way to stop them, so such a
// coroutine is marked, in its extra space, and never reset: its __close handlers are skipped.
static unsigned char *taint_of(lua_State *co) { return (unsigned char *)lua_getextraspace(co); }

int lk_resume(lua_State *L, lua_State *co, int narg, int *nres) {
    lk_guard *g = guard_of(L);
    if (g->nchain >= LK_MAXCHAIN) {
        lua_pop(co, narg);
        lua_pushliteral(co, "too many nested coroutines");
        return LUA_ERRRUN;
    }
    lk_chain_push(g, co);
    int status = lua_resume(co, L, narg, nres);
    lk_chain_pop(g);
    if (status != LUA_OK && status != LUA_YIELD && lk_stopping(g) != LK_STOP_NONE) *taint_of(co) = 1;
    return status;
}

static int resetthread(lua_State *L, lua_State *co) {
    lk_guard *g = guard_of(L);
    if (*taint_of(co) || lk_stopping(g) != LK_STOP_NONE) {
        lua_pushliteral(co, "coroutine was stopped by a limit; its pending __close handlers were skipped");
        return LUA_ERRRUN;
    }
    lk_chain_push(g, co);                   // pending __close handlers run on co
    int status = lua_resetthread(co);
    lk_chain_pop(g);
    return status;
}

// As lcorolib.c's auxresume: returns the number of results, or -1 with the error on top.
static int auxresume(lua_State *L, lua_State *co, int narg) {
    int nres;
    if (!lua_checkstack(co, narg)) {
        lua_pushliteral(L, "too many arguments to resume");
        return -1;
    }
    lua_xmove(L, co, narg);
    int status = lk_resume(L, co, narg, &nres);
    if (status == LUA_OK || status == LUA_YIELD) {
        if (!lua_checkstack(L, nres + 1)) {
            lua_pop(co, nres);
            lua_pushliteral(L, "too many results to resume");
            return -1;
        }
        lua_xmove(co, L, nres);
        return nres;
    }
    lua_xmove(co, L, 1);
    return -1;
}

static int co_resume(lua_State *L) {
    lua_State *co = lua_tothread(L, 1);
    luaL_argexpected(L, co, 1, "coroutine");
    int r = auxresume(L, co, lua_gettop(L) - 1);
    if (r < 0) {
        lua_pushboolean(L, 0);
        lua_insert(L, -2);
        return 2;
    }
    lua_pushboolean(L, 1);
    lua_insert(L, -(r + 1));
    return r + 1;
}

static int co_auxwrap(lua_State *L) {
    lua_State *co = lua_tothread(L, lua_upvalueindex(1));
    int r = auxresume(L, co, lua_gettop(L));
    if (r < 0) {
        int stat = lua_status(co);
        if (stat != LUA_OK && stat != LUA_YIELD) {
            resetthread(L, co);
            lua_xmove(co, L, 1);
        }
        if (stat != LUA_ERRMEM && lua_type(L, -1) == LUA_TSTRING) {
            luaL_where(L, 1);
            lua_insert(L, -2);
            lua_concat(L, 2);
        }
        return lua_error(L);
    }
    return r;
}

static int co_wrap(lua_State *L) {
    luaL_checktype(L, 1, LUA_TFUNCTION);
    lua_State *co = lua_newthread(L);
    lua_pushvalue(L, 1);
    lua_xmove(L, co, 1);
    lua_pushcclosure(L, co_auxwrap, 1);
    return 1;
}

// As lcorolib.c's auxstatus: 0 running, 1 suspended, 2 normal, 3 dead.
static int costatus(lua_State *L, lua_State *co) {
    lua_Debug ar;
    if (L == co) return 0;
    switch (lua_status(co)) {
    case LUA_YIELD: return 1;
    case LUA_OK:
        if (lua_getstack(co, 0, &ar)) return 2;
        return lua_gettop(co) == 0 ? 3 : 1;
    default: return 3;
    }
}

static int co_close(lua_State *L) {
    static const char *const names[] = {"running", "suspended", "normal", "dead"};
    lua_State *co = lua_tothread(L, 1);
    luaL_argexpected(L, co, 1, "coroutine");
    int st = costatus(L, co);
    if (st == 0 || st == 2) return luaL_error(L, "cannot close a %s coroutine", names[st]);
    if (resetthread(L, co) == LUA_OK) {
        lua_pushboolean(L, 1);
        return 1;
    }
    lua_pushboolean(L, 0);
    lua_xmove(co, L, 1);
    return 2;
}

// ---------------------------------------------------------------------------------------
// Library functions whose loops run no Lua code, so the kill hook cannot reach them. The
// others (sorting with the default order, concatenation, case conversion) do work bounded by
// the memory cap: at 64 MiB the longest, sorting 1.5 million numbers, takes about half a second.

void lk_check_stop(lua_State *L) {
    lk_guard *g = guard_of(L);
    if (atomic_load_explicit(&g->deadline, memory_order_relaxed) < 0) {
        lua_Debug ar;                    // level 1: the Lua code that called the library
        if (g->where[0] == 0 && lua_getstack(L, 1, &ar) && lua_getinfo(L, "Sl", &ar) && ar.currentline > 0)
            snprintf(g->where, sizeof g->where, "%s:%d", ar.short_src, ar.currentline);
        lua_pushlightuserdata(L, (void *)&lk_kill_sentinel);
        lua_error(L);
    }
}

// string.rep of an empty piece with an empty separator copies nothing, so no memory cap bounds
// its loop: string.rep("", math.maxinteger) would spin for centuries. The result is "" anyway.
static int lk_rep(lua_State *L) {
    size_t l, lsep;
    luaL_checklstring(L, 1, &l);
    luaL_checkinteger(L, 2);
    luaL_optlstring(L, 3, "", &lsep);
    if (l + lsep == 0) {
        lua_pushliteral(L, "");
        return 1;
    }
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, 1);
    return 1;
}

// As ltablib.c's checktab: a table, or a value with the metamethods the operation needs.
static void check_table(lua_State *L, int arg, int write) {
    if (lua_type(L, arg) == LUA_TTABLE) return;
    int ok = lua_getmetatable(L, arg);
    if (ok) {
        lua_pushstring(L, write ? "__newindex" : "__index");
        ok = lua_rawget(L, -2) != LUA_TNIL;
        lua_pop(L, 2);
    }
    if (!ok) luaL_checktype(L, arg, LUA_TTABLE);
}

// table.move, as ltablib.c's, but checking for a stop as it goes: moving a range of absent
// keys between plain tables allocates nothing and runs no Lua code.
static int lk_move(lua_State *L) {
    lua_Integer f = luaL_checkinteger(L, 2);
    lua_Integer e = luaL_checkinteger(L, 3);
    lua_Integer t = luaL_checkinteger(L, 4);
    int tt = !lua_isnoneornil(L, 5) ? 5 : 1;
    check_table(L, 1, 0);
    check_table(L, tt, 1);
    if (e >= f) {
        luaL_argcheck(L, f > 0 || e < LUA_MAXINTEGER + f, 3, "too many elements to move");
        lua_Integer n = e - f + 1;
        luaL_argcheck(L, t <= LUA_MAXINTEGER - n + 1, 4, "destination wrap around");
        int forward = t > e || t <= f || (tt != 1 && !lua_compare(L, 1, tt, LUA_OPEQ));
        for (lua_Integer i = 0; i < n; i++) {
            lua_Integer k = forward ? i : n - 1 - i;
            if ((i & 4095) == 4095) lk_check_stop(L);
            lua_geti(L, 1, f + k);
            lua_seti(L, tt, t + k);
        }
    }
    lua_pushvalue(L, tt);
    return 1;
}

// ---------------------------------------------------------------------------------------
// The sandbox (docs/ARCHITECTURE.md, "The bridge's rules", rule 4)

static int lk_load(lua_State *L) {
    int hasenv = lua_gettop(L) >= 4;
    lua_settop(L, 4);
    if (!lua_isnil(L, 3) && strchr(luaL_checkstring(L, 3), 'b'))
        return luaL_argerror(L, 3, "binary chunks are not allowed in the sandbox");
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_pushvalue(L, 1);
    lua_pushvalue(L, 2);
    lua_pushliteral(L, "t");
    if (hasenv) lua_pushvalue(L, 4); else lua_pushglobaltable(L);
    lua_call(L, 4, LUA_MULTRET);
    return lua_gettop(L) - 4;
}

// A finaliser runs with hooks off (lgc.c, GCTM), so no time budget could stop one: the
// sandbox refuses metatables that carry __gc. A __gc added to the metatable later is inert,
// since Lua marks an object for finalisation only when its metatable is set.
static int lk_setmetatable(lua_State *L) {
    if (lua_type(L, 2) == LUA_TTABLE) {
        lua_pushliteral(L, "__gc");
        if (lua_rawget(L, 2) != LUA_TNIL)
            return luaL_error(L, "__gc metamethods are not allowed in the sandbox "
                                 "(a finaliser cannot be interrupted); use __close instead");
        lua_pop(L, 1);
    }
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, 1);
    return 1;
}

// When the kill hook raises, Lua calls the message handler from inside the hook, where hooks
// are disallowed: a looping handler could never be stopped. So while a stop is under way the
// script's handler is not called, and the kill goes through unchanged.
static int lk_guarded_handler(lua_State *L) {
    if (lk_stopping(guard_of(L)) != LK_STOP_NONE) return 1;
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, 1);
    return 1;
}

static int lk_xpcall(lua_State *L) {
    luaL_checktype(L, 2, LUA_TFUNCTION);
    lua_pushvalue(L, 2);
    lua_pushcclosure(L, lk_guarded_handler, 1);
    lua_replace(L, 2);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
    return lua_gettop(L);
}

static const char *readonly_name(lua_State *L, int idx) {
    if (lua_type(L, idx) != LUA_TTABLE) return NULL;
    lua_rawgetp(L, LUA_REGISTRYINDEX, &lk_readonly_key);
    lua_pushvalue(L, idx);
    lua_rawget(L, -2);
    const char *name = lua_tostring(L, -1);
    lua_pop(L, 2);                       // the name stays alive as a value in the set
    return name;
}

static int lk_rawset(lua_State *L) {
    const char *name = readonly_name(L, 1);
    if (name) return luaL_error(L, "attempt to modify read-only table '%s'", name);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, 1);
    return 1;
}

static int lk_collectgarbage(lua_State *L) {
    static const char *const allowed[] = {"collect", "count", "step", "isrunning", NULL};
    const char *opt = luaL_optstring(L, 1, "collect");
    int ok = 0;
    for (int i = 0; allowed[i]; i++) ok |= strcmp(opt, allowed[i]) == 0;
    if (!ok)
        return luaL_error(L, "collectgarbage('%s') is not allowed in the sandbox "
                             "(allowed: collect, count, step, isrunning)", opt);
    int n = lua_gettop(L);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, n, LUA_MULTRET);
    return lua_gettop(L);
}

static int lk_readonly_newindex(lua_State *L) {
    return luaL_error(L, "attempt to modify read-only table '%s'", lua_tostring(L, lua_upvalueindex(1)));
}

static int lk_readonly_next(lua_State *L) {
    lua_settop(L, 2);
    if (lua_next(L, lua_upvalueindex(1))) return 2;
    lua_pushnil(L);
    return 1;
}

static int lk_readonly_pairs(lua_State *L) {
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_pushcclosure(L, lk_readonly_next, 1);
    lua_pushnil(L);
    lua_pushnil(L);
    return 3;
}

// Replaces global `name` (a library table) with a read-only view of it. The real table stays
// reachable only through the view's __index and the string metatable, never as a value.
static void make_readonly(lua_State *L, const char *name) {
    lua_getglobal(L, name);              // real
    lua_newtable(L);                     // proxy
    lua_createtable(L, 0, 4);            // its metatable
    lua_pushvalue(L, -3);
    lua_setfield(L, -2, "__index");
    lua_pushstring(L, name);
    lua_pushcclosure(L, lk_readonly_newindex, 1);
    lua_setfield(L, -2, "__newindex");
    lua_pushvalue(L, -3);
    lua_pushcclosure(L, lk_readonly_pairs, 1);
    lua_setfield(L, -2, "__pairs");
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    lua_setmetatable(L, -2);
    lua_rawgetp(L, LUA_REGISTRYINDEX, &lk_readonly_key);
    lua_pushvalue(L, -2);
    lua_pushstring(L, name);
    lua_rawset(L, -3);
    lua_pop(L, 1);
    lua_setglobal(L, name);
    lua_pop(L, 1);
}

static void wrap_global(lua_State *L, const char *name, lua_CFunction fn) {
    lua_getglobal(L, name);
    lua_pushcclosure(L, fn, 1);
    lua_setglobal(L, name);
}

static int lk_print(lua_State *L) {
    int n = lua_gettop(L);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (int i = 1; i <= n; i++) {
        if (i > 1) luaL_addchar(&b, '\t');
        luaL_tolstring(L, i, NULL);
        luaL_addvalue(&b);
    }
    luaL_pushresult(&b);
    if (lua_isnil(L, lua_upvalueindex(1))) return 0;
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, -2);
    lua_call(L, 1, 0);
    return 0;
}

static int lk_require(lua_State *L) {
    luaL_checkstring(L, 1);
    lua_settop(L, 1);
    lua_pushvalue(L, 1);
    int t = lua_rawget(L, lua_upvalueindex(1));
    if (t == LUA_TLIGHTUSERDATA && lua_touserdata(L, -1) == (void *)&lk_loading_marker)
        return luaL_error(L, "loop in require: module '%s' is still loading", lua_tostring(L, 1));
    if (t != LUA_TNIL) return 1;
    lua_pop(L, 1);
    lua_pushvalue(L, lua_upvalueindex(2));   // loader(name) -> chunk, path
    lua_pushvalue(L, 1);
    if (lua_pcall(L, 1, 2, 0) != LUA_OK) {   // name the line that asked, as Lua's require does
        if (lua_type(L, -1) == LUA_TSTRING) {
            luaL_where(L, 1);
            lua_insert(L, -2);
            lua_concat(L, 2);
        }
        return lua_error(L);
    }
    lua_pushvalue(L, 1);
    lua_pushlightuserdata(L, (void *)&lk_loading_marker);
    lua_rawset(L, lua_upvalueindex(1));
    lua_pushvalue(L, 1);
    lua_insert(L, -2);                       // chunk, name, path
    int status = lua_pcall(L, 2, 1, 0);
    if (status != LUA_OK) {
        lua_pushvalue(L, 1);
        lua_pushnil(L);
        lua_rawset(L, lua_upvalueindex(1));
        return lua_error(L);
    }
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        lua_pushboolean(L, 1);
    }
    lua_pushvalue(L, 1);
    lua_pushvalue(L, -2);
    lua_rawset(L, lua_upvalueindex(1));
    return 1;
}

void lk_set_print(lua_State *L) {
    lua_pushcclosure(L, lk_print, 1);
    lua_pushglobaltable(L);
    lua_insert(L, -2);
    lua_setfield(L, -2, "print");        // _G's metatable has no __newindex: a raw set
    lua_pop(L, 1);
}

void lk_set_require(lua_State *L) {
    lua_newtable(L);                     // the cache: the standard libraries are there already,
    static const char *const libs[] = {  // so require "utf8" answers as stock Lua does
        LUA_STRLIBNAME, LUA_TABLIBNAME, LUA_MATHLIBNAME, LUA_UTF8LIBNAME, LUA_COLIBNAME, LUA_OSLIBNAME, NULL,
    };
    for (int i = 0; libs[i]; i++) {
        lua_getglobal(L, libs[i]);
        lua_setfield(L, -2, libs[i]);
    }
    lua_insert(L, -2);
    lua_pushcclosure(L, lk_require, 2);
    lua_pushglobaltable(L);
    lua_insert(L, -2);
    lua_setfield(L, -2, "require");
    lua_pop(L, 1);
}

int lk_open_sandbox(lua_State *L) {
    static const luaL_Reg libs[] = {
        {LUA_GNAME, luaopen_base},     {LUA_TABLIBNAME, luaopen_table},
        {LUA_STRLIBNAME, luaopen_string}, {LUA_MATHLIBNAME, luaopen_math},
        {LUA_UTF8LIBNAME, luaopen_utf8}, {LUA_COLIBNAME, luaopen_coroutine},
        {LUA_OSLIBNAME, luaopen_os},   {NULL, NULL},
    };
    for (const luaL_Reg *lib = libs; lib->func; lib++) {
        luaL_requiref(L, lib->name, lib->func, 1);
        lua_pop(L, 1);
    }
    static const char *const removed[] = {"dofile", "loadfile", "warn", NULL};
    for (int i = 0; removed[i]; i++) {
        lua_pushnil(L);
        lua_setglobal(L, removed[i]);
    }
    wrap_global(L, "load", lk_load);
    wrap_global(L, "xpcall", lk_xpcall);
    wrap_global(L, "setmetatable", lk_setmetatable);
    wrap_global(L, "rawset", lk_rawset);
    wrap_global(L, "collectgarbage", lk_collectgarbage);
    lua_pushnil(L);
    lk_set_print(L);                     // discards output until the host routes it

    lua_getglobal(L, LUA_STRLIBNAME);    // no string.dump: no bytecode out
    lua_pushnil(L);
    lua_setfield(L, -2, "dump");
    lk_install_patterns(L, -1);          // pattern matching that a time limit can stop
    lua_getfield(L, -1, "rep");
    lua_pushcclosure(L, lk_rep, 1);
    lua_setfield(L, -2, "rep");
    lua_pop(L, 1);
    lua_getglobal(L, LUA_TABLIBNAME);
    lua_pushcfunction(L, lk_move);
    lua_setfield(L, -2, "move");
    lua_pop(L, 1);
    lua_pushliteral(L, "");              // getmetatable("") answers false
    lua_getmetatable(L, -1);
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    lua_pop(L, 2);

    lua_getglobal(L, LUA_OSLIBNAME);     // os keeps only time, clock, date
    lua_createtable(L, 0, 3);
    static const char *const os_kept[] = {"time", "clock", "date", NULL};
    for (int i = 0; os_kept[i]; i++) {
        lua_getfield(L, -2, os_kept[i]);
        lua_setfield(L, -2, os_kept[i]);
    }
    lua_setglobal(L, LUA_OSLIBNAME);
    lua_pop(L, 1);

    lua_getglobal(L, LUA_COLIBNAME);     // resumes are tracked for the watchdog
    lua_pushcfunction(L, co_resume);
    lua_setfield(L, -2, "resume");
    lua_pushcfunction(L, co_wrap);
    lua_setfield(L, -2, "wrap");
    lua_pushcfunction(L, co_close);
    lua_setfield(L, -2, "close");
    lua_pop(L, 1);

    lua_newtable(L);                     // the set of read-only views, weak-keyed
    lua_createtable(L, 0, 1);
    lua_pushliteral(L, "k");
    lua_setfield(L, -2, "__mode");
    lua_setmetatable(L, -2);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &lk_readonly_key);
    static const char *const shared[] = {LUA_STRLIBNAME, LUA_TABLIBNAME, LUA_MATHLIBNAME,
                                         LUA_UTF8LIBNAME, LUA_COLIBNAME, LUA_OSLIBNAME, NULL};
    for (int i = 0; shared[i]; i++) make_readonly(L, shared[i]);

    lua_pushglobaltable(L);              // setmetatable(_G, ...) is refused
    lua_createtable(L, 0, 1);
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    lua_setmetatable(L, -2);
    lua_pop(L, 1);
    return 0;
}
