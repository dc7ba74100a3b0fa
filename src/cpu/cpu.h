/* Which instructions the SIMD paths use: detected once, the same for the
 * whole library, and capped by the environment variable FLOWLOG_CPU
 * (scalar, sse2, avx2 or avx512) or, for one reader, FLOWLOG_OPT_CPU. The
 * levels are those of enum flowlog_cpu_level (reader.h). Not API. */
#ifndef FLOWLOG_CPU_H
#define FLOWLOG_CPU_H

/* The best level this processor and this build run, capped by FLOWLOG_CPU. */
int flowlog__cpu_best(void);

/* A level's name ("scalar", ...), or NULL; and back (-1 for none). */
const char *flowlog__cpu_name(int level);
int flowlog__cpu_parse(const char *name);

#endif
