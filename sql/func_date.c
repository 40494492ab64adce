/* func_date.c — dates, times and timestamps: UNIX_TIMESTAMP/UNIX_DATE,
 * FROM_UNIXTIME/FROM_DAYS, formatting and parsing with Java's
 * DateTimeFormatter patterns (FORMAT_x and PARSE_x, and the older
 * TIMESTAMPTOSTRING/STRINGTOTIMESTAMP/DATETOSTRING/STRINGTODATE), the
 * ADD and SUB arithmetic and CONVERT_TZ.
 *
 * Patterns. Supported letters: y (year of era) u (year; yy is 2000..2099
 * as in DateTimeFormatter), G (AD, Anno Domini, A), M L (1, 01, Jan,
 * January), Q q (1, 01, Q1, 1st quarter), d, D (day of year), E (Mon,
 * Monday), a (AM/PM), H, k, h, K, m, s, S... (fraction, any width), X x Z
 * (offsets: Z, +05, +0530, +05:30), O (GMT+5:30, GMT+05:30), 'quoted
 * literals', '' and optional sections [...] (always printed; parsed when
 * the text matches them). Texts are Java's English ones. Refused
 * (SL_ERR_INVAL): the letters whose meaning depends on the locale's week
 * rules (w W Y e c) or on zone-name data (z v V), F n N A and the rest, a
 * time letter in a date-only pattern and the reverse.
 *
 * Time zones. 'UTC', 'GMT', 'UT', 'Z', fixed offsets ('+05:30', '-0800',
 * '+5', 'UTC+01:00', 'GMT-3') and region names ('Europe/Paris') read from
 * the system's TZif files (/usr/share/zoneinfo, or $TZDIR): each zone is
 * loaded once per process into a table guarded by a mutex, so this is
 * thread-safe and never calls setenv/tzset. Instants after a zone file's
 * last transition use its last offset (the POSIX rule in the file's footer
 * is not interpreted: fine for "fat" files, which list transitions to 2037).
 *
 * Errors. A value that does not match its pattern, an unknown zone or
 * unit, a bad pattern: SL_ERR_INVAL with the reason, where ksqlDB's UDF
 * throws. */
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <time.h>

#include "sql/func_int.h"

#define MS_PER_DAY 86400000LL

static int64_t floordiv(int64_t a, int64_t b) { return a / b - (a % b != 0 && (a < 0) != (b < 0)); }
static int64_t floormod(int64_t a, int64_t b) { return a - floordiv(a, b) * b; }

static int64_t now_ms(sl_sql_fn_ctx_t *ctx)
{
    if (ctx->now_ms)
        return ctx->now_ms;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- time zones ------------------------------------------------------------------------- */

typedef struct zone {
    char name[64];
    size_t n;          /* transitions */
    int64_t *at;       /* transition instants, seconds */
    int32_t *off;      /* offset (seconds) from each transition on */
    int32_t first_off; /* before the first transition */
} zone_t;

static pthread_mutex_t zones_mu = PTHREAD_MUTEX_INITIALIZER;
static zone_t *zones[128];
static size_t nzones;

static int64_t be(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = v << 8 | p[i];
    return n == 4 ? (int64_t)(int32_t)(uint32_t)v : (int64_t)v;
}

/* Reads a TZif (version 2+) file's 64-bit section. */
static zone_t *zone_load(const char *name)
{
    if (strstr(name, "..") || name[0] == '/' || strlen(name) >= 64)
        return NULL;
    const char *dir = getenv("TZDIR");
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir && *dir ? dir : "/usr/share/zoneinfo", name);
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    uint8_t *buf = malloc(1 << 17);
    size_t len = buf ? fread(buf, 1, 1 << 17, f) : 0;
    fclose(f);
    zone_t *z = NULL;
    if (len < 44 || memcmp(buf, "TZif", 4) || buf[4] < '2')
        goto out;
    /* skip the v1 block */
    size_t c[6];
    for (int i = 0; i < 6; i++)
        c[i] = (size_t)be(buf + 20 + 4 * i, 4);
    size_t skip = 44 + c[3] * 5 + c[4] * 6 + c[5] + c[2] * 8 + c[1] + c[0];
    if (skip + 44 > len || memcmp(buf + skip, "TZif", 4))
        goto out;
    const uint8_t *h = buf + skip;
    for (int i = 0; i < 6; i++)
        c[i] = (size_t)be(h + 20 + 4 * i, 4);
    size_t isutc = c[0], isstd = c[1], leap = c[2], timecnt = c[3], typecnt = c[4], charcnt = c[5];
    (void)isutc, (void)isstd, (void)leap;
    const uint8_t *p = h + 44;
    if ((size_t)(p - buf) + timecnt * 9 + typecnt * 6 + charcnt > len || typecnt == 0)
        goto out;
    z = calloc(1, sizeof *z);
    if (!z)
        goto out;
    z->at = malloc((timecnt ? timecnt : 1) * sizeof *z->at);
    z->off = malloc((timecnt ? timecnt : 1) * sizeof *z->off);
    if (!z->at || !z->off) {
        free(z->at), free(z->off), free(z);
        z = NULL;
        goto out;
    }
    const uint8_t *idx = p + timecnt * 8, *types = idx + timecnt;
    for (size_t i = 0; i < timecnt; i++) {
        size_t t = idx[i] < typecnt ? idx[i] : 0;
        z->at[i] = be(p + 8 * i, 8);
        z->off[i] = (int32_t)be(types + 6 * t, 4);
    }
    z->n = timecnt;
    /* before the first transition: the first non-DST type (RFC 8536 3.2) */
    z->first_off = (int32_t)be(types, 4);
    for (size_t t = 0; t < typecnt; t++)
        if (!types[6 * t + 4]) {
            z->first_off = (int32_t)be(types + 6 * t, 4);
            break;
        }
    snprintf(z->name, sizeof z->name, "%s", name);
out:
    free(buf);
    return z;
}

static const zone_t *zone_get(const char *name)
{
    const zone_t *z = NULL;
    pthread_mutex_lock(&zones_mu);
    for (size_t i = 0; i < nzones && !z; i++)
        if (!strcmp(zones[i]->name, name))
            z = zones[i];
    if (!z && nzones < SL_FN_COUNT(zones)) {
        zone_t *nz = zone_load(name);
        if (nz)
            zones[nzones++] = nz, z = nz;
    }
    pthread_mutex_unlock(&zones_mu);
    return z;
}

/* A zone: a fixed offset, or a region. */
typedef struct tz {
    const zone_t *zone;
    int32_t off; /* seconds, when zone is NULL */
} tz_t;

/* "+05:30", "-0800", "+5", "+05" after an optional UTC/GMT/UT prefix. */
static int parse_offset(const char *s, size_t n, int32_t *off)
{
    if (n == 0)
        return -1;
    int sign = s[0] == '-' ? -1 : s[0] == '+' ? 1 : 0;
    if (!sign)
        return -1;
    size_t i = 1;
    int h = 0, m = 0, hd = 0, md = 0;
    while (i < n && isdigit((unsigned char)s[i]) && hd < 2)
        h = h * 10 + (s[i++] - '0'), hd++;
    if (i < n && s[i] == ':')
        i++;
    while (i < n && isdigit((unsigned char)s[i]) && md < 2)
        m = m * 10 + (s[i++] - '0'), md++;
    if (i != n || hd == 0 || (md != 0 && md != 2) || h > 18 || m > 59)
        return -1;
    *off = sign * (h * 3600 + m * 60);
    return 0;
}

static sl_err_t tz_parse(sl_sql_fn_ctx_t *ctx, const sl_sql_value_t *v, tz_t *tz)
{
    const char *s = v->u.str;
    size_t n = v->len;
    tz->zone = NULL, tz->off = 0;
    static const char *utc[] = {"UTC", "GMT", "UT", "Z", "Etc/UTC", "Etc/GMT", "Etc/UCT", "UCT", "Zulu"};
    for (size_t i = 0; i < SL_FN_COUNT(utc); i++)
        if (n == strlen(utc[i]) && !strncasecmp(s, utc[i], n))
            return SL_OK;
    size_t pre = n > 3 && (!strncasecmp(s, "UTC", 3) || !strncasecmp(s, "GMT", 3)) ? 3
                 : n > 2 && !strncasecmp(s, "UT", 2) ? 2
                                                     : 0;
    if (parse_offset(s + pre, n - pre, &tz->off) == 0)
        return SL_OK;
    char name[64];
    if (n < sizeof name) {
        memcpy(name, s, n);
        name[n] = 0;
        if ((tz->zone = zone_get(name)))
            return SL_OK;
    }
    return sl__fn_err(ctx, SL_ERR_INVAL, "Unknown time-zone ID: %.*s", (int)n, s);
}

/* The zone's offset (ms) at UTC instant ms. */
static int64_t tz_offset_utc(const tz_t *tz, int64_t ms)
{
    if (!tz->zone)
        return (int64_t)tz->off * 1000;
    const zone_t *z = tz->zone;
    int64_t s = floordiv(ms, 1000);
    if (z->n == 0 || s < z->at[0])
        return (int64_t)z->first_off * 1000;
    size_t lo = 0, hi = z->n; /* last transition <= s */
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (z->at[mid] <= s)
            lo = mid;
        else
            hi = mid;
    }
    return (int64_t)z->off[lo] * 1000;
}

/* The UTC instant of local time ms in the zone (in a gap or overlap, the
 * earlier offset, as java.time does for overlaps). */
static int64_t tz_local_to_utc(const tz_t *tz, int64_t local)
{
    int64_t o1 = tz_offset_utc(tz, local);
    int64_t o2 = tz_offset_utc(tz, local - o1);
    if (o1 == o2)
        return local - o1;
    int64_t o3 = tz_offset_utc(tz, local - o2);
    return local - (o3 == o2 ? o2 : (o1 > o2 ? o1 : o2));
}

/* ---- patterns ------------------------------------------------------------------------------- */

/* The fields a pattern formats or parses. */
typedef struct dtf {
    int64_t year;
    int month, day, doy, hour, minute, second, ms, dow; /* dow: 1 = Monday */
    int32_t off;                                         /* seconds */
    int has_off, pm, has_ampm, h12, has_year, has_doy;
    int bc, year_of_era, quarter; /* parsed G (BC), y rather than u, Q/q (0: none) */
} dtf_t;

static const char *months[] = {"January", "February", "March",     "April",   "May",      "June",
                               "July",    "August",   "September", "October", "November", "December"};
static const char *day_names[] = {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"};
static const char *eras[3][2] = {{"BC", "AD"}, {"Before Christ", "Anno Domini"}, {"B", "A"}};
static const char *quarters[] = {"1st quarter", "2nd quarter", "3rd quarter", "4th quarter"};
static const char *quarters_short[] = {"Q1", "Q2", "Q3", "Q4"};

/* The eras table row for a count of G letters. */
static int era_style(int cnt) { return cnt <= 3 ? 0 : cnt == 4 ? 1 : 2; }

enum { KIND_DATE = 1, KIND_TIME = 2, KIND_TS = 3 };

/* Which of date/time a letter needs. */
static int letter_kind(char c)
{
    switch (c) {
    case 'y': case 'u': case 'M': case 'L': case 'd': case 'D': case 'E': case 'G': case 'Q': case 'q': return KIND_DATE;
    case 'a': case 'H': case 'k': case 'h': case 'K': case 'm': case 's': case 'S': return KIND_TIME;
    case 'X': case 'x': case 'Z': case 'O': return KIND_TS;
    default: return 0;
    }
}

/* Checks a pattern: only supported letters, and only those kind allows. */
static sl_err_t check_pattern(sl_sql_fn_ctx_t *ctx, const char *p, size_t n, int kind)
{
    int depth = 0; /* optional sections; an unclosed one ends with the pattern, as in Java */
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (c == '[')
            depth++;
        if (c == ']' && depth-- == 0)
            return sl__fn_err(ctx, SL_ERR_INVAL, "Pattern invalid as it contains ] without previous [: %.*s", (int)n,
                              p);
        if (c == '\'') {
            for (i++; i < n && p[i] != '\''; i++)
                ;
            if (i >= n)
                return sl__fn_err(ctx, SL_ERR_INVAL, "Unterminated quote in pattern: %.*s", (int)n, p);
            continue;
        }
        if (!isalpha((unsigned char)c))
            continue;
        int k = letter_kind(c);
        if (!k)
            return sl__fn_err(ctx, SL_ERR_INVAL, "Unsupported pattern letter '%c' in: %.*s", c, (int)n, p);
        size_t cnt = 1;
        while (i + cnt < n && p[i + cnt] == c)
            cnt++;
        if ((c == 'O' && cnt != 1 && cnt != 4) || ((c == 'G' || c == 'Q' || c == 'q') && cnt > 5))
            return sl__fn_err(ctx, SL_ERR_INVAL, "Too many pattern letters: %c", c);
        i += cnt - 1;
        if (k == KIND_TS ? kind != KIND_TS : !(k & kind))
            return sl__fn_err(ctx, SL_ERR_INVAL, "Unsupported field '%c' for a %s: %.*s", c,
                              kind == KIND_DATE ? "DATE" : kind == KIND_TIME ? "TIME" : "TIMESTAMP", (int)n, p);
    }
    return SL_OK;
}

static void put_num(sl__fn_sb_t *b, int64_t v, int width)
{
    char buf[32];
    int k = snprintf(buf, sizeof buf, "%0*lld", width, (long long)v);
    sl__fn_sb_put(b, buf, (size_t)k);
}

static void put_offset(sl__fn_sb_t *b, char c, int count, int32_t off)
{
    if (off == 0 && c == 'X') {
        sl__fn_sb_putc(b, 'Z');
        return;
    }
    int a = off < 0 ? -off : off, h = a / 3600, m = a / 60 % 60;
    char buf[16];
    if (c == 'Z')
        snprintf(buf, sizeof buf, count >= 4 ? "%c%02d:%02d" : "%c%02d%02d", off < 0 ? '-' : '+', h, m);
    else if (count == 1)
        snprintf(buf, sizeof buf, m ? "%c%02d%02d" : "%c%02d", off < 0 ? '-' : '+', h, m);
    else
        snprintf(buf, sizeof buf, count == 2 || count == 4 ? "%c%02d%02d" : "%c%02d:%02d", off < 0 ? '-' : '+', h,
                 m);
    sl__fn_sb_puts(b, buf);
}

static sl_err_t format(sl_sql_fn_ctx_t *ctx, const sl_sql_value_t *pat, const dtf_t *f, sl_sql_value_t *out)
{
    const char *p = pat->u.str;
    size_t n = pat->len;
    sl__fn_sb_t b;
    sl__fn_sb_init(&b, ctx->al);
    for (size_t i = 0; i < n;) {
        char c = p[i];
        if (c == '\'') {
            if (i + 1 < n && p[i + 1] == '\'') {
                sl__fn_sb_putc(&b, '\''), i += 2;
                continue;
            }
            size_t j = i + 1;
            for (; j < n; j++) {
                if (p[j] == '\'' && j + 1 < n && p[j + 1] == '\'')
                    sl__fn_sb_putc(&b, '\''), j++;
                else if (p[j] == '\'')
                    break;
                else
                    sl__fn_sb_putc(&b, p[j]);
            }
            i = j + 1;
            continue;
        }
        if (c == '[' || c == ']') { /* an optional section: every field is there to print */
            i++;
            continue;
        }
        if (!isalpha((unsigned char)c)) {
            sl__fn_sb_putc(&b, c), i++;
            continue;
        }
        int cnt = 0;
        while (i < n && p[i] == c)
            cnt++, i++;
        int64_t yoe = f->year > 0 ? f->year : 1 - f->year; /* y is the year of the era */
        int q = (f->month - 1) / 3;
        switch (c) {
        case 'y':
        case 'u':
            if (cnt == 2)
                put_num(&b, floormod(c == 'y' ? yoe : f->year, 100), 2);
            else
                put_num(&b, c == 'y' ? yoe : f->year, cnt);
            break;
        case 'G': sl__fn_sb_puts(&b, eras[era_style(cnt)][f->year > 0]); break;
        case 'Q':
        case 'q':
            if (cnt == 3)
                sl__fn_sb_puts(&b, quarters_short[q]);
            else if (cnt == 4)
                sl__fn_sb_puts(&b, quarters[q]);
            else
                put_num(&b, q + 1, cnt == 2 ? 2 : 1);
            break;
        case 'O': {
            int32_t off = f->off;
            int a = off < 0 ? -off : off, h = a / 3600, m = a / 60 % 60;
            char buf[24];
            if (off == 0)
                snprintf(buf, sizeof buf, "GMT");
            else if (cnt == 4)
                snprintf(buf, sizeof buf, "GMT%c%02d:%02d", off < 0 ? '-' : '+', h, m);
            else
                snprintf(buf, sizeof buf, m ? "GMT%c%d:%02d" : "GMT%c%d", off < 0 ? '-' : '+', h, m);
            sl__fn_sb_puts(&b, buf);
            break;
        }
        case 'M':
        case 'L':
            if (cnt >= 4)
                sl__fn_sb_puts(&b, months[f->month - 1]);
            else if (cnt == 3)
                sl__fn_sb_put(&b, months[f->month - 1], 3);
            else
                put_num(&b, f->month, cnt);
            break;
        case 'd': put_num(&b, f->day, cnt); break;
        case 'D': put_num(&b, f->doy, cnt); break;
        case 'E':
            if (cnt >= 4)
                sl__fn_sb_puts(&b, day_names[f->dow - 1]);
            else
                sl__fn_sb_put(&b, day_names[f->dow - 1], 3);
            break;
        case 'a': sl__fn_sb_puts(&b, f->hour < 12 ? "AM" : "PM"); break;
        case 'H': put_num(&b, f->hour, cnt); break;
        case 'k': put_num(&b, f->hour ? f->hour : 24, cnt); break;
        case 'h': put_num(&b, f->hour % 12 ? f->hour % 12 : 12, cnt); break;
        case 'K': put_num(&b, f->hour % 12, cnt); break;
        case 'm': put_num(&b, f->minute, cnt); break;
        case 's': put_num(&b, f->second, cnt); break;
        case 'S': {
            char d[3] = {(char)('0' + f->ms / 100), (char)('0' + f->ms / 10 % 10), (char)('0' + f->ms % 10)};
            for (int k = 0; k < cnt; k++)
                sl__fn_sb_putc(&b, k < 3 ? d[k] : '0');
            break;
        }
        case 'X':
        case 'x':
        case 'Z': put_offset(&b, c, cnt, f->off); break;
        }
    }
    return sl__fn_sb_done(&b, 0, out);
}

/* Is the pattern element at p[i] a numeric field (for adjacent parsing)? */
static int numeric_at(const char *p, size_t n, size_t i)
{
    if (i >= n)
        return 0;
    char c = p[i];
    size_t cnt = 0;
    while (i + cnt < n && p[i + cnt] == c)
        cnt++;
    if (c == 'M' || c == 'L')
        return cnt <= 2;
    return strchr("yudDHkhKmsS", c) != NULL && isalpha((unsigned char)c);
}

static int read_num(const char *s, size_t n, size_t *i, int minw, int maxw, int64_t *v)
{
    size_t j = *i;
    int64_t x = 0;
    int sign = 1;
    if (maxw > 4 && j < n && (s[j] == '-' || s[j] == '+') && minw >= 4)
        sign = s[j] == '-' ? -1 : 1, j++;
    size_t start = j;
    while (j < n && (int)(j - start) < maxw && isdigit((unsigned char)s[j]))
        x = x * 10 + (s[j++] - '0');
    if ((int)(j - start) < minw)
        return -1;
    *v = sign * x, *i = j;
    return 0;
}

static int match_name(const char *s, size_t n, size_t *i, const char **names, int count, int full)
{
    for (int k = 0; k < count; k++) {
        size_t l = full ? strlen(names[k]) : 3;
        if (*i + l <= n && !strncasecmp(s + *i, names[k], l)) {
            *i += l;
            return k + 1;
        }
    }
    return 0;
}

/* The end of the optional section whose '[' is at p[k]: its ']' (or n). */
static size_t section_end(const char *p, size_t n, size_t k)
{
    int depth = 0;
    for (; k < n; k++) {
        if (p[k] == '\'') {
            for (k++; k < n && p[k] != '\''; k++)
                ;
            continue;
        }
        if (p[k] == '[')
            depth++;
        else if (p[k] == ']' && --depth == 0)
            return k;
    }
    return n;
}

/* Parses s from *ip with pattern p[k0..n): 0, or -1 when the text does not match. */
static int parse_seq(const char *p, size_t k0, size_t n, const char *s, size_t sn, size_t *ip, dtf_t *f)
{
    size_t i = *ip;
#define FAIL() return -1
    for (size_t k = k0; k < n;) {
        char c = p[k];
        if (c == '[') { /* an optional section: parsed if it matches, else skipped */
            size_t e = section_end(p, n, k);
            size_t si = i;
            dtf_t sf = *f;
            if (parse_seq(p, k + 1, e, s, sn, &si, &sf) == 0)
                i = si, *f = sf;
            k = e + 1;
            continue;
        }
        if (c == ']') {
            k++;
            continue;
        }
        if (c == '\'') {
            if (k + 1 < n && p[k + 1] == '\'') {
                if (i >= sn || s[i] != '\'')
                    FAIL();
                i++, k += 2;
                continue;
            }
            size_t j = k + 1;
            for (; j < n; j++) {
                int q = p[j] == '\'' && j + 1 < n && p[j + 1] == '\'';
                if (p[j] == '\'' && !q)
                    break;
                if (i >= sn || s[i] != p[j])
                    FAIL();
                i++, j += (size_t)q;
            }
            k = j + 1;
            continue;
        }
        if (!isalpha((unsigned char)c)) {
            if (i >= sn || s[i] != c)
                FAIL();
            i++, k++;
            continue;
        }
        int cnt = 0;
        while (k < n && p[k] == c)
            cnt++, k++;
        int adjacent = numeric_at(p, n, k);
        int64_t v = 0;
        int maxw = adjacent ? cnt : (c == 'y' || c == 'u') ? 9 : c == 'S' ? 9 : c == 'D' ? 3 : 2;
        int minw = cnt;
        if (c == 'y' || c == 'u') {
            if (cnt == 2)
                maxw = 2;
            if (read_num(s, sn, &i, minw, maxw < minw ? minw : maxw, &v))
                FAIL();
            f->year = cnt == 2 ? 2000 + v : v;
            f->has_year = 1, f->year_of_era = c == 'y';
            continue;
        }
        switch (c) {
        case 'G': {
            int m = match_name(s, sn, &i, eras[era_style(cnt)], 2, 1);
            if (!m)
                FAIL();
            f->bc = m == 1;
            break;
        }
        case 'Q':
        case 'q': {
            int m = cnt == 3 ? match_name(s, sn, &i, quarters_short, 4, 1)
                    : cnt == 4 ? match_name(s, sn, &i, quarters, 4, 1)
                               : (read_num(s, sn, &i, cnt == 2 ? 2 : 1, cnt == 2 ? 2 : 1, &v) ? 0 : (int)v);
            if (m < 1 || m > 4)
                FAIL();
            f->quarter = m;
            break;
        }
        case 'O': {
            if (sn - i < 3 || strncmp(s + i, "GMT", 3))
                FAIL();
            i += 3;
            f->has_off = 1, f->off = 0;
            if (i < sn && (s[i] == '+' || s[i] == '-')) {
                int sign = s[i] == '-' ? -1 : 1;
                size_t j = i + 1;
                int64_t h = 0, m = 0;
                if (read_num(s, sn, &j, cnt == 4 ? 2 : 1, 2, &h) || h > 18)
                    FAIL();
                if (j < sn && s[j] == ':') {
                    j++;
                    if (read_num(s, sn, &j, 2, 2, &m) || m > 59)
                        FAIL();
                } else if (cnt == 4) {
                    FAIL();
                }
                f->off = (int32_t)(sign * (h * 3600 + m * 60)), i = j;
            }
            break;
        }
        case 'M':
        case 'L':
            if (cnt >= 3) {
                int m = match_name(s, sn, &i, months, 12, cnt >= 4);
                if (!m)
                    FAIL();
                f->month = m;
                break;
            }
            if (read_num(s, sn, &i, minw, maxw, &v) || v < 1 || v > 12)
                FAIL();
            f->month = (int)v;
            break;
        case 'E':
            if (!match_name(s, sn, &i, day_names, 7, cnt >= 4))
                FAIL();
            break;
        case 'a': {
            static const char *ampm[] = {"AM", "PM"};
            int m = match_name(s, sn, &i, ampm, 2, 1);
            if (!m)
                FAIL();
            f->has_ampm = 1, f->pm = m == 2;
            break;
        }
        case 'X':
        case 'x':
        case 'Z': {
            if (i < sn && s[i] == 'Z' && c != 'x') {
                i++, f->has_off = 1, f->off = 0;
                break;
            }
            size_t j = i + 1;
            while (j < sn && (isdigit((unsigned char)s[j]) || s[j] == ':') && j - i < 6)
                j++;
            if (parse_offset(s + i, j - i, &f->off))
                FAIL();
            f->has_off = 1, i = j;
            break;
        }
        case 'S': {
            size_t st = i;
            if (read_num(s, sn, &i, minw, maxw, &v))
                FAIL();
            int digits = (int)(i - st);
            while (digits > 3)
                v /= 10, digits--;
            while (digits < 3)
                v *= 10, digits++;
            f->ms = (int)v;
            break;
        }
        default:
            if (read_num(s, sn, &i, minw, maxw, &v))
                FAIL();
            switch (c) {
            case 'd': if (v < 1 || v > 31) FAIL(); f->day = (int)v; break;
            case 'D': if (v < 1 || v > 366) FAIL(); f->doy = (int)v, f->has_doy = 1; break;
            case 'H': if (v > 24) FAIL(); f->hour = (int)v; break; /* 24: see parse() */
            /* SMART also takes clock hour 0 (as 24, or 12) */
            case 'k': if (v > 24) FAIL(); f->hour = (int)(v % 24); break;
            case 'h': if (v > 12) FAIL(); f->hour = (int)(v % 12), f->h12 = 1; break;
            case 'K': if (v > 11) FAIL(); f->hour = (int)v, f->h12 = 1; break;
            case 'm': if (v > 59) FAIL(); f->minute = (int)v; break;
            case 's': if (v > 59) FAIL(); f->second = (int)v; break;
            }
        }
    }
    *ip = i;
    return 0;
#undef FAIL
}

static sl_err_t parse(sl_sql_fn_ctx_t *ctx, const sl_sql_value_t *val, const sl_sql_value_t *pat, dtf_t *f)
{
    const char *s = val->u.str, *p = pat->u.str;
    size_t sn = val->len, n = pat->len, i = 0;
    memset(f, 0, sizeof *f);
    f->year = 1970, f->month = 1, f->day = 1;
#define FAIL() return sl__fn_err(ctx, SL_ERR_INVAL, "Text '%.*s' could not be parsed with pattern '%.*s'", \
                                 (int)sn, s, (int)n, p)
    if (parse_seq(p, 0, n, s, sn, &i, f) || i != sn)
        FAIL();
    if (f->bc && f->year_of_era)
        f->year = 1 - f->year;
    if (f->has_ampm && f->pm && f->hour < 12)
        f->hour += 12;
    /* the day must exist in its month */
    int64_t y;
    unsigned mo, d;
    if (!f->has_doy) {
        /* java.time's default ResolverStyle.SMART: a day-of-month (1..31, checked
         * when read) past the end of its month is that month's last day, so
         * '2021-06-31' is 2021-06-30 and '2021-02-29' is 2021-02-28, as
         * ksqlDB's TO_JSON_STRING example shows. */
        int64_t first = sl_sql_days_from_civil(f->year, (unsigned)f->month, 1);
        int64_t next = f->month == 12 ? sl_sql_days_from_civil(f->year + 1, 1, 1)
                                      : sl_sql_days_from_civil(f->year, (unsigned)f->month + 1, 1);
        if (f->day > next - first)
            f->day = (int)(next - first);
    }
    if (f->has_doy) {
        sl_sql_civil_from_days(sl_sql_days_from_civil(f->year, 1, 1) + f->doy - 1, &y, &mo, &d);
        if (y != f->year)
            FAIL();
        f->month = (int)mo, f->day = (int)d;
    }
    sl_sql_civil_from_days(sl_sql_days_from_civil(f->year, (unsigned)f->month, (unsigned)f->day), &y, &mo, &d);
    if ((int)mo != f->month || (int)d != f->day)
        FAIL();
    if (f->quarter && (f->month - 1) / 3 + 1 != f->quarter) /* Java cross-checks the quarter with the month */
        FAIL();
    if (f->hour == 24) {
        /* SMART again: hour-of-day 24 is accepted as 24:00 (exactly), the next day's midnight */
        if (f->minute || f->second || f->ms)
            FAIL();
        sl_sql_civil_from_days(sl_sql_days_from_civil(f->year, (unsigned)f->month, (unsigned)f->day) + 1, &y,
                               &mo, &d);
        f->year = y, f->month = (int)mo, f->day = (int)d, f->hour = 0;
    }
#undef FAIL
    return SL_OK;
}

/* The fields of local time ms (days since the epoch * day + ms of day). */
static void fields_of(int64_t local_ms, int32_t off_s, dtf_t *f)
{
    int64_t days = floordiv(local_ms, MS_PER_DAY), tod = floormod(local_ms, MS_PER_DAY);
    int64_t y;
    unsigned m, d;
    sl_sql_civil_from_days(days, &y, &m, &d);
    memset(f, 0, sizeof *f);
    f->year = y, f->month = (int)m, f->day = (int)d;
    f->doy = (int)(days - sl_sql_days_from_civil(y, 1, 1) + 1);
    f->dow = (int)floormod(days + 3, 7) + 1; /* 1970-01-01 was a Thursday */
    f->hour = (int)(tod / 3600000), f->minute = (int)(tod / 60000 % 60), f->second = (int)(tod / 1000 % 60);
    f->ms = (int)(tod % 1000);
    f->off = off_s;
}

static int64_t local_of(const dtf_t *f)
{
    return sl_sql_days_from_civil(f->year, (unsigned)f->month, (unsigned)f->day) * MS_PER_DAY +
           ((int64_t)f->hour * 3600 + f->minute * 60 + f->second) * 1000 + f->ms;
}

/* ---- the functions ------------------------------------------------------------------------------- */

static sl_err_t fn_unix_timestamp(SL_FN_ARGS)
{
    SL_FN_UNUSED;
    *out = sl_sql_value_bigint(n ? a[0].u.i64 : now_ms(ctx));
    return SL_OK;
}

static sl_err_t fn_unix_date(SL_FN_ARGS)
{
    SL_FN_UNUSED;
    *out = sl_sql_value_int(n ? a[0].u.i32 : (int32_t)floordiv(now_ms(ctx), MS_PER_DAY));
    return SL_OK;
}

static sl_err_t fn_from_unixtime(SL_FN_ARGS)
{
    SL_FN_UNUSED;
    *out = sl_sql_value_timestamp(a[0].u.i64);
    return SL_OK;
}

static sl_err_t fn_from_days(SL_FN_ARGS)
{
    SL_FN_UNUSED;
    *out = sl_sql_value_date(a[0].u.i32);
    return SL_OK;
}

/* FORMAT_TIMESTAMP(ts, pattern [, tz]) and TIMESTAMPTOSTRING(ms, ...). */
static sl_err_t fn_format_timestamp(SL_FN_ARGS)
{
    SL_FN_UNUSED;
    tz_t tz = {NULL, 0};
    sl_err_t err = check_pattern(ctx, a[1].u.str, a[1].len, KIND_TS);
    if (!err && n > 2)
        err = tz_parse(ctx, &a[2], &tz);
    if (err)
        return err;
    int64_t ms = a[0].u.i64, off = tz_offset_utc(&tz, ms);
    dtf_t f;
    fields_of(ms + off, (int32_t)(off / 1000), &f);
    return format(ctx, &a[1], &f, out);
}

/* PARSE_TIMESTAMP(text, pattern [, tz]) and STRINGTOTIMESTAMP(...): an
 * offset in the text wins over tz. */
static sl_err_t parse_ts(sl_sql_fn_ctx_t *ctx, const sl_sql_value_t *a, size_t n, int64_t *ms)
{
    tz_t tz = {NULL, 0};
    sl_err_t err = check_pattern(ctx, a[1].u.str, a[1].len, KIND_TS);
    if (!err && n > 2)
        err = tz_parse(ctx, &a[2], &tz);
    dtf_t f;
    if (!err)
        err = parse(ctx, &a[0], &a[1], &f);
    if (err)
        return err;
    int64_t local = local_of(&f);
    *ms = f.has_off ? local - (int64_t)f.off * 1000 : tz_local_to_utc(&tz, local);
    return SL_OK;
}

static sl_err_t fn_parse_timestamp(SL_FN_ARGS)
{
    SL_FN_UNUSED;
    int64_t ms = 0;
    sl_err_t err = parse_ts(ctx, a, n, &ms);
    if (!err)
        *out = rt->base == SL_SQL_BIGINT ? sl_sql_value_bigint(ms) : sl_sql_value_timestamp(ms);
    return err;
}

static sl_err_t fn_format_date(SL_FN_ARGS)
{
    SL_FN_UNUSED;
    sl_err_t err = check_pattern(ctx, a[1].u.str, a[1].len, KIND_DATE);
    if (err)
        return err;
    dtf_t f;
    fields_of((int64_t)a[0].u.i32 * MS_PER_DAY, 0, &f);
    return format(ctx, &a[1], &f, out);
}

static sl_err_t fn_parse_date(SL_FN_ARGS)
{
    SL_FN_UNUSED;
    sl_err_t err = check_pattern(ctx, a[1].u.str, a[1].len, KIND_DATE);
    dtf_t f;
    if (!err)
        err = parse(ctx, &a[0], &a[1], &f);
    if (err)
        return err;
    int32_t days = (int32_t)sl_sql_days_from_civil(f.year, (unsigned)f.month, (unsigned)f.day);
    *out = rt->base == SL_SQL_INT ? sl_sql_value_int(days) : sl_sql_value_date(days);
    return SL_OK;
}

static sl_err_t fn_format_time(SL_FN_ARGS)
{
    SL_FN_UNUSED;
    sl_err_t err = check_pattern(ctx, a[1].u.str, a[1].len, KIND_TIME);
    if (err)
        return err;
    dtf_t f;
    fields_of(a[0].u.i32, 0, &f);
    return format(ctx, &a[1], &f, out);
}

static sl_err_t fn_parse_time(SL_FN_ARGS)
{
    SL_FN_UNUSED;
    sl_err_t err = check_pattern(ctx, a[1].u.str, a[1].len, KIND_TIME);
    dtf_t f;
    if (!err)
        err = parse(ctx, &a[0], &a[1], &f);
    if (err)
        return err;
    *out = sl_sql_value_time((int32_t)(local_of(&f) % MS_PER_DAY));
    return SL_OK;
}

/* A java.util.concurrent.TimeUnit name (singular accepted) in ms per unit;
 * 0 for an unknown name. Sub-millisecond units count as 0 ms per unit, with
 * their divisor in *div. */
static int64_t unit_ms(const sl_sql_value_t *u, int64_t *div)
{
    static const struct {
        const char *name;
        int64_t ms, div;
    } units[] = {{"NANOSECOND", 1, 1000000}, {"MICROSECOND", 1, 1000}, {"MILLISECOND", 1, 1},
                 {"SECOND", 1000, 1},        {"MINUTE", 60000, 1},     {"HOUR", 3600000, 1},
                 {"DAY", MS_PER_DAY, 1}};
    size_t n = u->len;
    if (n && (u->u.str[n - 1] == 'S' || u->u.str[n - 1] == 's'))
        n--;
    for (size_t i = 0; i < SL_FN_COUNT(units); i++)
        if (n == strlen(units[i].name) && !strncasecmp(u->u.str, units[i].name, n)) {
            *div = units[i].div;
            return units[i].ms;
        }
    return 0;
}

/* The signed interval a[1] of unit a[0] in ms (sub: negated). */
static sl_err_t interval(sl_sql_fn_ctx_t *ctx, const sl_sql_value_t *a, int sub, int64_t *ms)
{
    int64_t div = 1, per = unit_ms(&a[0], &div);
    if (!per)
        return sl__fn_err(ctx, SL_ERR_INVAL, "Unknown time unit: %.*s", (int)a[0].len, a[0].u.str);
    int64_t v = a[1].base == SL_SQL_BIGINT ? a[1].u.i64 : a[1].u.i32;
    *ms = v * per / div;
    if (sub)
        *ms = -*ms;
    return SL_OK;
}

static sl_err_t date_add(sl_sql_fn_ctx_t *ctx, const sl_sql_value_t *a, int sub, sl_sql_value_t *out)
{
    int64_t ms = 0;
    sl_err_t err = interval(ctx, a, sub, &ms);
    if (err)
        return err;
    switch (a[2].base) {
    case SL_SQL_DATE: *out = sl_sql_value_date((int32_t)floordiv((int64_t)a[2].u.i32 * MS_PER_DAY + ms, MS_PER_DAY)); break;
    case SL_SQL_TIME: *out = sl_sql_value_time((int32_t)floormod(a[2].u.i32 + ms, MS_PER_DAY)); break;
    default: *out = sl_sql_value_timestamp(a[2].u.i64 + ms); break;
    }
    return SL_OK;
}

static sl_err_t fn_add(SL_FN_ARGS)
{
    SL_FN_UNUSED;
    return date_add(ctx, a, 0, out);
}

static sl_err_t fn_sub(SL_FN_ARGS)
{
    SL_FN_UNUSED;
    return date_add(ctx, a, 1, out);
}

/* CONVERT_TZ(ts, from, to): the wall-clock time ts in zone from, as the
 * wall-clock time of the same instant in zone to. */
static sl_err_t fn_convert_tz(SL_FN_ARGS)
{
    SL_FN_UNUSED;
    tz_t from, to;
    sl_err_t err = tz_parse(ctx, &a[1], &from);
    if (!err)
        err = tz_parse(ctx, &a[2], &to);
    if (err)
        return err;
    int64_t utc = tz_local_to_utc(&from, a[0].u.i64);
    *out = sl_sql_value_timestamp(utc + tz_offset_utc(&to, utc));
    return SL_OK;
}

#define S SL_SQL_FN_STRICT
static const sl_sql_overload_t ov_unix_timestamp[] = {{"", "BIGINT", NULL, fn_unix_timestamp, SL_SQL_FN_VOLATILE},
                                                      {"TIMESTAMP", "BIGINT", NULL, fn_unix_timestamp, S}};
static const sl_sql_overload_t ov_unix_date[] = {{"", "INT", NULL, fn_unix_date, SL_SQL_FN_VOLATILE},
                                                 {"DATE", "INT", NULL, fn_unix_date, S}};
static const sl_sql_overload_t ov_from_unixtime[] = {{"BIGINT", "TIMESTAMP", NULL, fn_from_unixtime, S}};
static const sl_sql_overload_t ov_from_days[] = {{"INT", "DATE", NULL, fn_from_days, S}};
static const sl_sql_overload_t ov_format_timestamp[] = {
    {"TIMESTAMP, STRING", "STRING", NULL, fn_format_timestamp, S},
    {"TIMESTAMP, STRING, STRING", "STRING", NULL, fn_format_timestamp, S}};
static const sl_sql_overload_t ov_timestamptostring[] = {
    {"BIGINT, STRING", "STRING", NULL, fn_format_timestamp, S},
    {"BIGINT, STRING, STRING", "STRING", NULL, fn_format_timestamp, S}};
static const sl_sql_overload_t ov_parse_timestamp[] = {
    {"STRING, STRING", "TIMESTAMP", NULL, fn_parse_timestamp, S},
    {"STRING, STRING, STRING", "TIMESTAMP", NULL, fn_parse_timestamp, S}};
static const sl_sql_overload_t ov_stringtotimestamp[] = {
    {"STRING, STRING", "BIGINT", NULL, fn_parse_timestamp, S},
    {"STRING, STRING, STRING", "BIGINT", NULL, fn_parse_timestamp, S}};
static const sl_sql_overload_t ov_format_date[] = {{"DATE, STRING", "STRING", NULL, fn_format_date, S}};
static const sl_sql_overload_t ov_datetostring[] = {{"INT, STRING", "STRING", NULL, fn_format_date, S}};
static const sl_sql_overload_t ov_parse_date[] = {{"STRING, STRING", "DATE", NULL, fn_parse_date, S}};
static const sl_sql_overload_t ov_stringtodate[] = {{"STRING, STRING", "INT", NULL, fn_parse_date, S}};
static const sl_sql_overload_t ov_format_time[] = {{"TIME, STRING", "STRING", NULL, fn_format_time, S}};
static const sl_sql_overload_t ov_parse_time[] = {{"STRING, STRING", "TIME", NULL, fn_parse_time, S}};
static const sl_sql_overload_t ov_dateadd[] = {{"STRING, INT, DATE", "DATE", NULL, fn_add, S}};
static const sl_sql_overload_t ov_datesub[] = {{"STRING, INT, DATE", "DATE", NULL, fn_sub, S}};
static const sl_sql_overload_t ov_timeadd[] = {{"STRING, INT, TIME", "TIME", NULL, fn_add, S}};
static const sl_sql_overload_t ov_timesub[] = {{"STRING, INT, TIME", "TIME", NULL, fn_sub, S}};
static const sl_sql_overload_t ov_timestampadd[] = {{"STRING, BIGINT, TIMESTAMP", "TIMESTAMP", NULL, fn_add, S}};
static const sl_sql_overload_t ov_timestampsub[] = {{"STRING, BIGINT, TIMESTAMP", "TIMESTAMP", NULL, fn_sub, S}};
static const sl_sql_overload_t ov_convert_tz[] = {{"TIMESTAMP, STRING, STRING", "TIMESTAMP", NULL, fn_convert_tz, S}};
#undef S

#define C "DATE / TIME"
const sl_sql_function_t sl__sql_fn_date[] = {
    SL_FN("CONVERT_TZ", C, "Converts a TIMESTAMP from one time zone to another.", ov_convert_tz),
    SL_FN("DATEADD", C, "Adds an interval of a unit (DAYS, HOURS, ...) to a DATE.", ov_dateadd),
    SL_FN("DATESUB", C, "Subtracts an interval of a unit (DAYS, HOURS, ...) from a DATE.", ov_datesub),
    SL_FN("DATETOSTRING", C, "Formats epoch days (INT) with a pattern (deprecated: use FORMAT_DATE).",
          ov_datetostring),
    SL_FN("FORMAT_DATE", C, "Formats a DATE with a DateTimeFormatter pattern.", ov_format_date),
    SL_FN("FORMAT_TIME", C, "Formats a TIME with a DateTimeFormatter pattern.", ov_format_time),
    SL_FN("FORMAT_TIMESTAMP", C, "Formats a TIMESTAMP with a pattern, in UTC or the given time zone.",
          ov_format_timestamp),
    SL_FN("FROM_DAYS", C, "Converts epoch days (INT) to a DATE.", ov_from_days),
    SL_FN("FROM_UNIXTIME", C, "Converts epoch milliseconds (BIGINT) to a TIMESTAMP.", ov_from_unixtime),
    SL_FN("PARSE_DATE", C, "Parses a DATE with a DateTimeFormatter pattern.", ov_parse_date),
    SL_FN("PARSE_TIME", C, "Parses a TIME with a DateTimeFormatter pattern.", ov_parse_time),
    SL_FN("PARSE_TIMESTAMP", C, "Parses a TIMESTAMP with a pattern, in UTC or the given time zone.",
          ov_parse_timestamp),
    SL_FN("STRINGTODATE", C, "Parses a date to epoch days (INT) (deprecated: use PARSE_DATE).", ov_stringtodate),
    SL_FN("STRINGTOTIMESTAMP", C, "Parses a timestamp to epoch milliseconds (BIGINT) (deprecated: PARSE_TIMESTAMP).",
          ov_stringtotimestamp),
    SL_FN("TIMEADD", C, "Adds an interval of a unit to a TIME (wrapping around midnight).", ov_timeadd),
    SL_FN("TIMESTAMPADD", C, "Adds an interval of a unit to a TIMESTAMP.", ov_timestampadd),
    SL_FN("TIMESTAMPSUB", C, "Subtracts an interval of a unit from a TIMESTAMP.", ov_timestampsub),
    SL_FN("TIMESTAMPTOSTRING", C, "Formats epoch milliseconds (BIGINT) with a pattern (deprecated: FORMAT_TIMESTAMP).",
          ov_timestamptostring),
    SL_FN("TIMESUB", C, "Subtracts an interval of a unit from a TIME (wrapping around midnight).", ov_timesub),
    SL_FN("UNIX_DATE", C, "Returns today, or a DATE, as epoch days.", ov_unix_date),
    SL_FN("UNIX_TIMESTAMP", C, "Returns now, or a TIMESTAMP, as epoch milliseconds.", ov_unix_timestamp),
};
const size_t sl__sql_fn_date_n = SL_FN_COUNT(sl__sql_fn_date);
