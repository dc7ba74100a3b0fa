/* The prefilter's scan with AVX2, BMI1, BMI2 and POPCNT; this file alone is
 * compiled for them, and it runs only where the processor has them. */
#define FLOWLOG__ISA_AVX2
#include "prefilter_block.h"

#include <immintrin.h>

#define PF_NAME flowlog__prefilter_scan_avx2
#define PF_NEWLINES flowlog__newlines_avx2
#define PF_FILL flowlog__record_fill_avx2
#define PF_FILL_COLS flowlog__record_fill_cols_avx2
#define PF_HAS_NEEDLE has_needle
#define PF_PUT_NEWLINES put_newlines
#define PF_POPCOUNT(x) _mm_popcnt_u64(x)
#define PF_SELECT(x, j) ((size_t)_tzcnt_u64(_pdep_u64((uint64_t)1 << (j), (x))))
#define PF_TZCNT(x) _tzcnt_u64(x)
#include "prefilter_body.h"
