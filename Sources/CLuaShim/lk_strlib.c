// The string library as the sandbox has it: no dump (no bytecode out), a rep that cannot spin
// on nothing, and Lua 5.4 patterns (reference manual §6.4.1) for string.find, match, gmatch
// and gsub in a matcher that can be stopped.
//
// Why not the standard library's: its matcher is C with no Lua instructions in its loops, so
// the kill hook never fires inside it, and a backtracking pattern is exponential in the number
// of its quantifiers: ("a"):rep(400):find(".-.-.-.-b") runs for minutes. This matcher does the
// same work in the same order (recursive backtracking, as lstrlib does), and counts it: every
// CHECK_EVERY steps it looks at the guard and raises the kill sentinel once the call is being
// stopped. Results and error messages match lstrlib's; Tests/LuaKitTests/PatternTests.swift
// compares the two on the same liblua.
#include "lk_internal.h"

#include <ctype.h>
#include <lauxlib.h>
#include <string.h>

#define MAXCAPTURES 32
#define MAXDEPTH 200            // recursion, as lstrlib's MAXCCALLS
#define CHECK_EVERY 4096        // steps between looks at the guard
#define CAP_UNFINISHED (-1)
#define CAP_POSITION (-2)
#define ESC '%'
#define SPECIALS "^$*+?.([%-"

#define uchar(c) ((unsigned char)(c))

typedef struct {
    const char *src_init, *src_end;     // the subject
    const char *p_end;                  // the end of the pattern
    lua_State *L;
    int depth;                          // recursion left
    int level;                          // captures open or closed so far
    unsigned work;
    struct { const char *init; ptrdiff_t len; } cap[MAXCAPTURES];
} Matcher;

// Called in every loop of the matcher. Raising here is sound: only C frames lie between this
// function and the Lua call of the string function.
static void tick(Matcher *m, unsigned steps) {
    m->work += steps;
    if (m->work >= CHECK_EVERY) {
        m->work = 0;
        lk_check_stop(m->L);
    }
}

static void prepare(Matcher *m, lua_State *L, const char *s, size_t ls, const char *p, size_t lp) {
    m->L = L;
    m->src_init = s;
    m->src_end = s + ls;
    m->p_end = p + lp;
    m->work = 0;
}

static void restart(Matcher *m) {
    m->level = 0;
    m->depth = MAXDEPTH;
}

// --- single characters and classes -------------------------------------------------------

static int class_match(int c, int cl) {
    int res;
    switch (tolower(cl)) {
    case 'a': res = isalpha(c); break;
    case 'c': res = iscntrl(c); break;
    case 'd': res = isdigit(c); break;
    case 'g': res = isgraph(c); break;
    case 'l': res = islower(c); break;
    case 'p': res = ispunct(c); break;
    case 's': res = isspace(c); break;
    case 'u': res = isupper(c); break;
    case 'w': res = isalnum(c); break;
    case 'x': res = isxdigit(c); break;
    case 'z': res = c == 0; break;      // deprecated, but Lua 5.4 still accepts it
    default: return cl == c;            // an escaped literal, such as %. or %%
    }
    if (isupper(cl)) res = !res;        // %A is the complement of %a
    return res != 0;
}

// Does c belong to the set [..] that starts at p ('[') and ends at last (']')?
static int set_match(int c, const char *p, const char *last) {
    int inside = 1;
    if (*(p + 1) == '^') {
        inside = 0;
        p++;
    }
    while (++p < last) {
        if (*p == ESC) {
            p++;
            if (class_match(c, uchar(*p))) return inside;
        } else if (*(p + 1) == '-' && p + 2 < last) {
            p += 2;
            if (uchar(*(p - 2)) <= c && c <= uchar(*p)) return inside;
        } else if (uchar(*p) == c) {
            return inside;
        }
    }
    return !inside;
}

// The end of the single-character item that starts at p.
static const char *item_end(Matcher *m, const char *p) {
    switch (*p++) {
    case ESC:
        if (p == m->p_end) luaL_error(m->L, "malformed pattern (ends with '%%')");
        return p + 1;
    case '[':
        if (*p == '^') p++;
        do {                            // the first character is literal, even ']'
            if (p == m->p_end) luaL_error(m->L, "malformed pattern (missing ']')");
            if (*(p++) == ESC && p < m->p_end) p++;
        } while (*p != ']');
        return p + 1;
    default:
        return p;
    }
}

static int single_match(Matcher *m, const char *s, const char *p, const char *ep) {
    if (s >= m->src_end) return 0;
    int c = uchar(*s);
    switch (*p) {
    case '.': return 1;
    case ESC: return class_match(c, uchar(*(p + 1)));
    case '[': return set_match(c, p, ep - 1);
    default: return uchar(*p) == c;
    }
}

// --- the matcher -------------------------------------------------------------------------

static const char *do_match(Matcher *m, const char *s, const char *p);

static const char *match_balance(Matcher *m, const char *s, const char *p) {
    if (p >= m->p_end - 1) luaL_error(m->L, "malformed pattern (missing arguments to '%%b')");
    if (s >= m->src_end || *s != *p) return NULL;
    int open = *p, close = *(p + 1), depth = 1;
    while (++s < m->src_end) {
        tick(m, 1);
        if (*s == close) {
            if (--depth == 0) return s + 1;
        } else if (*s == open) {
            depth++;
        }
    }
    return NULL;
}

// Greedy: take as many as match, then give them back one at a time.
static const char *max_expand(Matcher *m, const char *s, const char *p, const char *ep) {
    ptrdiff_t i = 0;
    while (single_match(m, s + i, p, ep)) {
        i++;
        tick(m, 1);
    }
    for (; i >= 0; i--) {
        const char *res = do_match(m, s + i, ep + 1);
        if (res) return res;
    }
    return NULL;
}

// Lazy: try the rest of the pattern first, taking one more only when it fails.
static const char *min_expand(Matcher *m, const char *s, const char *p, const char *ep) {
    for (;;) {
        const char *res = do_match(m, s, ep + 1);
        if (res) return res;
        if (!single_match(m, s, p, ep)) return NULL;
        s++;
    }
}

static const char *start_capture(Matcher *m, const char *s, const char *p, int what) {
    if (m->level >= MAXCAPTURES) luaL_error(m->L, "too many captures");
    m->cap[m->level].init = s;
    m->cap[m->level].len = what;
    m->level++;
    const char *res = do_match(m, s, p);
    if (!res) m->level--;
    return res;
}

static const char *end_capture(Matcher *m, const char *s, const char *p) {
    int l = m->level - 1;
    while (l >= 0 && m->cap[l].len != CAP_UNFINISHED) l--;
    if (l < 0) luaL_error(m->L, "invalid pattern capture");
    m->cap[l].len = s - m->cap[l].init;
    const char *res = do_match(m, s, p);
    if (!res) m->cap[l].len = CAP_UNFINISHED;
    return res;
}

static const char *match_capture(Matcher *m, const char *s, int digit) {
    int l = digit - '1';
    if (l < 0 || l >= m->level || m->cap[l].len == CAP_UNFINISHED)
        luaL_error(m->L, "invalid capture index %%%d", l + 1);
    size_t len = (size_t)m->cap[l].len;
    if ((size_t)(m->src_end - s) >= len && memcmp(m->cap[l].init, s, len) == 0) return s + len;
    return NULL;
}

static const char *do_match(Matcher *m, const char *s, const char *p) {
    if (m->depth-- == 0) luaL_error(m->L, "pattern too complex");
    tick(m, 1);
    while (p != m->p_end) {             // items that need no backtracking loop here
        switch (*p) {
        case '(':
            s = *(p + 1) == ')' ? start_capture(m, s, p + 2, CAP_POSITION)
                                : start_capture(m, s, p + 1, CAP_UNFINISHED);
            goto done;
        case ')':
            s = end_capture(m, s, p + 1);
            goto done;
        case '$':
            if (p + 1 != m->p_end) goto single;   // a '$' inside a pattern is literal
            s = s == m->src_end ? s : NULL;
            goto done;
        case ESC:
            switch (*(p + 1)) {
            case 'b':
                s = match_balance(m, s, p + 2);
                if (!s) goto done;
                p += 4;
                continue;
            case 'f': {
                p += 2;
                if (*p != '[') luaL_error(m->L, "missing '[' after '%%f' in pattern");
                const char *ep = item_end(m, p);
                int before = s == m->src_init ? '\0' : uchar(*(s - 1));
                int here = s < m->src_end ? uchar(*s) : '\0';
                if (set_match(before, p, ep - 1) || !set_match(here, p, ep - 1)) {
                    s = NULL;
                    goto done;
                }
                p = ep;
                continue;
            }
            case '0': case '1': case '2': case '3': case '4':
            case '5': case '6': case '7': case '8': case '9':
                s = match_capture(m, s, uchar(*(p + 1)));
                if (!s) goto done;
                p += 2;
                continue;
            default:
                goto single;
            }
        default:
        single: {
            const char *ep = item_end(m, p);
            if (!single_match(m, s, p, ep)) {
                if (*ep == '*' || *ep == '?' || *ep == '-') {   // zero repetitions allowed
                    p = ep + 1;
                    continue;
                }
                s = NULL;
                goto done;
            }
            switch (*ep) {
            case '?': {
                const char *res = do_match(m, s + 1, ep + 1);
                if (res) {
                    s = res;
                    goto done;
                }
                p = ep + 1;
                continue;
            }
            case '+': s = max_expand(m, s + 1, p, ep); goto done;
            case '*': s = max_expand(m, s, p, ep); goto done;
            case '-': s = min_expand(m, s, p, ep); goto done;
            default:
                s++;
                p = ep;
                continue;
            }
        }
        }
    }
done:
    m->depth++;
    return s;
}

// --- captures ----------------------------------------------------------------------------

static void push_capture(Matcher *m, int i, const char *s, const char *e) {
    if (i >= m->level) {
        if (i != 0) luaL_error(m->L, "invalid capture index %%%d", i + 1);
        lua_pushlstring(m->L, s, (size_t)(e - s));   // no captures: the whole match
        return;
    }
    ptrdiff_t len = m->cap[i].len;
    if (len == CAP_UNFINISHED) luaL_error(m->L, "unfinished capture");
    if (len == CAP_POSITION)
        lua_pushinteger(m->L, (m->cap[i].init - m->src_init) + 1);
    else
        lua_pushlstring(m->L, m->cap[i].init, (size_t)len);
}

static int push_captures(Matcher *m, const char *s, const char *e) {
    int n = (m->level == 0 && s) ? 1 : m->level;
    luaL_checkstack(m->L, n, "too many captures");
    for (int i = 0; i < n; i++) push_capture(m, i, s, e);
    return n;
}

// --- find and match ----------------------------------------------------------------------

// A 1-based, possibly negative position, as lstrlib's posrelatI.
static size_t start_index(lua_Integer pos, size_t len) {
    if (pos > 0) return (size_t)pos;
    if (pos == 0) return 1;
    if (pos < -(lua_Integer)len) return 1;
    return len + (size_t)pos + 1;
}

static int has_specials(const char *p, size_t lp) {
    size_t at = 0;
    do {                                // strpbrk stops at a zero byte: look past each
        if (strpbrk(p + at, SPECIALS)) return 1;
        at += strlen(p + at) + 1;
    } while (at <= lp);
    return 0;
}

static const char *plain_find(Matcher *m, const char *s, size_t ls, const char *p, size_t lp) {
    if (lp == 0) return s;
    if (lp > ls) return NULL;
    const char *last = s + (ls - lp);
    while (s <= last) {
        const char *hit = memchr(s, *p, (size_t)(last - s) + 1);
        if (!hit) return NULL;
        if (memcmp(hit + 1, p + 1, lp - 1) == 0) return hit;
        tick(m, (unsigned)(lp < CHECK_EVERY ? lp : CHECK_EVERY));
        s = hit + 1;
    }
    return NULL;
}

static int find_or_match(lua_State *L, int find) {
    size_t ls, lp;
    const char *s = luaL_checklstring(L, 1, &ls);
    const char *p = luaL_checklstring(L, 2, &lp);
    size_t init = start_index(luaL_optinteger(L, 3, 1), ls) - 1;
    Matcher m;
    if (init > ls) {
        luaL_pushfail(L);
        return 1;
    }
    prepare(&m, L, s, ls, p, lp);
    if (find && (lua_toboolean(L, 4) || !has_specials(p, lp))) {
        const char *hit = plain_find(&m, s + init, ls - init, p, lp);
        if (hit) {
            lua_pushinteger(L, (hit - s) + 1);
            lua_pushinteger(L, (lua_Integer)((hit - s) + lp));
            return 2;
        }
    } else {
        const char *s1 = s + init;
        int anchor = *p == '^';
        if (anchor) {
            p++;
            lp--;
        }
        prepare(&m, L, s, ls, p, lp);
        do {
            restart(&m);
            const char *e = do_match(&m, s1, p);
            if (e) {
                if (!find) return push_captures(&m, s1, e);
                lua_pushinteger(L, (s1 - s) + 1);
                lua_pushinteger(L, e - s);
                return push_captures(&m, NULL, NULL) + 2;
            }
        } while (s1++ < m.src_end && !anchor);
    }
    luaL_pushfail(L);
    return 1;
}

static int str_find(lua_State *L) { return find_or_match(L, 1); }
static int str_match(lua_State *L) { return find_or_match(L, 0); }

// --- gmatch ------------------------------------------------------------------------------

typedef struct {
    const char *src, *p, *lastmatch;
    Matcher m;
} GMatch;

static int gmatch_next(lua_State *L) {
    GMatch *gm = (GMatch *)lua_touserdata(L, lua_upvalueindex(3));
    gm->m.L = L;                        // the loop may run in another coroutine than gmatch did
    for (const char *src = gm->src; src <= gm->m.src_end; src++) {
        restart(&gm->m);
        const char *e = do_match(&gm->m, src, gm->p);
        if (e && e != gm->lastmatch) {
            gm->src = gm->lastmatch = e;
            return push_captures(&gm->m, src, e);
        }
    }
    return 0;
}

static int str_gmatch(lua_State *L) {
    size_t ls, lp;
    const char *s = luaL_checklstring(L, 1, &ls);
    const char *p = luaL_checklstring(L, 2, &lp);
    size_t init = start_index(luaL_optinteger(L, 3, 1), ls) - 1;
    lua_settop(L, 2);                   // the closure keeps both strings alive
    GMatch *gm = (GMatch *)lua_newuserdatauv(L, sizeof(GMatch), 0);
    if (init > ls) init = ls + 1;
    prepare(&gm->m, L, s, ls, p, lp);
    gm->src = s + init;
    gm->p = p;
    gm->lastmatch = NULL;
    lua_pushcclosure(L, gmatch_next, 3);
    return 1;
}

// --- gsub --------------------------------------------------------------------------------

static void add_template(Matcher *m, luaL_Buffer *b, const char *s, const char *e) {
    size_t l;
    const char *t = lua_tolstring(m->L, 3, &l);
    const char *esc;
    while ((esc = memchr(t, ESC, l)) != NULL) {
        luaL_addlstring(b, t, (size_t)(esc - t));
        esc++;
        if (*esc == ESC) {
            luaL_addchar(b, *esc);
        } else if (*esc == '0') {
            luaL_addlstring(b, s, (size_t)(e - s));
        } else if (isdigit(uchar(*esc))) {
            push_capture(m, *esc - '1', s, e);
            luaL_tolstring(m->L, -1, NULL);   // a position capture is a number
            lua_remove(m->L, -2);
            luaL_addvalue(b);
        } else {
            luaL_error(m->L, "invalid use of '%c' in replacement string", ESC);
        }
        l -= (size_t)(esc + 1 - t);
        t = esc + 1;
    }
    luaL_addlstring(b, t, l);
}

// Adds the replacement for the match s..e; returns whether it changed the text.
static int add_replacement(Matcher *m, luaL_Buffer *b, const char *s, const char *e, int kind) {
    lua_State *L = m->L;
    switch (kind) {
    case LUA_TFUNCTION:
        lua_pushvalue(L, 3);
        lua_call(L, push_captures(m, s, e), 1);
        break;
    case LUA_TTABLE:
        push_capture(m, 0, s, e);
        lua_gettable(L, 3);
        break;
    default:
        add_template(m, b, s, e);
        return 1;
    }
    if (!lua_toboolean(L, -1)) {        // nil or false: keep the original text
        lua_pop(L, 1);
        luaL_addlstring(b, s, (size_t)(e - s));
        return 0;
    }
    if (!lua_isstring(L, -1)) return luaL_error(L, "invalid replacement value (a %s)", luaL_typename(L, -1));
    luaL_addvalue(b);
    return 1;
}

static int str_gsub(lua_State *L) {
    size_t ls, lp;
    const char *src = luaL_checklstring(L, 1, &ls);
    const char *p = luaL_checklstring(L, 2, &lp);
    const char *lastmatch = NULL;
    int kind = lua_type(L, 3);
    lua_Integer max = luaL_optinteger(L, 4, (lua_Integer)ls + 1);
    int anchor = *p == '^';
    lua_Integer n = 0;
    int changed = 0;
    Matcher m;
    luaL_Buffer b;
    luaL_argexpected(L, kind == LUA_TNUMBER || kind == LUA_TSTRING || kind == LUA_TFUNCTION || kind == LUA_TTABLE,
                     3, "string/function/table");
    luaL_buffinit(L, &b);
    if (anchor) {
        p++;
        lp--;
    }
    prepare(&m, L, src, ls, p, lp);
    while (n < max) {
        restart(&m);
        const char *e = do_match(&m, src, p);
        if (e && e != lastmatch) {
            n++;
            changed = add_replacement(&m, &b, src, e, kind) | changed;
            src = lastmatch = e;
        } else if (src < m.src_end) {
            luaL_addchar(&b, *src++);
        } else {
            break;
        }
        if (anchor) break;
    }
    if (!changed) {
        lua_pushvalue(L, 1);
    } else {
        luaL_addlstring(&b, src, (size_t)(m.src_end - src));
        luaL_pushresult(&b);
    }
    lua_pushinteger(L, n);
    return 2;
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

static const luaL_Reg pattern_funcs[] = {
    {"find", str_find}, {"match", str_match}, {"gmatch", str_gmatch}, {"gsub", str_gsub}, {NULL, NULL},
};

void lk_open_strlib(lua_State *L, int idx) {
    idx = lua_absindex(L, idx);
    lua_pushnil(L);
    lua_setfield(L, idx, "dump");
    lua_pushvalue(L, idx);
    luaL_setfuncs(L, pattern_funcs, 0);
    lua_pop(L, 1);
    lua_getfield(L, idx, "rep");         // rep wraps the stock one
    lua_pushcclosure(L, lk_rep, 1);
    lua_setfield(L, idx, "rep");
}
