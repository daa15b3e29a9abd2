#include "Baseline.h"

#include <lauxlib.h>
#include <malloc.h>
#include <lualib.h>
#include <sqlite3.h>
#include <stdio.h>
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

double baseline_sqlite_ledger(const char *path, long n) {
    sqlite3 *db;
    if (sqlite3_open(path, &db) != SQLITE_OK) return -1;
    // The store's ledger table, as its migration makes it, on a connection configured as the
    // store configures its own (an exclusive lock, WAL, synchronous=NORMAL).
    const char *setup =
        "PRAGMA locking_mode=EXCLUSIVE; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
        "CREATE TABLE ledger (seq INTEGER PRIMARY KEY, at TEXT NOT NULL, at_seconds REAL NOT NULL, actor TEXT NOT NULL,"
        " command TEXT NOT NULL, payload TEXT NOT NULL, events TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL,"
        " origin TEXT NOT NULL DEFAULT '');";
    sqlite3_stmt *begin = NULL, *insert = NULL, *commit = NULL;
    if (sqlite3_exec(db, setup, NULL, NULL, NULL) != SQLITE_OK
        || sqlite3_prepare_v2(db, "BEGIN IMMEDIATE", -1, &begin, NULL) != SQLITE_OK
        || sqlite3_prepare_v2(db, "INSERT INTO ledger VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", -1, &insert, NULL) != SQLITE_OK
        || sqlite3_prepare_v2(db, "COMMIT", -1, &commit, NULL) != SQLITE_OK) {
        sqlite3_close(db);
        return -1;
    }
    // A typical entry of the lifecycle: a command of about 100 bytes, its events, two hashes.
    const char *payload = "{\"issueDocument\":{\"_0\":\"S-0000042\",\"kind\":\"laissez-passer\",\"number\":\"LP-42\",\"validUntil\":1803776000}}";
    const char *events = "[{\"documentUpdated\":{\"_0\":\"S-0000042\",\"status\":\"issued\"}},{\"stateChanged\":{\"_0\":\"S-0000042\",\"from\":\"cleared\",\"to\":\"documented\"}}]";
    const char *hash = "8f2c1e0a5b7d9c3e4f6a8b0c2d4e6f8a1b3c5d7e9f0a2b4c6d8e0f1a3b5c7d9e";
    double start = now();
    for (long i = 1; i <= n; i++) {
        sqlite3_step(begin);  // BEGIN IMMEDIATE, as the store begins
        sqlite3_reset(begin);
        sqlite3_bind_int64(insert, 1, i);
        sqlite3_bind_text(insert, 2, "2026-11-30T00:00:00Z", -1, SQLITE_STATIC);
        sqlite3_bind_double(insert, 3, 1796000000.0 + i);
        sqlite3_bind_text(insert, 4, "SYN-MFA", -1, SQLITE_STATIC);
        sqlite3_bind_text(insert, 5, "document.issue", -1, SQLITE_STATIC);
        sqlite3_bind_text(insert, 6, payload, -1, SQLITE_STATIC);
        sqlite3_bind_text(insert, 7, events, -1, SQLITE_STATIC);
        sqlite3_bind_text(insert, 8, hash, -1, SQLITE_STATIC);
        sqlite3_bind_text(insert, 9, hash, -1, SQLITE_STATIC);
        sqlite3_bind_text(insert, 10, "", -1, SQLITE_STATIC);
        int rc = sqlite3_step(insert);
        sqlite3_reset(insert);
        if (rc != SQLITE_DONE || sqlite3_step(commit) != SQLITE_DONE) { n = -1; break; }
        sqlite3_reset(commit);
    }
    double elapsed = now() - start;
    sqlite3_finalize(begin);
    sqlite3_finalize(insert);
    sqlite3_finalize(commit);
    sqlite3_close(db);
    return n < 0 ? -1 : elapsed;
}
