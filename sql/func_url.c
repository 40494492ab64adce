/* func_url.c — the URL functions: URL_ENCODE_PARAM / URL_DECODE_PARAM (Java's
 * URLEncoder / URLDecoder in UTF-8) and the URL_EXTRACT_* family, which
 * splits a URL as java.net.URI does: scheme ":" ["//" authority] path
 * ["?" query] ["#" fragment], with path, query and fragment percent-decoded
 * (URI's getPath/getQuery/getFragment); parameters are split from the decoded
 * query, as ksqlDB's URL_EXTRACT_PARAMETER does.
 *
 * Errors. Text that java.net.URI refuses (a space or a character such as
 * '<', '|', '{', a bad %-escape, an empty or malformed scheme or port)
 * is SL_ERR_INVAL ("URL input has invalid syntax"), where ksqlDB's UDF throws;
 * a part the URL does not have is NULL. */
#include <ctype.h>
#include <string.h>

#include "sql/func_int.h"

typedef struct url {
    const char *scheme, *host, *path, *query, *fragment;
    size_t scheme_n, host_n, path_n, query_n, frag_n;
    int has_scheme, has_host, has_path, has_query, has_frag;
    int32_t port; /* -1: none */
} url_t;

static int hexv(int c)
{
    if (isdigit(c))
        return c - '0';
    c = tolower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Characters java.net.URI accepts outside escapes (and non-ASCII "other"). */
static int uri_char(unsigned char c)
{
    return isalnum(c) || c >= 0x80 || strchr("-._~!$&'()*+,;=:@/?#[]%", c);
}

static int parse_url(const char *s, size_t n, url_t *u)
{
    memset(u, 0, sizeof *u);
    u->port = -1;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!c || !uri_char(c))
            return -1;
        if (c == '%' && (i + 2 >= n || hexv((unsigned char)s[i + 1]) < 0 || hexv((unsigned char)s[i + 2]) < 0))
            return -1;
    }
    size_t i = 0;
    /* scheme */
    size_t k = 0;
    while (k < n && (isalnum((unsigned char)s[k]) || s[k] == '+' || s[k] == '-' || s[k] == '.'))
        k++;
    if (k < n && s[k] == ':' && k > 0) {
        if (!isalpha((unsigned char)s[0]))
            return -1;
        u->scheme = s, u->scheme_n = k, u->has_scheme = 1;
        i = k + 1;
        if (i >= n)
            return -1; /* "http:" has an empty scheme-specific part */
        if (s[i] != '/') { /* opaque: mailto:x@y.z#frag */
            const char *h = memchr(s + i, '#', n - i);
            if (h)
                u->fragment = h + 1, u->frag_n = (size_t)(s + n - h - 1), u->has_frag = 1;
            return 0;
        }
    } else if (k < n && s[k] == ':' && k == 0) {
        return -1;
    }
    /* authority */
    if (i + 1 < n && s[i] == '/' && s[i + 1] == '/') {
        size_t st = i + 2, e = st;
        while (e < n && s[e] != '/' && s[e] != '?' && s[e] != '#')
            e++;
        const char *a = s + st;
        size_t an = e - st;
        const char *at = memchr(a, '@', an);
        if (at)
            an -= (size_t)(at + 1 - a), a = at + 1;
        const char *colon = NULL;
        if (an && a[0] == '[') {
            const char *rb = memchr(a, ']', an);
            if (!rb)
                return -1;
            if ((size_t)(rb + 1 - a) < an) {
                if (rb[1] != ':')
                    return -1;
                colon = rb + 1;
            }
        } else {
            colon = memchr(a, ':', an);
        }
        size_t hn = colon ? (size_t)(colon - a) : an;
        if (colon) {
            int32_t port = 0;
            size_t pn = (size_t)(a + an - colon - 1);
            for (size_t j = 0; j < pn; j++) {
                if (!isdigit((unsigned char)colon[1 + j]) || port > 100000)
                    return -1;
                port = port * 10 + (colon[1 + j] - '0');
            }
            if (pn)
                u->port = port;
        }
        if (hn)
            u->host = a, u->host_n = hn, u->has_host = 1;
        i = e;
    }
    size_t ps = i;
    while (i < n && s[i] != '?' && s[i] != '#')
        i++;
    u->path = s + ps, u->path_n = i - ps, u->has_path = 1;
    if (i < n && s[i] == '?') {
        size_t qs = ++i;
        while (i < n && s[i] != '#')
            i++;
        u->query = s + qs, u->query_n = i - qs, u->has_query = 1;
    }
    if (i < n && s[i] == '#')
        u->fragment = s + i + 1, u->frag_n = n - i - 1, u->has_frag = 1;
    return 0;
}

/* Percent-decodes s[0..n) (form: '+' is a space too). SL_ERR_INVAL for a
 * bad escape. */
static sl_err_t decode(sl_sql_fn_ctx_t *ctx, const char *s, size_t n, int form, sl_sql_value_t *out)
{
    sl__fn_sb_t b;
    sl__fn_sb_init(&b, ctx->al);
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%') {
            int h = i + 2 < n ? hexv((unsigned char)s[i + 1]) : -1, l = i + 2 < n ? hexv((unsigned char)s[i + 2]) : -1;
            if (h < 0 || l < 0)
                return sl__fn_err(ctx, SL_ERR_INVAL, "URLDecoder: Illegal hex characters in escape (%%) pattern");
            sl__fn_sb_putc(&b, (char)(h * 16 + l));
            i += 2;
        } else {
            sl__fn_sb_putc(&b, form && s[i] == '+' ? ' ' : s[i]);
        }
    }
    return sl__fn_sb_done(&b, 0, out);
}

static sl_err_t fn_url_encode_param(SL_FN_ARGS)
{
    SL_FN_UNUSED;
    static const char hx[] = "0123456789ABCDEF";
    sl__fn_sb_t b;
    sl__fn_sb_init(&b, ctx->al);
    for (size_t i = 0; i < a[0].len; i++) {
        unsigned char c = (unsigned char)a[0].u.str[i];
        if (isalnum(c) || c == '.' || c == '-' || c == '*' || c == '_')
            sl__fn_sb_putc(&b, (char)c);
        else if (c == ' ')
            sl__fn_sb_putc(&b, '+');
        else {
            char e[3] = {'%', hx[c >> 4], hx[c & 15]};
            sl__fn_sb_put(&b, e, 3);
        }
    }
    return sl__fn_sb_done(&b, 0, out);
}

static sl_err_t fn_url_decode_param(SL_FN_ARGS)
{
    SL_FN_UNUSED;
    return decode(ctx, a[0].u.str, a[0].len, 1, out);
}

enum { U_PROTOCOL, U_HOST, U_PORT, U_PATH, U_QUERY, U_FRAGMENT };

static sl_err_t extract(sl_sql_fn_ctx_t *ctx, const sl_sql_value_t *v, const sl_sql_type_t *rt, int part,
                        sl_sql_value_t *out)
{
    url_t u;
    if (parse_url(v->u.str, v->len, &u))
        return sl__fn_err(ctx, SL_ERR_INVAL, "URL input has invalid syntax: %.*s", (int)v->len, v->u.str);
    *out = sl__fn_null(rt);
    switch (part) {
    case U_PROTOCOL:
        if (u.has_scheme)
            *out = sl_sql_value_string(u.scheme, u.scheme_n);
        return SL_OK;
    case U_HOST:
        if (u.has_host)
            *out = sl_sql_value_string(u.host, u.host_n);
        return SL_OK;
    case U_PORT:
        if (u.port >= 0)
            *out = sl_sql_value_int(u.port);
        return SL_OK;
    case U_PATH: return u.has_path ? decode(ctx, u.path, u.path_n, 0, out) : SL_OK;
    case U_QUERY: return u.has_query ? decode(ctx, u.query, u.query_n, 0, out) : SL_OK;
    default: return u.has_frag ? decode(ctx, u.fragment, u.frag_n, 0, out) : SL_OK;
    }
}

#define EXTRACT_FN(fname, part)                    \
    static sl_err_t fname(SL_FN_ARGS)              \
    {                                              \
        SL_FN_UNUSED;                              \
        return extract(ctx, &a[0], rt, part, out); \
    }
EXTRACT_FN(fn_url_extract_protocol, U_PROTOCOL)
EXTRACT_FN(fn_url_extract_host, U_HOST)
EXTRACT_FN(fn_url_extract_port, U_PORT)
EXTRACT_FN(fn_url_extract_path, U_PATH)
EXTRACT_FN(fn_url_extract_query, U_QUERY)
EXTRACT_FN(fn_url_extract_fragment, U_FRAGMENT)

/* URL_EXTRACT_PARAMETER(url, name): as ksqlDB's, the decoded query
 * (URI.getQuery: %-escapes decoded, '+' kept) split on '&' and then on the
 * first '='; the first parameter named so gives its value, "" when it has no
 * '=', NULL when there is none. An escaped '&' or '=' splits like a plain one. */
static sl_err_t fn_url_extract_parameter(SL_FN_ARGS)
{
    SL_FN_UNUSED;
    url_t u;
    if (parse_url(a[0].u.str, a[0].len, &u))
        return sl__fn_err(ctx, SL_ERR_INVAL, "URL input has invalid syntax: %.*s", (int)a[0].len, a[0].u.str);
    *out = sl__fn_null(rt);
    if (!u.has_query)
        return SL_OK;
    sl_sql_value_t dq;
    sl_err_t err = decode(ctx, u.query, u.query_n, 0, &dq);
    if (err)
        return err;
    const char *q = dq.u.str, *end = dq.u.str + dq.len;
    for (;;) {
        const char *amp = memchr(q, '&', (size_t)(end - q));
        const char *e = amp ? amp : end;
        const char *eq = memchr(q, '=', (size_t)(e - q));
        const char *ke = eq ? eq : e;
        if ((size_t)(ke - q) == a[1].len && !memcmp(q, a[1].u.str, a[1].len))
            return eq ? sl__fn_str(ctx, eq + 1, (size_t)(e - eq - 1), out) : sl__fn_str(ctx, "", 0, out);
        if (!amp)
            break;
        q = amp + 1;
    }
    return SL_OK;
}

#define S SL_SQL_FN_STRICT
static const sl_sql_overload_t ov_encode[] = {{"STRING", "STRING", NULL, fn_url_encode_param, S}};
static const sl_sql_overload_t ov_decode[] = {{"STRING", "STRING", NULL, fn_url_decode_param, S}};
static const sl_sql_overload_t ov_protocol[] = {{"STRING", "STRING", NULL, fn_url_extract_protocol, S}};
static const sl_sql_overload_t ov_host[] = {{"STRING", "STRING", NULL, fn_url_extract_host, S}};
static const sl_sql_overload_t ov_port[] = {{"STRING", "INT", NULL, fn_url_extract_port, S}};
static const sl_sql_overload_t ov_path[] = {{"STRING", "STRING", NULL, fn_url_extract_path, S}};
static const sl_sql_overload_t ov_query[] = {{"STRING", "STRING", NULL, fn_url_extract_query, S}};
static const sl_sql_overload_t ov_fragment[] = {{"STRING", "STRING", NULL, fn_url_extract_fragment, S}};
static const sl_sql_overload_t ov_parameter[] = {{"STRING, STRING", "STRING", NULL, fn_url_extract_parameter, S}};
#undef S

#define C "URL"
const sl_sql_function_t sl__sql_fn_url[] = {
    SL_FN("URL_DECODE_PARAM", C, "Decodes an application/x-www-form-urlencoded string.", ov_decode),
    SL_FN("URL_ENCODE_PARAM", C, "Encodes a string as application/x-www-form-urlencoded.", ov_encode),
    SL_FN("URL_EXTRACT_FRAGMENT", C, "Returns the (decoded) fragment of a URL.", ov_fragment),
    SL_FN("URL_EXTRACT_HOST", C, "Returns the host of a URL.", ov_host),
    SL_FN("URL_EXTRACT_PARAMETER", C, "Returns the value of a query parameter of a URL, from its decoded query.", ov_parameter),
    SL_FN("URL_EXTRACT_PATH", C, "Returns the (decoded) path of a URL.", ov_path),
    SL_FN("URL_EXTRACT_PORT", C, "Returns the port of a URL, NULL if it has none.", ov_port),
    SL_FN("URL_EXTRACT_PROTOCOL", C, "Returns the scheme of a URL.", ov_protocol),
    SL_FN("URL_EXTRACT_QUERY", C, "Returns the (decoded) query of a URL.", ov_query),
};
const size_t sl__sql_fn_url_n = SL_FN_COUNT(sl__sql_fn_url);
