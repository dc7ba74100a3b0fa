/**
 * @file version.h
 * Compile-time version of libflowlog. The runtime twins are
 * flowlog_version_number() and flowlog_version_string() in common.h; a program
 * linked against a different build can compare the two.
 *
 * This file is the one source of truth for the version: meson reads it.
 */
#ifndef FLOWLOG_VERSION_H
#define FLOWLOG_VERSION_H

#define FLOWLOG_VERSION_MAJOR 1
#define FLOWLOG_VERSION_MINOR 7
#define FLOWLOG_VERSION_PATCH 0

#define FLOWLOG_VERSION_STRING "1.7.0"

#define FLOWLOG_VERSION_NUMBER \
    ((FLOWLOG_VERSION_MAJOR << 16) | (FLOWLOG_VERSION_MINOR << 8) | FLOWLOG_VERSION_PATCH)

/** True when the headers are at least version maj.min.pat. */
#define FLOWLOG_VERSION_CHECK(maj, min, pat) \
    (FLOWLOG_VERSION_NUMBER >= (((maj) << 16) | ((min) << 8) | (pat)))

#endif
