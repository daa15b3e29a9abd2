// A state and its allocator, as lstate.c and lauxlib.c's luaL_newstate make one: the
// allocator counts every block against the state's limit and refuses to grow past it only
// while Lua code runs (rule 3 in include/CLuaShim.h); a panic is a bug, and says so.
//
// Reading guide for all of the shim: every place that raises (lua_error, luaL_error,
// luaL_check*) is inside a C function that Lua itself called, never in a function Swift calls
// directly; the functions Swift calls directly are marked "Swift-callable" and use only API
// functions that cannot raise, or `m` functions while the allocator cannot fail (enforce 0).
#include "lk_internal.h"

#include <lualib.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

const char lk_kill_sentinel = 0;
const char lk_box_key = 0;
const char lk_traceback_key = 0;
const char lk_readonly_key = 0;

lk_dispatch_fn lk_dispatch;
lk_field_fn lk_field;

void lk_install(lk_dispatch_fn dispatch, lk_field_fn field) {
    lk_dispatch = dispatch;
    lk_field = field;
}

// Notes where the script was when an allocation was refused, as the kill hook notes where a
// time limit stopped it (kept only if the script does not go on to allocate after all): the innermost thread running Lua code, at its nearest Lua function. Called
// from inside an allocation, on the owning thread; "Sl" reads the function's prototype and
// allocates nothing.
static void note_where(lk_guard *g) {
    lua_State *L = g->nchain > 0 ? g->chain[g->nchain - 1] : g->main;
    lua_Debug ar;
    for (int level = 0; level < 4 && lua_getstack(L, level, &ar); level++) {
        if (lua_getinfo(L, "Sl", &ar) && ar.currentline > 0) {
            snprintf(g->where, sizeof g->where, "%s:%d", ar.short_src, ar.currentline);
            return;
        }
    }
}

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
        if (g->where[0] == 0) note_where(g);
        if (++g->refusals >= 2) lk_request_stop(g, atomic_load(&g->deadline), LK_STOP_MEMORY);
        return NULL;
    }
    void *p = realloc(ptr, nsize);
    if (p) {
        g->used = g->used - old + nsize;
        if (nsize > old && g->refusals) {
            g->refusals = 0;             // the script went on: the place it ran short is not news
            if (lk_stopping(g) == LK_STOP_NONE) g->where[0] = 0;
        }
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
    lk_watchdog_register(g);
    *out = g;
    return L;
}

void lk_close(lua_State *L, lk_guard *g, void (*release)(void *)) {
    lk_watchdog_unregister(g);
    g->enforce = 0;
    lua_close(L);                        // runs the box finalisers, which only queue
    lk_drain(g, release);
    free(g->pending);
    pthread_mutex_destroy(&g->lock);
    free(g);
}

size_t lk_memory_used(const lk_guard *g) { return g->used; }
void lk_set_memory_limit(lk_guard *g, size_t limit) { g->limit = limit; }
