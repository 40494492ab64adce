/* dump_log.c — `sluice dump-log FILE.log [--print-records] [--verify-index]`:
 * prints a segment's batches (and records) like Kafka's kafka-dump-log, and
 * checks its offset and time indexes against the file. Reads only; never
 * repairs. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "broker/log/batch.h"
#include "broker/log/index.h"

/* Prints bytes as text, escaping what is not printable ASCII. */
static void print_bytes(FILE *out, const uint8_t *p, int32_t len)
{
    if (len < 0) {
        fputs("null", out);
        return;
    }
    for (int32_t i = 0; i < len; i++) {
        if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\')
            fputc(p[i], out);
        else
            fprintf(out, "\\x%02x", p[i]);
    }
}

static void print_records(FILE *out, const uint8_t *batch, size_t len, const sl_batch_header_t *h,
                          sl_buf_t *scratch)
{
    sl_record_iter_t it;
    sl_err_t err = sl_record_iter_init(&it, batch, len, SL_BATCH_DEFAULT_MAX_DECOMPRESSED, scratch);
    if (err) {
        fprintf(out, "| cannot read records: %s\n", sl_err_str(err));
        return;
    }
    const char *tstype = h->attributes & SL_BATCH_ATTR_LOG_APPEND_TIME ? "LogAppendTime" : "CreateTime";
    sl_record_t r;
    int rc;
    int32_t i = 0;
    while ((rc = sl_record_iter_next(&it, &r)) == 1) {
        int32_t seq = h->base_sequence < 0 ? -1 : h->base_sequence + i;
        fprintf(out, "| offset: %" PRId64 " %s: %" PRId64 " keySize: %" PRId32 " valueSize: %" PRId32
                     " sequence: %" PRId32 " headerKeys: [",
                r.offset, tstype, r.timestamp, r.key_len, r.value_len, seq);
        const uint8_t *hp = r.headers, *he = r.headers + r.headers_len;
        for (int32_t k = 0; k < r.header_count; k++) {
            sl_record_header_t hdr;
            if (sl_record_header_next(&hp, he, &hdr) != SL_OK)
                break;
            if (k)
                fputc(',', out);
            print_bytes(out, hdr.key, hdr.key_len);
        }
        fputs("]", out);
        if (h->attributes & SL_BATCH_ATTR_CONTROL) {
            int type = sl_control_record_type(&r);
            fprintf(out, " endTxnMarker: %s", type == SL_CONTROL_COMMIT  ? "COMMIT"
                                              : type == SL_CONTROL_ABORT ? "ABORT"
                                                                         : "UNKNOWN");
        } else {
            fputs(" key: ", out);
            print_bytes(out, r.key, r.key_len);
            fputs(" payload: ", out);
            print_bytes(out, r.value, r.value_len);
        }
        fputc('\n', out);
        i++;
    }
    if (rc < 0)
        fprintf(out, "| invalid record after %" PRId32 " records: %s\n", i, sl_err_str((sl_err_t)rc));
}

/* Checks the segment's indexes against the batches found at their positions. */
static int verify_indexes(FILE *out, const char *log_path, int64_t base, const uint8_t *map,
                          size_t size, const size_t *positions, size_t npos)
{
    size_t n = strlen(log_path);
    char *ipath = malloc(n + 16), *tpath = malloc(n + 16);
    if (!ipath || !tpath) {
        free(ipath), free(tpath);
        return 1;
    }
    memcpy(ipath, log_path, n - 4);
    strcpy(ipath + n - 4, ".index");
    memcpy(tpath, log_path, n - 4);
    strcpy(tpath + n - 4, ".timeindex");
    int bad = 0;
    char err[256] = "";
    sl_index_t *oidx = NULL, *tidx = NULL;
    if (access(ipath, F_OK) != 0 ||
        sl_index_open(ipath, SL_INDEX_OFFSET, base, 0, 0, &oidx, err, sizeof err) != SL_OK) {
        fprintf(out, "Offset index %s: cannot open %s\n", ipath, err);
        bad++;
    } else {
        size_t entries = sl_index_entries(oidx);
        for (size_t i = 0; i < entries; i++) {
            int64_t off, pos;
            sl_index_entry(oidx, i, &off, &pos);
            /* The entry must point at a batch whose last offset is off. */
            size_t lo = 0, hi = npos;
            while (lo < hi) {
                size_t mid = (lo + hi) / 2;
                if (positions[mid] < (size_t)pos)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            sl_batch_header_t h;
            if (lo == npos || positions[lo] != (size_t)pos ||
                sl_batch_header_parse(map + pos, size - (size_t)pos, &h) != SL_OK ||
                sl_batch_last_offset(&h) != off) {
                fprintf(out, "Index mismatch in %s: entry %zu (offset %" PRId64 ", position %" PRId64
                             ") does not match a batch\n",
                        ipath, i, off, pos);
                bad++;
            }
        }
        fprintf(out, "Offset index %s: %zu entries checked\n", ipath, entries);
    }
    if (access(tpath, F_OK) != 0 ||
        sl_index_open(tpath, SL_INDEX_TIME, base, 0, 0, &tidx, err, sizeof err) != SL_OK) {
        fprintf(out, "Time index %s: cannot open %s\n", tpath, err);
        bad++;
    } else {
        size_t entries = sl_index_entries(tidx);
        for (size_t i = 0; i < entries; i++) {
            int64_t ts, off;
            sl_index_entry(tidx, i, &ts, &off);
            /* The batch ending at off must carry maxTimestamp ts (batches are
             * in offset order: binary search on their last offsets). */
            size_t lo = 0, hi = npos;
            sl_batch_header_t h;
            while (lo < hi) {
                size_t mid = (lo + hi) / 2;
                sl_batch_header_parse(map + positions[mid], size - positions[mid], &h);
                if (sl_batch_last_offset(&h) < off)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            int found = 0;
            if (lo < npos) {
                sl_batch_header_parse(map + positions[lo], size - positions[lo], &h);
                found = sl_batch_last_offset(&h) == off && h.max_timestamp == ts;
            }
            if (!found) {
                fprintf(out, "Time index mismatch in %s: entry %zu (timestamp %" PRId64
                             ", offset %" PRId64 ") does not match a batch\n",
                        tpath, i, ts, off);
                bad++;
            }
        }
        fprintf(out, "Time index %s: %zu entries checked\n", tpath, entries);
    }
    sl_index_close(oidx);
    sl_index_close(tidx);
    free(ipath), free(tpath);
    return bad;
}

int sl__cmd_dump_log(int argc, char **argv)
{
    const char *path = NULL;
    int print_recs = 0, verify = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--print-records") == 0 || strcmp(argv[i], "--print-data-log") == 0)
            print_recs = 1;
        else if (strcmp(argv[i], "--verify-index") == 0)
            verify = 1;
        else if (argv[i][0] == '-') {
            fprintf(stderr, "sluice dump-log: unknown option '%s'\n", argv[i]);
            return 2;
        } else if (!path)
            path = argv[i];
        else {
            fprintf(stderr, "sluice dump-log: one file at a time ('%s')\n", argv[i]);
            return 2;
        }
    }
    if (!path) {
        fprintf(stderr, "usage: sluice dump-log FILE.log [--print-records] [--verify-index]\n");
        return 2;
    }
    size_t plen = strlen(path);
    const char *slash = strrchr(path, '/');
    const char *name = slash ? slash + 1 : path;
    char *end;
    long long base = strtoll(name, &end, 10);
    if (plen < 4 || strcmp(path + plen - 4, ".log") != 0 || end == name || strcmp(end, ".log") != 0) {
        fprintf(stderr, "sluice dump-log: %s is not a segment file (<base offset>.log)\n", path);
        return 2;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        fprintf(stderr, "sluice dump-log: %s: %s\n", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return 1;
    }
    size_t size = (size_t)st.st_size;
    const uint8_t *map = NULL;
    if (size > 0) {
        void *m = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (m == MAP_FAILED) {
            fprintf(stderr, "sluice dump-log: mmap %s: %s\n", path, strerror(errno));
            close(fd);
            return 1;
        }
        map = m;
    }
    FILE *out = stdout;
    fprintf(out, "Dumping %s\nLog starting offset: %lld\n", path, base);
    size_t *positions = NULL, npos = 0, cap = 0;
    sl_buf_t scratch = SL_BUF_INIT;
    int invalid = 0, rc = 0;
    size_t pos = 0;
    while (pos < size) {
        sl_batch_header_t h;
        sl_err_t err = sl_batch_check(map + pos, size - pos, &h);
        if (err == SL_ERR_TRUNCATED || (err && sl_batch_header_parse(map + pos, size - pos, &h)) ||
            (err && (h.batch_length < SL_BATCH_HEADER_SIZE - SL_BATCH_LOG_OVERHEAD ||
                     sl_batch_size(&h) > size - pos))) {
            fprintf(out, "Found %zu invalid bytes at the end of %s (%s)\n", size - pos, name,
                    sl_err_str(err));
            invalid++;
            break;
        }
        int valid = err == SL_OK;
        if (valid)
            valid = sl_batch_check_records(map + pos, sl_batch_size(&h),
                                              SL_BATCH_DEFAULT_MAX_DECOMPRESSED, &scratch) == SL_OK;
        if (!valid)
            invalid++;
        if (npos == cap) {
            cap = cap ? cap * 2 : 256;
            size_t *p = realloc(positions, cap * sizeof *p);
            if (!p) {
                fprintf(stderr, "sluice dump-log: out of memory\n");
                rc = 1;
                break;
            }
            positions = p;
        }
        positions[npos++] = pos;
        fprintf(out,
                "baseOffset: %" PRId64 " lastOffset: %" PRId64 " count: %" PRId32
                " position: %zu firstTimestamp: %" PRId64 " maxTimestamp: %" PRId64
                " timestampType: %s size: %zu magic: %d compresscodec: %s producerId: %" PRId64
                " producerEpoch: %d baseSequence: %" PRId32 " partitionLeaderEpoch: %" PRId32
                " isTransactional: %s isControl: %s crc: %" PRIu32 " isvalid: %s\n",
                h.base_offset, sl_batch_last_offset(&h), h.record_count, pos, h.base_timestamp,
                h.max_timestamp, h.attributes & SL_BATCH_ATTR_LOG_APPEND_TIME ? "LogAppendTime" : "CreateTime",
                sl_batch_size(&h), h.magic, sl_compression_name(sl_batch_compression(&h)), h.producer_id,
                h.producer_epoch, h.base_sequence, h.partition_leader_epoch,
                h.attributes & SL_BATCH_ATTR_TRANSACTIONAL ? "true" : "false",
                h.attributes & SL_BATCH_ATTR_CONTROL ? "true" : "false", h.crc, valid ? "true" : "false");
        if (print_recs && valid)
            print_records(out, map + pos, sl_batch_size(&h), &h, &scratch);
        pos += sl_batch_size(&h);
    }
    int bad_index = 0;
    if (verify && rc == 0)
        bad_index = verify_indexes(out, path, base, map, size, positions, npos);
    fflush(out);
    if (rc == 0 && invalid) {
        fprintf(stderr, "sluice dump-log: %s has %d invalid batch%s\n", path, invalid, invalid > 1 ? "es" : "");
        rc = 1;
    } else if (rc == 0 && bad_index) {
        fprintf(stderr, "sluice dump-log: %d index entr%s of %s do not match the log\n", bad_index,
                bad_index > 1 ? "ies" : "y", path);
        rc = 1;
    }
    sl_buf_free(&scratch);
    free(positions);
    if (map)
        munmap((void *)map, size);
    close(fd);
    return rc;
}
