package flowlog

/*
#include <stdlib.h>
#include <flowlog/flowlog.h>
*/
import "C"

import (
	"net/netip"
	"unsafe"
)

// Diagnosis answers why client cannot reach server:port: the verdict, the
// side that rejected, the evidence and its gaps, what to check next.
type Diagnosis struct{ d *C.flowlog_diag }

// NewDiagnosis asks about client -> server:port over protocol (TCP, UDP,
// ICMP or a number); client and server are addresses, CIDRs or "any".
func NewDiagnosis(client, server string, port uint, protocol int) (*Diagnosis, error) {
	cc, cs := C.CString(client), C.CString(server)
	defer C.free(unsafe.Pointer(cc))
	defer C.free(unsafe.Pointer(cs))
	var info C.flowlog_error_info
	d := &Diagnosis{}
	if rc := C.flowlog_diag_new_ex(&d.d, cc, cs, C.uint(port), C.uint(port), C.int(protocol), nil, &info); rc < 0 {
		return nil, infoError(rc, &info)
	}
	return d, nil
}

// Diagnose reads paths and answers the question; Close the result.
func Diagnose(client, server string, port uint, protocol int, paths ...string) (*Diagnosis, error) {
	d, err := NewDiagnosis(client, server, port, protocol)
	if err != nil {
		return nil, err
	}
	r, err := NewReader(paths...)
	if err == nil {
		err = d.Run(r)
		r.Close()
	}
	if err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

// LoadDiagnosis is a state that Serialize wrote.
func LoadDiagnosis(state []byte) (*Diagnosis, error) {
	p := C.CBytes(state)
	defer C.free(p)
	var info C.flowlog_error_info
	d := &Diagnosis{}
	if rc := C.flowlog_diag_deserialize_ex(&d.d, p, C.size_t(len(state)), nil, &info); rc < 0 {
		return nil, infoError(rc, &info)
	}
	return d, nil
}

// Run reads every record of r as evidence.
func (d *Diagnosis) Run(r *Reader) error {
	if rc := C.flowlog_diag_run(d.d, r.r); rc < 0 {
		return newError(rc, C.flowlog_diag_error_message(d.d))
	}
	return nil
}

// Verdict: no-traffic, blocked, return-blocked, refused, no-response, established or intermittent.
func (d *Diagnosis) Verdict() string {
	return C.GoString(C.flowlog_verdict_name(C.flowlog_diag_verdict(d.d)))
}

// Side that rejected: none, client, server, intermediate or unknown.
func (d *Diagnosis) Side() string {
	return C.GoString(C.flowlog_diag_side_name(C.flowlog_diag_side(d.d)))
}

// Complete says every input was read whole without bad lines.
func (d *Diagnosis) Complete() bool { return C.flowlog_diag_complete(d.d) == 1 }

// Warnings are the stable ids of what limits the evidence ("skipdata", ...).
func (d *Diagnosis) Warnings() []string {
	bits := uint(C.flowlog_diag_warnings(d.d))
	var out []string
	for b := uint(0); b < 32; b++ {
		if bits&(1<<b) != 0 {
			out = append(out, C.GoString(C.flowlog_diag_warning_name(C.uint(1<<b))))
		}
	}
	return out
}

// Explanation is the answer in words, with what to check next.
func (d *Diagnosis) Explanation() string {
	n := C.flowlog_diag_explain(d.d, nil, 0)
	buf := (*C.char)(C.malloc(n + 1))
	defer C.free(unsafe.Pointer(buf))
	C.flowlog_diag_explain(d.d, buf, n+1)
	return C.GoString(buf)
}

// NearMiss is what the client did instead of the asked traffic.
type NearMiss struct {
	Kind           string // other-port, other-server, other-client
	Client, Server netip.Addr
	Port           uint
	Protocol       int
	Records        uint64
}

// NearMisses are the near misses, most records first.
func (d *Diagnosis) NearMisses() []NearMiss {
	var out []NearMiss
	var kind, protocol C.int
	var client, server C.flowlog_addr
	var port C.uint
	var counts [5]C.uint64_t
	for i := 0; C.flowlog_diag_near_miss(d.d, C.size_t(i), &kind, &client, &server, &port, &protocol, &counts[0]) == statusOK; i++ {
		m := NearMiss{Kind: C.GoString(C.flowlog_diag_near_miss_name(kind)), Port: uint(port), Protocol: int(protocol),
			Records: uint64(counts[0])}
		if client.family != 0 {
			m.Client = goAddr(&client)
		}
		if server.family != 0 {
			m.Server = goAddr(&server)
		}
		out = append(out, m)
	}
	return out
}

// Serialize is the state as bytes; equal states are equal bytes.
func (d *Diagnosis) Serialize() ([]byte, error) {
	var need C.size_t
	C.flowlog_diag_serialize(d.d, nil, 0, &need)
	buf := C.malloc(need + 1)
	defer C.free(buf)
	if rc := C.flowlog_diag_serialize(d.d, buf, need, &need); rc < 0 {
		return nil, newError(rc, nil)
	}
	return C.GoBytes(buf, C.int(need)), nil
}

// Merge adds the evidence of another part (the same question) into d.
func (d *Diagnosis) Merge(o *Diagnosis) error {
	if rc := C.flowlog_diag_merge(d.d, o.d); rc < 0 {
		return newError(rc, C.flowlog_diag_error_message(d.d))
	}
	return nil
}

// Close frees the diagnosis.
func (d *Diagnosis) Close() error {
	if d.d != nil {
		C.flowlog_diag_free(d.d)
		d.d = nil
	}
	return nil
}

// Sweep finds every client -> server:port conversation with a problem.
type Sweep struct{ s *C.flowlog_sweep }

// SweepResult is one conversation with a problem.
type SweepResult struct {
	Client, Server netip.Addr
	Port           uint
	Protocol       int
	Verdict        string
}

// NewSweep makes an empty sweep.
func NewSweep() (*Sweep, error) {
	var info C.flowlog_error_info
	s := &Sweep{}
	if rc := C.flowlog_sweep_new_ex(&s.s, nil, &info); rc < 0 {
		return nil, infoError(rc, &info)
	}
	return s, nil
}

// LoadSweep is a state that Serialize wrote.
func LoadSweep(state []byte) (*Sweep, error) {
	p := C.CBytes(state)
	defer C.free(p)
	var info C.flowlog_error_info
	s := &Sweep{}
	if rc := C.flowlog_sweep_deserialize_ex(&s.s, p, C.size_t(len(state)), nil, &info); rc < 0 {
		return nil, infoError(rc, &info)
	}
	return s, nil
}

// Run reads every record of r.
func (s *Sweep) Run(r *Reader) error {
	var n C.size_t
	if rc := C.flowlog_sweep_run(s.s, r.r, &n); rc < 0 {
		return newError(rc, nil)
	}
	return nil
}

// Results are the problems, most packets first.
func (s *Sweep) Results() ([]SweepResult, error) {
	var n C.size_t
	if rc := C.flowlog_sweep_finish(s.s, &n); rc < 0 {
		return nil, newError(rc, nil)
	}
	out := make([]SweepResult, 0, int(n))
	var client, server C.flowlog_addr
	var port C.uint
	var protocol, verdict C.int
	for i := 0; i < int(n); i++ {
		C.flowlog_sweep_result(s.s, C.size_t(i), &client, &server, &port, &protocol, &verdict)
		out = append(out, SweepResult{goAddr(&client), goAddr(&server), uint(port), int(protocol),
			C.GoString(C.flowlog_verdict_name(verdict))})
	}
	return out, nil
}

// Serialize is the state as bytes.
func (s *Sweep) Serialize() ([]byte, error) {
	var need C.size_t
	C.flowlog_sweep_serialize(s.s, nil, 0, &need)
	buf := C.malloc(need + 1)
	defer C.free(buf)
	if rc := C.flowlog_sweep_serialize(s.s, buf, need, &need); rc < 0 {
		return nil, newError(rc, nil)
	}
	return C.GoBytes(buf, C.int(need)), nil
}

// Merge adds another part's conversations into s.
func (s *Sweep) Merge(o *Sweep) error {
	if rc := C.flowlog_sweep_merge(s.s, o.s); rc < 0 {
		return newError(rc, nil)
	}
	return nil
}

// Close frees the sweep.
func (s *Sweep) Close() error {
	if s.s != nil {
		C.flowlog_sweep_free(s.s)
		s.s = nil
	}
	return nil
}
