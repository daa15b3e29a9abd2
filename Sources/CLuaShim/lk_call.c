// Calls across the bridge (rules 1 and 2 in include/CLuaShim.h): Swift calls Lua through
// lk_pcall with lk_msgh; Lua calls Swift through lk_trampoline, the one way in, which raises a
// Swift error only after Swift has returned. Boxes carry the Swift objects behind functions,
// and messages are worded as Lua's own.
#include "lk_internal.h"

#include <stdlib.h>
#include <string.h>

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
int lk_box_gc(lua_State *L) {
    void **slot = (void **)lua_touserdata(L, 1);
    if (slot && *slot) {
        lk_queue_release(guard_of(L), *slot);
        *slot = NULL;
    }
    return 0;
}

int lk_box_tostring(lua_State *L) {
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
