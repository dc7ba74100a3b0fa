/* The prefilter's scan a byte at a time (FLOWLOG_CPU_SCALAR): the
 * definition the SIMD levels are held to, and what runs where asked. */
#define FLOWLOG__SCALAR 1
#define PF_NAME flowlog__prefilter_scan_scalar
#define PF_NEWLINES flowlog__newlines_scalar
#define PF_FILL flowlog__record_fill_scalar
#define PF_FILL_COLS flowlog__record_fill_cols_scalar
#include "prefilter_portable.h"
