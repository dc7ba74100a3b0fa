/* Parquet's metadata as the reader uses it, read from Thrift's compact
 * protocol: the footer (schema, row groups, column chunks) and the page
 * headers. Not API. */
#ifndef FLOWLOG_READ_PARQUET_META_H
#define FLOWLOG_READ_PARQUET_META_H

#include "../core/internal.h"

#define PQ_MAX_COLUMNS 256
#define PQ_MAX_NAME 128

enum pq_type { PQ_BOOLEAN, PQ_INT32, PQ_INT64, PQ_INT96, PQ_FLOAT, PQ_DOUBLE, PQ_BYTE_ARRAY, PQ_FIXED };
enum pq_codec { PQ_UNCOMPRESSED, PQ_SNAPPY, PQ_GZIP, PQ_LZO, PQ_BROTLI, PQ_LZ4, PQ_ZSTD, PQ_LZ4_RAW };
enum pq_page { PQ_DATA_PAGE, PQ_INDEX_PAGE, PQ_DICTIONARY_PAGE, PQ_DATA_PAGE_V2 };
enum pq_encoding {
    PQ_PLAIN = 0, PQ_PLAIN_DICTIONARY = 2, PQ_RLE = 3, PQ_BIT_PACKED = 4, PQ_DELTA_BINARY_PACKED = 5,
    PQ_DELTA_LENGTH_BYTE_ARRAY = 6, PQ_DELTA_BYTE_ARRAY = 7, PQ_RLE_DICTIONARY = 8, PQ_BYTE_STREAM_SPLIT = 9
};

/* A leaf column of the (flat) schema. */
typedef struct pq_column {
    char name[PQ_MAX_NAME];
    int type;          /* enum pq_type */
    int repetition;    /* 0 required, 1 optional, 2 repeated */
    int type_length;
    int converted;     /* ConvertedType, -1 none */
} pq_column;

/* A column chunk of a row group. */
typedef struct pq_chunk {
    int64_t data_offset, dictionary_offset; /* dictionary_offset 0: none */
    int64_t compressed_size, num_values;
    int codec;
    int type;
    /* Statistics of an INT32 or INT64 chunk: every value in [min, max],
     * null_count of them null (-1: not said). */
    bool has_minmax;
    int64_t min, max, null_count;
} pq_chunk;

typedef struct pq_group {
    int64_t num_rows;
    pq_chunk *chunks;  /* ncolumns */
} pq_group;

typedef struct pq_meta {
    pq_column columns[PQ_MAX_COLUMNS];
    int ncolumns;
    int64_t num_rows;
    pq_group *groups;
    size_t ngroups;
} pq_meta;

typedef struct pq_page_header {
    int type;               /* enum pq_page */
    int64_t uncompressed_size, compressed_size;
    int64_t num_values;     /* of the data or dictionary page */
    int encoding;
    int def_encoding;       /* v1 */
    int64_t num_nulls;      /* v2 */
    int64_t def_length, rep_length; /* v2: level bytes, not compressed */
    bool compressed;        /* v2: the values are compressed */
} pq_page_header;

/* The footer's FileMetaData in buf[0..len): FLOWLOG_OK, or FLOWLOG_E_CORRUPT
 * / FLOWLOG_E_UNSUPPORTED with why. Row groups are allocated with a. */
int flowlog__pq_meta_read(pq_meta *m, const flowlog_allocator *a, const uint8_t *buf, size_t len, char *why);
void flowlog__pq_meta_free(pq_meta *m, const flowlog_allocator *a);
/* A page header at buf[0..len): its length in *used. */
int flowlog__pq_page_header(pq_page_header *h, const uint8_t *buf, size_t len, size_t *used);

#endif
