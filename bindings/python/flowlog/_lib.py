"""Loading libflowlog and declaring the C calls the package makes (ctypes).

The library is found, in order: the path given to flowlog.load(), the
FLOWLOG_LIBRARY environment variable, pkg-config's libdir for `flowlog`, then
the loader's own search (ctypes.util.find_library, libflowlog.so.1). Its
version is checked: the same major version, and at least the minor this
package was written against.
"""
import ctypes
import os

MAJOR, MINOR = 1, 6  # the API this package uses: flowlog_query_spilled() is 1.6

OK, NEED_MORE, ABSENT, END = 0, 1, 2, 3
E_NOMEM, E_RANGE, E_IO, E_CORRUPT, E_VERSION, E_QUERY = -3, -5, -16, -20, -21, -22


class Span(ctypes.Structure):
    _fields_ = [("ptr", ctypes.c_void_p), ("len", ctypes.c_size_t)]


class Addr(ctypes.Structure):
    _fields_ = [("family", ctypes.c_uint8), ("bytes", ctypes.c_uint8 * 16)]


class Value(ctypes.Structure):
    _fields_ = [("type", ctypes.c_int), ("i", ctypes.c_int64), ("f", ctypes.c_double),
                ("s", ctypes.c_void_p), ("len", ctypes.c_size_t)]


class ErrorInfo(ctypes.Structure):
    _fields_ = [("status", ctypes.c_int), ("column", ctypes.c_int), ("offset", ctypes.c_size_t),
                ("message", ctypes.c_char * 256)]


ERROR_FN = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_char_p, ctypes.c_uint64, ctypes.c_int, ctypes.c_char_p)
ROW_FN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p)

P = ctypes.c_void_p
PP = ctypes.POINTER(ctypes.c_void_p)
I, U, U64, SZ = ctypes.c_int, ctypes.c_uint, ctypes.c_uint64, ctypes.c_size_t
S = ctypes.c_char_p
PI, PU, PU64, PSZ, PS = (ctypes.POINTER(I), ctypes.POINTER(U), ctypes.POINTER(U64), ctypes.POINTER(SZ),
                         ctypes.POINTER(S))
PA, PE, PV = ctypes.POINTER(Addr), ctypes.POINTER(ErrorInfo), ctypes.POINTER(Value)

# name: (restype, argtypes)
CALLS = {
    "flowlog_version_number": (U, []),
    "flowlog_version_string": (S, []),
    "flowlog_strerror": (S, [I]),
    "flowlog_status_name": (S, [I]),
    "flowlog_addr_format": (I, [PA, ctypes.c_char_p, SZ]),
    "flowlog_schema_compile_ex": (I, [PP, S, SZ, I, P, PE]),
    "flowlog_schema_free": (None, [P]),
    "flowlog_schema_column_count": (SZ, [P]),
    "flowlog_schema_column_field": (ctypes.c_uint32, [P, SZ]),
    "flowlog_schema_field_name": (S, [P, ctypes.c_uint32]),
    "flowlog_schema_field_type": (I, [P, ctypes.c_uint32]),
    "flowlog_reader_new_ex": (I, [PP, P, P, PE]),
    "flowlog_reader_free": (None, [P]),
    "flowlog_reader_set": (I, [P, I, ctypes.c_int64]),
    "flowlog_reader_add_path": (I, [P, S]),
    "flowlog_reader_add_memory": (I, [P, P, SZ, S]),
    "flowlog_reader_next": (I, [P, PP]),
    "flowlog_reader_path": (S, [P]),
    "flowlog_reader_line": (U64, [P]),
    "flowlog_reader_count": (U64, [P, I]),
    "flowlog_reader_error_message": (S, [P]),
    "flowlog_reader_set_error_handler": (I, [P, ERROR_FN, P]),
    "flowlog_reader_input_count": (SZ, [P]),
    "flowlog_reader_input": (I, [P, SZ, PS, PI, PU64, PU64, PS]),
    "flowlog_record_schema": (P, [P]),
    "flowlog_record_column": (I, [P, SZ, ctypes.POINTER(Span)]),
    "flowlog_record_get_u64": (I, [P, ctypes.c_uint32, PU64]),
    "flowlog_record_get_addr": (I, [P, ctypes.c_uint32, PA]),
    "flowlog_record_line": (Span, [P]),
    "flowlog_query_new_ex": (I, [PP, P, PE]),
    "flowlog_query_free": (None, [P]),
    "flowlog_query_set": (I, [P, I, ctypes.c_int64]),
    "flowlog_query_compile": (I, [P, S, SZ]),
    "flowlog_query_error_message": (S, [P]),
    "flowlog_query_column_count": (SZ, [P]),
    "flowlog_query_column_name": (S, [P, SZ]),
    "flowlog_query_cell": (I, [P, SZ, PV]),
    "flowlog_query_run": (I, [P, P, ROW_FN, P]),
    "flowlog_query_set_spill_dir": (I, [P, S]),
    "flowlog_query_spilled": (U64, [P]),
    "flowlog_query_feed": (I, [P, P, S]),
    "flowlog_query_prefilter": (I, [P, ctypes.POINTER(Span), PSZ]),
    "flowlog_query_serialize": (I, [P, P, SZ, PSZ]),
    "flowlog_query_merge": (I, [P, P, SZ]),
    "flowlog_query_finish": (I, [P]),
    "flowlog_query_next_row": (I, [P]),
    "flowlog_query_is_deferred": (I, [P]),
    "flowlog_query_set_log_group": (I, [P, S]),
    "flowlog_reader_stream": (S, [P]),
    "flowlog_reader_log_group": (S, [P]),
    "flowlog_reader_reject": (I, [P, I, S]),
    "flowlog_diag_new_ex": (I, [PP, S, S, U, U, I, P, PE]),
    "flowlog_diag_free": (None, [P]),
    "flowlog_diag_set_window": (I, [P, U64, U64]),
    "flowlog_diag_run": (I, [P, P]),
    "flowlog_diag_verdict": (I, [P]),
    "flowlog_verdict_name": (S, [I]),
    "flowlog_diag_side": (I, [P]),
    "flowlog_diag_side_name": (S, [I]),
    "flowlog_diag_count": (U64, [P, I, I]),
    "flowlog_diag_warnings": (U, [P]),
    "flowlog_diag_warning_name": (S, [U]),
    "flowlog_diag_eni_count": (SZ, [P]),
    "flowlog_diag_eni": (I, [P, SZ, PS, PI, PU64, PU, PU64]),
    "flowlog_diag_explain": (SZ, [P, ctypes.c_char_p, SZ]),
    "flowlog_diag_merge": (I, [P, P]),
    "flowlog_diag_serialize": (I, [P, P, SZ, PSZ]),
    "flowlog_diag_deserialize_ex": (I, [PP, P, SZ, P, PE]),
    "flowlog_diag_error_message": (S, [P]),
    "flowlog_diag_input_count": (SZ, [P]),
    "flowlog_diag_input": (I, [P, SZ, PS, PI, PU64, PU64, PS]),
    "flowlog_diag_complete": (I, [P]),
    "flowlog_diag_near_miss": (I, [P, SZ, PI, PA, PA, PU, PI, PU64]),
    "flowlog_diag_near_miss_name": (S, [I]),
    "flowlog_diag_set_config": (I, [P, P]),
    "flowlog_config_new": (I, [PP, P]),
    "flowlog_config_free": (None, [P]),
    "flowlog_config_load_dir": (I, [P, S]),
    "flowlog_config_error_message": (S, [P]),
    "flowlog_sweep_new_ex": (I, [PP, P, PE]),
    "flowlog_sweep_free": (None, [P]),
    "flowlog_sweep_set_window": (I, [P, U64, U64]),
    "flowlog_sweep_run": (I, [P, P, PSZ]),
    "flowlog_sweep_finish": (I, [P, PSZ]),
    "flowlog_sweep_result": (I, [P, SZ, PA, PA, PU, PI, PI]),
    "flowlog_sweep_count": (U64, [P, SZ, I, I]),
    "flowlog_sweep_conversations": (U64, [P]),
    "flowlog_sweep_dropped": (U64, [P]),
    "flowlog_sweep_merge": (I, [P, P]),
    "flowlog_sweep_serialize": (I, [P, P, SZ, PSZ]),
    "flowlog_sweep_deserialize_ex": (I, [PP, P, SZ, P, PE]),
    "flowlog_sweep_complete": (I, [P]),
}

_lib = None


def _candidates(path):
    if path:
        yield path
    env = os.environ.get("FLOWLOG_LIBRARY")
    if env:
        yield env
    import ctypes.util  # only when searching: they take longer to import than the library to load
    import shutil
    import subprocess
    if shutil.which("pkg-config"):
        try:
            libdir = subprocess.run(["pkg-config", "--variable=libdir", "flowlog"], capture_output=True, text=True,
                                    check=True).stdout.strip()
            if libdir:
                yield os.path.join(libdir, "libflowlog.so.1")
        except (OSError, subprocess.CalledProcessError):
            pass
    found = ctypes.util.find_library("flowlog")
    if found:
        yield found
    yield "libflowlog.so.1"


def load(path=None):
    """Load libflowlog (see the module's text for where it is looked for)."""
    global _lib
    tried = []
    for candidate in _candidates(path):
        try:
            lib = ctypes.CDLL(candidate)
        except OSError as e:
            tried.append(f"{candidate}: {e}")
            if candidate == path:
                break
            continue
        lib.flowlog_version_number.restype = ctypes.c_uint
        number = lib.flowlog_version_number()
        major, minor = number >> 16, (number >> 8) & 0xFF
        if major != MAJOR or minor < MINOR:
            raise ImportError(f"{candidate} is libflowlog {major}.{minor}; this package needs {MAJOR}.{MINOR} or a "
                              f"later {MAJOR}.x")
        for name, (restype, argtypes) in CALLS.items():
            fn = getattr(lib, name)
            fn.restype = restype
            fn.argtypes = argtypes
        _lib = lib
        return lib
    raise ImportError("libflowlog not found; tried: " + "; ".join(tried) +
                      " (set FLOWLOG_LIBRARY to the path of libflowlog.so.1)")


def lib():
    return _lib if _lib is not None else load()
