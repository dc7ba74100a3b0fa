/**
 * @file flowlog.h
 * libflowlog: read AWS VPC Flow Logs and tell why one thing in a VPC cannot
 * reach another. This umbrella header includes every public header; include
 * it as `#include <flowlog/flowlog.h>`.
 *
 * Anything not declared in include/flowlog/ is not API. See ABI.md for what
 * is promised within libflowlog.so.1.
 */
#ifndef FLOWLOG_FLOWLOG_H
#define FLOWLOG_FLOWLOG_H

#include "version.h"
#include "common.h"
#include "fields.h"
#include "value.h"
#include "schema.h"
#include "tokenizer.h"
#include "record.h"
#include "reader.h"
#include "diag.h"
#include "sweep.h"
#include "query.h"
#include "config.h"

#endif
