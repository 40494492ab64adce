/* func_string.c — the string and bytes functions: CONCAT, case, LEN, TRIM,
 * SUBSTRING, REPLACE, SPLIT, padding, INSTR, INITCAP, encodings, UUID, CHR,
 * the MASK family, the *_FROM_BYTES conversions, and the REGEXP_* functions
 * (Java's regex syntax run by PCRE2: see java_to_pcre for what is
 * translated and docs/sql/functions.md for the differences left).
 *
 * Characters. Positions and lengths count UTF-16 units, as Java does (an
 * emoji is 2): see u16_len. Case
 * mapping (LCASE, UCASE, INITCAP, MASK's classes) is ASCII-only: other
 * characters are left as they are (MASK counts them as "other"). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "sql/func_int.h"

#define STR(v) ((v).u.str)

/* ---- UTF-16 positions ----------------------------------------------------------------------------- */

/* Java counts a String in UTF-16 units: a character outside the BMP (an
 * emoji) is 2. ksqlDB's LEN, SUBSTRING, INSTR, LPAD/RPAD and the MASK_*
 * counts are in those units, so these are too. Where a cut falls inside a
 * surrogate pair, the half left is a lone surrogate, which Java's UTF-8
 * encoder writes as '?': so does u16_put. */

/* UTF-16 units of the UTF-8 sequence starting with byte c (0 for a continuation byte). */
static size_t u16_units(unsigned char c) { return (c & 0xC0) == 0x80 ? 0 : c >= 0xF0 ? 2 : 1; }

static size_t u16_len(const char *s, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += u16_units((unsigned char)s[i]);
    return k;
}

/* Appends UTF-16 units [from, to) of s[0..n) as UTF-8. */
static void u16_put(sl__fn_sb_t *b, const char *s, size_t n, size_t from, size_t to)
{
    size_t u = 0;
    for (size_t i = 0; i < n && u < to;) {
        size_t k = sl__fn_utf8_offset(s + i, n - i, 1), w = u16_units((unsigned char)s[i]);
        if (w == 2 && ((u >= from) != (u + 1 >= from && u + 1 < to)))
            sl__fn_sb_putc(b, '?'); /* one half of the pair is in */
        else if (u >= from)
            sl__fn_sb_put(b, s + i, k);
        i += k, u += w ? w : 1;
    }
}

/* ---- CONCAT, CONCAT_WS ---------------------------------------------------------------- */

/* NULL arguments are skipped (ksqlDB's Concat filters them out). */
static sl_err_t fn_concat(SL_FN_ARGS)
{
    SL_FN_UNUSED;
    sl__fn_sb_t b;
    sl__fn_sb_init(&b, ctx->al);
    for (size_t i = 0; i < n; i++)
        if (!a[i].is_null)
            sl__fn_sb_put(&b, a[i].u.str, a[i].len);
    return sl__fn_sb_done(&b, rt->base == SL_SQL_BYTES, out);
}

/* A NULL separator gives NULL; NULL arguments are skipped. */
static sl_err_t fn_concat_ws(SL_FN_ARGS)
{
    SL_FN_UNUSED;
    if (a[0].is_null) {
        *out = sl__fn_null(rt);
        return SL_OK;
    }
    sl__fn_sb_t b;
    int first = 1;
    sl__fn_sb_init(&b, ctx->al);
    for (size_t i = 1; i < n; i++) {
        if (a[i].is_null)
            continue;
        if (!first)
            sl__fn_sb_put(&b, a[0].u.str, a[0].len);
        sl__fn_sb_put(&b, a[i].u.str, a[i].len);
        first = 0;
    }
    return sl__fn_sb_done(&b, rt->base == SL_SQL_BYTES, out);
}

/* ---- case, LEN, TRIM -------------------------------------------------------------------- */

static sl_err_t map_chars(sl_sql_fn_ctx_t *ctx, const sl_sql_value_t *v, int (*f)(int), sl_sql_value_t *out)
{
    char *p = sl_sql_alloc(ctx->al, v->len + 1);
    if (!p)
        return SL_ERR_NOMEM;
    for (size_t i = 0; i < v->len; i++) {
        unsigned char c = (unsigned char)v->u.str[i];
        p[i] = c < 0x80 ? (char)f(c) : (char)c;
    }
    p[v->len] = 0;
    *out = sl_sql_value_string(p, v->len);
    return SL_OK;
}

static sl_err_t fn_lcase(SL_FN_ARGS)
{
    SL_FN_UNUSED;
    return map_chars(ctx, &a[0], tolower, out);
}

static sl_err_t fn_ucase(SL_FN_ARGS)
{
    SL_FN_UNUSED;
    return map_chars(ctx, &a[0], toupper, out);
}

static sl_err_t fn_len(SL_FN_ARGS)
{
    SL_FN_UNUSED;
    size_t len = a[0].base == SL_SQL_BYTES ? a[0].len : u16_len(a[0].u.str, a[0].len);
    *out = sl_sql_value_int((int32_t)len);
    return SL_OK;
}

/* Java's String.trim: every character <= U+0020 goes, at both ends. */
static sl_err_t fn_trim(SL_FN_ARGS)
{
    SL_FN_UNUSED;
    size_t s = 0, e = a[0].len;
    while (s < e && (unsigned char)a[0].u.str[s] <= ' ')
        s++;
    while (e > s && (unsigned char)a[0].u.str[e - 1] <= ' ')
        e--;
    *out = sl_sql_value_string(a[0].u.str + s, e - s);
    return SL_OK;
}

/* ---- SUBSTRING -------------------------------------------------------------------------- */

/* ksqlDB's Substring: 1-based pos, a negative pos counts from the end; a
 * negative length gives the empty string. In UTF-16 units (bytes for BYTES). */
static sl_err_t fn_substring(SL_FN_ARGS)
{
    SL_FN_UNUSED;
    int bytes = a[0].base == SL_SQL_BYTES;
    const char *s = a[0].u.str;
    size_t nb = a[0].len;
    int64_t len = bytes ? (int64_t)nb : (int64_t)u16_len(s, nb);
    int64_t pos = a[1].u.i32, start, end;
    start = pos < 0 ? (len + pos > 0 ? len + pos : 0) : (pos - 1 < len ? (pos - 1 > 0 ? pos - 1 : 0) : len);
    if (n > 2) {
        int64_t l = a[2].u.i32;
        if (l < 0)
            l = 0;
        end = start + l < len ? start + l : len;
    } else {
        end = len;
    }
    if (bytes) {
        *out = sl_sql_value_bytes((const uint8_t *)s + start, (size_t)(end - start));
        return SL_OK;
    }
    sl__fn_sb_t b;
    sl__fn_sb_init(&b, ctx->al);
    u16_put(&b, s, nb, (size_t)start, (size_t)end);
    return sl__fn_sb_done(&b, 0, out);
}

/* ---- REPLACE ---------------------------------------------------------------------------- */

static const char *find(const char *h, size_t hn, const char *nd, size_t nn)
{
    if (nn == 0)
        return h;
    if (nn > hn)
        return NULL;
    for (size_t i = 0; i + nn <= hn; i++)
        if (h[i] == nd[0] && !memcmp(h + i, nd, nn))
            return h + i;
    return NULL;
}

/* Java's String.replace: every occurrence, left to right; an empty target
 * inserts the replacement before every character and at the end. */
static sl_err_t fn_replace(SL_FN_ARGS)
{
    SL_FN_UNUSED;
    const char *s = a[0].u.str, *old = a[1].u.str, *rep = a[2].u.str;
    size_t sn = a[0].len, on = a[1].len, rn = a[2].len, i = 0;
    sl__fn_sb_t b;
    sl__fn_sb_init(&b, ctx->al);
    if (on == 0) {
        while (i < sn) {
            size_t k = sl__fn_utf8_offset(s + i, sn - i, 1);
            sl__fn_sb_put(&b, rep, rn);
            sl__fn_sb_put(&b, s + i, k);
            i += k;
        }
        sl__fn_sb_put(&b, rep, rn);
        return sl__fn_sb_done(&b, 0, out);
    }
    for (;;) {
        const char *f = find(s + i, sn - i, old, on);
        if (!f) {
            sl__fn_sb_put(&b, s + i, sn - i);
            break;
        }
        sl__fn_sb_put(&b, s + i, (size_t)(f - (s + i)));
        sl__fn_sb_put(&b, rep, rn);
        i = (size_t)(f - s) + on;
    }
    return sl__fn_sb_done(&b, 0, out);
}

/* ---- SPLIT, SPLIT_TO_MAP ------------------------------------------------------------------ */

/* Guava's Splitter.on(delim): empty pieces kept; an empty delimiter splits
 * into characters (bytes for BYTES). */
static sl_err_t fn_split(SL_FN_ARGS)
{
    SL_FN_UNUSED;
    int bytes = a[0].base == SL_SQL_BYTES;
    const char *s = a[0].u.str, *d = a[1].u.str;
    size_t sn = a[0].len, dn = a[1].len, i = 0;
    sl__fn_vb_t vb;
    sl__fn_vb_init(&vb, ctx->al);
    sl_sql_value_t piece;
    if (dn == 0) {
        if (sn == 0) {
            piece = bytes ? sl_sql_value_bytes((const uint8_t *)s, 0) : sl_sql_value_string(s, 0);
            sl__fn_vb_push(&vb, &piece);
        }
        while (i < sn) {
            size_t k = bytes ? 1 : sl__fn_utf8_offset(s + i, sn - i, 1);
            piece = bytes ? sl_sql_value_bytes((const uint8_t *)s + i, k) : sl_sql_value_string(s + i, k);
            sl__fn_vb_push(&vb, &piece);
            i += k;
        }
        return sl__fn_vb_done(&vb, 0, out);
    }
    for (;;) {
        const char *f = find(s + i, sn - i, d, dn);
        size_t e = f ? (size_t)(f - s) : sn;
        piece = bytes ? sl_sql_value_bytes((const uint8_t *)s + i, e - i) : sl_sql_value_string(s + i, e - i);
        sl__fn_vb_push(&vb, &piece);
        if (!f)
            break;
        i = e + dn;
    }
    return sl__fn_vb_done(&vb, 0, out);
}

/* ksqlDB's SplitToMap: NULL when a delimiter is empty or both are equal;
 * empty entries and entries without kvDelimiter are dropped; the value is the
 * text between the first and the second kvDelimiter; a later key wins. */
static sl_err_t fn_split_to_map(SL_FN_ARGS)
{
    SL_FN_UNUSED;
    const char *s = a[0].u.str, *ed = a[1].u.str, *kd = a[2].u.str;
    size_t sn = a[0].len, en = a[1].len, kn = a[2].len, i = 0;
    if (!en || !kn || (en == kn && !memcmp(ed, kd, en))) {
        *out = sl__fn_null(rt);
        return SL_OK;
    }
    sl__fn_vb_t vb;
    sl__fn_vb_init(&vb, ctx->al);
    while (i <= sn) {
        const char *f = find(s + i, sn - i, ed, en);
        size_t e = f ? (size_t)(f - s) : sn;
        const char *k = find(s + i, e - i, kd, kn);
        if (e > i && k) {
            sl_sql_value_t key = sl_sql_value_string(s + i, (size_t)(k - (s + i)));
            const char *vs = k + kn;
            const char *k2 = find(vs, (size_t)(s + e - vs), kd, kn);
            sl_sql_value_t val = sl_sql_value_string(vs, (size_t)((k2 ? k2 : s + e) - vs));
            size_t j;
            for (j = 0; j < vb.len; j += 2)
                if (sl_sql_value_equal(&vb.v[j], &key))
                    break;
            if (j < vb.len) {
                vb.v[j + 1] = val;
            } else {
                sl__fn_vb_push(&vb, &key);
                sl__fn_vb_push(&vb, &val);
            }
        }
        if (!f)
            break;
        i = e + en;
    }
    return sl__fn_vb_done(&vb, 1, out);
}

/* ---- LPAD, RPAD --------------------------------------------------------------------------- */

/* ksqlDB's Lpad/Rpad: NULL for an empty padding or a negative length; the
 * result is exactly length characters (the input is cut when longer). */
static sl_err_t pad(sl_sql_fn_ctx_t *ctx, const sl_sql_value_t *a, const sl_sql_type_t *rt, int left,
                    sl_sql_value_t *out)
{
    int bytes = a[0].base == SL_SQL_BYTES;
    const char *s = a[0].u.str, *p = a[2].u.str;
    size_t sn = a[0].len, pn = a[2].len;
    int64_t target = a[1].u.i32;
    if (pn == 0 || target < 0) {
        *out = sl__fn_null(rt);
        return SL_OK;
    }
    size_t slen = bytes ? sn : u16_len(s, sn);
    size_t plen = bytes ? pn : u16_len(p, pn);
    sl__fn_sb_t b;
    sl__fn_sb_init(&b, ctx->al);
    size_t t = (size_t)target;
    if (slen >= t) {
        if (bytes)
            sl__fn_sb_put(&b, s, t);
        else
            u16_put(&b, s, sn, 0, t);
        return sl__fn_sb_done(&b, bytes, out);
    }
    size_t need = t - slen;
    if (!left)
        sl__fn_sb_put(&b, s, sn);
    while (need) {
        size_t take = need < plen ? need : plen;
        if (bytes)
            sl__fn_sb_put(&b, p, take);
        else
            u16_put(&b, p, pn, 0, take);
        need -= take;
    }
    if (left)
        sl__fn_sb_put(&b, s, sn);
    return sl__fn_sb_done(&b, bytes, out);
}

static sl_err_t fn_lpad(SL_FN_ARGS)
{
    SL_FN_UNUSED;
    return pad(ctx, a, rt, 1, out);
}

static sl_err_t fn_rpad(SL_FN_ARGS)
{
    SL_FN_UNUSED;
    return pad(ctx, a, rt, 0, out);
}

/* ---- INSTR -------------------------------------------------------------------------------- */

/* INSTR as ksqlDB's: 1-based, in UTF-16 units; 0 when not found, and for
 * a NULL string or substring. A negative position -p searches backwards
 * for occurrences that end at or before the p-th unit from the end (ksqlDB
 * searches the reversed string from there, which differs from Oracle, whose
 * occurrence may start there). Occurrences may overlap. */
static sl_err_t fn_instr(SL_FN_ARGS)
{
    SL_FN_UNUSED;
    if ((n > 2 && a[2].is_null) || (n > 3 && a[3].is_null)) { /* a Java int cannot be null: ksqlDB's call fails */
        *out = sl__fn_null(rt);
        return SL_OK;
    }
    if (a[0].is_null || a[1].is_null) {
        *out = sl_sql_value_int(0);
        return SL_OK;
    }
    const char *s = a[0].u.str, *sub = a[1].u.str;
    size_t sn = a[0].len, un = a[1].len;
    int64_t pos = n > 2 ? a[2].u.i32 : 1, occ = n > 3 ? a[3].u.i32 : 1;
    int64_t len = (int64_t)u16_len(s, sn), ulen = (int64_t)u16_len(sub, un);
    *out = sl_sql_value_int(0);
    if (pos == 0 || occ <= 0 || (pos < 0 ? -pos : pos) > len)
        return SL_OK;
    /* occurrences start at code points: walk them with their unit index;
     * backwards, count them first, then take the occ-th from the end */
    int64_t lo = pos > 0 ? pos - 1 : 0, hi = pos > 0 ? len - ulen : len + pos + 1 - ulen;
    int64_t want = occ;
    for (int pass = pos > 0; pass < 2; pass++) {
        int64_t seen = 0, u = 0;
        for (size_t i = 0; i <= sn && u <= hi;) {
            if (u >= lo && sn - i >= un && !memcmp(s + i, sub, un) && ++seen == want && pass == 1) {
                *out = sl_sql_value_int((int32_t)(u + 1));
                return SL_OK;
            }
            if (i == sn)
                break;
            u += (int64_t)u16_units((unsigned char)s[i]);
            i += sl__fn_utf8_offset(s + i, sn - i, 1);
        }
        if (pass == 0 && (want = seen - occ + 1) <= 0)
            break;
    }
    return SL_OK;
}

/* ---- INITCAP ------------------------------------------------------------------------------- */

/* As ksqlDB's: the lower-cased text is read as words, each a run of
 * non-white-space characters with the white space after it; each word's first
 * character is upper-cased. White space before the first word belongs to no
 * word and is dropped, so INITCAP('  a b') is 'A b'. */
static sl_err_t fn_initcap(SL_FN_ARGS)
{
    SL_FN_UNUSED;
    char *p = sl_sql_alloc(ctx->al, a[0].len + 1);
    if (!p)
        return SL_ERR_NOMEM;
    size_t i = 0, o = 0;
    while (i < a[0].len && isspace((unsigned char)a[0].u.str[i]))
        i++;
    int start = 1;
    for (; i < a[0].len; i++) {
        unsigned char c = (unsigned char)a[0].u.str[i];
        if (isspace(c)) {
            p[o++] = (char)c, start = 1;
            continue;
        }
        p[o++] = c < 0x80 ? (char)(start ? toupper(c) : tolower(c)) : (char)c;
        if ((c & 0xC0) != 0x80)
            start = 0;
    }
    p[o] = 0;
    *out = sl_sql_value_string(p, o);
    return SL_OK;
}

/* ---- encodings: TO_BYTES, FROM_BYTES, ENCODE ------------------------------------------------ */

enum { ENC_HEX, ENC_UTF8, ENC_ASCII, ENC_BASE64 };

static int encoding_of(const sl_sql_value_t *v)
{
    static const char *names[] = {"hex", "utf8", "ascii", "base64"};
    for (int i = 0; i < 4; i++)
        if (v->len == strlen(names[i]) && !strncasecmp(v->u.str, names[i], v->len))
            return i;
    return -1;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Text in encoding enc to bytes (allocated from ctx->al). */
static sl_err_t decode_text(sl_sql_fn_ctx_t *ctx, int enc, const char *s, size_t n, const uint8_t **out,
                            size_t *outlen)
{
    if (enc == ENC_UTF8 || enc == ENC_ASCII) {
        *out = (const uint8_t *)s, *outlen = n;
        return SL_OK;
    }
    if (enc == ENC_BASE64) {
        if (sl__sql_base64_decode(ctx->al, s, n, out, outlen))
            return sl__fn_err(ctx, SL_ERR_INVAL, "Input is not a valid base64 string");
        return SL_OK;
    }
    /* hex: ksqlDB accepts an odd number of digits by assuming a leading 0 */
    uint8_t *p = sl_sql_alloc(ctx->al, n / 2 + 1);
    if (!p)
        return SL_ERR_NOMEM;
    size_t o = 0, i = 0;
    if (n % 2) {
        int v = hexval((unsigned char)s[0]);
        if (v < 0)
            return sl__fn_err(ctx, SL_ERR_INVAL, "Input is not a valid hex string");
        p[o++] = (uint8_t)v, i = 1;
    }
    for (; i < n; i += 2) {
        int h = hexval((unsigned char)s[i]), l = hexval((unsigned char)s[i + 1]);
        if (h < 0 || l < 0)
            return sl__fn_err(ctx, SL_ERR_INVAL, "Input is not a valid hex string");
        p[o++] = (uint8_t)(h * 16 + l);
    }
    *out = p, *outlen = o;
    return SL_OK;
}

/* Bytes to text in encoding enc. */
static sl_err_t encode_bytes(sl_sql_fn_ctx_t *ctx, int enc, const uint8_t *p, size_t n, sl_sql_value_t *out)
{
    sl__fn_sb_t b;
    sl__fn_sb_init(&b, ctx->al);
    if (enc == ENC_HEX) {
        static const char hx[] = "0123456789abcdef";
        for (size_t i = 0; i < n; i++) {
            char two[2] = {hx[p[i] >> 4], hx[p[i] & 15]};
            sl__fn_sb_put(&b, two, 2);
        }
    } else if (enc == ENC_BASE64) {
        static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        for (size_t i = 0; i < n; i += 3) {
            uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0) | (i + 2 < n ? p[i + 2] : 0);
            char q[4] = {b64[v >> 18], b64[(v >> 12) & 63], i + 1 < n ? b64[(v >> 6) & 63] : '=',
                         i + 2 < n ? b64[v & 63] : '='};
            sl__fn_sb_put(&b, q, 4);
        }
    } else if (enc == ENC_ASCII) {
        /* Java decodes bytes above 0x7F as U+FFFD */
        for (size_t i = 0; i < n; i++) {
            if (p[i] < 0x80)
                sl__fn_sb_putc(&b, (char)p[i]);
            else
                sl__fn_sb_puts(&b, "\xEF\xBF\xBD");
        }
    } else {
        sl__fn_sb_put(&b, p, n);
    }
    return sl__fn_sb_done(&b, 0, out);
}

static sl_err_t fn_to_bytes(SL_FN_ARGS)
{
    SL_FN_UNUSED;
    int enc = encoding_of(&a[1]);
    if (enc < 0)
        return sl__fn_err(ctx, SL_ERR_INVAL, "Supported encoding types are: hex, utf8, ascii and base64");
    const uint8_t *p;
    size_t len;
    sl_err_t err = decode_text(ctx, enc, a[0].u.str, a[0].len, &p, &len);
    if (err)
        return err;
    *out = sl_sql_value_bytes(p, len);
    return SL_OK;
}

static sl_err_t fn_from_bytes(SL_FN_ARGS)
{
    SL_FN_UNUSED;
    int enc = encoding_of(&a[1]);
    if (enc < 0)
        return sl__fn_err(ctx, SL_ERR_INVAL, "Supported encoding types are: hex, utf8, ascii and base64");
    return encode_bytes(ctx, enc, a[0].u.bytes, a[0].len, out);
}

static sl_err_t fn_encode(SL_FN_ARGS)
{
    SL_FN_UNUSED;
    int in = encoding_of(&a[1]), oe = encoding_of(&a[2]);
    if (in < 0 || oe < 0)
        return sl__fn_err(ctx, SL_ERR_INVAL, "Supported input and output encodings are: hex, utf8, ascii and base64");
    const uint8_t *p;
    size_t len;
    sl_err_t err = decode_text(ctx, in, a[0].u.str, a[0].len, &p, &len);
    if (err)
        return err;
    return encode_bytes(ctx, oe, p, len, out);
}

/* INT_FROM_BYTES, BIGINT_FROM_BYTES, DOUBLE_FROM_BYTES: exactly 4 or 8 bytes,
 * big-endian unless 'LITTLE_ENDIAN' is given. */
static sl_err_t num_from_bytes(sl_sql_fn_ctx_t *ctx, const sl_sql_value_t *a, size_t n, size_t width,
                               uint64_t *out)
{
    int little = 0;
    if (n > 1) {
        if (a[1].len == 13 && !strncasecmp(a[1].u.str, "LITTLE_ENDIAN", 13))
            little = 1;
        else if (!(a[1].len == 10 && !strncasecmp(a[1].u.str, "BIG_ENDIAN", 10)))
            return sl__fn_err(ctx, SL_ERR_INVAL, "byte order must be BIG_ENDIAN or LITTLE_ENDIAN");
    }
    if (a[0].len != width)
        return sl__fn_err(ctx, SL_ERR_INVAL, "Number of bytes must be equal to %zu, but found %u", width,
                          (unsigned)a[0].len);
    uint64_t v = 0;
    for (size_t i = 0; i < width; i++)
        v = (v << 8) | a[0].u.bytes[little ? width - 1 - i : i];
    *out = v;
    return SL_OK;
}

static sl_err_t fn_int_from_bytes(SL_FN_ARGS)
{
    SL_FN_UNUSED;
    uint64_t v;
    sl_err_t err = num_from_bytes(ctx, a, n, 4, &v);
    if (!err)
        *out = sl_sql_value_int((int32_t)(uint32_t)v);
    return err;
}

static sl_err_t fn_bigint_from_bytes(SL_FN_ARGS)
{
    SL_FN_UNUSED;
    uint64_t v;
    sl_err_t err = num_from_bytes(ctx, a, n, 8, &v);
    if (!err)
        *out = sl_sql_value_bigint((int64_t)v);
    return err;
}

static sl_err_t fn_double_from_bytes(SL_FN_ARGS)
{
    SL_FN_UNUSED;
    uint64_t v;
    sl_err_t err = num_from_bytes(ctx, a, n, 8, &v);
    if (!err) {
        double d;
        memcpy(&d, &v, sizeof d);
        *out = sl_sql_value_double(d);
    }
    return err;
}

/* ---- UUID, CHR ---------------------------------------------------------------------------- */

static sl_err_t uuid_text(sl_sql_fn_ctx_t *ctx, const uint8_t *u, sl_sql_value_t *out)
{
    char buf[37];
    snprintf(buf, sizeof buf, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0], u[1],
             u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
    return sl__fn_str(ctx, buf, 36, out);
}

static sl_err_t fn_uuid(SL_FN_ARGS)
{
    SL_FN_UNUSED;
    if (n == 1) { /* UUID(BYTES): NULL unless exactly 16 bytes */
        if (a[0].len != 16) {
            *out = sl__fn_null(rt);
            return SL_OK;
        }
        return uuid_text(ctx, a[0].u.bytes, out);
    }
    uint8_t u[16];
    uint64_t x = sl__fn_rand(ctx), y = sl__fn_rand(ctx);
    memcpy(u, &x, 8), memcpy(u + 8, &y, 8);
    u[6] = (uint8_t)((u[6] & 0x0F) | 0x40); /* version 4 */
    u[8] = (uint8_t)((u[8] & 0x3F) | 0x80); /* IETF variant */
    return uuid_text(ctx, u, out);
}

static size_t utf8_put(uint32_t cp, char *o)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | (cp >> 6)), o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | (cp >> 12)), o[1] = (char)(0x80 | ((cp >> 6) & 0x3F)), o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (cp >> 18)), o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F)), o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* CHR(INT) gives the character of that code point; CHR(STRING) the
 * character of a '\uXXXX' escape. NULL for anything else (and, unlike Java,
 * for a lone surrogate, which UTF-8 cannot hold). */
static sl_err_t fn_chr(SL_FN_ARGS)
{
    SL_FN_UNUSED;
    int64_t cp = -1;
    if (a[0].base == SL_SQL_INT) {
        cp = a[0].u.i32;
    } else if (a[0].len == 6 && a[0].u.str[0] == '\\' && tolower((unsigned char)a[0].u.str[1]) == 'u') {
        cp = 0;
        for (int i = 2; i < 6; i++) {
            int h = hexval((unsigned char)a[0].u.str[i]);
            if (h < 0) {
                cp = -1;
                break;
            }
            cp = cp * 16 + h;
        }
    }
    if (cp < 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        *out = sl__fn_null(rt);
        return SL_OK;
    }
    char buf[4];
    size_t k = utf8_put((uint32_t)cp, buf);
    return sl__fn_str(ctx, buf, k, out);
}

/* ---- MASK family -------------------------------------------------------------------------- */

/* The mask characters: upper, lower, digit, other; 0 = leave that class. */
typedef struct masks {
    const char *m[4];
    size_t ml[4];
} masks_t;

static void masks_from(const sl_sql_value_t *a, size_t n, size_t first, masks_t *m)
{
    static const char *def[4] = {"X", "x", "n", "-"};
    for (int k = 0; k < 4; k++) {
        size_t i = first + (size_t)k;
        if (i < n) {
            if (a[i].is_null || !a[i].len) {
                m->m[k] = NULL, m->ml[k] = 0;
            } else {
                m->m[k] = a[i].u.str, m->ml[k] = sl__fn_utf8_offset(a[i].u.str, a[i].len, 1);
            }
        } else {
            m->m[k] = def[k], m->ml[k] = 1;
        }
    }
}

/* Masks the characters with index in [from, to) of s. */
static sl_err_t mask_range(sl_sql_fn_ctx_t *ctx, const sl_sql_value_t *s, size_t from, size_t to,
                           const masks_t *m, sl_sql_value_t *out)
{
    sl__fn_sb_t b;
    sl__fn_sb_init(&b, ctx->al);
    size_t i = 0, idx = 0; /* idx counts UTF-16 units, as Java's */
    while (i < s->len) {
        size_t k = sl__fn_utf8_offset(s->u.str + i, s->len - i, 1), w = u16_units((unsigned char)s->u.str[i]);
        unsigned char c = (unsigned char)s->u.str[i];
        int cls = k == 1 && isupper(c) ? 0 : k == 1 && islower(c) ? 1 : k == 1 && isdigit(c) ? 2 : 3;
        if (w == 2) { /* a surrogate pair: each half is an "other" character to Java */
            int in0 = idx >= from && idx < to && m->m[3], in1 = idx + 1 >= from && idx + 1 < to && m->m[3];
            if (in0)
                sl__fn_sb_put(&b, m->m[3], m->ml[3]);
            if (!in0 && !in1)
                sl__fn_sb_put(&b, s->u.str + i, k);
            else if (in0 != in1)
                sl__fn_sb_putc(&b, '?'); /* the half left unmasked is a lone surrogate */
            if (in1)
                sl__fn_sb_put(&b, m->m[3], m->ml[3]);
        } else if (idx >= from && idx < to && m->m[cls]) {
            sl__fn_sb_put(&b, m->m[cls], m->ml[cls]);
        } else {
            sl__fn_sb_put(&b, s->u.str + i, k);
        }
        i += k, idx += w ? w : 1;
    }
    return sl__fn_sb_done(&b, 0, out);
}

static sl_err_t fn_mask(SL_FN_ARGS)
{
    SL_FN_UNUSED;
    if (a[0].is_null) {
        *out = sl__fn_null(rt);
        return SL_OK;
    }
    masks_t m;
    masks_from(a, n, 1, &m);
    return mask_range(ctx, &a[0], 0, SIZE_MAX, &m, out);
}

enum { KEEP_LEFT, KEEP_RIGHT, MASK_LEFT, MASK_RIGHT };

static sl_err_t mask_n(sl_sql_fn_ctx_t *ctx, const sl_sql_value_t *a, size_t n, const sl_sql_type_t *rt,
                       int mode, sl_sql_value_t *out)
{
    if (a[0].is_null || a[1].is_null) {
        *out = sl__fn_null(rt);
        return SL_OK;
    }
    int64_t k = a[1].u.i32;
    if (k < 0)
        return sl__fn_err(ctx, SL_ERR_INVAL, "function input must be >= 0");
    masks_t m;
    masks_from(a, n, 2, &m);
    size_t len = u16_len(a[0].u.str, a[0].len), kk = (size_t)k > len ? len : (size_t)k;
    switch (mode) {
    case KEEP_LEFT: return mask_range(ctx, &a[0], kk, len, &m, out);
    case KEEP_RIGHT: return mask_range(ctx, &a[0], 0, len - kk, &m, out);
    case MASK_LEFT: return mask_range(ctx, &a[0], 0, kk, &m, out);
    default: return mask_range(ctx, &a[0], len - kk, len, &m, out);
    }
}

static sl_err_t fn_mask_keep_left(SL_FN_ARGS)
{
    SL_FN_UNUSED;
    return mask_n(ctx, a, n, rt, KEEP_LEFT, out);
}
static sl_err_t fn_mask_keep_right(SL_FN_ARGS)
{
    SL_FN_UNUSED;
    return mask_n(ctx, a, n, rt, KEEP_RIGHT, out);
}
static sl_err_t fn_mask_left(SL_FN_ARGS)
{
    SL_FN_UNUSED;
    return mask_n(ctx, a, n, rt, MASK_LEFT, out);
}
static sl_err_t fn_mask_right(SL_FN_ARGS)
{
    SL_FN_UNUSED;
    return mask_n(ctx, a, n, rt, MASK_RIGHT, out);
}

/* ---- regular expressions ------------------------------------------------------------------- */

/* Patterns are Java's java.util.regex syntax, run by PCRE2 (UTF-8 mode, no
 * UCP: \d \w \s and the POSIX classes are ASCII, as in Java by default).
 * Most of Java's syntax is PCRE's too: \d \w \s \b, look-around,
 * lazy and possessive quantifiers, atomic and named groups, \Q...\E, inline
 * flags. java_to_pcre translates the rest (\uXXXX, \p{Lower} and the other
 * POSIX names, the flags d u U) and refuses what PCRE would read differently
 * (class intersection && and nested classes). Lines end at \n, \r or \r\n
 * (PCRE2_NEWLINE_ANYCRLF; Java also ends them at U+0085, U+2028, U+2029). */

#define RX_CACHE 16

typedef struct rx {
    pcre2_code *code;
    pcre2_match_data *md;
    uint32_t ngroups;
} rx_t;

struct sl_sql_fn_cache {
    struct {
        char *pat;
        size_t len;
        rx_t re;
        uint64_t used;
    } e[RX_CACHE];
    size_t n;
    uint64_t tick;
};

static void rx_free(rx_t *r)
{
    pcre2_match_data_free(r->md);
    pcre2_code_free(r->code);
    r->md = NULL, r->code = NULL;
}

sl_sql_fn_cache_t *sl_sql_fn_cache_new(void) { return calloc(1, sizeof(sl_sql_fn_cache_t)); }

void sl_sql_fn_cache_destroy(sl_sql_fn_cache_t *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++) {
        rx_free(&c->e[i].re);
        free(c->e[i].pat);
    }
    free(c);
}

/* Java's POSIX character class names (US-ASCII) to PCRE's. */
static const char *posix_class(const char *name, size_t n)
{
    static const char *map[][2] = {{"Lower", "lower"}, {"Upper", "upper"},   {"ASCII", "ascii"}, {"Alpha", "alpha"},
                                   {"Digit", "digit"}, {"Alnum", "alnum"},   {"Punct", "punct"}, {"Graph", "graph"},
                                   {"Print", "print"}, {"Blank", "blank"},   {"Cntrl", "cntrl"}, {"XDigit", "xdigit"},
                                   {"Space", "space"}, {"IsDigit", "digit"}, {"IsAlphabetic", "alpha"}};
    for (size_t i = 0; i < SL_FN_COUNT(map); i++)
        if (strlen(map[i][0]) == n && !memcmp(map[i][0], name, n))
            return map[i][1];
    return NULL;
}

/* The 4 hex digits at p as a number, or -1. */
static long hex4(const char *p, size_t avail)
{
    if (avail < 4)
        return -1;
    long v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hexval((unsigned char)p[i]);
        if (h < 0)
            return -1;
        v = v * 16 + h;
    }
    return v;
}

/* Java's syntax to PCRE2's where they differ. NULL with *why set when the
 * pattern uses something PCRE would read differently; *ucp is set by the
 * flag (?U) (UNICODE_CHARACTER_CLASS), which PCRE can only take for the
 * whole pattern. */
static char *java_to_pcre(const sl_sql_alloc_t *al, const char *p, size_t n, int *ucp, const char **why)
{
    char *o = sl_sql_alloc(al, n * 8 + 1);
    if (!o)
        return NULL;
    size_t j = 0;
    int depth = 0; /* inside a character class (1), Java's nested classes refused */
    *ucp = 0, *why = NULL;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (c == '\\' && i + 1 < n) {
            char d = p[i + 1];
            if (d == 'Q') { /* \Q...\E: copied untouched */
                const char *e = NULL;
                for (size_t k = i + 2; k + 1 < n; k++)
                    if (p[k] == '\\' && p[k + 1] == 'E') {
                        e = p + k;
                        break;
                    }
                size_t end = e ? (size_t)(e - p) + 2 : n;
                memcpy(o + j, p + i, end - i), j += end - i, i = end - 1;
                continue;
            }
            if (d == 'u') { /* \uXXXX, a surrogate pair as one code point */
                long v = hex4(p + i + 2, n - i - 2);
                if (v < 0) {
                    *why = "Illegal Unicode escape sequence";
                    return NULL;
                }
                i += 5;
                if (v >= 0xD800 && v < 0xDC00 && i + 6 < n + 0 && p[i + 1] == '\\' && p[i + 2] == 'u') {
                    long lo = hex4(p + i + 3, n - i - 3);
                    if (lo >= 0xDC00 && lo < 0xE000)
                        v = 0x10000 + ((v - 0xD800) << 10) + (lo - 0xDC00), i += 6;
                }
                j += (size_t)sprintf(o + j, "\\x{%lX}", v);
                continue;
            }
            if ((d == 'p' || d == 'P') && i + 2 < n && p[i + 2] == '{') {
                const char *close = memchr(p + i + 3, '}', n - i - 3);
                const char *cls = close ? posix_class(p + i + 3, (size_t)(close - (p + i + 3))) : NULL;
                if (cls) {
                    j += (size_t)sprintf(o + j, depth ? "[:%s%s:]" : "[[:%s%s:]]", d == 'P' ? "^" : "", cls);
                    i = (size_t)(close - p);
                    continue;
                }
            }
            o[j++] = c, o[j++] = d, i++;
            continue;
        }
        if (depth) {
            if (c == '[' && i + 1 < n && p[i + 1] == ':') { /* a POSIX class: Java reads it as a nested class */
                *why = "Nested character classes are not supported";
                return NULL;
            }
            if (c == '[') {
                *why = "Nested character classes are not supported";
                return NULL;
            }
            if (c == '&' && i + 1 < n && p[i + 1] == '&') {
                *why = "Character class intersection (&&) is not supported";
                return NULL;
            }
            if (c == ']')
                depth = 0;
            o[j++] = c;
            continue;
        }
        if (c == '[') {
            depth = 1;
            o[j++] = c;
            /* a leading ] (or ^]) is a literal in Java, and in PCRE */
            if (i + 1 < n && p[i + 1] == '^')
                o[j++] = p[++i];
            if (i + 1 < n && p[i + 1] == ']')
                o[j++] = p[++i];
            continue;
        }
        if (c == '(' && i + 2 < n && p[i + 1] == '?' && strchr("idmsuxU-", p[i + 2])) {
            /* inline flags (?idmsuxU-idmsuxU) or (?flags:...): d u U have no PCRE
             * equivalent inside a pattern; d and u are dropped (see above), U turns on UCP */
            size_t k = i + 2;
            size_t start = j;
            o[j++] = '(', o[j++] = '?';
            for (; k < n && strchr("idmsuxU-", p[k]); k++) {
                if (p[k] == 'U')
                    *ucp = 1;
                else if (p[k] != 'd' && p[k] != 'u')
                    o[j++] = p[k];
            }
            if (k < n && (p[k] == ')' || p[k] == ':')) {
                if (j == start + 2 && p[k] == ')') { /* nothing left: drop the group */
                    j = start;
                } else {
                    if (o[j - 1] == '-' && p[k] == ')')
                        j--;
                    o[j++] = p[k];
                }
                i = k;
                continue;
            }
            j = start; /* not a flag group after all: copy as is */
        }
        o[j++] = c;
    }
    o[j] = 0;
    return o;
}

/* Compiles pattern pat (Java syntax) into *r. */
static sl_err_t rx_compile(sl_sql_fn_ctx_t *ctx, const sl_sql_value_t *pat, rx_t *r)
{
    int ucp = 0;
    const char *why = NULL;
    char *t = java_to_pcre(ctx->al, pat->u.str, pat->len, &ucp, &why);
    if (!t && !why)
        return SL_ERR_NOMEM;
    if (!t)
        return sl__fn_err(ctx, SL_ERR_INVAL, "Invalid regular expression pattern: %.*s (%s)", (int)pat->len,
                          pat->u.str, why);
    pcre2_compile_context *cc = pcre2_compile_context_create(NULL);
    if (!cc)
        return SL_ERR_NOMEM;
    pcre2_set_newline(cc, PCRE2_NEWLINE_ANYCRLF);
    int ec;
    PCRE2_SIZE eo;
    r->code = pcre2_compile((PCRE2_SPTR)t, PCRE2_ZERO_TERMINATED,
                            PCRE2_UTF | PCRE2_MATCH_INVALID_UTF | (ucp ? PCRE2_UCP : 0), &ec, &eo, cc);
    pcre2_compile_context_free(cc);
    if (!r->code) {
        PCRE2_UCHAR msg[160];
        pcre2_get_error_message(ec, msg, sizeof msg);
        return sl__fn_err(ctx, SL_ERR_INVAL, "Invalid regular expression pattern: %.*s (%s)", (int)pat->len,
                          pat->u.str, (const char *)msg);
    }
    r->md = pcre2_match_data_create_from_pattern(r->code, NULL);
    if (!r->md) {
        pcre2_code_free(r->code);
        r->code = NULL;
        return SL_ERR_NOMEM;
    }
    pcre2_pattern_info(r->code, PCRE2_INFO_CAPTURECOUNT, &r->ngroups);
    return SL_OK;
}

/* A compiled pattern: from ctx's cache (compiled on first use and kept, so a
 * literal pattern is compiled once per thread), or compiled into *tmp (the
 * caller rx_frees it when *fresh is set). */
static sl_err_t rx_get(sl_sql_fn_ctx_t *ctx, const sl_sql_value_t *pat, rx_t *tmp, rx_t **re, int *fresh)
{
    sl_sql_fn_cache_t *c = ctx->cache;
    *fresh = 0;
    if (c)
        for (size_t i = 0; i < c->n; i++)
            if (c->e[i].len == pat->len && !memcmp(c->e[i].pat, pat->u.str, pat->len)) {
                c->e[i].used = ++c->tick;
                *re = &c->e[i].re;
                return SL_OK;
            }
    rx_t r;
    sl_err_t err = rx_compile(ctx, pat, &r);
    if (err)
        return err;
    if (!c) {
        *tmp = r, *re = tmp, *fresh = 1;
        return SL_OK;
    }
    char *key = malloc(pat->len + 1);
    if (!key) {
        rx_free(&r);
        return SL_ERR_NOMEM;
    }
    memcpy(key, pat->u.str, pat->len);
    size_t slot = c->n;
    if (slot == RX_CACHE) { /* evict the least recently used */
        slot = 0;
        for (size_t i = 1; i < RX_CACHE; i++)
            if (c->e[i].used < c->e[slot].used)
                slot = i;
        rx_free(&c->e[slot].re);
        free(c->e[slot].pat);
    } else {
        c->n++;
    }
    c->e[slot].pat = key;
    c->e[slot].len = pat->len;
    c->e[slot].re = r;
    c->e[slot].used = ++c->tick;
    *re = &c->e[slot].re;
    return SL_OK;
}

/* The next match in s[from..n), looking behind from if the pattern does:
 * 1 found (its groups in rx_group), 0 none, or an error. */
static sl_err_t rx_next(sl_sql_fn_ctx_t *ctx, rx_t *re, const char *s, size_t n, size_t from, int *found)
{
    int rc = pcre2_match(re->code, (PCRE2_SPTR)(s ? s : ""), n, from, 0, re->md, NULL);
    *found = rc > 0;
    if (rc >= 0 || rc == PCRE2_ERROR_NOMATCH)
        return SL_OK;
    PCRE2_UCHAR msg[160];
    pcre2_get_error_message(rc, msg, sizeof msg);
    return sl__fn_err(ctx, SL_ERR_INVAL, "Regular expression match failed: %s", (const char *)msg);
}

/* Group g of the last match: 0 when it did not take part. */
static int rx_group(const rx_t *re, uint32_t g, size_t *so, size_t *eo)
{
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(re->md);
    if (g > re->ngroups || ov[2 * g] == PCRE2_UNSET)
        return 0;
    *so = ov[2 * g], *eo = ov[2 * g + 1];
    return 1;
}

/* Where Java's Matcher.find goes on after the match [so, eo): at its end, or
 * one character further after an empty match. */
static size_t step(const char *s, size_t n, size_t so, size_t eo)
{
    if (eo == so)
        eo += eo < n ? sl__fn_utf8_offset(s + eo, n - eo, 1) : 1;
    return eo;
}

/* Group g of the last match as a value (NULL when it did not take part);
 * Java's "No group g" error for a negative g. */
static sl_err_t group_value(sl_sql_fn_ctx_t *ctx, const rx_t *re, const char *s, int64_t g, sl_sql_value_t *v)
{
    size_t so, eo;
    if (g < 0)
        return sl__fn_err(ctx, SL_ERR_INVAL, "No group %lld", (long long)g);
    if (!rx_group(re, (uint32_t)g, &so, &eo))
        *v = sl__fn_null(sl_sql_type_prim(SL_SQL_STRING));
    else
        *v = sl_sql_value_string(s + so, eo - so);
    return SL_OK;
}

/* REGEXP_EXTRACT(pattern, input [, group]): the first match's group, NULL
 * when nothing matches or the pattern has no such group (as ksqlDB's). */
static sl_err_t fn_regexp_extract(SL_FN_ARGS)
{
    SL_FN_UNUSED;
    rx_t tmp, *re;
    int fresh, found = 0;
    sl_err_t err = rx_get(ctx, &a[0], &tmp, &re, &fresh);
    if (err)
        return err;
    int64_t g = n > 2 ? a[2].u.i32 : 0;
    *out = sl__fn_null(rt);
    if (g <= (int64_t)re->ngroups)
        err = rx_next(ctx, re, a[1].u.str, a[1].len, 0, &found);
    if (!err && found)
        err = group_value(ctx, re, a[1].u.str, g, out);
    if (fresh)
        rx_free(re);
    return err;
}

/* REGEXP_EXTRACT_ALL(pattern, input [, group]): every match's group; NULL
 * when the pattern has no such group. */
static sl_err_t fn_regexp_extract_all(SL_FN_ARGS)
{
    SL_FN_UNUSED;
    rx_t tmp, *re;
    int fresh, found = 0;
    sl_err_t err = rx_get(ctx, &a[0], &tmp, &re, &fresh);
    if (err)
        return err;
    int64_t g = n > 2 ? a[2].u.i32 : 0;
    if (g > (int64_t)re->ngroups) {
        if (fresh)
            rx_free(re);
        *out = sl__fn_null(rt);
        return SL_OK;
    }
    const char *s = a[1].u.str;
    size_t sn = a[1].len, from = 0;
    sl__fn_vb_t vb;
    sl__fn_vb_init(&vb, ctx->al);
    while (from <= sn && !(err = rx_next(ctx, re, s, sn, from, &found)) && found) {
        sl_sql_value_t v;
        size_t so = 0, eo = 0;
        if ((err = group_value(ctx, re, s, g, &v)))
            break;
        sl__fn_vb_push(&vb, &v);
        rx_group(re, 0, &so, &eo);
        from = step(s, sn, so, eo);
    }
    if (fresh)
        rx_free(re);
    return err ? err : sl__fn_vb_done(&vb, 0, out);
}

/* Java's replacement syntax (Matcher.appendReplacement): $n is group n
 * (further digits are taken while the number stays a group), ${name} a
 * named group, \x is x. A reference to no group is an error. */
static sl_err_t put_replacement(sl_sql_fn_ctx_t *ctx, sl__fn_sb_t *b, const char *r, size_t rn, const char *s,
                                const rx_t *re)
{
    for (size_t i = 0; i < rn; i++) {
        if (r[i] == '\\') {
            if (++i == rn)
                return sl__fn_err(ctx, SL_ERR_INVAL, "character to be escaped is missing");
            sl__fn_sb_putc(b, r[i]);
            continue;
        }
        if (r[i] != '$') {
            sl__fn_sb_putc(b, r[i]);
            continue;
        }
        if (++i == rn)
            return sl__fn_err(ctx, SL_ERR_INVAL, "Illegal group reference: group index is missing");
        uint32_t g;
        if (r[i] == '{') {
            size_t st = ++i;
            while (i < rn && isalnum((unsigned char)r[i]))
                i++;
            if (i == st)
                return sl__fn_err(ctx, SL_ERR_INVAL, "named capturing group has 0 length name");
            if (i == rn || r[i] != '}')
                return sl__fn_err(ctx, SL_ERR_INVAL, "named capturing group is missing trailing '}'");
            char name[128];
            size_t nl = i - st < sizeof name - 1 ? i - st : sizeof name - 1;
            memcpy(name, r + st, nl), name[nl] = 0;
            int num = pcre2_substring_number_from_name(re->code, (PCRE2_SPTR)name);
            if (num < 0)
                return sl__fn_err(ctx, SL_ERR_INVAL, "No group with name {%s}", name);
            g = (uint32_t)num;
        } else if (isdigit((unsigned char)r[i])) {
            g = (uint32_t)(r[i] - '0');
            while (i + 1 < rn && isdigit((unsigned char)r[i + 1])) {
                uint64_t ng = (uint64_t)g * 10 + (uint64_t)(r[i + 1] - '0');
                if (ng > re->ngroups)
                    break;
                g = (uint32_t)ng, i++;
            }
            if (g > re->ngroups)
                return sl__fn_err(ctx, SL_ERR_INVAL, "No group %u", g);
        } else {
            return sl__fn_err(ctx, SL_ERR_INVAL, "Illegal group reference");
        }
        size_t so, eo;
        if (rx_group(re, g, &so, &eo))
            sl__fn_sb_put(b, s + so, eo - so);
    }
    return SL_OK;
}

/* REGEXP_REPLACE(input, pattern, replacement): every match replaced (Java's
 * String.replaceAll). */
static sl_err_t fn_regexp_replace(SL_FN_ARGS)
{
    SL_FN_UNUSED;
    rx_t tmp, *re;
    int fresh, found = 0;
    sl_err_t err = rx_get(ctx, &a[1], &tmp, &re, &fresh);
    if (err)
        return err;
    const char *s = a[0].u.str;
    size_t sn = a[0].len, from = 0, copied = 0;
    sl__fn_sb_t b;
    sl__fn_sb_init(&b, ctx->al);
    while (from <= sn && !(err = rx_next(ctx, re, s, sn, from, &found)) && found) {
        size_t so = 0, eo = 0;
        rx_group(re, 0, &so, &eo);
        sl__fn_sb_put(&b, s + copied, so - copied);
        if ((err = put_replacement(ctx, &b, a[2].u.str, a[2].len, s, re)))
            break;
        copied = eo;
        from = step(s, sn, so, eo);
    }
    if (fresh)
        rx_free(re);
    if (err)
        return err;
    if (copied < sn)
        sl__fn_sb_put(&b, s + copied, sn - copied);
    return sl__fn_sb_done(&b, 0, out);
}

/* REGEXP_SPLIT_TO_ARRAY(input, pattern), as ksqlDB's: a pattern that matches
 * the empty string (or is empty) splits as Java's String.split (no leading
 * empty piece for a match at 0, trailing empty pieces dropped); any other as
 * Guava's Splitter.on(pattern) (every piece kept, and an empty match at the
 * start of a piece is skipped). */
static sl_err_t fn_regexp_split(SL_FN_ARGS)
{
    SL_FN_UNUSED;
    rx_t tmp, *re;
    int fresh, found = 0;
    sl_err_t err = rx_get(ctx, &a[1], &tmp, &re, &fresh);
    if (err)
        return err;
    const char *s = a[0].u.str;
    size_t sn = a[0].len, from = 0, piece = 0, so = 0, eo = 0;
    sl__fn_vb_t vb;
    sl__fn_vb_init(&vb, ctx->al);
    int java = pcre2_match(re->code, (PCRE2_SPTR) "", 0, 0, PCRE2_ANCHORED | PCRE2_ENDANCHORED, re->md, NULL) > 0;
    if (java) {
        size_t kept = 0; /* pieces up to the last non-empty one */
        int any = 0;
        while (from <= sn && !(err = rx_next(ctx, re, s, sn, from, &found)) && found) {
            rx_group(re, 0, &so, &eo);
            from = step(s, sn, so, eo);
            if (piece == 0 && so == 0 && eo == 0)
                continue;
            sl_sql_value_t v = sl_sql_value_string(s + piece, so - piece);
            sl__fn_vb_push(&vb, &v);
            if (so > piece)
                kept = vb.len;
            piece = eo, any = 1;
        }
        if (!err) {
            sl_sql_value_t last = sl_sql_value_string(s + piece, sn - piece);
            if (!any) {
                vb.len = 0, kept = 1;
                sl__fn_vb_push(&vb, &last);
            } else {
                sl__fn_vb_push(&vb, &last);
                if (sn > piece)
                    kept = vb.len;
            }
            if (vb.len > kept)
                vb.len = kept;
        }
    } else {
        for (;;) {
            size_t end = sn;
            int last = 1;
            while (!(err = rx_next(ctx, re, s, sn, from, &found)) && found) {
                rx_group(re, 0, &so, &eo);
                if (eo == piece) { /* an empty match where the piece starts: look further */
                    from = step(s, sn, so, eo);
                    if (from > sn)
                        break;
                    continue;
                }
                end = so, last = 0, from = eo;
                break;
            }
            if (err || from > sn) /* Guava ends without a piece when that step passes the end */
                break;
            sl_sql_value_t v = sl_sql_value_string(s + piece, end - piece);
            sl__fn_vb_push(&vb, &v);
            if (last || from > sn)
                break;
            piece = from;
        }
    }
    if (fresh)
        rx_free(re);
    return err ? err : sl__fn_vb_done(&vb, 0, out);
}

/* ---- the table ---------------------------------------------------------------------------------- */

#define S SL_SQL_FN_STRICT
static const sl_sql_overload_t ov_concat[] = {{"STRING...", "STRING", NULL, fn_concat, 0},
                                              {"BYTES...", "BYTES", NULL, fn_concat, 0}};
static const sl_sql_overload_t ov_concat_ws[] = {{"STRING, STRING...", "STRING", NULL, fn_concat_ws, 0},
                                                 {"BYTES, BYTES...", "BYTES", NULL, fn_concat_ws, 0}};
static const sl_sql_overload_t ov_lcase[] = {{"STRING", "STRING", NULL, fn_lcase, S}};
static const sl_sql_overload_t ov_ucase[] = {{"STRING", "STRING", NULL, fn_ucase, S}};
static const sl_sql_overload_t ov_len[] = {{"STRING", "INT", NULL, fn_len, S}, {"BYTES", "INT", NULL, fn_len, S}};
static const sl_sql_overload_t ov_trim[] = {{"STRING", "STRING", NULL, fn_trim, S}};
static const sl_sql_overload_t ov_substring[] = {
    {"STRING, INT", "STRING", NULL, fn_substring, S},
    {"STRING, INT, INT", "STRING", NULL, fn_substring, S},
    {"BYTES, INT", "BYTES", NULL, fn_substring, S},
    {"BYTES, INT, INT", "BYTES", NULL, fn_substring, S},
};
static const sl_sql_overload_t ov_replace[] = {{"STRING, STRING, STRING", "STRING", NULL, fn_replace, S}};
static const sl_sql_overload_t ov_split[] = {{"STRING, STRING", "ARRAY<STRING>", NULL, fn_split, S},
                                             {"BYTES, BYTES", "ARRAY<BYTES>", NULL, fn_split, S}};
static const sl_sql_overload_t ov_split_to_map[] = {
    {"STRING, STRING, STRING", "MAP<STRING, STRING>", NULL, fn_split_to_map, S}};
static const sl_sql_overload_t ov_lpad[] = {{"STRING, INT, STRING", "STRING", NULL, fn_lpad, S},
                                            {"BYTES, INT, BYTES", "BYTES", NULL, fn_lpad, S}};
static const sl_sql_overload_t ov_rpad[] = {{"STRING, INT, STRING", "STRING", NULL, fn_rpad, S},
                                            {"BYTES, INT, BYTES", "BYTES", NULL, fn_rpad, S}};
static const sl_sql_overload_t ov_instr[] = {
    {"STRING, STRING", "INT", NULL, fn_instr, 0},
    {"STRING, STRING, INT", "INT", NULL, fn_instr, 0},
    {"STRING, STRING, INT, INT", "INT", NULL, fn_instr, 0},
};
static const sl_sql_overload_t ov_initcap[] = {{"STRING", "STRING", NULL, fn_initcap, S}};
static const sl_sql_overload_t ov_to_bytes[] = {{"STRING, STRING", "BYTES", NULL, fn_to_bytes, S}};
static const sl_sql_overload_t ov_from_bytes[] = {{"BYTES, STRING", "STRING", NULL, fn_from_bytes, S}};
static const sl_sql_overload_t ov_encode[] = {{"STRING, STRING, STRING", "STRING", NULL, fn_encode, S}};
static const sl_sql_overload_t ov_int_from_bytes[] = {{"BYTES", "INT", NULL, fn_int_from_bytes, S},
                                                      {"BYTES, STRING", "INT", NULL, fn_int_from_bytes, S}};
static const sl_sql_overload_t ov_bigint_from_bytes[] = {{"BYTES", "BIGINT", NULL, fn_bigint_from_bytes, S},
                                                         {"BYTES, STRING", "BIGINT", NULL, fn_bigint_from_bytes, S}};
static const sl_sql_overload_t ov_double_from_bytes[] = {{"BYTES", "DOUBLE", NULL, fn_double_from_bytes, S},
                                                         {"BYTES, STRING", "DOUBLE", NULL, fn_double_from_bytes, S}};
static const sl_sql_overload_t ov_uuid[] = {{"", "STRING", NULL, fn_uuid, SL_SQL_FN_VOLATILE},
                                            {"BYTES", "STRING", NULL, fn_uuid, S}};
static const sl_sql_overload_t ov_chr[] = {{"INT", "STRING", NULL, fn_chr, S}, {"STRING", "STRING", NULL, fn_chr, S}};
#define MASK_OVS(fn, pre)                                                                                   \
    {pre, "STRING", NULL, fn, 0}, {pre ", STRING", "STRING", NULL, fn, 0},                                  \
        {pre ", STRING, STRING", "STRING", NULL, fn, 0}, {pre ", STRING, STRING, STRING", "STRING", NULL, fn, 0}, \
        {pre ", STRING, STRING, STRING, STRING", "STRING", NULL, fn, 0}
static const sl_sql_overload_t ov_mask[] = {MASK_OVS(fn_mask, "STRING")};
static const sl_sql_overload_t ov_mask_keep_left[] = {MASK_OVS(fn_mask_keep_left, "STRING, INT")};
static const sl_sql_overload_t ov_mask_keep_right[] = {MASK_OVS(fn_mask_keep_right, "STRING, INT")};
static const sl_sql_overload_t ov_mask_left[] = {MASK_OVS(fn_mask_left, "STRING, INT")};
static const sl_sql_overload_t ov_mask_right[] = {MASK_OVS(fn_mask_right, "STRING, INT")};
static const sl_sql_overload_t ov_regexp_extract[] = {
    {"STRING, STRING", "STRING", NULL, fn_regexp_extract, S},
    {"STRING, STRING, INT", "STRING", NULL, fn_regexp_extract, S}};
static const sl_sql_overload_t ov_regexp_extract_all[] = {
    {"STRING, STRING", "ARRAY<STRING>", NULL, fn_regexp_extract_all, S},
    {"STRING, STRING, INT", "ARRAY<STRING>", NULL, fn_regexp_extract_all, S}};
static const sl_sql_overload_t ov_regexp_replace[] = {
    {"STRING, STRING, STRING", "STRING", NULL, fn_regexp_replace, S}};
static const sl_sql_overload_t ov_regexp_split[] = {
    {"STRING, STRING", "ARRAY<STRING>", NULL, fn_regexp_split, S}};
#undef S

#define C "STRING"
const sl_sql_function_t sl__sql_fn_string[] = {
    SL_FN("BIGINT_FROM_BYTES", "CONVERSIONS", "Converts 8 bytes (big-endian, or the order given) to a BIGINT.",
          ov_bigint_from_bytes),
    SL_FN("CHR", C, "Returns the character of a code point (INT) or of a '\\uXXXX' escape (STRING).", ov_chr),
    SL_FN("CONCAT", C, "Concatenates its arguments, skipping NULLs.", ov_concat),
    SL_FN("CONCAT_WS", C, "Concatenates its arguments with a separator, skipping NULLs; NULL separator gives NULL.",
          ov_concat_ws),
    SL_FN("DOUBLE_FROM_BYTES", "CONVERSIONS", "Converts 8 bytes (big-endian, or the order given) to a DOUBLE.",
          ov_double_from_bytes),
    SL_FN("ENCODE", C, "Re-encodes a string from one encoding (hex, utf8, ascii, base64) to another.", ov_encode),
    SL_FN("FROM_BYTES", C, "Converts BYTES to a STRING in the given encoding (hex, utf8, ascii, base64).",
          ov_from_bytes),
    SL_FN("INITCAP", C, "Capitalizes the first letter of every word and lower-cases the rest.", ov_initcap),
    SL_FN("INSTR", C, "Returns the 1-based position of a substring (from a position, the n-th occurrence), or 0.",
          ov_instr),
    SL_FN("INT_FROM_BYTES", "CONVERSIONS", "Converts 4 bytes (big-endian, or the order given) to an INT.",
          ov_int_from_bytes),
    SL_FN("LCASE", C, "Converts a string to lower case.", ov_lcase),
    SL_FN("LEN", C, "Returns the length of a string in characters, or of BYTES in bytes.", ov_len),
    SL_FN("LPAD", C, "Pads the input on the left with padding to length characters (cutting a longer input).",
          ov_lpad),
    SL_FN("MASK", C, "Masks upper-case, lower-case, digit and other characters (defaults X, x, n, -).", ov_mask),
    SL_FN("MASK_KEEP_LEFT", C, "Masks all but the first n characters.", ov_mask_keep_left),
    SL_FN("MASK_KEEP_RIGHT", C, "Masks all but the last n characters.", ov_mask_keep_right),
    SL_FN("MASK_LEFT", C, "Masks the first n characters.", ov_mask_left),
    SL_FN("MASK_RIGHT", C, "Masks the last n characters.", ov_mask_right),
    SL_FN("REGEXP_EXTRACT", C, "Returns the first match of a pattern (or of one of its groups), NULL if none.",
          ov_regexp_extract),
    SL_FN("REGEXP_EXTRACT_ALL", C, "Returns every match of a pattern (or of one of its groups).",
          ov_regexp_extract_all),
    SL_FN("REGEXP_REPLACE", C, "Replaces every match of a pattern ($n refers to group n).", ov_regexp_replace),
    SL_FN("REGEXP_SPLIT_TO_ARRAY", C, "Splits a string around the matches of a pattern.", ov_regexp_split),
    SL_FN("REPLACE", C, "Replaces every occurrence of a substring.", ov_replace),
    SL_FN("RPAD", C, "Pads the input on the right with padding to length characters (cutting a longer input).",
          ov_rpad),
    SL_FN("SPLIT", C, "Splits a string (or bytes) around a delimiter; an empty delimiter splits into characters.",
          ov_split),
    SL_FN("SPLIT_TO_MAP", C, "Splits a string into key-value pairs with an entry and a key-value delimiter.",
          ov_split_to_map),
    SL_FN("SUBSTRING", C, "Returns the part of a string (or bytes) from a 1-based position, of a length.",
          ov_substring),
    SL_FN("TO_BYTES", C, "Converts a STRING in the given encoding (hex, utf8, ascii, base64) to BYTES.", ov_to_bytes),
    SL_FN("TRIM", C, "Removes white space (characters up to U+0020) from both ends.", ov_trim),
    SL_FN("UCASE", C, "Converts a string to upper case.", ov_ucase),
    SL_FN("UUID", C, "Returns a random (version 4) UUID, or the UUID held in 16 BYTES.", ov_uuid),
};
const size_t sl__sql_fn_string_n = SL_FN_COUNT(sl__sql_fn_string);
