/* parse.y — ksqlDB's SQL dialect for lemon: tokens from tokenize.c in, a
 * syntax tree (ast.h) out. Layout after SQLite's parse.y: directives, then one
 * section per statement; every action is one call to a builder in ast.c.
 *
 * All nodes live in the arena of the parse, so the %destructor of every
 * pointer-valued symbol has nothing to free: SL_SQL_ARENA_OWNED marks that, and
 * keeps the pairing visible for the day a symbol owns something else.
 *
 * Non-reserved keywords (KEY, EMIT, MAP ...) are not %fallback tokens: lemon's
 * fallback applies wherever a state has no explicit action for the keyword,
 * which after table compression includes states whose default reduce would
 * have led to the keyword's own action (FROM s EMIT CHANGES would make EMIT an
 * alias). tokenize.c instead asks sl__sql_parser_accepts() whether the keyword
 * fits here as itself and feeds ID when only an identifier does. */

%name sl__sql_parser
%token_prefix SL_TK_
%token_type {sl__sql_token_t}
%default_type {sl__sql_token_t}
%extra_context {sl__sql_parse_t *pCtx}
%stack_size 1000
%start_symbol input

%syntax_error { sl__sql_syntax_error(pCtx, &TOKEN); }
%stack_overflow { sl__sql_stack_overflow(pCtx); }

%include {
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "sql/ast.h"

/* Tree nodes belong to the parse's arena: nothing to free when lemon discards one. */
#define SL_SQL_ARENA_OWNED(x) ((void)(x))

/* The value of an optional token that was absent (code 0). */
static const sl__sql_token_t sl__sql_none = {NULL, 0, 0, {0, 0, 0}};
}

/* Tokens in an order that groups them; lemon numbers them as they appear. */
%token SEMI LP RP LBRACKET RBRACKET COMMA DOT.
%token ID STRING INTEGER NUMBER FLOAT.
%token LAMBDA_LP LAMBDA ASSIGN ARROW.

/* Only the value expressions and the boolean connectives use precedence; the
 * predicates (comparison, BETWEEN, IN, LIKE, IS) sit in their own layer
 * between them, as in ksqlDB's SqlBase.g4, so they do not chain. */
%left OR.
%left AND.
%right NOT.
%left CONCAT.
%left PLUS MINUS.
%left STAR SLASH REM.
%right UMINUS.

/* ---- statement lists ------------------------------------------------------------- */

input ::= cmdlist.
cmdlist ::= cmdlist ecmd.
cmdlist ::= ecmd.
ecmd ::= SEMI.
ecmd ::= cmd(C) SEMI(E).                        { sl__sql_stmt_add(pCtx, C, &E); }

%type cmd {sl_sql_stmt_t *}
%destructor cmd { SL_SQL_ARENA_OWNED($$); }

/* ---- names ------------------------------------------------------------------------ */

%type nm {sl_sql_name_t}
nm(A) ::= ID(X).                                { A = sl__sql_name(pCtx, &X); }

%type nmlist {sl__sql_list_t *}
%destructor nmlist { SL_SQL_ARENA_OWNED($$); }
nmlist(A) ::= nm(X).                            { A = sl__sql_list_push(pCtx, NULL, sl__sql_name_ptr(pCtx, X)); }
nmlist(A) ::= nmlist(L) COMMA nm(X).            { A = sl__sql_list_push(pCtx, L, sl__sql_name_ptr(pCtx, X)); }

%type ifnotexists {bool}
ifnotexists(A) ::= .                            { A = false; }
ifnotexists(A) ::= IF NOT EXISTS.               { A = true; }

%type ifexists {bool}
ifexists(A) ::= .                               { A = false; }
ifexists(A) ::= IF EXISTS.                      { A = true; }

%type stream_or_table {bool}
stream_or_table(A) ::= STREAM.                  { A = false; }
stream_or_table(A) ::= TABLE.                   { A = true; }

/* ---- CREATE [OR REPLACE] [SOURCE] STREAM|TABLE ------------------------------------- */

cmd(A) ::= create_head(H) LP coldefs(C) RP with_opt(W).  { A = sl__sql_create_source(pCtx, H, C, W); }
cmd(A) ::= create_head(H) with_opt(W).                    { A = sl__sql_create_source(pCtx, H, NULL, W); }
cmd(A) ::= create_head(H) with_opt(W) AS query(Q).        { A = sl__sql_create_as(pCtx, H, W, Q); }

%type create_head {sl_sql_stmt_t *}
%destructor create_head { SL_SQL_ARENA_OWNED($$); }
create_head(A) ::= CREATE(T) orreplace(R) source_opt(S) stream_or_table(K) ifnotexists(E) nm(N).
                                                { A = sl__sql_create_head(pCtx, &T, R, &S, K, E, N); }

%type orreplace {bool}
orreplace(A) ::= .                              { A = false; }
orreplace(A) ::= OR REPLACE.                    { A = true; }

source_opt(A) ::= .                             { A = sl__sql_none; }
source_opt(A) ::= SOURCE(T).                    { A = T; }

%type coldefs {sl__sql_list_t *}
%destructor coldefs { SL_SQL_ARENA_OWNED($$); }
coldefs(A) ::= coldef(X).                       { A = sl__sql_list_push(pCtx, NULL, X); }
coldefs(A) ::= coldefs(L) COMMA coldef(X).      { A = sl__sql_list_push(pCtx, L, X); }

%type coldef {sl_sql_ast_column_t *}
%destructor coldef { SL_SQL_ARENA_OWNED($$); }
coldef(A) ::= nm(N) type(T).                    { A = sl__sql_column(pCtx, N, T, SL_SQL_COL_VALUE, NULL); }
coldef(A) ::= nm(N) type(T) KEY.                { A = sl__sql_column(pCtx, N, T, SL_SQL_COL_KEY, NULL); }
coldef(A) ::= nm(N) type(T) PRIMARY KEY.        { A = sl__sql_column(pCtx, N, T, SL_SQL_COL_PRIMARY_KEY, NULL); }
coldef(A) ::= nm(N) type(T) HEADERS.            { A = sl__sql_column(pCtx, N, T, SL_SQL_COL_HEADERS, NULL); }
coldef(A) ::= nm(N) type(T) HEADER LP STRING(K) RP. { A = sl__sql_column(pCtx, N, T, SL_SQL_COL_HEADER, &K); }

%type with_opt {sl__sql_list_t *}
%destructor with_opt { SL_SQL_ARENA_OWNED($$); }
with_opt(A) ::= .                               { A = NULL; }
with_opt(A) ::= WITH LP props(P) RP.            { A = P; }

%type props {sl__sql_list_t *}
%destructor props { SL_SQL_ARENA_OWNED($$); }
props(A) ::= prop(X).                           { A = sl__sql_list_push(pCtx, NULL, X); }
props(A) ::= props(L) COMMA prop(X).            { A = sl__sql_list_push(pCtx, L, X); }

%type prop {sl_sql_prop_t *}
%destructor prop { SL_SQL_ARENA_OWNED($$); }
prop(A) ::= nm(N) EQ literal(V).                { A = sl__sql_prop(pCtx, &N, NULL, V); }
prop(A) ::= STRING(S) EQ literal(V).            { A = sl__sql_prop(pCtx, NULL, &S, V); }

/* ---- types ----------------------------------------------------------------------- */

%type type {sl_sql_ast_type_t *}
%destructor type { SL_SQL_ARENA_OWNED($$); }
type(A) ::= nm(N).                              { A = sl__sql_type_named(pCtx, N); }
type(A) ::= DECIMAL(T) LP INTEGER(P) COMMA INTEGER(S) RP. { A = sl__sql_type_decimal(pCtx, &T, &P, &S); }
type(A) ::= ARRAY(T) LT type(E) GT.             { A = sl__sql_type_array(pCtx, &T, E); }
type(A) ::= MAP(T) LT type(K) COMMA type(V) GT. { A = sl__sql_type_map(pCtx, &T, K, V); }
type(A) ::= STRUCT(T) LT fielddefs(F) GT.       { A = sl__sql_type_struct(pCtx, &T, F); }
type(A) ::= STRUCT(T) LT GT.                    { A = sl__sql_type_struct(pCtx, &T, NULL); }
type(A) ::= STRUCT(T) NE.                       { A = sl__sql_type_struct(pCtx, &T, NULL); }

%type fielddefs {sl__sql_list_t *}
%destructor fielddefs { SL_SQL_ARENA_OWNED($$); }
fielddefs(A) ::= fielddef(X).                   { A = sl__sql_list_push(pCtx, NULL, X); }
fielddefs(A) ::= fielddefs(L) COMMA fielddef(X). { A = sl__sql_list_push(pCtx, L, X); }

%type fielddef {sl_sql_ast_field_t *}
%destructor fielddef { SL_SQL_ARENA_OWNED($$); }
fielddef(A) ::= nm(N) type(T).                  { A = sl__sql_field(pCtx, N, T); }

/* ---- CREATE TYPE, DROP TYPE ----------------------------------------------------------- */

cmd(A) ::= CREATE(T) TYPE ifnotexists(E) nm(N) AS type(X). { A = sl__sql_create_type(pCtx, &T, E, N, X); }
cmd(A) ::= DROP(T) TYPE ifexists(E) nm(N).      { A = sl__sql_drop(pCtx, &T, 2, E, N, false); }

/* ---- DROP STREAM|TABLE ----------------------------------------------------------------- */

cmd(A) ::= DROP(T) stream_or_table(K) ifexists(E) nm(N) deltopic(D). { A = sl__sql_drop(pCtx, &T, K, E, N, D); }

%type deltopic {bool}
deltopic(A) ::= .                               { A = false; }
deltopic(A) ::= DELETE TOPIC.                   { A = true; }

/* ---- INSERT INTO ------------------------------------------------------------------------ */

cmd(A) ::= INSERT(T) INTO nm(N) insert_cols(C) with_opt(W) query(Q).
                                                { A = sl__sql_insert(pCtx, &T, N, C, W, Q, NULL, false); }
cmd(A) ::= INSERT(T) INTO nm(N) insert_cols(C) VALUES LP exprlist(V) RP.
                                                { A = sl__sql_insert(pCtx, &T, N, C, NULL, NULL, V, true); }
cmd(A) ::= INSERT(T) INTO nm(N) insert_cols(C) VALUES LP RP.
                                                { A = sl__sql_insert(pCtx, &T, N, C, NULL, NULL, NULL, true); }

%type insert_cols {sl__sql_list_t *}
%destructor insert_cols { SL_SQL_ARENA_OWNED($$); }
insert_cols(A) ::= .                            { A = NULL; }
insert_cols(A) ::= LP nmlist(L) RP.             { A = L; }

/* ---- DEFINE, UNDEFINE, SET, UNSET ------------------------------------------------------- */

cmd(A) ::= DEFINE(T) ID(N) EQ STRING(V).        { A = sl__sql_define(pCtx, &T, &N, &V); }
cmd(A) ::= UNDEFINE(T) ID(N).                   { A = sl__sql_define(pCtx, &T, &N, NULL); }
cmd(A) ::= SET(T) STRING(K) EQ STRING(V).       { A = sl__sql_set(pCtx, &T, &K, &V); }
cmd(A) ::= UNSET(T) STRING(K).                  { A = sl__sql_set(pCtx, &T, &K, NULL); }

/* ---- SHOW | LIST ---------------------------------------------------------------------------- */

cmd(A) ::= showkw(T) showwhat(W) extended_opt(E). { A = sl__sql_show(pCtx, &T, W, false, E); }
cmd(A) ::= showkw(T) ALL TOPICS extended_opt(E).  { A = sl__sql_show(pCtx, &T, SL_SQL_SHOW_TOPICS, true, E); }

showkw(A) ::= SHOW(T).                          { A = T; }
showkw(A) ::= LIST(T).                          { A = T; }

%type showwhat {int}
showwhat(A) ::= STREAMS.                        { A = SL_SQL_SHOW_STREAMS; }
showwhat(A) ::= TABLES.                         { A = SL_SQL_SHOW_TABLES; }
showwhat(A) ::= QUERIES.                        { A = SL_SQL_SHOW_QUERIES; }
showwhat(A) ::= TOPICS.                         { A = SL_SQL_SHOW_TOPICS; }
showwhat(A) ::= FUNCTIONS.                      { A = SL_SQL_SHOW_FUNCTIONS; }
showwhat(A) ::= TYPES.                          { A = SL_SQL_SHOW_TYPES; }
showwhat(A) ::= PROPERTIES.                     { A = SL_SQL_SHOW_PROPERTIES; }
showwhat(A) ::= VARIABLES.                      { A = SL_SQL_SHOW_VARIABLES; }

%type extended_opt {bool}
extended_opt(A) ::= .                           { A = false; }
extended_opt(A) ::= EXTENDED.                   { A = true; }

/* ---- DESCRIBE ---------------------------------------------------------------------------------- */

cmd(A) ::= DESCRIBE(T) nm(N) extended_opt(E).   { A = sl__sql_describe(pCtx, &T, &N, 0, E); }
cmd(A) ::= DESCRIBE(T) EXTENDED nm(N).          { A = sl__sql_describe(pCtx, &T, &N, 0, true); }
cmd(A) ::= DESCRIBE(T) STREAMS extended_opt(E). { A = sl__sql_describe(pCtx, &T, NULL, 1, E); }
cmd(A) ::= DESCRIBE(T) TABLES extended_opt(E).  { A = sl__sql_describe(pCtx, &T, NULL, 2, E); }
cmd(A) ::= DESCRIBE(T) FUNCTION nm(N).          { A = sl__sql_describe(pCtx, &T, &N, 3, false); }

/* ---- EXPLAIN ------------------------------------------------------------------------------------- */

cmd(A) ::= EXPLAIN(T) nm(N).                    { A = sl__sql_explain(pCtx, &T, &N, NULL); }
cmd(A) ::= EXPLAIN(T) cmd(C).                   { A = sl__sql_explain(pCtx, &T, NULL, C); }

/* ---- PRINT ------------------------------------------------------------------------------------------ */

cmd(A) ::= PRINT(T) nm(N) frombeg(B) interval_opt(I) limit_opt(L).
                                                { A = sl__sql_print(pCtx, &T, N, false, B, &I, &L); }
cmd(A) ::= PRINT(T) STRING(S) frombeg(B) interval_opt(I) limit_opt(L).
                                                { A = sl__sql_print(pCtx, &T, sl__sql_name_string(pCtx, &S), true, B, &I, &L); }

%type frombeg {bool}
frombeg(A) ::= .                                { A = false; }
frombeg(A) ::= FROM BEGINNING.                  { A = true; }

interval_opt(A) ::= .                           { A = sl__sql_none; }
interval_opt(A) ::= INTERVAL INTEGER(N).        { A = N; }

limit_opt(A) ::= .                              { A = sl__sql_none; }
limit_opt(A) ::= LIMIT INTEGER(N).              { A = N; }

/* ---- TERMINATE, RUN SCRIPT ------------------------------------------------------------------------- */

cmd(A) ::= TERMINATE(T) nm(N).                  { A = sl__sql_terminate(pCtx, &T, &N); }
cmd(A) ::= TERMINATE(T) ALL.                    { A = sl__sql_terminate(pCtx, &T, NULL); }
cmd(A) ::= RUN(T) SCRIPT STRING(P).             { A = sl__sql_run_script(pCtx, &T, &P); }

/* ---- SELECT ---------------------------------------------------------------------------------------- */

cmd(A) ::= query(Q).                            { A = sl__sql_stmt_query(pCtx, Q); }

%type query {sl_sql_query_t *}
%destructor query { SL_SQL_ARENA_OWNED($$); }
query(A) ::= SELECT(T) selitems(S) FROM source(F) joins(J) qtail(X). { A = sl__sql_query(pCtx, &T, S, F, J, X); }

%type qtail {sl__sql_tail_t *}
%destructor qtail { SL_SQL_ARENA_OWNED($$); }
qtail(A) ::= window_opt(W) where_opt(X) groupby_opt(G) partitionby_opt(P) having_opt(H) emit_opt(E) limit_opt(L).
                                                { A = sl__sql_tail(pCtx, W, X, G, P, H, E, &L); }

%type selitems {sl__sql_list_t *}
%destructor selitems { SL_SQL_ARENA_OWNED($$); }
selitems(A) ::= selitem(X).                     { A = sl__sql_list_push(pCtx, NULL, X); }
selitems(A) ::= selitems(L) COMMA selitem(X).   { A = sl__sql_list_push(pCtx, L, X); }

%type selitem {sl_sql_select_item_t *}
%destructor selitem { SL_SQL_ARENA_OWNED($$); }
selitem(A) ::= STAR(T).                         { A = sl__sql_select_item(pCtx, SL_SQL_SELECT_STAR, &T, NULL, NULL, NULL); }
selitem(A) ::= nm(Q) DOT STAR.                  { A = sl__sql_select_item(pCtx, SL_SQL_SELECT_SOURCE_STAR, NULL, NULL, &Q, NULL); }
selitem(A) ::= prim(E) ARROW STAR.              { A = sl__sql_select_item(pCtx, SL_SQL_SELECT_STRUCT_STAR, NULL, E, NULL, NULL); }
selitem(A) ::= expr(E).                         { A = sl__sql_select_item(pCtx, SL_SQL_SELECT_EXPR, NULL, E, NULL, NULL); }
selitem(A) ::= expr(E) nm(N).                   { A = sl__sql_select_item(pCtx, SL_SQL_SELECT_EXPR, NULL, E, NULL, &N); }
selitem(A) ::= expr(E) AS nm(N).                { A = sl__sql_select_item(pCtx, SL_SQL_SELECT_EXPR, NULL, E, NULL, &N); }

%type source {sl_sql_source_t *}
%destructor source { SL_SQL_ARENA_OWNED($$); }
source(A) ::= nm(N).                            { A = sl__sql_source(pCtx, N, NULL); }
source(A) ::= nm(N) nm(X).                      { A = sl__sql_source(pCtx, N, &X); }
source(A) ::= nm(N) AS nm(X).                   { A = sl__sql_source(pCtx, N, &X); }

/* ---- JOIN ... [WITHIN ...] ON ------------------------------------------------------------------------- */

%type joins {sl__sql_list_t *}
%destructor joins { SL_SQL_ARENA_OWNED($$); }
joins(A) ::= .                                  { A = NULL; }
joins(A) ::= joins(L) join(X).                  { A = sl__sql_list_push(pCtx, L, X); }

%type join {sl_sql_join_t *}
%destructor join { SL_SQL_ARENA_OWNED($$); }
join(A) ::= jointype(K) JOIN(T) source(S) within_opt(W) ON expr(E). { A = sl__sql_join(pCtx, K, &T, S, W, E); }

%type jointype {int}
jointype(A) ::= .                               { A = SL_SQL_JOIN_INNER; }
jointype(A) ::= INNER.                          { A = SL_SQL_JOIN_INNER; }
jointype(A) ::= LEFT.                           { A = SL_SQL_JOIN_LEFT; }
jointype(A) ::= LEFT OUTER.                     { A = SL_SQL_JOIN_LEFT; }
jointype(A) ::= RIGHT.                          { A = SL_SQL_JOIN_RIGHT; }
jointype(A) ::= RIGHT OUTER.                    { A = SL_SQL_JOIN_RIGHT; }
jointype(A) ::= FULL.                           { A = SL_SQL_JOIN_FULL; }
jointype(A) ::= FULL OUTER.                     { A = SL_SQL_JOIN_FULL; }

%type within_opt {sl__sql_within_t *}
%destructor within_opt { SL_SQL_ARENA_OWNED($$); }
within_opt(A) ::= .                             { A = NULL; }
within_opt(A) ::= WITHIN duration(D) grace_opt(G). { A = sl__sql_within(pCtx, &D, &D, &G, false); }
within_opt(A) ::= WITHIN LP duration(D) RP grace_opt(G). { A = sl__sql_within(pCtx, &D, &D, &G, false); }
within_opt(A) ::= WITHIN LP duration(B) COMMA duration(F) RP grace_opt(G). { A = sl__sql_within(pCtx, &B, &F, &G, true); }

%type grace_opt {sl_sql_duration_t}
grace_opt(A) ::= .                              { A = sl__sql_duration(pCtx, NULL, NULL); }
grace_opt(A) ::= GRACE PERIOD duration(D).      { A = D; }

%type duration {sl_sql_duration_t}
duration(A) ::= INTEGER(N) unit(U).             { A = sl__sql_duration(pCtx, &N, &U); }

unit(A) ::= MILLISECOND(T).                     { A = T; }
unit(A) ::= MILLISECONDS(T).                    { A = T; }
unit(A) ::= SECOND(T).                          { A = T; }
unit(A) ::= SECONDS(T).                         { A = T; }
unit(A) ::= MINUTE(T).                          { A = T; }
unit(A) ::= MINUTES(T).                         { A = T; }
unit(A) ::= HOUR(T).                            { A = T; }
unit(A) ::= HOURS(T).                           { A = T; }
unit(A) ::= DAY(T).                             { A = T; }
unit(A) ::= DAYS(T).                            { A = T; }

/* ---- WINDOW TUMBLING | HOPPING | SESSION ------------------------------------------------------------------ */

%type window_opt {sl_sql_window_t *}
%destructor window_opt { SL_SQL_ARENA_OWNED($$); }
window_opt(A) ::= .                             { A = NULL; }
window_opt(A) ::= WINDOW TUMBLING(T) LP SIZE duration(S) wopts(O) RP.
                                                { A = sl__sql_window(pCtx, SL_SQL_WINDOW_TUMBLING, &T, &S, NULL, O); }
window_opt(A) ::= WINDOW HOPPING(T) LP SIZE duration(S) COMMA ADVANCE BY duration(V) wopts(O) RP.
                                                { A = sl__sql_window(pCtx, SL_SQL_WINDOW_HOPPING, &T, &S, &V, O); }
window_opt(A) ::= WINDOW SESSION(T) LP duration(S) wopts(O) RP.
                                                { A = sl__sql_window(pCtx, SL_SQL_WINDOW_SESSION, &T, &S, NULL, O); }

/* RETENTION and GRACE PERIOD both start with ',', so they are one list (the
 * builder checks order and repeats) rather than two optional clauses. */
%type wopts {sl__sql_list_t *}
%destructor wopts { SL_SQL_ARENA_OWNED($$); }
wopts(A) ::= .                                  { A = NULL; }
wopts(A) ::= wopts(L) COMMA RETENTION duration(D). { A = sl__sql_list_push(pCtx, L, sl__sql_wopt(pCtx, 0, &D)); }
wopts(A) ::= wopts(L) COMMA GRACE PERIOD duration(D). { A = sl__sql_list_push(pCtx, L, sl__sql_wopt(pCtx, 1, &D)); }

/* ---- WHERE, GROUP BY, PARTITION BY, HAVING, EMIT --------------------------------------------------- */

%type where_opt {sl_sql_expr_t *}
%destructor where_opt { SL_SQL_ARENA_OWNED($$); }
where_opt(A) ::= .                              { A = NULL; }
where_opt(A) ::= WHERE expr(E).                 { A = E; }

%type groupby_opt {sl__sql_list_t *}
%destructor groupby_opt { SL_SQL_ARENA_OWNED($$); }
groupby_opt(A) ::= .                            { A = NULL; }
groupby_opt(A) ::= GROUP BY exprlist(L).        { A = L; }

%type partitionby_opt {sl__sql_list_t *}
%destructor partitionby_opt { SL_SQL_ARENA_OWNED($$); }
partitionby_opt(A) ::= .                        { A = NULL; }
partitionby_opt(A) ::= PARTITION BY exprlist(L). { A = L; }

%type having_opt {sl_sql_expr_t *}
%destructor having_opt { SL_SQL_ARENA_OWNED($$); }
having_opt(A) ::= .                             { A = NULL; }
having_opt(A) ::= HAVING expr(E).               { A = E; }

%type emit_opt {int}
emit_opt(A) ::= .                               { A = SL_SQL_EMIT_NONE; }
emit_opt(A) ::= EMIT CHANGES.                   { A = SL_SQL_EMIT_CHANGES; }
emit_opt(A) ::= EMIT FINAL.                     { A = SL_SQL_EMIT_FINAL; }

/* ---- expressions: boolean layer --------------------------------------------------------------------- */

%type expr {sl_sql_expr_t *}
%destructor expr { SL_SQL_ARENA_OWNED($$); }
expr(A) ::= pred(X).                            { A = X; }
expr(A) ::= NOT(T) expr(X).                     { A = sl__sql_expr_unary(pCtx, SL_SQL_OP_NOT, X, &T); }
expr(A) ::= expr(X) AND expr(Y).                { A = sl__sql_expr_binary(pCtx, SL_SQL_OP_AND, X, Y); }
expr(A) ::= expr(X) OR expr(Y).                 { A = sl__sql_expr_binary(pCtx, SL_SQL_OP_OR, X, Y); }

%type exprlist {sl__sql_list_t *}
%destructor exprlist { SL_SQL_ARENA_OWNED($$); }
exprlist(A) ::= expr(X).                        { A = sl__sql_list_push(pCtx, NULL, X); }
exprlist(A) ::= exprlist(L) COMMA expr(X).      { A = sl__sql_list_push(pCtx, L, X); }

/* ---- expressions: predicates --------------------------------------------------------------------------- */

%type pred {sl_sql_expr_t *}
%destructor pred { SL_SQL_ARENA_OWNED($$); }
pred(A) ::= vexpr(X).                           { A = X; }
pred(A) ::= vexpr(X) cmpop(O) vexpr(Y).         { A = sl__sql_expr_binary(pCtx, (sl_sql_op_t)O, X, Y); }
pred(A) ::= vexpr(X) BETWEEN vexpr(L) AND vexpr(H). { A = sl__sql_expr_between(pCtx, X, L, H, false); }
pred(A) ::= vexpr(X) NOT BETWEEN vexpr(L) AND vexpr(H). { A = sl__sql_expr_between(pCtx, X, L, H, true); }
pred(A) ::= vexpr(X) IN LP exprlist(L) RP.      { A = sl__sql_expr_in(pCtx, X, L, false); }
pred(A) ::= vexpr(X) NOT IN LP exprlist(L) RP.  { A = sl__sql_expr_in(pCtx, X, L, true); }
pred(A) ::= vexpr(X) LIKE vexpr(P).             { A = sl__sql_expr_like(pCtx, X, P, NULL, false); }
pred(A) ::= vexpr(X) LIKE vexpr(P) ESCAPE STRING(E). { A = sl__sql_expr_like(pCtx, X, P, &E, false); }
pred(A) ::= vexpr(X) NOT LIKE vexpr(P).         { A = sl__sql_expr_like(pCtx, X, P, NULL, true); }
pred(A) ::= vexpr(X) NOT LIKE vexpr(P) ESCAPE STRING(E). { A = sl__sql_expr_like(pCtx, X, P, &E, true); }
pred(A) ::= vexpr(X) IS NULL.                   { A = sl__sql_expr_is(pCtx, SL_SQL_EXPR_IS_NULL, X, NULL, false); }
pred(A) ::= vexpr(X) IS NOT NULL.               { A = sl__sql_expr_is(pCtx, SL_SQL_EXPR_IS_NULL, X, NULL, true); }
pred(A) ::= vexpr(X) IS DISTINCT FROM vexpr(Y). { A = sl__sql_expr_is(pCtx, SL_SQL_EXPR_IS_DISTINCT, X, Y, false); }
pred(A) ::= vexpr(X) IS NOT DISTINCT FROM vexpr(Y). { A = sl__sql_expr_is(pCtx, SL_SQL_EXPR_IS_DISTINCT, X, Y, true); }

%type cmpop {int}
cmpop(A) ::= EQ.                                { A = SL_SQL_OP_EQ; }
cmpop(A) ::= NE.                                { A = SL_SQL_OP_NE; }
cmpop(A) ::= LT.                                { A = SL_SQL_OP_LT; }
cmpop(A) ::= LE.                                { A = SL_SQL_OP_LE; }
cmpop(A) ::= GT.                                { A = SL_SQL_OP_GT; }
cmpop(A) ::= GE.                                { A = SL_SQL_OP_GE; }

/* ---- expressions: arithmetic ------------------------------------------------------------------------------ */

%type vexpr {sl_sql_expr_t *}
%destructor vexpr { SL_SQL_ARENA_OWNED($$); }
vexpr(A) ::= prim(X).                           { A = X; }
vexpr(A) ::= MINUS(T) vexpr(X). [UMINUS]        { A = sl__sql_expr_unary(pCtx, SL_SQL_OP_NEG, X, &T); }
vexpr(A) ::= PLUS(T) vexpr(X). [UMINUS]         { A = sl__sql_expr_unary(pCtx, SL_SQL_OP_PLUS, X, &T); }
vexpr(A) ::= vexpr(X) STAR vexpr(Y).            { A = sl__sql_expr_binary(pCtx, SL_SQL_OP_MUL, X, Y); }
vexpr(A) ::= vexpr(X) SLASH vexpr(Y).           { A = sl__sql_expr_binary(pCtx, SL_SQL_OP_DIV, X, Y); }
vexpr(A) ::= vexpr(X) REM vexpr(Y).             { A = sl__sql_expr_binary(pCtx, SL_SQL_OP_MOD, X, Y); }
vexpr(A) ::= vexpr(X) PLUS vexpr(Y).            { A = sl__sql_expr_binary(pCtx, SL_SQL_OP_ADD, X, Y); }
vexpr(A) ::= vexpr(X) MINUS vexpr(Y).           { A = sl__sql_expr_binary(pCtx, SL_SQL_OP_SUB, X, Y); }
vexpr(A) ::= vexpr(X) CONCAT vexpr(Y).          { A = sl__sql_expr_binary(pCtx, SL_SQL_OP_CONCAT, X, Y); }

/* ---- expressions: primaries ------------------------------------------------------------------------------- */

%type prim {sl_sql_expr_t *}
%destructor prim { SL_SQL_ARENA_OWNED($$); }
prim(A) ::= const(X).                           { A = X; }
prim(A) ::= nm(N).                              { A = sl__sql_expr_column(pCtx, NULL, N); }
prim(A) ::= nm(Q) DOT nm(N).                    { A = sl__sql_expr_column(pCtx, &Q, N); }
prim(A) ::= LP expr(X) RP.                      { A = X; }
prim(A) ::= prim(X) ARROW nm(F).                { A = sl__sql_expr_deref(pCtx, X, F); }
prim(A) ::= prim(X) LBRACKET vexpr(I) RBRACKET. { A = sl__sql_expr_subscript(pCtx, X, I); }
prim(A) ::= nm(N) LP RP.                        { A = sl__sql_expr_call(pCtx, N, NULL, false); }
prim(A) ::= nm(N) LP STAR RP.                   { A = sl__sql_expr_call(pCtx, N, NULL, true); }
prim(A) ::= nm(N) LP args(L) RP.                { A = sl__sql_expr_call(pCtx, N, L, false); }
prim(A) ::= CASE(T) whens(W) else_opt(E) END.   { A = sl__sql_expr_case(pCtx, &T, NULL, W, E); }
prim(A) ::= CASE(T) vexpr(X) whens(W) else_opt(E) END. { A = sl__sql_expr_case(pCtx, &T, X, W, E); }
prim(A) ::= CAST(T) LP expr(X) AS type(Y) RP.   { A = sl__sql_expr_cast(pCtx, &T, X, Y); }
prim(A) ::= ARRAY(T) LBRACKET RBRACKET.         { A = sl__sql_expr_array(pCtx, &T, NULL); }
prim(A) ::= ARRAY(T) LBRACKET exprlist(L) RBRACKET. { A = sl__sql_expr_array(pCtx, &T, L); }
prim(A) ::= MAP(T) LP RP.                       { A = sl__sql_expr_map(pCtx, &T, NULL); }
prim(A) ::= MAP(T) LP mapitems(L) RP.           { A = sl__sql_expr_map(pCtx, &T, L); }
prim(A) ::= STRUCT(T) LP RP.                    { A = sl__sql_expr_struct(pCtx, &T, NULL); }
prim(A) ::= STRUCT(T) LP structitems(L) RP.     { A = sl__sql_expr_struct(pCtx, &T, L); }

%type const {sl_sql_expr_t *}
%destructor const { SL_SQL_ARENA_OWNED($$); }
const(A) ::= NULL(T).                           { A = sl__sql_expr_literal(pCtx, &T); }
const(A) ::= TRUE(T).                           { A = sl__sql_expr_literal(pCtx, &T); }
const(A) ::= FALSE(T).                          { A = sl__sql_expr_literal(pCtx, &T); }
const(A) ::= STRING(T).                         { A = sl__sql_expr_literal(pCtx, &T); }
const(A) ::= number(X).                         { A = X; }

%type number {sl_sql_expr_t *}
%destructor number { SL_SQL_ARENA_OWNED($$); }
number(A) ::= INTEGER(T).                       { A = sl__sql_expr_literal(pCtx, &T); }
number(A) ::= NUMBER(T).                        { A = sl__sql_expr_literal(pCtx, &T); }
number(A) ::= FLOAT(T).                         { A = sl__sql_expr_literal(pCtx, &T); }

/* A WITH property's value: a constant, numbers possibly negative. */
%type literal {sl_sql_expr_t *}
%destructor literal { SL_SQL_ARENA_OWNED($$); }
literal(A) ::= const(X).                        { A = X; }
literal(A) ::= MINUS(T) number(X).              { A = sl__sql_expr_unary(pCtx, SL_SQL_OP_NEG, X, &T); }

%type whens {sl__sql_list_t *}
%destructor whens { SL_SQL_ARENA_OWNED($$); }
whens(A) ::= when(X).                           { A = sl__sql_list_push(pCtx, NULL, X); }
whens(A) ::= whens(L) when(X).                  { A = sl__sql_list_push(pCtx, L, X); }

%type when {sl_sql_when_t *}
%destructor when { SL_SQL_ARENA_OWNED($$); }
when(A) ::= WHEN expr(C) THEN expr(R).          { A = sl__sql_when(pCtx, C, R); }

%type else_opt {sl_sql_expr_t *}
%destructor else_opt { SL_SQL_ARENA_OWNED($$); }
else_opt(A) ::= .                               { A = NULL; }
else_opt(A) ::= ELSE expr(X).                   { A = X; }

%type mapitems {sl__sql_list_t *}
%destructor mapitems { SL_SQL_ARENA_OWNED($$); }
mapitems(A) ::= expr(K) ASSIGN expr(V).         { A = sl__sql_list_push(pCtx, NULL, sl__sql_pair(pCtx, NULL, K, V)); }
mapitems(A) ::= mapitems(L) COMMA expr(K) ASSIGN expr(V). { A = sl__sql_list_push(pCtx, L, sl__sql_pair(pCtx, NULL, K, V)); }

%type structitems {sl__sql_list_t *}
%destructor structitems { SL_SQL_ARENA_OWNED($$); }
structitems(A) ::= nm(N) ASSIGN expr(V).        { A = sl__sql_list_push(pCtx, NULL, sl__sql_pair(pCtx, &N, NULL, V)); }
structitems(A) ::= structitems(L) COMMA nm(N) ASSIGN expr(V). { A = sl__sql_list_push(pCtx, L, sl__sql_pair(pCtx, &N, NULL, V)); }

/* ---- expressions: call arguments, lambdas, time units -------------------------------------------------- */

%type args {sl__sql_list_t *}
%destructor args { SL_SQL_ARENA_OWNED($$); }
args(A) ::= arg(X).                             { A = sl__sql_list_push(pCtx, NULL, X); }
args(A) ::= args(L) COMMA arg(X).               { A = sl__sql_list_push(pCtx, L, X); }

/* tokenize.c turns '(' into LAMBDA_LP when "ident, ... ) =>" follows: with one
 * token of lookahead "(x)" could not otherwise be told from "(x) => ...". */
%type arg {sl_sql_expr_t *}
%destructor arg { SL_SQL_ARENA_OWNED($$); }
arg(A) ::= expr(X).                             { A = X; }
arg(A) ::= unit(U).                             { A = sl__sql_expr_unit(pCtx, &U); }
arg(A) ::= nm(P) LAMBDA expr(B).                { A = sl__sql_expr_lambda1(pCtx, P, B); }
arg(A) ::= LAMBDA_LP(T) nmlist(P) RP LAMBDA expr(B). { A = sl__sql_expr_lambda(pCtx, &T, P, B); }

%code {
/* ---- lookahead over lemon's tables ------------------------------------------------
 * tokenize.c uses these to pick between a non-reserved keyword and an
 * identifier, and to list the tokens a syntax error expected. They follow the
 * same tables as yy_find_shift_action, without fallback, on a copy of the
 * parser's stack of states, so the parser itself is never touched. */

static YYACTIONTYPE sl__sql_lookup(YYACTIONTYPE st, int tok)
{
    if (st > YY_MAX_SHIFT)
        return st; /* a pending reduce */
    if (st > YY_SHIFT_COUNT)
        return yy_default[st];
    int i = yy_shift_ofst[st] + tok;
    if (i < 0 || i >= YY_NLOOKAHEAD || yy_lookahead[i] != tok)
        return yy_default[st];
    return yy_action[i];
}

#define SL__SQL_SIMSTACK (YYSTACKDEPTH + 64)

/* Runs tok on the state stack stk[0..*top]: 1 when it is shifted (stk then
 * holds the state after the shift), 2 on accept, 0 on error. */
static int sl__sql_simulate(YYACTIONTYPE *stk, int *top, int tok)
{
    for (int guard = 0; guard < 100000; guard++) {
        YYACTIONTYPE act = sl__sql_lookup(stk[*top], tok);
        if (act >= YY_MIN_REDUCE && act <= YY_MAX_REDUCE) {
            int rule = act - YY_MIN_REDUCE;
            int base = *top + yyRuleInfoNRhs[rule];
            if (base < 0 || base + 1 >= SL__SQL_SIMSTACK || stk[base] > YY_MAX_SHIFT)
                return 0;
            stk[base + 1] = yy_find_reduce_action(stk[base], (YYCODETYPE)yyRuleInfoLhs[rule]);
            *top = base + 1;
            continue;
        }
        if (act <= YY_MAX_SHIFTREDUCE) {
            if (*top + 1 >= SL__SQL_SIMSTACK)
                return 0;
            if (act > YY_MAX_SHIFT)
                act = (YYACTIONTYPE)(act + YY_MIN_REDUCE - YY_MIN_SHIFTREDUCE);
            stk[++*top] = act;
            return 1;
        }
        return act == YY_ACCEPT_ACTION ? 2 : 0;
    }
    return 0;
}

bool sl__sql_parser_accepts(void *parser, int t1, int t2)
{
    yyParser *pp = (yyParser *)parser;
    YYACTIONTYPE stk[SL__SQL_SIMSTACK];
    int top = (int)(pp->yytos - pp->yystack);
    if (top < 0 || top >= SL__SQL_SIMSTACK || t1 <= 0 || t1 >= YYNTOKEN || t2 >= YYNTOKEN)
        return false;
    for (int i = 0; i <= top; i++)
        stk[i] = pp->yystack[i].stateno;
    int r = sl__sql_simulate(stk, &top, t1);
    if (r != 1 || t2 < 0)
        return r != 0;
    return sl__sql_simulate(stk, &top, t2) != 0;
}

int sl__sql_parser_ntokens(void) { return YYNTOKEN; }
}
