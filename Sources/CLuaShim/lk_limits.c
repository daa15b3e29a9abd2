// Time limits and stops (rule 4 in include/CLuaShim.h): the kill hook, armed only when an
// entry must stop; the watchdog thread that arms it when a deadline passes; the entries set
// aside while the host runs other code; and the chain of coroutines the hook must reach.
#include "lk_internal.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <time.h>

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
int lk_request_stop(lk_guard *g, int64_t seen, lk_stop why) {
    if (seen <= 0) return 0;
    if (!atomic_compare_exchange_strong(&g->deadline, &seen, -(int64_t)why)) return 0;
    arm_kill(g);
    return 1;
}

int lk_interrupt(lk_guard *g) {
    if (!atomic_load_explicit(&g->running, memory_order_acquire)) return 0;
    return lk_request_stop(g, atomic_load(&g->deadline), LK_STOP_INTERRUPT);
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
            if (d > 0 && d != LK_NO_DEADLINE && now >= d) lk_request_stop(g, d, LK_STOP_TIMEOUT);
        }
        pthread_mutex_unlock(&reg_lock);
        nanosleep(&tick, NULL);
    }
    return NULL;
}

void lk_watchdog_register(lk_guard *g) {
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

void lk_watchdog_unregister(lk_guard *g) {
    pthread_mutex_lock(&reg_lock);
    if (g->prev) g->prev->next = g->next; else registry = g->next;
    if (g->next) g->next->prev = g->prev;
    pthread_mutex_unlock(&reg_lock);
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
