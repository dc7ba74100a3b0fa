"""AWS VPC Flow Logs from Python, through libflowlog (ctypes, no compiler).

    import flowlog
    for rec in flowlog.records("flows/"):            # typed records
        print(rec.srcaddr, rec.dstport, rec.action)
    rows = flowlog.query('filter action = "REJECT" | stats count(*) as n by dstPort', paths="flows/")
    d = flowlog.diagnose(client="10.0.1.25", server="10.0.2.10", port=3306, paths="flows/")
    print(d.verdict, d.side, d.explanation)

Bad lines are counted and kept on the reader (``Reader.errors``), never
silently dropped; ``strict=True`` raises at the first. Errors of the
library are FlowlogError, with its message, and the file and line where
there is one. Diagnosis, Sweep and Query states serialise to bytes and
merge, so parts read apart (on a cluster) join into the one answer.
"""
from __future__ import annotations

import ctypes as _c
import datetime as _dt
import ipaddress as _ip
import os as _os
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only: typing is slow to import
    from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Union

from . import _lib
from ._lib import load

__all__ = ["FlowlogError", "Reader", "Record", "Query", "Diagnosis", "Sweep", "records", "query", "query_rows",
           "diagnose", "sweep", "version", "load"]

# Paths: a str or PathLike, a sequence of them, or None; Data: bytes, or a binary file object
Paths = "Union[str, _os.PathLike[str], Sequence[Union[str, _os.PathLike[str]]], None]"
Data = "Union[bytes, bytearray, memoryview, Any, None]"

_PROTOCOLS = {"tcp": 6, "udp": 17, "icmp": 1, "icmpv6": 58}
_TYPE_STRING, _TYPE_UINT, _TYPE_ADDR, _TYPE_ENUM, _TYPE_TIME = 1, 2, 3, 4, 5
_COUNTERS = {"records": 2, "headers": 3, "blanks": 4, "errors": 5, "bytes": 6, "inputs": 7, "lines": 1,
             "millisecond_times": 8, "input_errors": 9, "skipped_files": 10, "outside_window": 11}
_INPUT_STATUS = {0: "queued", 1: "reading", 2: "complete", 3: "failed", 4: "stopped"}
_DIAG_COUNTERS = {"records_accept": 1, "records_reject": 2, "packets_accept": 3, "packets_reject": 4,
                  "bytes_accept": 5, "bytes_reject": 6, "tcp_flags": 7, "first_time": 8, "last_time": 9}
_MAX_ERRORS_KEPT = 1000


def version() -> str:
    """The library's version, e.g. "1.6.0"."""
    return _lib.lib().flowlog_version_string().decode()


class FlowlogError(Exception):
    """An error of the library: its status (FLOWLOG_E_*), message, and the
    file and line it is about when there is one."""

    def __init__(self, status: int, message: str, path: Optional[str] = None, line: Optional[int] = None):
        self.status = status
        self.message = message
        self.path = path
        self.line = line
        where = f"{path}:{line}: " if path and line else f"{path}: " if path else ""
        super().__init__(where + message)

    @property
    def name(self) -> str:
        """The status's name, e.g. "FLOWLOG_E_QUERY"."""
        return _lib.lib().flowlog_status_name(self.status).decode()


def _text(b: Optional[bytes]) -> str:
    return b.decode("utf-8", "surrogateescape") if b else ""


def _check(rc: int, message: Optional[bytes] = None) -> int:
    if rc < 0:
        text = _text(message) or _text(_lib.lib().flowlog_strerror(rc))
        raise FlowlogError(rc, text)
    return rc


def _check_info(rc: int, info: "_lib.ErrorInfo") -> int:
    if rc < 0:
        raise FlowlogError(rc, _text(info.message) or _text(_lib.lib().flowlog_strerror(rc)))
    return rc


def _seconds(t: Union[None, int, float, _dt.datetime]) -> int:
    if t is None:
        return 0
    if isinstance(t, _dt.datetime):
        if t.tzinfo is None:
            raise ValueError("a time needs its zone: datetime(..., tzinfo=timezone.utc)")
        return int(t.timestamp())
    return int(t)


def _address(a: "_lib.Addr") -> Union[_ip.IPv4Address, _ip.IPv6Address]:
    raw = bytes(a.bytes)
    return _ip.IPv4Address(raw[:4]) if a.family == 4 else _ip.IPv6Address(raw)


def _as_paths(paths: Paths) -> List[str]:
    if paths is None:
        return []
    if isinstance(paths, (str, bytes, _os.PathLike)):
        return [_os.fsdecode(paths)]
    return [_os.fsdecode(p) for p in paths]


class Record(dict):
    """One flow-log record: its fields by their AWS names (``rec["srcaddr"]``,
    ``rec["interface-id"]``) and as attributes (``rec.interface_id``).
    Addresses are ipaddress objects, numbers and times (Unix seconds) ints,
    the rest str; a ``-`` field is None. ``path`` and ``line`` say where it
    was read."""

    __slots__ = ("path", "line")

    def __getattr__(self, name: str) -> Any:
        key = name.replace("_", "-")
        if key in self:
            return self[key]
        if name in self:
            return self[name]
        raise AttributeError(name)


class Reader:
    """Records of files, directories (walked in name order), "-" for stdin,
    bytes or a binary file object; gzip, CloudWatch JSON and CSV exports are
    recognised. Iterate it for Records; use it as a context manager, or
    close() it, to free it at once.

    Bad lines are counted (``counts()["errors"]``) and kept in ``errors``
    (the first 1000, as FlowlogError with path and line); ``on_error`` is
    called with each; ``strict=True`` raises the first instead."""

    def __init__(self, paths: Paths = None, *, data: Data = None, format: Optional[str] = None,
                 input_format: Optional[str] = None, since=None, until=None, strict: bool = False,
                 on_error: Optional[Callable[[FlowlogError], None]] = None, max_line: Optional[int] = None,
                 mmap: Optional[bool] = False):
        lib = _lib.lib()
        self._lib = lib
        self._handle = None
        self._schema = None
        self._data = []  # bytes the reader reads from memory: kept alive here
        self.errors: List[FlowlogError] = []
        self._strict = strict
        self._on_error = on_error
        self._pending: Optional[FlowlogError] = None
        info = _lib.ErrorInfo()
        if format:
            schema = _c.c_void_p()
            text = format.encode()
            _check_info(lib.flowlog_schema_compile_ex(_c.byref(schema), text, len(text), 0, None, _c.byref(info)),
                        info)
            self._schema = schema
        handle = _c.c_void_p()
        _check_info(lib.flowlog_reader_new_ex(_c.byref(handle), self._schema, None, _c.byref(info)), info)
        self._handle = handle
        self._callback = _lib.ERROR_FN(self._told)
        lib.flowlog_reader_set_error_handler(handle, self._callback, None)
        options = {1: max_line, 7: 1 if mmap else None, 9: _seconds(since) or None, 10: _seconds(until) or None}
        if input_format:
            forms = {"auto": 0, "text": 1, "s3": 1, "json": 2, "cloudwatch": 2, "csv": 3}
            if input_format not in forms:
                raise ValueError(f"input_format is one of {', '.join(forms)}")
            options[11] = forms[input_format]
        if strict:
            options[2] = 1  # stop at the first bad line
        for key, value in options.items():
            if value is not None:
                _check(lib.flowlog_reader_set(handle, key, int(value)))
        for p in _as_paths(paths):
            rc = lib.flowlog_reader_add_path(handle, p.encode())
            if rc < 0:
                err = FlowlogError(rc, _text(lib.flowlog_reader_error_message(handle)), p)
                if strict or rc == _lib.E_NOMEM:
                    raise err
                self._keep(err)
        if data is not None:
            self.add_data(data)

    def add_data(self, data: Data, name: str = "<memory>") -> "Reader":
        """Queue bytes, or all of a binary file object, to be read after what is queued."""
        if hasattr(data, "read"):
            name = getattr(data, "name", name) if isinstance(getattr(data, "name", None), str) else name
            data = data.read()
        buf = bytes(data)
        self._data.append(buf)
        _check(self._lib.flowlog_reader_add_memory(self._handle, buf, len(buf), name.encode()),
               self._lib.flowlog_reader_error_message(self._handle))
        return self

    def _told(self, ctx, path, line, status, message):
        err = FlowlogError(status, _text(message), _text(path) or None, line or None)
        self._keep(err)
        if self._strict and self._pending is None:
            self._pending = err

    def _keep(self, err: FlowlogError) -> None:
        if len(self.errors) < _MAX_ERRORS_KEPT:
            self.errors.append(err)
        if self._on_error:
            self._on_error(err)

    def _raise_pending(self) -> None:
        if self._pending is not None:
            err, self._pending = self._pending, None
            raise err

    def __iter__(self) -> Iterator[Record]:
        lib, handle = self._lib, self._handle
        rec = _c.c_void_p()
        span = _lib.Span()
        u = _c.c_uint64()
        string_at = _c.string_at
        last_schema = None
        names: List[str] = []
        kinds: List[int] = []
        fields: List[int] = []
        texts: Dict[bytes, Any] = {}  # addresses and words repeat: one object each
        while True:
            rc = lib.flowlog_reader_next(handle, _c.byref(rec))
            self._raise_pending()
            if rc == _lib.END:
                return
            if rc == _lib.NEED_MORE:
                raise FlowlogError(-2, "the reader waits for pushed input")
            if rc < 0:
                if rc == _lib.E_NOMEM:
                    _check(rc)
                continue
            schema = lib.flowlog_record_schema(rec)
            if schema != last_schema:
                last_schema = schema
                fields = [lib.flowlog_schema_column_field(schema, c) for c in range(lib.flowlog_schema_column_count(schema))]
                names = [_text(lib.flowlog_schema_field_name(schema, f)) for f in fields]
                kinds = [lib.flowlog_schema_field_type(schema, f) for f in fields]
            line = lib.flowlog_record_line(rec)
            tokens = string_at(line.ptr, line.len).split(b" ") if line.len else []
            if len(tokens) != len(fields):
                tokens = []
                for col in range(len(fields)):
                    lib.flowlog_record_column(rec, col, _c.byref(span))
                    tokens.append(string_at(span.ptr, span.len) if span.len else b"-")
            values = []
            for tok, kind, field in zip(tokens, kinds, fields):
                if tok == b"-" or not tok:
                    values.append(None)
                elif kind == _TYPE_UINT:
                    values.append(int(tok))
                elif kind == _TYPE_TIME:  # milliseconds become seconds as the library reads them
                    values.append(u.value if lib.flowlog_record_get_u64(rec, field, _c.byref(u)) == _lib.OK else None)
                else:
                    v = texts.get(tok)
                    if v is None:
                        v = _ip.ip_address(tok.decode()) if kind == _TYPE_ADDR else _text(tok)
                        if len(texts) < 65536:
                            texts[tok] = v
                    values.append(v)
            out = Record(zip(names, values))
            out.path = _text(lib.flowlog_reader_path(handle))
            out.line = lib.flowlog_reader_line(handle)
            yield out

    def counts(self) -> Dict[str, int]:
        """What was read: lines, records, headers, blanks, errors, bytes, inputs, ..."""
        return {name: self._lib.flowlog_reader_count(self._handle, key) for name, key in _COUNTERS.items()}

    def inputs(self) -> List[Dict[str, Any]]:
        """Each input's account: path, status (complete, failed, ...), records, errors, reason."""
        return _inputs(self._lib.flowlog_reader_input_count, self._lib.flowlog_reader_input, self._handle)

    def close(self) -> None:
        if getattr(self, "_handle", None):
            self._lib.flowlog_reader_free(self._handle)
            self._handle = None
        if getattr(self, "_schema", None):
            self._lib.flowlog_schema_free(self._schema)
            self._schema = None

    def __enter__(self) -> "Reader":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self):
        self.close()


def _inputs(count_fn, input_fn, handle) -> List[Dict[str, Any]]:
    out = []
    name, reason = _c.c_char_p(), _c.c_char_p()
    status = _c.c_int()
    records, errors = _c.c_uint64(), _c.c_uint64()
    for i in range(count_fn(handle)):
        input_fn(handle, i, _c.byref(name), _c.byref(status), _c.byref(records), _c.byref(errors), _c.byref(reason))
        out.append({"path": _text(name.value), "status": _INPUT_STATUS.get(status.value, str(status.value)),
                    "records": records.value, "errors": errors.value, "reason": _text(reason.value)})
    return out


def _reader_of(paths: Paths, data: Data, reader: Optional[Reader], kw) -> Reader:
    if reader is not None:
        if paths is not None or data is not None:
            raise ValueError("give a reader, or paths and data, not both")
        return reader
    return Reader(paths, data=data, **kw)


def records(paths: Paths = None, *, data: Data = None, **kw) -> Iterator[Record]:
    """The records of paths or data (see Reader for the options)."""
    with Reader(paths, data=data, **kw) as r:
        yield from r


def _cell(v: "_lib.Value") -> Any:
    if v.type == 1:
        return v.i
    if v.type == 2:
        return v.f
    if v.type == 3:
        return _text(_c.string_at(v.s, v.len)) if v.len else ""
    if v.type == 4:
        return _dt.datetime.fromtimestamp(v.i, _dt.timezone.utc)
    return None


class Query:
    """A compiled CloudWatch Logs Insights query. run() gives its rows as
    dicts; past ``max_memory`` bytes it groups and sorts in temporary files
    of ``temp_dir`` (the same rows)."""

    def __init__(self, text: str, *, max_memory: Optional[int] = None, max_groups: Optional[int] = None,
                 temp_dir: Optional[str] = None):
        lib = _lib.lib()
        self._lib = lib
        self._handle = None
        info = _lib.ErrorInfo()
        handle = _c.c_void_p()
        _check_info(lib.flowlog_query_new_ex(_c.byref(handle), None, _c.byref(info)), info)
        self._handle = handle
        if max_groups is not None:
            _check(lib.flowlog_query_set(handle, 1, int(max_groups)))
        if max_memory is not None:
            _check(lib.flowlog_query_set(handle, 4, int(max_memory)))
        raw = text.encode()
        rc = lib.flowlog_query_compile(handle, raw, len(raw))
        _check(rc, lib.flowlog_query_error_message(handle))
        if temp_dir is not None:
            _check(lib.flowlog_query_set_spill_dir(handle, _os.fsencode(temp_dir)))
        self.columns: List[str] = [_text(lib.flowlog_query_column_name(handle, i))
                                   for i in range(lib.flowlog_query_column_count(handle))]
        self._used = False

    def _row(self) -> Dict[str, Any]:
        v = _lib.Value()
        row = {}
        for i, name in enumerate(self.columns):
            self._lib.flowlog_query_cell(self._handle, i, _c.byref(v))
            row[name] = _cell(v)
        return row

    def _feed_all(self, r: Reader) -> Iterator[int]:
        """Each record of r fed to the query: what feeding said (OK: a row
        is ready; END: the query wants no more). A value that does not
        convert is the reader's bad line."""
        lib, q = self._lib, self._handle
        rec = _c.c_void_p()
        while True:
            rc = lib.flowlog_reader_next(r._handle, _c.byref(rec))
            r._raise_pending()
            if rc == _lib.END:
                return
            if rc < 0:
                if rc == _lib.E_NOMEM:
                    _check(rc)
                continue
            lib.flowlog_query_set_log_group(q, lib.flowlog_reader_log_group(r._handle))
            fed = lib.flowlog_query_feed(q, rec, lib.flowlog_reader_stream(r._handle))
            if fed in (-10, -11, -23):  # a value that does not convert, a regex over budget
                lib.flowlog_reader_reject(r._handle, fed, lib.flowlog_query_error_message(q))
                r._raise_pending()
            elif fed < 0:
                _check(fed, lib.flowlog_query_error_message(q))
            else:
                yield fed

    def _has_prefilter(self) -> bool:
        needles = (_lib.Span * 4)()  # FLOWLOG_PREFILTER_MAX_NEEDLES
        n = _c.c_size_t(4)
        return self._lib.flowlog_query_prefilter(self._handle, needles, _c.byref(n)) == _lib.OK and n.value > 0

    def _once(self) -> None:
        if self._used:
            raise FlowlogError(-2, "a Query runs once; compile another")
        self._used = True

    def run(self, paths: Paths = None, *, data: Data = None, reader: Optional[Reader] = None,
            **kw) -> List[Dict[str, Any]]:
        """Every row over the records of paths, data or a Reader, as a list.
        Files are mapped, as the command line maps them, when the query's
        filters let the reader pass over records (mmap=False not to: a file
        cut shorter while mapped ends the process with SIGBUS)."""
        self._once()
        if reader is None and kw.get("mmap") is None:
            kw["mmap"] = self._has_prefilter()
        r = _reader_of(paths, data, reader, kw)
        rows: List[Dict[str, Any]] = []

        def take(ctx, q):
            rows.append(self._row())
            return 0

        callback = _lib.ROW_FN(take)
        try:
            rc = self._lib.flowlog_query_run(self._handle, r._handle, callback, None)
            r._raise_pending()
            _check(rc, self._lib.flowlog_query_error_message(self._handle))
        finally:
            if reader is None:
                r.close()
        return rows

    def rows(self, paths: Paths = None, *, data: Data = None, reader: Optional[Reader] = None,
             **kw) -> Iterator[Dict[str, Any]]:
        """The rows as they come: a query without stats or sort gives each as
        its record is read; one with them, after the last record."""
        self._once()
        lib, q = self._lib, self._handle
        r = _reader_of(paths, data, reader, kw)
        try:
            for fed in self._feed_all(r):
                if fed == _lib.OK:
                    yield self._row()
                elif fed == _lib.END:
                    break
            _check(lib.flowlog_query_finish(q), lib.flowlog_query_error_message(q))
            while True:
                rc = lib.flowlog_query_next_row(q)
                if rc == _lib.END:
                    break
                _check(rc, lib.flowlog_query_error_message(q))
                yield self._row()
        finally:
            if reader is None:
                r.close()

    def feed(self, paths: Paths = None, *, data: Data = None, reader: Optional[Reader] = None, **kw) -> "Query":
        """Read records into a stats query without finishing it, so that its
        state can be serialised and merged with other parts'."""
        r = _reader_of(paths, data, reader, kw)
        try:
            for fed in self._feed_all(r):
                if fed == _lib.END:
                    break
        finally:
            if reader is None:
                r.close()
        return self

    def serialize(self) -> bytes:
        """A stats query's groups so far (after feed(), before the rows) as bytes."""
        need = _c.c_size_t()
        rc = self._lib.flowlog_query_serialize(self._handle, None, 0, _c.byref(need))
        if rc not in (_lib.OK, _lib.E_RANGE):
            _check(rc, self._lib.flowlog_query_error_message(self._handle))
        buf = _c.create_string_buffer(need.value)
        _check(self._lib.flowlog_query_serialize(self._handle, buf, need.value, _c.byref(need)),
               self._lib.flowlog_query_error_message(self._handle))
        return buf.raw[:need.value]

    def merge(self, state: Union[bytes, "Query"]) -> "Query":
        """Merge another part's state (bytes, or a Query of the same text) after what this one holds."""
        raw = state.serialize() if isinstance(state, Query) else bytes(state)
        _check(self._lib.flowlog_query_merge(self._handle, raw, len(raw)),
               self._lib.flowlog_query_error_message(self._handle))
        return self

    def result(self) -> List[Dict[str, Any]]:
        """Finish: the rows of everything fed and merged."""
        self._once()
        lib, q = self._lib, self._handle
        _check(lib.flowlog_query_finish(q), lib.flowlog_query_error_message(q))
        rows = []
        while True:
            rc = lib.flowlog_query_next_row(q)
            if rc == _lib.END:
                return rows
            _check(rc, lib.flowlog_query_error_message(q))
            rows.append(self._row())

    @property
    def spilled(self) -> int:
        """Bytes written to temporary files."""
        return self._lib.flowlog_query_spilled(self._handle)

    def close(self) -> None:
        if getattr(self, "_handle", None):
            self._lib.flowlog_query_free(self._handle)
            self._handle = None

    def __enter__(self) -> "Query":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self):
        self.close()


def query(text: str, paths: Paths = None, *, data: Data = None, reader: Optional[Reader] = None,
          max_memory: Optional[int] = None, temp_dir: Optional[str] = None, **kw) -> List[Dict[str, Any]]:
    """A CloudWatch Logs Insights query over paths or data: its rows as dicts."""
    with Query(text, max_memory=max_memory, temp_dir=temp_dir) as q:
        return q.run(paths, data=data, reader=reader, **kw)


def query_rows(text: str, paths: Paths = None, *, data: Data = None, **kw) -> Iterator[Dict[str, Any]]:
    """As query(), one row at a time."""
    with Query(text) as q:
        yield from q.rows(paths, data=data, **kw)


class _State:
    """What Diagnosis and Sweep share: a handle that serialises and merges."""

    _prefix = ""

    def _fn(self, name):
        return getattr(self._lib, f"flowlog_{self._prefix}_{name}")

    def serialize(self) -> bytes:
        """The state as bytes: equal states are equal bytes."""
        need = _c.c_size_t()
        self._fn("serialize")(self._handle, None, 0, _c.byref(need))
        buf = _c.create_string_buffer(need.value)
        _check(self._fn("serialize")(self._handle, buf, need.value, _c.byref(need)))
        return buf.raw[:need.value]

    @classmethod
    def _load(cls, data: bytes):
        lib = _lib.lib()
        handle = _c.c_void_p()
        info = _lib.ErrorInfo()
        raw = bytes(data)
        _check_info(getattr(lib, f"flowlog_{cls._prefix}_deserialize_ex")(_c.byref(handle), raw, len(raw), None,
                                                                          _c.byref(info)), info)
        obj = cls.__new__(cls)
        obj._lib = lib
        obj._handle = handle
        return obj

    def merge(self, other) -> "_State":
        """Join the state of another part of the same question's evidence."""
        rc = self._fn("merge")(self._handle, other._handle)
        msg = self._lib.flowlog_diag_error_message(self._handle) if self._prefix == "diag" else None
        _check(rc, msg)
        return self

    def inputs(self) -> List[Dict[str, Any]]:
        return _inputs(self._fn("input_count"), self._fn("input"), self._handle)

    @property
    def complete(self) -> bool:
        """Every input was read whole, without bad lines."""
        return self._fn("complete")(self._handle) == 1

    def close(self) -> None:
        if getattr(self, "_handle", None):
            self._fn("free")(self._handle)
            self._handle = None

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self):
        self.close()


class Diagnosis(_State):
    """Why client cannot reach server:port — the verdict, which side
    rejected, the evidence, the gaps in it, and what to do."""

    _prefix = "diag"

    def __init__(self, client: str, server: str, port: Union[int, Sequence[int]], protocol: Union[str, int] = "tcp",
                 *, since=None, until=None, config: Optional[str] = None):
        lib = _lib.lib()
        self._lib = lib
        self._handle = None
        self._config = None
        proto = _PROTOCOLS[protocol.lower()] if isinstance(protocol, str) else int(protocol)
        lo, hi = (port, port) if isinstance(port, int) else (int(port[0]), int(port[1]))
        handle = _c.c_void_p()
        info = _lib.ErrorInfo()
        _check_info(lib.flowlog_diag_new_ex(_c.byref(handle), str(client).encode(), str(server).encode(), lo, hi,
                                            proto, None, _c.byref(info)), info)
        self._handle = handle
        if since is not None or until is not None:
            _check(lib.flowlog_diag_set_window(handle, _seconds(since), _seconds(until)))
        if config is not None:
            cfg = _c.c_void_p()
            _check(lib.flowlog_config_new(_c.byref(cfg), None))
            self._config = cfg
            _check(lib.flowlog_config_load_dir(cfg, _os.fsencode(config)), lib.flowlog_config_error_message(cfg))
            _check(lib.flowlog_diag_set_config(handle, cfg))

    @classmethod
    def deserialize(cls, data: bytes) -> "Diagnosis":
        """A state written by serialize(); FlowlogError when corrupt or of another version."""
        obj = cls._load(data)
        obj._config = None
        return obj

    def run(self, paths: Paths = None, *, data: Data = None, reader: Optional[Reader] = None, **kw) -> "Diagnosis":
        """Read every record of paths, data or a Reader as evidence."""
        r = _reader_of(paths, data, reader, kw)
        try:
            rc = self._lib.flowlog_diag_run(self._handle, r._handle)
            r._raise_pending()
            _check(rc, self._lib.flowlog_diag_error_message(self._handle))
        finally:
            if reader is None:
                r.close()
        return self

    @property
    def verdict(self) -> str:
        return _text(self._lib.flowlog_verdict_name(self._lib.flowlog_diag_verdict(self._handle)))

    @property
    def side(self) -> str:
        return _text(self._lib.flowlog_diag_side_name(self._lib.flowlog_diag_side(self._handle)))

    @property
    def warnings(self) -> List[str]:
        bits = self._lib.flowlog_diag_warnings(self._handle)
        return [_text(self._lib.flowlog_diag_warning_name(1 << b)) for b in range(32) if bits & (1 << b)]

    @property
    def evidence(self) -> Dict[str, Dict[str, int]]:
        """Records, packets and bytes accepted and rejected, tcp-flags and times, each way."""
        return {direction: {name: self._lib.flowlog_diag_count(self._handle, d, key)
                            for name, key in _DIAG_COUNTERS.items()}
                for d, direction in enumerate(("forward", "reverse"))}

    @property
    def enis(self) -> List[Dict[str, Any]]:
        out = []
        ident = _c.c_char_p()
        side = _c.c_int()
        counts = (_c.c_uint64 * 4)()
        io = _c.c_uint()
        gaps = (_c.c_uint64 * 2)()
        for i in range(self._lib.flowlog_diag_eni_count(self._handle)):
            self._lib.flowlog_diag_eni(self._handle, i, _c.byref(ident), _c.byref(side), counts, _c.byref(io), gaps)
            out.append({"id": _text(ident.value), "side": _text(self._lib.flowlog_diag_side_name(side.value)),
                        "forward_accept": counts[0], "forward_reject": counts[1], "reverse_accept": counts[2],
                        "reverse_reject": counts[3], "nodata": gaps[0], "skipdata": gaps[1]})
        return out

    @property
    def near_misses(self) -> List[Dict[str, Any]]:
        """What the client did instead: another port, another server, another client."""
        out = []
        kind, protocol = _c.c_int(), _c.c_int()
        client, server = _lib.Addr(), _lib.Addr()
        port = _c.c_uint()
        counts = (_c.c_uint64 * 5)()
        i = 0
        while self._lib.flowlog_diag_near_miss(self._handle, i, _c.byref(kind), _c.byref(client), _c.byref(server),
                                               _c.byref(port), _c.byref(protocol), counts) == _lib.OK:
            out.append({"kind": _text(self._lib.flowlog_diag_near_miss_name(kind.value)),
                        "client": _address(client) if client.family else None,
                        "server": _address(server) if server.family else None,
                        "port": port.value, "protocol": protocol.value, "records": counts[0]})
            i += 1
        return out

    @property
    def explanation(self) -> str:
        n = self._lib.flowlog_diag_explain(self._handle, None, 0)
        buf = _c.create_string_buffer(n + 1)
        self._lib.flowlog_diag_explain(self._handle, buf, n + 1)
        return _text(buf.value)

    def close(self) -> None:
        super().close()
        if getattr(self, "_config", None):
            self._lib.flowlog_config_free(self._config)
            self._config = None


def diagnose(client: str, server: str, port: Union[int, Sequence[int]], protocol: Union[str, int] = "tcp",
             paths: Paths = None, *, data: Data = None, reader: Optional[Reader] = None, config: Optional[str] = None,
             since=None, until=None, **kw) -> Diagnosis:
    """Diagnose client -> server:port over paths, data or a Reader."""
    d = Diagnosis(client, server, port, protocol, since=since, until=until, config=config)
    return d.run(paths, data=data, reader=reader, **kw)


class Sweep(_State):
    """Every client -> server:port conversation with a problem (blocked,
    return-blocked, refused, no-response), most packets first."""

    _prefix = "sweep"

    def __init__(self, *, since=None, until=None):
        lib = _lib.lib()
        self._lib = lib
        self._handle = None
        handle = _c.c_void_p()
        info = _lib.ErrorInfo()
        _check_info(lib.flowlog_sweep_new_ex(_c.byref(handle), None, _c.byref(info)), info)
        self._handle = handle
        if since is not None or until is not None:
            _check(lib.flowlog_sweep_set_window(handle, _seconds(since), _seconds(until)))
        self._count = None

    @classmethod
    def deserialize(cls, data: bytes) -> "Sweep":
        obj = cls._load(data)
        obj._count = None
        return obj

    def run(self, paths: Paths = None, *, data: Data = None, reader: Optional[Reader] = None, **kw) -> "Sweep":
        r = _reader_of(paths, data, reader, kw)
        count = _c.c_size_t()
        try:
            rc = self._lib.flowlog_sweep_run(self._handle, r._handle, _c.byref(count))
            r._raise_pending()
            _check(rc)
        finally:
            if reader is None:
                r.close()
        self._count = None
        return self

    @property
    def results(self) -> List[Dict[str, Any]]:
        count = _c.c_size_t()
        _check(self._lib.flowlog_sweep_finish(self._handle, _c.byref(count)))
        out = []
        client, server = _lib.Addr(), _lib.Addr()
        port = _c.c_uint()
        protocol, verdict = _c.c_int(), _c.c_int()
        for i in range(count.value):
            self._lib.flowlog_sweep_result(self._handle, i, _c.byref(client), _c.byref(server), _c.byref(port),
                                           _c.byref(protocol), _c.byref(verdict))
            out.append({"client": _address(client), "server": _address(server), "port": port.value,
                        "protocol": protocol.value, "verdict": _text(self._lib.flowlog_verdict_name(verdict.value)),
                        "packets": self._lib.flowlog_sweep_count(self._handle, i, 0, 3) +
                        self._lib.flowlog_sweep_count(self._handle, i, 0, 4)})
        return out

    @property
    def conversations(self) -> int:
        return self._lib.flowlog_sweep_conversations(self._handle)


def sweep(paths: Paths = None, *, data: Data = None, reader: Optional[Reader] = None, since=None, until=None,
          **kw) -> Sweep:
    """Sweep paths, data or a Reader for every conversation with a problem."""
    return Sweep(since=since, until=until).run(paths, data=data, reader=reader, **kw)
