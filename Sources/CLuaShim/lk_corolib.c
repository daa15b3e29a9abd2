// The coroutine library's resume, wrap and close, as lcorolib.c's, but tracking the thread
// that runs so that the watchdog can arm the kill hook on it, and never resetting a coroutine
// a stop killed.
#include "lk_internal.h"


// A coroutine that the kill hook stopped dies with hooks still disallowed (the hook's
// longjmp skips the line in ldo.c that allows them again, and lua_resetthread does not).
// Resetting it would run its pending __close handlers with no way to stop them, so such a
// coroutine is marked, in its extra space, and never reset: its __close handlers are skipped.
static unsigned char *taint_of(lua_State *co) { return (unsigned char *)lua_getextraspace(co); }

static int lk_resume(lua_State *L, lua_State *co, int narg, int *nres) {
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

static const luaL_Reg co_funcs[] = {
    {"resume", co_resume},
    {"wrap", co_wrap},
    {"close", co_close},
    {NULL, NULL},
};

void lk_open_corolib(lua_State *L, int idx) {
    idx = lua_absindex(L, idx);
    lua_pushvalue(L, idx);
    luaL_setfuncs(L, co_funcs, 0);
    lua_pop(L, 1);
}
