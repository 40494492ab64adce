/* ast.h — the SQL syntax tree: what sql/parse.y builds from tokens and what the
 * analyzer reads. Every node lives in the arena given to sl_sql_parse and stays
 * valid until that arena is reset or freed; nothing in a tree is freed alone.
 *
 * The tree is purely syntactic: names are as written (upper-cased unless
 * quoted), types are kept as type nodes (name, DECIMAL parameters, children),
 * and nothing is resolved against a catalog. The printers at the end turn a
 * statement back into normalized SQL (parse -> print -> parse -> print gives the
 * same text) or into an indented tree for tests and EXPLAIN. */
#ifndef SL_SQL_AST_H
#define SL_SQL_AST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

/** Deepest nesting the parser accepts: expressions and types taller than this,
 * or more open brackets than this, are refused with an error, so that every
 * recursive walk over a tree is bounded. */
#define SL_SQL_MAX_DEPTH 200

/** A place in the parsed text: 1-based line, 1-based column (in characters:
 * UTF-8 continuation bytes do not count) and the byte offset. */
typedef struct sl_sql_pos {
    uint32_t line;
    uint32_t col;
    uint32_t off;
} sl_sql_pos_t;

/** A name as written: upper-cased unless it was back-quoted or double-quoted
 * (then exactly as written, quotes removed). s is NUL-terminated. */
typedef struct sl_sql_name {
    const char *s;
    sl_sql_pos_t pos;
} sl_sql_name_t;

/* ---- types ------------------------------------------------------------------ */

typedef enum sl_sql_ast_type_kind {
    SL_SQL_TYPE_BOOLEAN,
    SL_SQL_TYPE_INT,       /* INT, INTEGER */
    SL_SQL_TYPE_BIGINT,
    SL_SQL_TYPE_DOUBLE,
    SL_SQL_TYPE_DECIMAL,   /* precision, scale */
    SL_SQL_TYPE_STRING,    /* STRING, VARCHAR */
    SL_SQL_TYPE_BYTES,
    SL_SQL_TYPE_DATE,
    SL_SQL_TYPE_TIME,
    SL_SQL_TYPE_TIMESTAMP,
    SL_SQL_TYPE_ARRAY,     /* elem */
    SL_SQL_TYPE_MAP,       /* key, elem (the value type) */
    SL_SQL_TYPE_STRUCT,    /* fields */
    SL_SQL_TYPE_CUSTOM     /* a name registered with CREATE TYPE: name */
} sl_sql_ast_type_kind_t;

typedef struct sl_sql_ast_type sl_sql_ast_type_t;

/** One field of a STRUCT type. */
typedef struct sl_sql_ast_field {
    sl_sql_name_t name;
    sl_sql_ast_type_t *type;
} sl_sql_ast_field_t;

/** A type as written. */
struct sl_sql_ast_type {
    sl_sql_ast_type_kind_t kind;
    sl_sql_pos_t pos;
    const char *name;         /* canonical ("INT" for INTEGER, "STRING" for VARCHAR) or the custom name */
    int32_t precision, scale; /* DECIMAL only */
    sl_sql_ast_type_t *key;       /* MAP key */
    sl_sql_ast_type_t *elem;      /* ARRAY element, MAP value */
    sl_sql_ast_field_t **fields;  /* STRUCT fields, in order */
    size_t nfields;
    uint16_t height;          /* 1 for a leaf */
};

/* ---- expressions -------------------------------------------------------------- */

typedef enum sl_sql_expr_kind {
    SL_SQL_EXPR_NULL,
    SL_SQL_EXPR_BOOL,        /* b */
    SL_SQL_EXPR_INT,         /* i: an integer literal that fits 32 bits */
    SL_SQL_EXPR_BIGINT,      /* i: any other integer literal */
    SL_SQL_EXPR_DECIMAL,     /* num: 1.50, .5 (text, precision, scale) */
    SL_SQL_EXPR_DOUBLE,      /* num: 1e3, 1.5E-2 (text, d) */
    SL_SQL_EXPR_STRING,      /* str: unescaped */
    SL_SQL_EXPR_COLUMN,      /* column: [qualifier.]name; pseudo-columns too */
    SL_SQL_EXPR_UNARY,       /* op: NEG, PLUS, NOT; a */
    SL_SQL_EXPR_BINARY,      /* op: arithmetic, ||, comparisons, AND, OR; a, b */
    SL_SQL_EXPR_BETWEEN,     /* between; negated */
    SL_SQL_EXPR_IN,          /* in; negated */
    SL_SQL_EXPR_LIKE,        /* like; negated */
    SL_SQL_EXPR_IS_NULL,     /* op.a; negated: IS NOT NULL */
    SL_SQL_EXPR_IS_DISTINCT, /* op.a, op.b; negated: IS NOT DISTINCT FROM */
    SL_SQL_EXPR_CASE,        /* case_ (operand NULL for a searched CASE) */
    SL_SQL_EXPR_CAST,        /* cast */
    SL_SQL_EXPR_DEREF,       /* deref: a->field */
    SL_SQL_EXPR_SUBSCRIPT,   /* op.a[op.b] */
    SL_SQL_EXPR_CALL,        /* call: name(args) or name(*) */
    SL_SQL_EXPR_LAMBDA,      /* lambda: (params) => body; only as a call argument */
    SL_SQL_EXPR_ARRAY,       /* list: ARRAY[items] */
    SL_SQL_EXPR_MAP,         /* map: MAP(keys[i] := values[i], ...) */
    SL_SQL_EXPR_STRUCT,      /* struct_: STRUCT(names[i] := values[i], ...) */
    SL_SQL_EXPR_TIME_UNIT    /* unit: a time unit keyword given as a call argument */
} sl_sql_expr_kind_t;

typedef enum sl_sql_op {
    SL_SQL_OP_NEG, SL_SQL_OP_PLUS, SL_SQL_OP_NOT,
    SL_SQL_OP_ADD, SL_SQL_OP_SUB, SL_SQL_OP_MUL, SL_SQL_OP_DIV, SL_SQL_OP_MOD,
    SL_SQL_OP_CONCAT,
    SL_SQL_OP_EQ, SL_SQL_OP_NE, SL_SQL_OP_LT, SL_SQL_OP_LE, SL_SQL_OP_GT, SL_SQL_OP_GE,
    SL_SQL_OP_AND, SL_SQL_OP_OR
} sl_sql_op_t;

typedef enum sl_sql_time_unit {
    SL_SQL_UNIT_MILLISECOND,
    SL_SQL_UNIT_SECOND,
    SL_SQL_UNIT_MINUTE,
    SL_SQL_UNIT_HOUR,
    SL_SQL_UNIT_DAY
} sl_sql_time_unit_t;

typedef struct sl_sql_expr sl_sql_expr_t;

/** One WHEN cond THEN result arm of a CASE. */
typedef struct sl_sql_when {
    sl_sql_expr_t *cond;
    sl_sql_expr_t *result;
} sl_sql_when_t;

/** An expression node. Literal folding: a minus sign before a numeric literal
 * is folded into it, so -5 is an INT literal of value -5, and -2147483648 is
 * an INT while 2147483648 is a BIGINT, as in ksqlDB. */
struct sl_sql_expr {
    sl_sql_expr_kind_t kind;
    sl_sql_pos_t pos;  /* where the expression starts */
    uint16_t height;   /* 1 for a leaf; never above SL_SQL_MAX_DEPTH */
    bool negated;      /* NOT BETWEEN, NOT IN, NOT LIKE, IS NOT NULL, IS NOT DISTINCT FROM */
    union {
        bool b;
        int64_t i;
        struct { const char *text; double d; int32_t precision, scale; } num;
        struct { const char *s; size_t len; } str;
        struct { sl_sql_name_t qualifier; sl_sql_name_t name; } column; /* qualifier.s NULL when absent */
        struct { sl_sql_op_t op; sl_sql_expr_t *a, *b; } op;
        struct { sl_sql_expr_t *a, *lo, *hi; } between;
        struct { sl_sql_expr_t *a; sl_sql_expr_t **items; size_t n; } in;
        struct { sl_sql_expr_t *a, *pattern; const char *escape; } like; /* escape NULL when absent */
        struct { sl_sql_expr_t *operand, *else_; sl_sql_when_t **whens; size_t nwhens; } case_;
        struct { sl_sql_expr_t *a; sl_sql_ast_type_t *type; } cast;
        struct { sl_sql_expr_t *a; sl_sql_name_t field; } deref;
        struct { sl_sql_name_t name; sl_sql_expr_t **args; size_t nargs; bool star; } call;
        struct { sl_sql_name_t *params; size_t nparams; sl_sql_expr_t *body; } lambda;
        struct { sl_sql_expr_t **items; size_t n; } list;
        struct { sl_sql_expr_t **keys, **values; size_t n; } map;
        struct { sl_sql_name_t *names; sl_sql_expr_t **values; size_t n; } struct_;
        struct {
            sl_sql_time_unit_t unit;
            sl_sql_name_t unit_word; /* as written (DAY, DAYS …): a column of that name wins */
        };
    };
};

/* ---- queries ---------------------------------------------------------------------- */

/** n unit, as in SIZE 1 HOUR or WITHIN 10 SECONDS. */
typedef struct sl_sql_duration {
    bool set;                /* false when the clause was absent */
    int64_t value;
    sl_sql_time_unit_t unit;
    sl_sql_pos_t pos;
} sl_sql_duration_t;

/** value in milliseconds (saturating). */
int64_t sl_sql_duration_ms(const sl_sql_duration_t *d);

typedef enum sl_sql_select_kind {
    SL_SQL_SELECT_EXPR,        /* expr [AS alias] */
    SL_SQL_SELECT_STAR,        /* * */
    SL_SQL_SELECT_SOURCE_STAR, /* qualifier.* */
    SL_SQL_SELECT_STRUCT_STAR  /* expr->* */
} sl_sql_select_kind_t;

typedef struct sl_sql_select_item {
    sl_sql_select_kind_t kind;
    sl_sql_pos_t pos;
    sl_sql_expr_t *expr;     /* EXPR, STRUCT_STAR */
    sl_sql_name_t qualifier; /* SOURCE_STAR */
    sl_sql_name_t alias;     /* s NULL when absent */
} sl_sql_select_item_t;

/** A stream or table named in FROM or JOIN, with its optional alias. */
typedef struct sl_sql_source {
    sl_sql_name_t name;
    sl_sql_name_t alias; /* s NULL when absent */
} sl_sql_source_t;

typedef enum sl_sql_join_kind {
    SL_SQL_JOIN_INNER, SL_SQL_JOIN_LEFT, SL_SQL_JOIN_RIGHT, SL_SQL_JOIN_FULL
} sl_sql_join_kind_t;

typedef struct sl_sql_join {
    sl_sql_join_kind_t kind;
    sl_sql_pos_t pos;         /* of the JOIN keyword */
    sl_sql_source_t source;
    sl_sql_duration_t before; /* WITHIN: set when present; before == after for WITHIN n unit */
    sl_sql_duration_t after;
    bool within_pair;         /* written WITHIN (before, after) */
    sl_sql_duration_t grace;  /* WITHIN ... GRACE PERIOD */
    sl_sql_expr_t *on;
} sl_sql_join_t;

typedef enum sl_sql_window_kind {
    SL_SQL_WINDOW_TUMBLING, SL_SQL_WINDOW_HOPPING, SL_SQL_WINDOW_SESSION
} sl_sql_window_kind_t;

typedef struct sl_sql_window {
    sl_sql_window_kind_t kind;
    sl_sql_pos_t pos;
    sl_sql_duration_t size;      /* SESSION: the inactivity gap */
    sl_sql_duration_t advance;   /* HOPPING only */
    sl_sql_duration_t retention; /* set when given */
    sl_sql_duration_t grace;     /* set when given */
} sl_sql_window_t;

typedef enum sl_sql_emit {
    SL_SQL_EMIT_NONE, SL_SQL_EMIT_CHANGES, SL_SQL_EMIT_FINAL
} sl_sql_emit_t;

typedef struct sl_sql_query {
    sl_sql_pos_t pos;
    sl_sql_select_item_t **items;
    size_t nitems;
    sl_sql_source_t from;
    sl_sql_join_t **joins;
    size_t njoins;
    sl_sql_window_t *window;     /* NULL when absent */
    sl_sql_expr_t *where;        /* NULL when absent */
    sl_sql_expr_t **group_by;
    size_t ngroup_by;
    sl_sql_expr_t **partition_by;
    size_t npartition_by;
    sl_sql_expr_t *having;       /* NULL when absent */
    sl_sql_emit_t emit;
    bool has_limit;
    int64_t limit;
} sl_sql_query_t;

/* ---- statements ------------------------------------------------------------------- */

typedef enum sl_sql_column_role {
    SL_SQL_COL_VALUE, SL_SQL_COL_KEY, SL_SQL_COL_PRIMARY_KEY, SL_SQL_COL_HEADERS, SL_SQL_COL_HEADER
} sl_sql_column_role_t;

/** A column of CREATE STREAM/TABLE. */
typedef struct sl_sql_ast_column {
    sl_sql_name_t name;
    sl_sql_ast_type_t *type;
    sl_sql_column_role_t role;
    const char *header_key; /* HEADER('key'); NULL otherwise */
} sl_sql_ast_column_t;

/** A WITH property: name = literal. */
typedef struct sl_sql_prop {
    sl_sql_name_t name;  /* upper-cased identifier, or the string as written when quoted */
    bool quoted;         /* written as 'name' */
    sl_sql_expr_t *value; /* a literal: NULL, TRUE/FALSE, number, string */
} sl_sql_prop_t;

typedef enum sl_sql_stmt_kind {
    SL_SQL_STMT_SELECT,            /* query */
    SL_SQL_STMT_CREATE_SOURCE,     /* create: CREATE [OR REPLACE] [SOURCE] STREAM|TABLE (cols) WITH (...) */
    SL_SQL_STMT_CREATE_AS,         /* create: CREATE [OR REPLACE] STREAM|TABLE name [WITH] AS SELECT */
    SL_SQL_STMT_INSERT_SELECT,     /* insert */
    SL_SQL_STMT_INSERT_VALUES,     /* insert */
    SL_SQL_STMT_DROP_SOURCE,       /* drop */
    SL_SQL_STMT_CREATE_TYPE,       /* create_type */
    SL_SQL_STMT_DROP_TYPE,         /* drop (table unused) */
    SL_SQL_STMT_DEFINE,            /* define */
    SL_SQL_STMT_UNDEFINE,          /* define (value NULL) */
    SL_SQL_STMT_SET,               /* set */
    SL_SQL_STMT_UNSET,             /* set (value NULL) */
    SL_SQL_STMT_SHOW,              /* show */
    SL_SQL_STMT_DESCRIBE,          /* describe: a source, or STREAMS/TABLES */
    SL_SQL_STMT_DESCRIBE_FUNCTION, /* describe.name */
    SL_SQL_STMT_EXPLAIN,           /* explain */
    SL_SQL_STMT_PRINT,             /* print */
    SL_SQL_STMT_TERMINATE,         /* terminate */
    SL_SQL_STMT_RUN_SCRIPT         /* run_script */
} sl_sql_stmt_kind_t;

typedef enum sl_sql_show_what {
    SL_SQL_SHOW_STREAMS, SL_SQL_SHOW_TABLES, SL_SQL_SHOW_QUERIES, SL_SQL_SHOW_TOPICS,
    SL_SQL_SHOW_FUNCTIONS, SL_SQL_SHOW_TYPES, SL_SQL_SHOW_PROPERTIES, SL_SQL_SHOW_VARIABLES
} sl_sql_show_what_t;

typedef struct sl_sql_stmt sl_sql_stmt_t;

struct sl_sql_stmt {
    sl_sql_stmt_kind_t kind;
    sl_sql_pos_t pos;     /* of the first token */
    const char *text;     /* the statement's source text, without the ';' (not NUL-terminated) */
    size_t text_len;
    union {
        sl_sql_query_t *query;
        struct {
            bool or_replace, source, table, if_not_exists;
            sl_sql_name_t name;
            sl_sql_ast_column_t **columns; /* CREATE_SOURCE; may be empty (schema from the format) */
            size_t ncolumns;
            sl_sql_prop_t **props;
            size_t nprops;
            sl_sql_query_t *query;     /* CREATE_AS */
        } create;
        struct {
            sl_sql_name_t target;
            sl_sql_name_t *columns;    /* INSERT INTO t (columns) */
            size_t ncolumns;
            sl_sql_prop_t **props;     /* INSERT_SELECT: WITH (...) */
            size_t nprops;
            sl_sql_query_t *query;     /* INSERT_SELECT */
            sl_sql_expr_t **values;    /* INSERT_VALUES */
            size_t nvalues;
        } insert;
        struct { bool table, if_exists, delete_topic; sl_sql_name_t name; } drop;
        struct { bool if_not_exists; sl_sql_name_t name; sl_sql_ast_type_t *type; } create_type;
        struct { sl_sql_name_t name; const char *value; } define; /* name as written (not upper-cased) */
        struct { const char *name; const char *value; } set;
        struct { sl_sql_show_what_t what; bool extended, all; } show;
        struct {
            sl_sql_name_t name;      /* s NULL for DESCRIBE STREAMS|TABLES */
            bool streams, tables, extended;
        } describe;
        struct { sl_sql_name_t query_id; sl_sql_stmt_t *stmt; } explain; /* exactly one is set */
        struct {
            sl_sql_name_t topic;     /* as written when quoted, upper-cased otherwise */
            bool quoted, from_beginning;
            int64_t interval;        /* -1 when absent */
            int64_t limit;           /* -1 when absent */
        } print;
        struct { sl_sql_name_t query_id; bool all; } terminate;
        struct { const char *path; } run_script;
    };
};

/** The statements of one text, in order. Empty statements (";;") are skipped. */
typedef struct sl_sql_stmt_list {
    sl_sql_stmt_t **items;
    size_t n;
} sl_sql_stmt_list_t;

/* ---- printers --------------------------------------------------------------------- */

/** Appends stmt as normalized SQL (keywords upper case, names quoted where
 * needed, minimal parentheses, no trailing ';') to out. Parsing the result
 * gives a tree that prints the same. SL_ERR_NOMEM when out cannot grow. */
sl_err_t sl_sql_stmt_print(const sl_sql_stmt_t *stmt, sl_buf_t *out);

/** Appends e as normalized SQL to out. SL_ERR_NOMEM when out cannot grow. */
sl_err_t sl_sql_expr_print(const sl_sql_expr_t *e, sl_buf_t *out);

/** Calls fn(arg, child) for each direct sub-expression of e that is not NULL
 * — operands; BETWEEN's value, low, high; IN's value then its items; LIKE's
 * value and pattern; CASE's operand, ELSE, then each WHEN's condition and
 * result; a call's arguments; a lambda's body; ARRAY items; MAP keys and
 * values pairwise; STRUCT values — and stops at the first call that returns
 * non-zero. Returns that value, or 0 (also for e NULL or a leaf). Nothing is
 * copied: the tree is only read. */
int sl_sql_expr_each_child(const sl_sql_expr_t *e,
                           int (*fn)(void *arg, const sl_sql_expr_t *child), void *arg);

/** Appends type t as SQL (e.g. "MAP<STRING, ARRAY<INT>>") to out. */
sl_err_t sl_sql_ast_type_print(const sl_sql_ast_type_t *t, sl_buf_t *out);

/** Appends name, back-quoted when it would not read back as itself (lower
 * case, punctuation, a keyword), to out. */
sl_err_t sl_sql_name_print(const char *name, sl_buf_t *out);

/** Appends stmt as an indented tree, one node per line with its line:column,
 * to out. The layout is for people and tests; do not parse it. */
sl_err_t sl_sql_stmt_print_tree(const sl_sql_stmt_t *stmt, sl_buf_t *out);

/** Names for enum values ("STREAMS", "LEFT", "SECONDS", "+", "INT" ...); static. */
const char *sl_sql_op_str(sl_sql_op_t op);
const char *sl_sql_unit_str(sl_sql_time_unit_t unit, bool plural);
const char *sl_sql_stmt_kind_str(sl_sql_stmt_kind_t kind);

/* ---- internal: shared by tokenize.c, parse.y and ast.c only ------------------------ */

/** A token: where it is and what kind (an SL_TK_* code from the generated parse.h). */
typedef struct sl__sql_token {
    const char *z;
    uint32_t n;
    int code;
    sl_sql_pos_t pos;
} sl__sql_token_t;

/** A growable list of node pointers used while parsing; copied into typed
 * arrays when a node is built. */
typedef struct sl__sql_list {
    void **items;
    size_t n, cap;
} sl__sql_list_t;

/** name := value in STRUCT(...) constructors, and k := v in MAP(...). */
typedef struct sl__sql_pair {
    sl_sql_name_t name;
    sl_sql_expr_t *key;
    sl_sql_expr_t *value;
} sl__sql_pair_t;

/** WITHIN clause while parsing. */
typedef struct sl__sql_within {
    sl_sql_duration_t before, after, grace;
    bool pair;
} sl__sql_within_t;

/** One window option (RETENTION or GRACE PERIOD) while parsing. */
typedef struct sl__sql_wopt {
    int which; /* 0 retention, 1 grace */
    sl_sql_duration_t d;
} sl__sql_wopt_t;

typedef struct sl_sql_error sl_sql_error_t;

/** The parser's state for one sl_sql_parse call (lemon's %extra_context). */
typedef struct sl__sql_parse {
    sl_arena_t *arena;
    const char *text;
    size_t len;
    sl_sql_error_t *err;       /* NULL while replaying to find expected tokens */
    bool failed;               /* first error recorded: stop feeding tokens */
    bool nomem;
    const sl__sql_token_t *syntax_tok; /* the token that did not fit */
    const sl__sql_token_t *cur;        /* the token being fed */
    sl__sql_list_t stmts;
} sl__sql_parse_t;

/** Records the first error: message at pos (printf-style). */
void sl__sql_error_at(sl__sql_parse_t *p, sl_sql_pos_t pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/** Records running out of memory. Returns NULL for use in builders. */
void *sl__sql_nomem(sl__sql_parse_t *p);
/** Arena allocation of zeroed memory; NULL (and the error recorded) on failure. */
void *sl__sql_alloc(sl__sql_parse_t *p, size_t n);
/** True when s (upper case, NUL-terminated) is a keyword of the tokenizer. */
bool sl__sql_is_keyword(const char *s);

/* Builders called by parse.y's actions. Each returns NULL (or a zero value)
 * once an error has been recorded, and accepts NULL children in that case. */
sl__sql_list_t *sl__sql_list_push(sl__sql_parse_t *p, sl__sql_list_t *l, void *item);
sl_sql_name_t sl__sql_name(sl__sql_parse_t *p, const sl__sql_token_t *t);
sl_sql_name_t *sl__sql_name_ptr(sl__sql_parse_t *p, sl_sql_name_t n);
sl_sql_name_t sl__sql_name_raw(sl__sql_parse_t *p, const sl__sql_token_t *t);
sl_sql_name_t sl__sql_name_string(sl__sql_parse_t *p, const sl__sql_token_t *t);
const char *sl__sql_string(sl__sql_parse_t *p, const sl__sql_token_t *t);

sl_sql_ast_type_t *sl__sql_type_named(sl__sql_parse_t *p, sl_sql_name_t n);
sl_sql_ast_type_t *sl__sql_type_decimal(sl__sql_parse_t *p, const sl__sql_token_t *t, const sl__sql_token_t *prec,
                                    const sl__sql_token_t *scale);
sl_sql_ast_type_t *sl__sql_type_array(sl__sql_parse_t *p, const sl__sql_token_t *t, sl_sql_ast_type_t *elem);
sl_sql_ast_type_t *sl__sql_type_map(sl__sql_parse_t *p, const sl__sql_token_t *t, sl_sql_ast_type_t *k, sl_sql_ast_type_t *v);
sl_sql_ast_type_t *sl__sql_type_struct(sl__sql_parse_t *p, const sl__sql_token_t *t, sl__sql_list_t *fields);
sl_sql_ast_field_t *sl__sql_field(sl__sql_parse_t *p, sl_sql_name_t n, sl_sql_ast_type_t *t);

sl_sql_expr_t *sl__sql_expr_literal(sl__sql_parse_t *p, const sl__sql_token_t *t);
sl_sql_expr_t *sl__sql_expr_unary(sl__sql_parse_t *p, sl_sql_op_t op, sl_sql_expr_t *a, const sl__sql_token_t *t);
sl_sql_expr_t *sl__sql_expr_binary(sl__sql_parse_t *p, sl_sql_op_t op, sl_sql_expr_t *a, sl_sql_expr_t *b);
sl_sql_expr_t *sl__sql_expr_column(sl__sql_parse_t *p, const sl_sql_name_t *q, sl_sql_name_t n);
sl_sql_expr_t *sl__sql_expr_between(sl__sql_parse_t *p, sl_sql_expr_t *a, sl_sql_expr_t *lo, sl_sql_expr_t *hi,
                                    bool negated);
sl_sql_expr_t *sl__sql_expr_in(sl__sql_parse_t *p, sl_sql_expr_t *a, sl__sql_list_t *items, bool negated);
sl_sql_expr_t *sl__sql_expr_like(sl__sql_parse_t *p, sl_sql_expr_t *a, sl_sql_expr_t *pat,
                                 const sl__sql_token_t *esc, bool negated);
sl_sql_expr_t *sl__sql_expr_is(sl__sql_parse_t *p, sl_sql_expr_kind_t kind, sl_sql_expr_t *a, sl_sql_expr_t *b,
                               bool negated);
sl_sql_expr_t *sl__sql_expr_case(sl__sql_parse_t *p, const sl__sql_token_t *t, sl_sql_expr_t *operand,
                                 sl__sql_list_t *whens, sl_sql_expr_t *else_);
sl_sql_when_t *sl__sql_when(sl__sql_parse_t *p, sl_sql_expr_t *cond, sl_sql_expr_t *result);
sl_sql_expr_t *sl__sql_expr_cast(sl__sql_parse_t *p, const sl__sql_token_t *t, sl_sql_expr_t *a, sl_sql_ast_type_t *ty);
sl_sql_expr_t *sl__sql_expr_deref(sl__sql_parse_t *p, sl_sql_expr_t *a, sl_sql_name_t field);
sl_sql_expr_t *sl__sql_expr_subscript(sl__sql_parse_t *p, sl_sql_expr_t *a, sl_sql_expr_t *index);
sl_sql_expr_t *sl__sql_expr_call(sl__sql_parse_t *p, sl_sql_name_t name, sl__sql_list_t *args, bool star);
sl_sql_expr_t *sl__sql_expr_lambda(sl__sql_parse_t *p, const sl__sql_token_t *t, sl__sql_list_t *params,
                                   sl_sql_expr_t *body);
sl_sql_expr_t *sl__sql_expr_lambda1(sl__sql_parse_t *p, sl_sql_name_t param, sl_sql_expr_t *body);
sl_sql_expr_t *sl__sql_expr_array(sl__sql_parse_t *p, const sl__sql_token_t *t, sl__sql_list_t *items);
sl_sql_expr_t *sl__sql_expr_map(sl__sql_parse_t *p, const sl__sql_token_t *t, sl__sql_list_t *pairs);
sl_sql_expr_t *sl__sql_expr_struct(sl__sql_parse_t *p, const sl__sql_token_t *t, sl__sql_list_t *pairs);
sl_sql_expr_t *sl__sql_expr_unit(sl__sql_parse_t *p, const sl__sql_token_t *t);
sl__sql_pair_t *sl__sql_pair(sl__sql_parse_t *p, const sl_sql_name_t *n, sl_sql_expr_t *k, sl_sql_expr_t *v);

sl_sql_duration_t sl__sql_duration(sl__sql_parse_t *p, const sl__sql_token_t *n, const sl__sql_token_t *unit);
sl__sql_within_t *sl__sql_within(sl__sql_parse_t *p, const sl_sql_duration_t *before, const sl_sql_duration_t *after,
                                 const sl_sql_duration_t *grace, bool pair);
sl__sql_wopt_t *sl__sql_wopt(sl__sql_parse_t *p, int which, const sl_sql_duration_t *d);
sl_sql_window_t *sl__sql_window(sl__sql_parse_t *p, sl_sql_window_kind_t kind, const sl__sql_token_t *t,
                                const sl_sql_duration_t *size, const sl_sql_duration_t *advance, sl__sql_list_t *opts);
sl_sql_source_t *sl__sql_source(sl__sql_parse_t *p, sl_sql_name_t name, const sl_sql_name_t *alias);
sl_sql_join_t *sl__sql_join(sl__sql_parse_t *p, int kind, const sl__sql_token_t *t, sl_sql_source_t *src,
                            sl__sql_within_t *within, sl_sql_expr_t *on);
sl_sql_select_item_t *sl__sql_select_item(sl__sql_parse_t *p, sl_sql_select_kind_t kind, const sl__sql_token_t *t,
                                          sl_sql_expr_t *e, const sl_sql_name_t *qualifier,
                                          const sl_sql_name_t *alias);

/** The clauses after FROM, gathered before the query node is made. */
typedef struct sl__sql_tail {
    sl_sql_window_t *window;
    sl_sql_expr_t *where;
    sl__sql_list_t *group_by, *partition_by;
    sl_sql_expr_t *having;
    int emit;
    bool has_limit;
    int64_t limit;
} sl__sql_tail_t;
sl_sql_query_t *sl__sql_query(sl__sql_parse_t *p, const sl__sql_token_t *t, sl__sql_list_t *items,
                              sl_sql_source_t *from, sl__sql_list_t *joins, sl__sql_tail_t *tail);
sl__sql_tail_t *sl__sql_tail(sl__sql_parse_t *p, sl_sql_window_t *w, sl_sql_expr_t *where, sl__sql_list_t *group_by,
                             sl__sql_list_t *partition_by, sl_sql_expr_t *having, int emit,
                             const sl__sql_token_t *limit);

sl_sql_ast_column_t *sl__sql_column(sl__sql_parse_t *p, sl_sql_name_t n, sl_sql_ast_type_t *t, sl_sql_column_role_t role,
                                const sl__sql_token_t *header);
sl_sql_prop_t *sl__sql_prop(sl__sql_parse_t *p, const sl_sql_name_t *n, const sl__sql_token_t *s, sl_sql_expr_t *v);

sl_sql_stmt_t *sl__sql_stmt(sl__sql_parse_t *p, sl_sql_stmt_kind_t kind, const sl__sql_token_t *t);
sl_sql_stmt_t *sl__sql_stmt_query(sl__sql_parse_t *p, sl_sql_query_t *q);
sl_sql_stmt_t *sl__sql_create_head(sl__sql_parse_t *p, const sl__sql_token_t *t, bool or_replace,
                                   const sl__sql_token_t *source, bool table, bool if_not_exists, sl_sql_name_t name);
sl_sql_stmt_t *sl__sql_create_source(sl__sql_parse_t *p, sl_sql_stmt_t *head, sl__sql_list_t *cols,
                                     sl__sql_list_t *props);
sl_sql_stmt_t *sl__sql_create_as(sl__sql_parse_t *p, sl_sql_stmt_t *head, sl__sql_list_t *props,
                                 sl_sql_query_t *q);
sl_sql_stmt_t *sl__sql_insert(sl__sql_parse_t *p, const sl__sql_token_t *t, sl_sql_name_t target,
                              sl__sql_list_t *cols, sl__sql_list_t *props, sl_sql_query_t *q,
                              sl__sql_list_t *values, bool is_values);
sl_sql_stmt_t *sl__sql_drop(sl__sql_parse_t *p, const sl__sql_token_t *t, int what, bool if_exists,
                            sl_sql_name_t name, bool delete_topic);
sl_sql_stmt_t *sl__sql_create_type(sl__sql_parse_t *p, const sl__sql_token_t *t, bool if_not_exists,
                                   sl_sql_name_t name, sl_sql_ast_type_t *type);
sl_sql_stmt_t *sl__sql_define(sl__sql_parse_t *p, const sl__sql_token_t *t, const sl__sql_token_t *name,
                              const sl__sql_token_t *value);
sl_sql_stmt_t *sl__sql_set(sl__sql_parse_t *p, const sl__sql_token_t *t, const sl__sql_token_t *k,
                           const sl__sql_token_t *v);
sl_sql_stmt_t *sl__sql_show(sl__sql_parse_t *p, const sl__sql_token_t *t, int what, bool all, bool extended);
sl_sql_stmt_t *sl__sql_describe(sl__sql_parse_t *p, const sl__sql_token_t *t, const sl_sql_name_t *name, int what,
                                bool extended);
sl_sql_stmt_t *sl__sql_explain(sl__sql_parse_t *p, const sl__sql_token_t *t, const sl_sql_name_t *id,
                               sl_sql_stmt_t *inner);
sl_sql_stmt_t *sl__sql_print(sl__sql_parse_t *p, const sl__sql_token_t *t, sl_sql_name_t topic, bool quoted,
                             bool from_beginning, const sl__sql_token_t *interval, const sl__sql_token_t *limit);
sl_sql_stmt_t *sl__sql_terminate(sl__sql_parse_t *p, const sl__sql_token_t *t, const sl_sql_name_t *id);
sl_sql_stmt_t *sl__sql_run_script(sl__sql_parse_t *p, const sl__sql_token_t *t, const sl__sql_token_t *path);
/** Appends a finished statement; end is its ';' (or the end of the text). */
void sl__sql_stmt_add(sl__sql_parse_t *p, sl_sql_stmt_t *s, const sl__sql_token_t *end);
/** Called by the parser on a token that does not fit (lemon's %syntax_error). */
void sl__sql_syntax_error(sl__sql_parse_t *p, const sl__sql_token_t *t);
/** Called when lemon's parser stack is full (%stack_overflow). */
void sl__sql_stack_overflow(sl__sql_parse_t *p);

/* Generated by lemon from parse.y (%name sl__sql_parser). */
void *sl__sql_parserAlloc(void *(*malloc_fn)(size_t), sl__sql_parse_t *p);
void sl__sql_parserFree(void *parser, void (*free_fn)(void *));
void sl__sql_parser(void *parser, int code, sl__sql_token_t tok);
/** Whether the parser, in its current state, would shift t1 and then t2 (t2
 * < 0: only t1), following reductions on copies of its stack. Defined in
 * parse.y's %code section, where lemon's tables are. */
bool sl__sql_parser_accepts(void *parser, int t1, int t2);
/** Number of terminal codes (codes are 1 .. n-1; 0 is end of input). */
int sl__sql_parser_ntokens(void);

#endif
