#include "Baseline.h"

#include <lauxlib.h>
#include <malloc.h>
#include <lualib.h>
#include <string.h>
#include <time.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int msgh(lua_State *L) {
    luaL_traceback(L, L, lua_tostring(L, 1), 1);
    return 1;
}

static lua_State *newstate(void) {
    lua_State *L = luaL_newstate();
    luaL_openlibs(L);
    return L;
}

// Runs `loop` (a chunk taking n) and returns the seconds it took.
static double timed_loop(lua_State *L, const char *loop, long n) {
    lua_pushcfunction(L, msgh);
    if (luaL_loadstring(L, loop) != LUA_OK) return -1;
    lua_pushinteger(L, n);
    double t0 = now();
    int status = lua_pcall(L, 1, 0, -3);
    double t1 = now();
    lua_settop(L, 0);
    return status == LUA_OK ? t1 - t0 : -1;
}

static int add(lua_State *L) {
    lua_pushnumber(L, luaL_checknumber(L, 1) + luaL_checknumber(L, 2));
    return 1;
}

double baseline_lua_calls_c(long n) {
    lua_State *L = newstate();
    lua_register(L, "add", add);
    double t = timed_loop(L, "local add, s = add, 0 for i = 1, ... do s = add(s, i) end", n);
    lua_close(L);
    return t;
}

double baseline_c_calls_lua(long n) {
    lua_State *L = newstate();
    luaL_dostring(L, "return function(a, b) return a + b end");
    int ref = luaL_ref(L, LUA_REGISTRYINDEX);
    double sum = 0, t0 = now();
    for (long i = 0; i < n; i++) {
        lua_pushcfunction(L, msgh);
        lua_rawgeti(L, LUA_REGISTRYINDEX, ref);
        lua_pushnumber(L, sum);
        lua_pushnumber(L, 1.0);
        if (lua_pcall(L, 2, 1, -4) != LUA_OK) return -1;
        sum = lua_tonumber(L, -1);
        lua_pop(L, 2);
    }
    double t1 = now();
    lua_close(L);
    return sum == (double)n ? t1 - t0 : -1;
}

typedef struct { double x; } Point;

static int point_index(lua_State *L) {
    Point *p = luaL_checkudata(L, 1, "Point");
    const char *key = luaL_checkstring(L, 2);
    if (strcmp(key, "x") == 0) {
        lua_pushnumber(L, p->x);
        return 1;
    }
    return luaL_error(L, "Point has no field '%s'", key);
}

static int point_get(lua_State *L) {
    Point *p = luaL_checkudata(L, 1, "Point");
    lua_pushnumber(L, p->x);
    return 1;
}

static void push_point(lua_State *L, int methods) {
    Point *p = lua_newuserdatauv(L, sizeof(Point), 0);
    p->x = 1.0;
    luaL_newmetatable(L, "Point");
    if (methods) {
        lua_newtable(L);
        lua_pushcfunction(L, point_get);
        lua_setfield(L, -2, "get");
        lua_setfield(L, -2, "__index");
    } else {
        lua_pushcfunction(L, point_index);
        lua_setfield(L, -2, "__index");
    }
    lua_setmetatable(L, -2);
    lua_setglobal(L, "obj");
}

static double point_loop(int methods, const char *loop, long n) {
    lua_State *L = newstate();
    push_point(L, methods);
    double t = timed_loop(L, loop, n);
    lua_close(L);
    return t;
}

double baseline_field(long n) {
    return point_loop(0, "local o, s = obj, 0 for i = 1, ... do s = s + o.x end", n);
}

double baseline_method(long n) {
    return point_loop(1, "local o, s = obj, 0 for i = 1, ... do s = s + o:get() end", n);
}

double baseline_script(const char *script, long n) {
    lua_State *L = newstate();
    double t = timed_loop(L, script, n);
    lua_close(L);
    return t;
}

unsigned long baseline_heap_in_use(void) {
    return (unsigned long)mallinfo2().uordblks;
}
