/* tokenize.c — the SQL front end's first stage: ${variable} substitution,
 * statement splitting, the tokenizer, and the loop that feeds tokens to lemon's
 * parser (parse.y) and turns a token that does not fit into a ksqlDB-style
 * "line L:C: mismatched input 'X' expecting {...}" error. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sql/parse.h"
#include "sql/sql_parse.h"

/* ---- keywords --------------------------------------------------------------------- */

typedef struct keyword {
    const char *name;
    int code;
    bool nonreserved; /* may also be used as an identifier (ksqlDB's nonReserved, and a few more) */
} keyword_t;

/* Sorted by name (a test checks): looked up by binary search. */
static const keyword_t keywords[] = {
    {"ADVANCE", SL_TK_ADVANCE, true},
    {"ALL", SL_TK_ALL, false},
    {"AND", SL_TK_AND, false},
    {"ARRAY", SL_TK_ARRAY, true},
    {"AS", SL_TK_AS, false},
    {"BEGINNING", SL_TK_BEGINNING, true},
    {"BETWEEN", SL_TK_BETWEEN, false},
    {"BY", SL_TK_BY, false},
    {"CASE", SL_TK_CASE, false},
    {"CAST", SL_TK_CAST, false},
    {"CHANGES", SL_TK_CHANGES, true},
    {"CREATE", SL_TK_CREATE, false},
    {"DAY", SL_TK_DAY, true},
    {"DAYS", SL_TK_DAYS, true},
    {"DECIMAL", SL_TK_DECIMAL, false},
    {"DEFINE", SL_TK_DEFINE, true},
    {"DELETE", SL_TK_DELETE, false},
    {"DESCRIBE", SL_TK_DESCRIBE, false},
    {"DISTINCT", SL_TK_DISTINCT, false},
    {"DROP", SL_TK_DROP, false},
    {"ELSE", SL_TK_ELSE, false},
    {"EMIT", SL_TK_EMIT, true},
    {"END", SL_TK_END, false},
    {"ESCAPE", SL_TK_ESCAPE, true},
    {"EXISTS", SL_TK_EXISTS, false},
    {"EXPLAIN", SL_TK_EXPLAIN, true},
    {"EXTENDED", SL_TK_EXTENDED, true},
    {"FALSE", SL_TK_FALSE, false},
    {"FINAL", SL_TK_FINAL, true},
    {"FROM", SL_TK_FROM, false},
    {"FULL", SL_TK_FULL, false},
    {"FUNCTION", SL_TK_FUNCTION, true},
    {"FUNCTIONS", SL_TK_FUNCTIONS, true},
    {"GRACE", SL_TK_GRACE, true},
    {"GROUP", SL_TK_GROUP, false},
    {"HAVING", SL_TK_HAVING, false},
    {"HEADER", SL_TK_HEADER, true},
    {"HEADERS", SL_TK_HEADERS, true},
    {"HOPPING", SL_TK_HOPPING, false},
    {"HOUR", SL_TK_HOUR, true},
    {"HOURS", SL_TK_HOURS, true},
    {"IF", SL_TK_IF, true},
    {"IN", SL_TK_IN, false},
    {"INNER", SL_TK_INNER, false},
    {"INSERT", SL_TK_INSERT, false},
    {"INTERVAL", SL_TK_INTERVAL, true},
    {"INTO", SL_TK_INTO, false},
    {"IS", SL_TK_IS, false},
    {"JOIN", SL_TK_JOIN, false},
    {"KEY", SL_TK_KEY, true},
    {"LEFT", SL_TK_LEFT, false},
    {"LIKE", SL_TK_LIKE, false},
    {"LIMIT", SL_TK_LIMIT, false},
    {"LIST", SL_TK_LIST, false},
    {"MAP", SL_TK_MAP, true},
    {"MILLISECOND", SL_TK_MILLISECOND, true},
    {"MILLISECONDS", SL_TK_MILLISECONDS, true},
    {"MINUTE", SL_TK_MINUTE, true},
    {"MINUTES", SL_TK_MINUTES, true},
    {"NOT", SL_TK_NOT, false},
    {"NULL", SL_TK_NULL, false},
    {"ON", SL_TK_ON, false},
    {"OR", SL_TK_OR, false},
    {"OUTER", SL_TK_OUTER, false},
    {"PARTITION", SL_TK_PARTITION, true},
    {"PERIOD", SL_TK_PERIOD, true},
    {"PRIMARY", SL_TK_PRIMARY, true},
    {"PRINT", SL_TK_PRINT, false},
    {"PROPERTIES", SL_TK_PROPERTIES, true},
    {"QUERIES", SL_TK_QUERIES, true},
    {"REPLACE", SL_TK_REPLACE, true},
    {"RETENTION", SL_TK_RETENTION, true},
    {"RIGHT", SL_TK_RIGHT, false},
    {"RUN", SL_TK_RUN, false},
    {"SCRIPT", SL_TK_SCRIPT, true},
    {"SECOND", SL_TK_SECOND, true},
    {"SECONDS", SL_TK_SECONDS, true},
    {"SELECT", SL_TK_SELECT, false},
    {"SESSION", SL_TK_SESSION, true},
    {"SET", SL_TK_SET, true},
    {"SHOW", SL_TK_SHOW, true},
    {"SIZE", SL_TK_SIZE, true},
    {"SOURCE", SL_TK_SOURCE, true},
    {"STREAM", SL_TK_STREAM, false},
    {"STREAMS", SL_TK_STREAMS, true},
    {"STRUCT", SL_TK_STRUCT, true},
    {"TABLE", SL_TK_TABLE, false},
    {"TABLES", SL_TK_TABLES, true},
    {"TERMINATE", SL_TK_TERMINATE, false},
    {"THEN", SL_TK_THEN, false},
    {"TOPIC", SL_TK_TOPIC, true},
    {"TOPICS", SL_TK_TOPICS, true},
    {"TRUE", SL_TK_TRUE, false},
    {"TUMBLING", SL_TK_TUMBLING, false},
    {"TYPE", SL_TK_TYPE, true},
    {"TYPES", SL_TK_TYPES, true},
    {"UNDEFINE", SL_TK_UNDEFINE, true},
    {"UNSET", SL_TK_UNSET, false},
    {"VALUES", SL_TK_VALUES, false},
    {"VARIABLES", SL_TK_VARIABLES, true},
    {"WHEN", SL_TK_WHEN, false},
    {"WHERE", SL_TK_WHERE, false},
    {"WINDOW", SL_TK_WINDOW, false},
    {"WITH", SL_TK_WITH, false},
    {"WITHIN", SL_TK_WITHIN, false},
};
#define NKEYWORDS (sizeof keywords / sizeof keywords[0])

static int upper(int c) { return c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c; }

static int kw_cmp(const void *key, const void *elem)
{
    return strcmp((const char *)key, ((const keyword_t *)elem)->name);
}

static const keyword_t *kw_find(const char *z, size_t n)
{
    char up[16];
    if (n == 0 || n >= sizeof up)
        return NULL;
    for (size_t i = 0; i < n; i++)
        up[i] = (char)upper((unsigned char)z[i]);
    up[n] = 0;
    return bsearch(up, keywords, NKEYWORDS, sizeof keywords[0], kw_cmp);
}

bool sl__sql_is_keyword(const char *s) { return kw_find(s, strlen(s)) != NULL; }

/* Checks the keyword table's order (for the tests): 0 when sorted, else the
 * index of the first entry out of order. */
size_t sl__sql_keywords_check(void);
size_t sl__sql_keywords_check(void)
{
    for (size_t i = 1; i < NKEYWORDS; i++)
        if (strcmp(keywords[i - 1].name, keywords[i].name) >= 0)
            return i;
    return 0;
}

static bool nonreserved(int code)
{
    for (size_t i = 0; i < NKEYWORDS; i++)
        if (keywords[i].code == code)
            return keywords[i].nonreserved;
    return false;
}

/* How a token is named in "expecting ..." lists: 'KEYWORD', ';', or the
 * ANTLR-style class name ksqlDB users know. */
static const char *token_display(int code)
{
    switch (code) {
    case SL_TK_SEMI: return "';'";
    case SL_TK_LP: case SL_TK_LAMBDA_LP: return "'('";
    case SL_TK_RP: return "')'";
    case SL_TK_LBRACKET: return "'['";
    case SL_TK_RBRACKET: return "']'";
    case SL_TK_COMMA: return "','";
    case SL_TK_DOT: return "'.'";
    case SL_TK_ID: return "IDENTIFIER";
    case SL_TK_STRING: return "STRING";
    case SL_TK_INTEGER: return "INTEGER_VALUE";
    case SL_TK_NUMBER: return "DECIMAL_VALUE";
    case SL_TK_FLOAT: return "FLOATING_POINT_VALUE";
    case SL_TK_LAMBDA: return "'=>'";
    case SL_TK_ASSIGN: return "':='";
    case SL_TK_ARROW: return "'->'";
    case SL_TK_CONCAT: return "'||'";
    case SL_TK_PLUS: return "'+'";
    case SL_TK_MINUS: return "'-'";
    case SL_TK_STAR: return "'*'";
    case SL_TK_SLASH: return "'/'";
    case SL_TK_REM: return "'%'";
    case SL_TK_EQ: return "'='";
    case SL_TK_NE: return "'<>'";
    case SL_TK_LT: return "'<'";
    case SL_TK_LE: return "'<='";
    case SL_TK_GT: return "'>'";
    case SL_TK_GE: return "'>='";
    case 0: return "<EOF>";
    default: break;
    }
    static const char *const names[] = {
#define KWNAME(x) [SL_TK_##x] = "'" #x "'"
        KWNAME(ADVANCE), KWNAME(ALL), KWNAME(AND), KWNAME(ARRAY), KWNAME(AS), KWNAME(BEGINNING),
        KWNAME(BETWEEN), KWNAME(BY), KWNAME(CASE), KWNAME(CAST), KWNAME(CHANGES), KWNAME(CREATE),
        KWNAME(DAY), KWNAME(DAYS), KWNAME(DECIMAL), KWNAME(DEFINE), KWNAME(DELETE), KWNAME(DESCRIBE),
        KWNAME(DISTINCT), KWNAME(DROP), KWNAME(ELSE), KWNAME(EMIT), KWNAME(END), KWNAME(ESCAPE),
        KWNAME(EXISTS), KWNAME(EXPLAIN), KWNAME(EXTENDED), KWNAME(FALSE), KWNAME(FINAL), KWNAME(FROM),
        KWNAME(FULL), KWNAME(FUNCTION), KWNAME(FUNCTIONS), KWNAME(GRACE), KWNAME(GROUP), KWNAME(HAVING),
        KWNAME(HEADER), KWNAME(HEADERS), KWNAME(HOPPING), KWNAME(HOUR), KWNAME(HOURS), KWNAME(IF),
        KWNAME(IN), KWNAME(INNER), KWNAME(INSERT), KWNAME(INTERVAL), KWNAME(INTO), KWNAME(IS),
        KWNAME(JOIN), KWNAME(KEY), KWNAME(LEFT), KWNAME(LIKE), KWNAME(LIMIT), KWNAME(LIST), KWNAME(MAP),
        KWNAME(MILLISECOND), KWNAME(MILLISECONDS), KWNAME(MINUTE), KWNAME(MINUTES), KWNAME(NOT),
        KWNAME(NULL), KWNAME(ON), KWNAME(OR), KWNAME(OUTER), KWNAME(PARTITION), KWNAME(PERIOD),
        KWNAME(PRIMARY), KWNAME(PRINT), KWNAME(PROPERTIES), KWNAME(QUERIES), KWNAME(REPLACE),
        KWNAME(RETENTION), KWNAME(RIGHT), KWNAME(RUN), KWNAME(SCRIPT), KWNAME(SECOND), KWNAME(SECONDS),
        KWNAME(SELECT), KWNAME(SESSION), KWNAME(SET), KWNAME(SHOW), KWNAME(SIZE), KWNAME(SOURCE),
        KWNAME(STREAM), KWNAME(STREAMS), KWNAME(STRUCT), KWNAME(TABLE), KWNAME(TABLES), KWNAME(TERMINATE),
        KWNAME(THEN), KWNAME(TOPIC), KWNAME(TOPICS), KWNAME(TRUE), KWNAME(TUMBLING), KWNAME(TYPE),
        KWNAME(TYPES), KWNAME(UNDEFINE), KWNAME(UNSET), KWNAME(VALUES), KWNAME(VARIABLES), KWNAME(WHEN),
        KWNAME(WHERE), KWNAME(WINDOW), KWNAME(WITH), KWNAME(WITHIN),
#undef KWNAME
    };
    if (code > 0 && (size_t)code < sizeof names / sizeof names[0] && names[code])
        return names[code];
    return NULL; /* internal tokens (UMINUS) */
}

/* ---- errors ---------------------------------------------------------------------- */

void sl__sql_error_at(sl__sql_parse_t *p, sl_sql_pos_t pos, const char *fmt, ...)
{
    if (p->failed)
        return;
    p->failed = true;
    if (!p->err)
        return;
    p->err->line = pos.line;
    p->err->col = pos.col;
    p->err->offset = pos.off;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->err->message, sizeof p->err->message, fmt, ap);
    va_end(ap);
}

void *sl__sql_nomem(sl__sql_parse_t *p)
{
    if (!p->failed) {
        p->failed = true;
        p->nomem = true;
        if (p->err) {
            memset(p->err, 0, sizeof *p->err);
            snprintf(p->err->message, sizeof p->err->message, "out of memory");
        }
    }
    return NULL;
}

void sl__sql_syntax_error(sl__sql_parse_t *p, const sl__sql_token_t *t)
{
    (void)t; /* a copy; p->cur is the token in the array */
    if (p->failed)
        return;
    p->failed = true;
    p->syntax_tok = p->cur;
}

void sl__sql_stack_overflow(sl__sql_parse_t *p)
{
    sl__sql_error_at(p, p->cur ? p->cur->pos : (sl_sql_pos_t){0, 0, 0},
                     "statement nested too deeply (parser stack full)");
}

/* Appends up to 40 bytes of z as message text, control bytes shown as '?'. */
static void text_excerpt(char *dst, size_t cap, const char *z, size_t n)
{
    size_t o = 0;
    bool cut = n > 40;
    if (cut)
        n = 40;
    for (size_t i = 0; i < n && o + 1 < cap; i++) {
        unsigned char c = (unsigned char)z[i];
        dst[o++] = (char)(c < 0x20 || c == 0x7f ? '?' : c);
    }
    if (cut && o + 4 < cap) {
        memcpy(dst + o, "...", 3);
        o += 3;
    }
    dst[o < cap ? o : cap - 1] = 0;
}

char *sl_sql_error_format(const sl_sql_error_t *err, const char *text)
{
    sl_buf_t b = SL_BUF_INIT;
    char head[64];
    if (err->line == 0 || !text) {
        if (sl_buf_append(&b, err->message, strlen(err->message) + 1))
            return NULL;
        return (char *)b.data;
    }
    size_t len = strlen(text), off = err->offset < len ? err->offset : len;
    size_t ls = off, le = off;
    while (ls > 0 && text[ls - 1] != '\n')
        ls--;
    while (le < len && text[le] != '\n')
        le++;
    size_t shown = le;
    if (shown > ls && text[shown - 1] == '\r')
        shown--;
    int hn = snprintf(head, sizeof head, "line %u:%u: ", (unsigned)err->line, (unsigned)err->col);
    bool fail = sl_buf_append(&b, head, (size_t)hn) || sl_buf_append(&b, err->message, strlen(err->message)) ||
                sl_buf_append(&b, "\n", 1) || sl_buf_append(&b, text + ls, shown - ls) || sl_buf_append(&b, "\n", 1);
    for (size_t i = ls; !fail && i < off; i++) {
        unsigned char c = (unsigned char)text[i];
        if ((c & 0xC0) == 0x80)
            continue;
        fail = sl_buf_put_u8(&b, c == '\t' ? '\t' : ' ') != SL_OK;
    }
    if (fail || sl_buf_append(&b, "^", 2)) {
        sl_buf_free(&b);
        return NULL;
    }
    return (char *)b.data;
}

/* ---- the tokenizer ------------------------------------------------------------------- */

typedef struct scan {
    const char *z;
    size_t len, i;
    uint32_t line, col;
} scan_t;

static int ch(const scan_t *s, size_t j) { return j < s->len ? (unsigned char)s->z[j] : 0; }
static bool is_digit(int c) { return c >= '0' && c <= '9'; }
static bool is_alpha(int c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
static bool is_idchar(int c) { return is_alpha(c) || is_digit(c) || c == '@'; }

static sl_sql_pos_t scan_pos(const scan_t *s) { return (sl_sql_pos_t){s->line, s->col, (uint32_t)s->i}; }

static void advance(scan_t *s, size_t n)
{
    while (n-- && s->i < s->len) {
        unsigned char c = (unsigned char)s->z[s->i++];
        if (c == '\n')
            s->line++, s->col = 1;
        else if ((c & 0xC0) != 0x80)
            s->col++;
    }
}

/* Length of a quoted run starting at s->i with quote q (doubled q escapes
 * it), quotes included; 0 when it never closes. */
static size_t quoted_len(const scan_t *s, int q)
{
    size_t j = s->i + 1;
    while (j < s->len) {
        if (ch(s, j) == q) {
            if (ch(s, j + 1) == q) {
                j += 2;
                continue;
            }
            return j + 1 - s->i;
        }
        j++;
    }
    return 0;
}

/* Scans a number (or an identifier starting with a digit, ksqlDB's
 * DIGIT_IDENTIFIER) at s->i: sets *n and returns its code. */
static int scan_number(const scan_t *s, size_t *n)
{
    size_t i = s->i, j = i;
    bool dot = false, exp = false;
    if (ch(s, j) == '.') {
        dot = true;
        j++;
        while (is_digit(ch(s, j)))
            j++;
    } else {
        while (is_digit(ch(s, j)))
            j++;
        if (ch(s, j) == '.') {
            dot = true;
            j++;
            while (is_digit(ch(s, j)))
                j++;
        }
    }
    if (ch(s, j) == 'e' || ch(s, j) == 'E') {
        size_t m = j + 1;
        if (ch(s, m) == '+' || ch(s, m) == '-')
            m++;
        if (is_digit(ch(s, m))) {
            while (is_digit(ch(s, m)))
                m++;
            exp = true;
            j = m;
        }
    }
    if (!dot) {
        /* The longest match wins, and a number ties with an identifier. */
        size_t r = i;
        bool letters = false;
        while (is_idchar(ch(s, r)))
            letters |= !is_digit(ch(s, r)), r++;
        if (letters && r > j) {
            *n = r - i;
            return SL_TK_ID;
        }
    }
    *n = j - i;
    return exp ? SL_TK_FLOAT : dot ? SL_TK_NUMBER : SL_TK_INTEGER;
}

/* Scans the next token into *t. Returns its code, 0 at the end of the text,
 * or -1 with an error recorded. */
static int scan_token(sl__sql_parse_t *p, scan_t *s, sl__sql_token_t *t)
{
    for (;;) {
        int c = ch(s, s->i);
        if (s->i >= s->len)
            return 0;
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
            advance(s, 1);
        } else if (c == '-' && ch(s, s->i + 1) == '-') {
            size_t j = s->i;
            while (j < s->len && s->z[j] != '\n')
                j++;
            advance(s, j - s->i);
        } else if (c == '/' && ch(s, s->i + 1) == '*') {
            size_t j = s->i + 2;
            while (j < s->len && !(s->z[j] == '*' && ch(s, j + 1) == '/'))
                j++;
            if (j >= s->len) {
                sl__sql_error_at(p, scan_pos(s), "unterminated comment");
                return -1;
            }
            advance(s, j + 2 - s->i);
        } else {
            break;
        }
    }
    t->pos = scan_pos(s);
    t->z = s->z + s->i;
    int c = ch(s, s->i), c1 = ch(s, s->i + 1), code;
    size_t n = 1;
    if (is_alpha(c)) {
        while (is_idchar(ch(s, s->i + n)))
            n++;
        const keyword_t *kw = kw_find(t->z, n);
        code = kw ? kw->code : SL_TK_ID;
    } else if (is_digit(c) || (c == '.' && is_digit(c1))) {
        code = scan_number(s, &n);
    } else if (c == '\'' || c == '`' || c == '"') {
        n = quoted_len(s, c);
        if (n == 0) {
            sl__sql_error_at(p, t->pos, c == '\'' ? "unterminated string literal" : "unterminated quoted identifier");
            return -1;
        }
        if (c != '\'' && n == 2) {
            sl__sql_error_at(p, t->pos, "zero-length delimited identifier");
            return -1;
        }
        code = c == '\'' ? SL_TK_STRING : SL_TK_ID;
    } else {
        switch (c) {
        case ';': code = SL_TK_SEMI; break;
        case '(': code = SL_TK_LP; break;
        case ')': code = SL_TK_RP; break;
        case '[': code = SL_TK_LBRACKET; break;
        case ']': code = SL_TK_RBRACKET; break;
        case ',': code = SL_TK_COMMA; break;
        case '.': code = SL_TK_DOT; break;
        case '*': code = SL_TK_STAR; break;
        case '/': code = SL_TK_SLASH; break;
        case '%': code = SL_TK_REM; break;
        case '+': code = SL_TK_PLUS; break;
        case '-': code = c1 == '>' ? (n = 2, SL_TK_ARROW) : SL_TK_MINUS; break;
        case '=': code = c1 == '>' ? (n = 2, SL_TK_LAMBDA) : SL_TK_EQ; break;
        case '<':
            code = c1 == '>' ? (n = 2, SL_TK_NE) : c1 == '=' ? (n = 2, SL_TK_LE) : SL_TK_LT;
            break;
        case '>': code = c1 == '=' ? (n = 2, SL_TK_GE) : SL_TK_GT; break;
        case '|': code = c1 == '|' ? (n = 2, SL_TK_CONCAT) : -1; break;
        case '!': code = c1 == '=' ? (n = 2, SL_TK_NE) : -1; break;
        case ':': code = c1 == '=' ? (n = 2, SL_TK_ASSIGN) : -1; break;
        default: code = -1; break;
        }
        if (code < 0) {
            char ex[64];
            if (c == '$' && c1 == '{') {
                size_t j = s->i + 2;
                while (is_idchar(ch(s, j)))
                    j++;
                if (ch(s, j) == '}' && j > s->i + 2) {
                    text_excerpt(ex, sizeof ex, t->z, j + 1 - s->i);
                    sl__sql_error_at(p, t->pos, "variable '%s' is not defined", ex);
                    return -1;
                }
            }
            /* Show the whole UTF-8 character. */
            if (c >= 0xC0)
                while ((ch(s, s->i + n) & 0xC0) == 0x80 && n < 4)
                    n++;
            text_excerpt(ex, sizeof ex, t->z, n);
            sl__sql_error_at(p, t->pos, "token recognition error at: '%s'", ex);
            return -1;
        }
    }
    t->n = (uint32_t)n;
    t->code = code;
    advance(s, n);
    return code;
}

/* ---- the parse loop ------------------------------------------------------------------- */

static bool namelike(int code) { return code == SL_TK_ID || nonreserved(code); }

/* '(' starts a lambda's parameters when "name [, name]* ) =>" follows. */
static bool lambda_ahead(const sl__sql_token_t *toks, size_t i, size_t n)
{
    size_t j = i + 1;
    if (j >= n || !namelike(toks[j].code))
        return false;
    j++;
    while (j + 1 < n && toks[j].code == SL_TK_COMMA && namelike(toks[j + 1].code))
        j += 2;
    return j + 1 < n && toks[j].code == SL_TK_RP && toks[j + 1].code == SL_TK_LAMBDA;
}

/* The code to feed for toks[i]: a non-reserved keyword is fed as itself when
 * it fits here together with the next token, as an identifier when only that
 * fits (so "SELECT key FROM t" works while "FROM t EMIT CHANGES" stays a
 * clause). */
static int choose_code(void *parser, const sl__sql_token_t *toks, size_t i, size_t n)
{
    int code = toks[i].code;
    if (code == SL_TK_LP)
        return lambda_ahead(toks, i, n) ? SL_TK_LAMBDA_LP : code;
    if (!nonreserved(code))
        return code;
    int next = i + 1 < n ? toks[i + 1].code : 0;
    bool next_nr = nonreserved(next);
    if (sl__sql_parser_accepts(parser, code, next) || (next_nr && sl__sql_parser_accepts(parser, code, SL_TK_ID)))
        return code;
    if (sl__sql_parser_accepts(parser, SL_TK_ID, next) ||
        (next_nr && sl__sql_parser_accepts(parser, SL_TK_ID, SL_TK_ID)))
        return SL_TK_ID;
    return code;
}

/* Re-runs the parse up to the token that failed, on a fresh parser that has
 * not yet made the default reductions the failing token caused, and lists
 * every token that would have fitted there. */
static void syntax_message(sl__sql_parse_t *p, const sl__sql_token_t *toks, const int *codes, size_t k)
{
    sl__sql_parse_t q = *p;
    q.err = NULL;
    q.failed = false;
    q.syntax_tok = NULL;
    q.stmts = (sl__sql_list_t){NULL, 0, 0};
    void *parser = sl__sql_parserAlloc(malloc, &q);
    const sl__sql_token_t *bad = &toks[k];
    char got[64];
    if (bad->code == 0 || bad->z == NULL)
        snprintf(got, sizeof got, "<EOF>");
    else
        text_excerpt(got, sizeof got, bad->z, bad->n);
    sl_buf_t b = SL_BUF_INIT;
    int nexp = 0;
    if (parser) {
        for (size_t i = 0; i < k && !q.failed; i++) {
            q.cur = &toks[i];
            sl__sql_parser(parser, codes[i], toks[i]);
        }
        int ntok = sl__sql_parser_ntokens();
        const char *seen[8] = {0};
        for (int t = 1; t < ntok && !q.failed; t++) {
            const char *name = token_display(t);
            if (!name || !sl__sql_parser_accepts(parser, t, -1))
                continue;
            if (t == SL_TK_LAMBDA_LP || t == SL_TK_LP) { /* both show as '(' */
                if (seen[0])
                    continue;
                seen[0] = name;
            }
            if (nexp++)
                sl_buf_append(&b, ", ", 2);
            sl_buf_append(&b, name, strlen(name));
        }
        sl__sql_parserFree(parser, free);
    }
    p->failed = false;
    if (nexp == 0)
        sl__sql_error_at(p, bad->pos, "extraneous input '%s'", got);
    else if (nexp == 1)
        sl__sql_error_at(p, bad->pos, "mismatched input '%s' expecting %.*s", got, (int)b.len, (const char *)b.data);
    else
        sl__sql_error_at(p, bad->pos, "mismatched input '%s' expecting {%.*s}", got, (int)b.len,
                         (const char *)b.data);
    if (p->err && strlen(p->err->message) == sizeof p->err->message - 1)
        memcpy(p->err->message + sizeof p->err->message - 5, "...}", 4);
    sl_buf_free(&b);
}

sl_err_t sl_sql_parse_len(const char *text, size_t len, sl_arena_t *arena, sl_sql_stmt_list_t **out,
                          sl_sql_error_t *err)
{
    if (out)
        *out = NULL;
    if (err)
        memset(err, 0, sizeof *err);
    if (!arena || !out || (!text && len))
        return SL_ERR_INVAL;
    if (len >= UINT32_MAX)
        return SL_ERR_RANGE;
    sl__sql_parse_t p = {.arena = arena, .text = text, .len = len, .err = err};
    scan_t s = {text, len, 0, 1, 1};
    sl__sql_token_t *toks = NULL;
    int *codes = NULL;
    size_t n = 0, cap = 0;
    sl_sql_pos_t end = {1, 1, 0};
    void *parser = NULL;

    /* A NUL byte ends C strings early everywhere downstream: refuse it here. */
    const char *nul = len ? memchr(text, 0, len) : NULL;
    if (nul) {
        advance(&s, (size_t)(nul - text));
        sl__sql_error_at(&p, scan_pos(&s), "token recognition error at: '\\0'");
        return SL_ERR_INVAL;
    }
    for (;;) {
        if (n + 2 >= cap) {
            size_t ncap = cap ? cap * 2 : 64;
            sl__sql_token_t *nt = realloc(toks, ncap * sizeof *nt);
            if (!nt) {
                sl__sql_nomem(&p);
                goto done;
            }
            toks = nt, cap = ncap;
        }
        int code = scan_token(&p, &s, &toks[n]);
        if (code < 0)
            goto done;
        if (code == 0)
            break;
        n++;
        end = scan_pos(&s);
    }
    if (n == 0)
        goto done; /* nothing but blanks and comments: no statements */
    /* The last statement may omit its ';': add one that reads as <EOF>. */
    if (n > 0 && toks[n - 1].code != SL_TK_SEMI)
        toks[n++] = (sl__sql_token_t){NULL, 0, SL_TK_SEMI, end};
    toks[n++] = (sl__sql_token_t){NULL, 0, 0, end};
    codes = malloc(n * sizeof *codes);
    parser = sl__sql_parserAlloc(malloc, &p);
    if (!codes || !parser) {
        sl__sql_nomem(&p);
        goto done;
    }
    int depth = 0;
    for (size_t i = 0; i < n && !p.failed; i++) {
        int code = choose_code(parser, toks, i, n);
        codes[i] = code;
        if (code == SL_TK_LP || code == SL_TK_LAMBDA_LP || code == SL_TK_LBRACKET) {
            if (++depth > SL_SQL_MAX_DEPTH) {
                sl__sql_error_at(&p, toks[i].pos, "statement nested too deeply (more than %d levels of brackets)",
                                 SL_SQL_MAX_DEPTH);
                break;
            }
        } else if ((code == SL_TK_RP || code == SL_TK_RBRACKET) && depth > 0) {
            depth--;
        }
        p.cur = &toks[i];
        sl__sql_parser(parser, code, toks[i]);
    }
    if (p.failed && p.syntax_tok && !p.nomem)
        syntax_message(&p, toks, codes, (size_t)(p.syntax_tok - toks));
done:
    if (parser)
        sl__sql_parserFree(parser, free);
    free(codes);
    free(toks);
    if (p.failed)
        return p.nomem ? SL_ERR_NOMEM : SL_ERR_INVAL;
    sl_sql_stmt_list_t *list = sl__sql_alloc(&p, sizeof *list);
    if (!list)
        return SL_ERR_NOMEM;
    list->n = p.stmts.n;
    list->items = sl__sql_alloc(&p, (p.stmts.n ? p.stmts.n : 1) * sizeof *list->items);
    if (!list->items)
        return SL_ERR_NOMEM;
    for (size_t i = 0; i < p.stmts.n; i++)
        list->items[i] = p.stmts.items[i];
    *out = list;
    return SL_OK;
}

sl_err_t sl_sql_parse(const char *text, sl_arena_t *arena, sl_sql_stmt_list_t **out, sl_sql_error_t *err)
{
    return sl_sql_parse_len(text, text ? strlen(text) : 0, arena, out, err);
}

/* ---- statements and variables ------------------------------------------------------------ */

size_t sl_sql_statement_end(const char *text, size_t len, bool *complete)
{
    scan_t s = {text, len, 0, 1, 1};
    if (complete)
        *complete = false;
    while (s.i < len) {
        int c = ch(&s, s.i);
        if (c == ';') {
            if (complete)
                *complete = true;
            return s.i + 1;
        }
        if (c == '\'' || c == '`' || c == '"') {
            size_t q = quoted_len(&s, c);
            if (q == 0)
                return len;
            s.i += q;
        } else if (c == '-' && ch(&s, s.i + 1) == '-') {
            while (s.i < len && text[s.i] != '\n')
                s.i++;
        } else if (c == '/' && ch(&s, s.i + 1) == '*') {
            size_t j = s.i + 2;
            while (j < len && !(text[j] == '*' && ch(&s, j + 1) == '/'))
                j++;
            if (j >= len)
                return len;
            s.i = j + 2;
        } else {
            s.i++;
        }
    }
    return len;
}

static const sl_sql_var_t *var_find(const sl_sql_var_t *vars, size_t nvars, const char *z, size_t n)
{
    for (size_t v = 0; v < nvars; v++) {
        const char *name = vars[v].name;
        if (!name || strlen(name) != n)
            continue;
        size_t i = 0;
        while (i < n && upper((unsigned char)name[i]) == upper((unsigned char)z[i]))
            i++;
        if (i == n)
            return &vars[v];
    }
    return NULL;
}

sl_err_t sl_sql_substitute(const char *text, size_t len, const sl_sql_var_t *vars, size_t nvars, sl_arena_t *arena,
                           char **out, size_t *out_len)
{
    sl_buf_t b = SL_BUF_INIT;
    sl_err_t e = SL_OK;
    size_t i = 0;
    while (i < len && !e) {
        if (text[i] == '$' && i + 1 < len && text[i + 1] == '$' && i + 2 < len && text[i + 2] == '{') {
            e = sl_buf_append(&b, "${", 2); /* $${x}: an escaped reference */
            i += 3;
            continue;
        }
        if (text[i] == '$' && i + 1 < len && text[i + 1] == '{') {
            size_t j = i + 2;
            while (j < len && is_idchar((unsigned char)text[j]) && text[j] != '@')
                j++;
            const sl_sql_var_t *v = NULL;
            if (j < len && text[j] == '}' && j > i + 2 && is_alpha((unsigned char)text[i + 2]))
                v = var_find(vars, nvars, text + i + 2, j - i - 2);
            if (v) {
                e = sl_buf_append(&b, v->value ? v->value : "", v->value ? strlen(v->value) : 0);
                i = j + 1;
                continue;
            }
        }
        e = sl_buf_put_u8(&b, (uint8_t)text[i++]);
    }
    char *copy = NULL;
    if (!e) {
        copy = sl_arena_alloc(arena, b.len + 1);
        if (!copy)
            e = SL_ERR_NOMEM;
        else {
            if (b.len)
                memcpy(copy, b.data, b.len);
            copy[b.len] = 0;
            *out = copy;
            if (out_len)
                *out_len = b.len;
        }
    }
    sl_buf_free(&b);
    return e;
}
