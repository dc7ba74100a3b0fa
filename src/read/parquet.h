/* Parquet flow logs: a file held whole in memory, turned into the lines of
 * its text twin — a header line of the column names the registry knows,
 * then one line per row, `-` for a null — so that every part of the reader
 * after the source (framing, classification, the record) is the one text
 * uses. Flat schemas only; INT32, INT64 and BYTE_ARRAY columns; PLAIN,
 * dictionary, RLE/bit-packed and DELTA encodings; data pages v1 and v2;
 * UNCOMPRESSED, GZIP, SNAPPY and ZSTD. Everything read from the file is
 * checked against its bounds before use. Not API. */
#ifndef FLOWLOG_READ_PARQUET_H
#define FLOWLOG_READ_PARQUET_H

#include "../core/internal.h"

/* The largest page (compressed or not) and dictionary a file may ask for. */
#define FLOWLOG__PQ_MAX_PAGE ((size_t)256 << 20)
/* The most values (rows) one data page may hold: writers put tens of
 * thousands at most. */
#define FLOWLOG__PQ_MAX_PAGE_VALUES ((size_t)1 << 21)

typedef struct flowlog__pq flowlog__pq;

/* "PAR1": the magic a Parquet file starts (and ends) with. */
static inline bool flowlog__pq_magic(const uint8_t *p, size_t n)
{
    return n >= 4 && p[0] == 'P' && p[1] == 'A' && p[2] == 'R' && p[3] == '1';
}

/* Read the footer of file[0..len) (cap bytes allocated with a, owned by
 * the state from now on, even on failure); only the columns of `fields`
 * are read (nfields 0: every flow-log column); row groups whose statistics
 * put them outside [since, until] (the reader's window) are not decoded.
 * why says what is wrong,
 * naming the column or row group where there is one. */
int flowlog__pq_open(flowlog__pq **out, const flowlog_allocator *a, uint8_t *file, size_t len, size_t cap,
                     const uint32_t *fields, size_t nfields, uint64_t since, uint64_t until, char *why);
/* The next lines, whole lines only, into dst[0..room): FLOWLOG_OK with
 * *made bytes, FLOWLOG_END after the last row; an error with why. */
int flowlog__pq_read(flowlog__pq *p, char *dst, size_t room, size_t *made, char *why);
void flowlog__pq_free(flowlog__pq *p);

#endif
