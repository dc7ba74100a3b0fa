/* The field split with AVX512 byte masks; this file alone is compiled for
 * AVX512, and cpu.c chooses it only where the processor has it. */
#define FLOWLOG__ISA_AVX512
#define SPLIT_NAME flowlog__split_avx512
#include "split_body.h"
