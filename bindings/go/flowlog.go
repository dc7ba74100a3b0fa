// Package flowlog reads AWS VPC Flow Logs through libflowlog (cgo,
// pkg-config flowlog): records with a Scanner-style reader, CloudWatch Logs
// Insights queries, and connectivity diagnoses and sweeps whose states
// serialise and merge. Handles hold C memory: Close each one; nothing is
// left to finalizers. Standard library only.
package flowlog

/*
#cgo pkg-config: flowlog
#include <stdlib.h>
#include <flowlog/flowlog.h>

extern void flowlogGoReaderError(void *ctx, char *path, uint64_t line, int status, char *message);

static void flowlog_go_on_error(void *ctx, const char *path, uint64_t line, int status, const char *message)
{
    flowlogGoReaderError(ctx, (char *)path, line, status, (char *)message);
}

static int flowlog_go_set_handler(flowlog_reader *r, uintptr_t handle)
{
    return flowlog_reader_set_error_handler(r, flowlog_go_on_error, (void *)handle);
}
*/
import "C"

import (
	"fmt"
	"net/netip"
	"runtime/cgo"
	"time"
	"unsafe"
)

// Statuses the calls return (the library's FLOWLOG_* values).
const (
	statusOK      = 0
	statusEnd     = 3
	statusNoMem   = -3
	statusRange   = -5
	maxErrorsKept = 1000
)

// Protocols by name, for Diagnose.
const (
	TCP    = 6
	UDP    = 17
	ICMP   = 1
	ICMPv6 = 58
)

// Error is an error of the library: its status, the status's name, its
// message, and the file and line it is about when there is one.
type Error struct {
	Status  int
	Name    string
	Message string
	Path    string
	Line    uint64
}

func (e *Error) Error() string {
	switch {
	case e.Path != "" && e.Line != 0:
		return fmt.Sprintf("%s:%d: %s", e.Path, e.Line, e.Message)
	case e.Path != "":
		return e.Path + ": " + e.Message
	}
	return e.Message
}

func newError(status C.int, message *C.char) *Error {
	msg := C.GoString(message)
	if msg == "" {
		msg = C.GoString(C.flowlog_strerror(status))
	}
	return &Error{Status: int(status), Name: C.GoString(C.flowlog_status_name(status)), Message: msg}
}

func infoError(status C.int, info *C.flowlog_error_info) *Error {
	return newError(status, &info.message[0])
}

// Version is the library's version, e.g. "1.6.0".
func Version() string { return C.GoString(C.flowlog_version_string()) }

// Field is a flow-log field's id.
type Field uint32

// The fields most programs read; FieldByName gives any other.
var (
	FieldInterfaceID = Field(C.FLOWLOG_FIELD_INTERFACE_ID)
	FieldSrcAddr     = Field(C.FLOWLOG_FIELD_SRCADDR)
	FieldDstAddr     = Field(C.FLOWLOG_FIELD_DSTADDR)
	FieldSrcPort     = Field(C.FLOWLOG_FIELD_SRCPORT)
	FieldDstPort     = Field(C.FLOWLOG_FIELD_DSTPORT)
	FieldProtocol    = Field(C.FLOWLOG_FIELD_PROTOCOL)
	FieldPackets     = Field(C.FLOWLOG_FIELD_PACKETS)
	FieldBytes       = Field(C.FLOWLOG_FIELD_BYTES)
	FieldStart       = Field(C.FLOWLOG_FIELD_START)
	FieldEnd         = Field(C.FLOWLOG_FIELD_END)
	FieldAction      = Field(C.FLOWLOG_FIELD_ACTION)
	FieldLogStatus   = Field(C.FLOWLOG_FIELD_LOG_STATUS)
)

// FieldByName is the field of an AWS name ("srcaddr", "tcp-flags"), or false.
func FieldByName(name string) (Field, bool) {
	cs := C.CString(name)
	defer C.free(unsafe.Pointer(cs))
	id := C.flowlog_field_lookup(cs, C.size_t(len(name)))
	return Field(id), id != 0
}

// Reader reads records from files, directories (walked in name order), "-"
// for standard input, or bytes; gzip, CloudWatch JSON and CSV exports are
// recognised. Scan moves to the next record; bad lines are counted and
// kept (Errors), never silently dropped.
type Reader struct {
	r       *C.flowlog_reader
	rec     *C.flowlog_record
	handle  cgo.Handle
	memory  []unsafe.Pointer
	errs    []*Error
	nerrs   int
	err     error
	OnError func(*Error) // called with each bad line or input, if set
}

//export flowlogGoReaderError
func flowlogGoReaderError(ctx unsafe.Pointer, path *C.char, line C.uint64_t, status C.int, message *C.char) {
	r := cgo.Handle(uintptr(ctx)).Value().(*Reader)
	e := newError(status, message)
	e.Path = C.GoString(path)
	e.Line = uint64(line)
	r.nerrs++
	if len(r.errs) < maxErrorsKept {
		r.errs = append(r.errs, e)
	}
	if r.OnError != nil {
		r.OnError(e)
	}
}

// NewReader makes a reader of the paths (more can be added).
func NewReader(paths ...string) (*Reader, error) {
	var info C.flowlog_error_info
	r := &Reader{}
	if rc := C.flowlog_reader_new_ex(&r.r, nil, nil, &info); rc < 0 {
		return nil, infoError(rc, &info)
	}
	r.handle = cgo.NewHandle(r)
	C.flowlog_go_set_handler(r.r, C.uintptr_t(r.handle))
	for _, p := range paths {
		if err := r.AddPath(p); err != nil {
			r.Close()
			return nil, err
		}
	}
	return r, nil
}

// AddPath queues a file, a directory or "-". A path that cannot be queued
// is an error only when memory runs out; otherwise it is a failed input,
// told to OnError and counted, as the command line does.
func (r *Reader) AddPath(path string) error {
	cs := C.CString(path)
	defer C.free(unsafe.Pointer(cs))
	if rc := C.flowlog_reader_add_path(r.r, cs); rc == statusNoMem {
		return newError(rc, C.flowlog_reader_error_message(r.r))
	} else if rc < 0 {
		e := newError(rc, C.flowlog_reader_error_message(r.r))
		e.Path = path
		r.nerrs++
		r.errs = append(r.errs, e)
		if r.OnError != nil {
			r.OnError(e)
		}
	}
	return nil
}

// AddBytes queues bytes (copied) to be read after what is queued.
func (r *Reader) AddBytes(name string, data []byte) error {
	p := C.CBytes(data)
	r.memory = append(r.memory, p)
	cs := C.CString(name)
	defer C.free(unsafe.Pointer(cs))
	if rc := C.flowlog_reader_add_memory(r.r, p, C.size_t(len(data)), cs); rc < 0 {
		return newError(rc, C.flowlog_reader_error_message(r.r))
	}
	return nil
}

// Scan moves to the next record; false at the end (or on Err).
func (r *Reader) Scan() bool {
	for {
		rc := C.flowlog_reader_next(r.r, &r.rec)
		switch {
		case rc == statusOK:
			return true
		case rc == statusEnd:
			r.rec = nil
			return false
		case rc == statusNoMem || rc == 1: // out of memory; or a push input, which this reader never has
			r.err = newError(rc, C.flowlog_reader_error_message(r.r))
			r.rec = nil
			return false
		}
		// a bad line: counted and told; go on
	}
}

// Record is the record Scan moved to, valid until the next Scan.
func (r *Reader) Record() Record { return Record{r.rec} }

// Err is what stopped Scan early, or nil.
func (r *Reader) Err() error { return r.err }

// Errors are the bad lines and inputs met so far (the first 1000).
func (r *Reader) Errors() []*Error { return r.errs }

// Counters of Count.
const (
	CountLines       = 1
	CountRecords     = 2
	CountErrors      = 5
	CountInputs      = 7
	CountInputErrors = 9
)

// Count is one of the reader's counters (CountRecords, CountErrors, ...).
func (r *Reader) Count(counter int) uint64 {
	return uint64(C.flowlog_reader_count(r.r, C.int(counter)))
}

// Close frees the reader.
func (r *Reader) Close() error {
	if r.r != nil {
		C.flowlog_reader_free(r.r)
		r.r = nil
		r.handle.Delete()
	}
	for _, p := range r.memory {
		C.free(p)
	}
	r.memory = nil
	return nil
}

// Record is one flow-log record. Each accessor says false for a field that
// is `-` or not in the record's format.
type Record struct{ rec *C.flowlog_record }

// Uint is a number: ports, packets, bytes, start and end (Unix seconds).
func (x Record) Uint(f Field) (uint64, bool) {
	var v C.uint64_t
	return uint64(v), C.flowlog_record_get_u64(x.rec, C.uint32_t(f), &v) == statusOK
}

// Addr is an address field.
func (x Record) Addr(f Field) (netip.Addr, bool) {
	var a C.flowlog_addr
	if C.flowlog_record_get_addr(x.rec, C.uint32_t(f), &a) != statusOK {
		return netip.Addr{}, false
	}
	return goAddr(&a), true
}

// String is any field's text as written.
func (x Record) String(f Field) (string, bool) {
	var s C.flowlog_span
	if C.flowlog_record_get_str(x.rec, C.uint32_t(f), &s) != statusOK {
		return "", false
	}
	return C.GoStringN(s.ptr, C.int(s.len)), true
}

// Line is the record's line as read.
func (x Record) Line() string {
	s := C.flowlog_record_line(x.rec)
	return C.GoStringN(s.ptr, C.int(s.len))
}

func goAddr(a *C.flowlog_addr) netip.Addr {
	b := C.GoBytes(unsafe.Pointer(&a.bytes[0]), 16)
	if a.family == C.FLOWLOG_AF_INET {
		return netip.AddrFrom4([4]byte{b[0], b[1], b[2], b[3]})
	}
	var b16 [16]byte
	copy(b16[:], b)
	return netip.AddrFrom16(b16)
}

// Query is a compiled CloudWatch Logs Insights query.
type Query struct {
	q       *C.flowlog_query
	Columns []string
	used    bool
}

// NewQuery compiles text; the error says what and where.
func NewQuery(text string) (*Query, error) {
	var info C.flowlog_error_info
	q := &Query{}
	if rc := C.flowlog_query_new_ex(&q.q, nil, &info); rc < 0 {
		return nil, infoError(rc, &info)
	}
	cs := C.CString(text)
	defer C.free(unsafe.Pointer(cs))
	if rc := C.flowlog_query_compile(q.q, cs, C.size_t(len(text))); rc < 0 {
		err := newError(rc, C.flowlog_query_error_message(q.q))
		q.Close()
		return nil, err
	}
	for i := 0; i < int(C.flowlog_query_column_count(q.q)); i++ {
		q.Columns = append(q.Columns, C.GoString(C.flowlog_query_column_name(q.q, C.size_t(i))))
	}
	return q, nil
}

func (q *Query) err(rc C.int) error { return newError(rc, C.flowlog_query_error_message(q.q)) }

func (q *Query) row() []any {
	out := make([]any, len(q.Columns))
	var v C.flowlog_value
	for i := range q.Columns {
		C.flowlog_query_cell(q.q, C.size_t(i), &v)
		switch v._type {
		case C.FLOWLOG_VALUE_INT:
			out[i] = int64(v.i)
		case C.FLOWLOG_VALUE_FLOAT:
			out[i] = float64(v.f)
		case C.FLOWLOG_VALUE_STRING:
			out[i] = C.GoStringN(v.s, C.int(v.len))
		case C.FLOWLOG_VALUE_TIME:
			out[i] = time.Unix(int64(v.i), 0).UTC()
		}
	}
	return out
}

// isRecordFailure: a value the query read did not convert, or a regular
// expression needed more work than a line may take: that record is a bad line.
func isRecordFailure(rc C.int) bool { return rc == -10 || rc == -11 || rc == -23 }

// Feed reads every record of r into the query without finishing it.
func (q *Query) Feed(r *Reader) error {
	for {
		rc := C.flowlog_reader_next(r.r, &r.rec)
		if rc == statusEnd {
			return nil
		}
		if rc == statusNoMem {
			return newError(rc, C.flowlog_reader_error_message(r.r))
		}
		if rc < 0 {
			continue
		}
		C.flowlog_query_set_log_group(q.q, C.flowlog_reader_log_group(r.r))
		fed := C.flowlog_query_feed(q.q, r.rec, C.flowlog_reader_stream(r.r))
		if isRecordFailure(fed) {
			C.flowlog_reader_reject(r.r, fed, C.flowlog_query_error_message(q.q))
		} else if fed == statusEnd {
			return nil
		} else if fed < 0 {
			return q.err(fed)
		}
	}
}

// Run gives every row over the records of r to fn (false stops it). A
// query with stats or sort runs in the library and gives its rows at the
// end; one without gives each row as its record is read.
func (q *Query) Run(r *Reader, fn func(row []any) bool) error {
	if q.used {
		return &Error{Status: -2, Name: "FLOWLOG_E_ARG", Message: "a Query runs once; compile another"}
	}
	q.used = true
	if C.flowlog_query_is_deferred(q.q) == 1 {
		if rc := C.flowlog_query_run(q.q, r.r, nil, nil); rc < 0 {
			return q.err(rc)
		}
		return q.rows(fn)
	}
	for {
		rc := C.flowlog_reader_next(r.r, &r.rec)
		if rc == statusEnd {
			break
		}
		if rc == statusNoMem {
			return newError(rc, C.flowlog_reader_error_message(r.r))
		}
		if rc < 0 {
			continue
		}
		fed := C.flowlog_query_feed(q.q, r.rec, C.flowlog_reader_stream(r.r))
		switch {
		case fed == statusOK:
			if !fn(q.row()) {
				return nil
			}
		case fed == statusEnd:
			return nil
		case isRecordFailure(fed):
			C.flowlog_reader_reject(r.r, fed, C.flowlog_query_error_message(q.q))
		case fed < 0:
			return q.err(fed)
		}
	}
	return nil
}

func (q *Query) rows(fn func(row []any) bool) error {
	for {
		rc := C.flowlog_query_next_row(q.q)
		if rc == statusEnd {
			return nil
		}
		if rc < 0 {
			return q.err(rc)
		}
		if !fn(q.row()) {
			return nil
		}
	}
}

// Result finishes a query fed (Feed) or merged (Merge): every row.
func (q *Query) Result() ([][]any, error) {
	if rc := C.flowlog_query_finish(q.q); rc < 0 {
		return nil, q.err(rc)
	}
	var out [][]any
	err := q.rows(func(row []any) bool { out = append(out, row); return true })
	return out, err
}

// Serialize is a stats query's groups so far, as bytes that Merge takes.
func (q *Query) Serialize() ([]byte, error) {
	var need C.size_t
	if rc := C.flowlog_query_serialize(q.q, nil, 0, &need); rc < 0 && rc != statusRange {
		return nil, q.err(rc)
	}
	buf := C.malloc(need + 1)
	defer C.free(buf)
	if rc := C.flowlog_query_serialize(q.q, buf, need, &need); rc < 0 {
		return nil, q.err(rc)
	}
	return C.GoBytes(buf, C.int(need)), nil
}

// Merge adds another part's state (of the same query text) after what q holds.
func (q *Query) Merge(state []byte) error {
	p := C.CBytes(state)
	defer C.free(p)
	if rc := C.flowlog_query_merge(q.q, p, C.size_t(len(state))); rc < 0 {
		return q.err(rc)
	}
	return nil
}

// Close frees the query.
func (q *Query) Close() error {
	if q.q != nil {
		C.flowlog_query_free(q.q)
		q.q = nil
	}
	return nil
}
