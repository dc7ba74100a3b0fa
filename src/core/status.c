#include "internal.h"

/* A negative array size stops the build when common.h and status.def disagree. */
#define X(name, value, msg) typedef char check_##name[(name) == (value) ? 1 : -1];
#include "status.def"
#undef X

const char *flowlog_status_name(int status)
{
    switch (status) {
#define X(name, value, msg) case value: return #name;
#include "status.def"
#undef X
    }
    return "FLOWLOG_E_UNKNOWN";
}

const char *flowlog_strerror(int status)
{
    switch (status) {
#define X(name, value, msg) case value: return msg;
#include "status.def"
#undef X
    }
    return status < 0 ? "unknown error" : "unknown status";
}
