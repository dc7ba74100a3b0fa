/* The field split with AVX2 byte masks; this file alone is compiled for
 * AVX2, and cpu.c chooses it only where the processor has it. */
#define FLOWLOG__ISA_AVX2
#define SPLIT_NAME flowlog__split_avx2
#include "split_body.h"
