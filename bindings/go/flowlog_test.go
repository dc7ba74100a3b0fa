package flowlog

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func examples(t *testing.T, name string) string {
	dir := os.Getenv("FLOWLOG_EXAMPLES_DATA")
	if dir == "" {
		dir = filepath.Join("..", "..", "examples", "data")
	}
	return filepath.Join(dir, name)
}

func TestRecordsAndBadLines(t *testing.T) {
	r, err := NewReader()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	data := "2 1 eni-1 10.0.0.1 10.0.0.2 1 443 6 1 40 1700000000 1700000060 ACCEPT OK\n" +
		"not a record\n" +
		"2 1 eni-1 10.0.0.1 - 2 443 6 1 40 1700000000 1700000060 ACCEPT OK\n"
	if err := r.AddBytes("mem", []byte(data)); err != nil {
		t.Fatal(err)
	}
	var ports []uint64
	var dsts []bool
	for r.Scan() {
		p, _ := r.Record().Uint(FieldSrcPort)
		_, has := r.Record().Addr(FieldDstAddr)
		ports = append(ports, p)
		dsts = append(dsts, has)
	}
	if r.Err() != nil {
		t.Fatal(r.Err())
	}
	if len(ports) != 2 || ports[1] != 2 || !dsts[0] || dsts[1] {
		t.Fatalf("records: ports %v, dstaddr present %v", ports, dsts)
	}
	errs := r.Errors()
	if len(errs) != 1 || errs[0].Path != "mem" || errs[0].Line != 2 || r.Count(CountErrors) != 1 {
		t.Fatalf("bad lines: %v", errs)
	}
}

func TestMissingPathIsAFailedInput(t *testing.T) {
	r, err := NewReader("/nonexistent/flows.log", examples(t, "lambda-rds-nacl-inbound.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	n := 0
	for r.Scan() {
		n++
	}
	if n != 5 || r.Count(CountInputErrors) != 1 || len(r.Errors()) != 1 {
		t.Fatalf("records %d, input errors %d", n, r.Count(CountInputErrors))
	}
}

func TestQueryRowsAndErrors(t *testing.T) {
	q, err := NewQuery(`stats count(*) as n by action | sort action`)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	r, _ := NewReader(examples(t, "lambda-rds-nacl-inbound.log"))
	defer r.Close()
	var got []string
	if err := q.Run(r, func(row []any) bool {
		got = append(got, row[0].(string)+"="+strconv.FormatInt(row[1].(int64), 10))
		return true
	}); err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, ",") != "ACCEPT=3,REJECT=2" || strings.Join(q.Columns, ",") != "action,n" {
		t.Fatalf("rows %v columns %v", got, q.Columns)
	}
	_, err = NewQuery("stats count(*) by dstprot")
	e, ok := err.(*Error)
	if !ok || e.Name != "FLOWLOG_E_QUERY" || !strings.Contains(e.Message, "dstport") {
		t.Fatalf("compile error: %v", err)
	}
}

func TestQueryStatesMerge(t *testing.T) {
	text := "stats count(*) as n, sum(bytes) as b by srcAddr, dstPort"
	files := []string{examples(t, "lambda-rds-nacl-inbound.log"), examples(t, "lambda-rds-nacl-return.log")}
	merged, _ := NewQuery(text)
	defer merged.Close()
	for _, f := range files {
		part, _ := NewQuery(text)
		r, _ := NewReader(f)
		if err := part.Feed(r); err != nil {
			t.Fatal(err)
		}
		state, err := part.Serialize()
		if err != nil {
			t.Fatal(err)
		}
		if err := merged.Merge(state); err != nil {
			t.Fatal(err)
		}
		r.Close()
		part.Close()
	}
	whole, _ := NewQuery(text)
	defer whole.Close()
	r, _ := NewReader(files...)
	defer r.Close()
	if err := whole.Feed(r); err != nil {
		t.Fatal(err)
	}
	a, _ := merged.Serialize()
	b, _ := whole.Serialize()
	if string(a) != string(b) {
		t.Fatal("merged parts are not the bytes of one pass")
	}
	rows, err := merged.Result()
	if err != nil || len(rows) == 0 {
		t.Fatalf("result %v %v", rows, err)
	}
}

func TestDiagnosisLambdaToRDS(t *testing.T) {
	d, err := Diagnose("10.0.1.25", "10.0.2.10", 3306, TCP, examples(t, "lambda-rds-nacl-inbound.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if d.Verdict() != "blocked" || d.Side() != "server" || !d.Complete() {
		t.Fatalf("verdict %s side %s complete %v", d.Verdict(), d.Side(), d.Complete())
	}
	if !strings.Contains(d.Explanation(), "security group") {
		t.Fatal(d.Explanation())
	}
	state, err := d.Serialize()
	if err != nil {
		t.Fatal(err)
	}
	loaded, err := LoadDiagnosis(state)
	if err != nil {
		t.Fatal(err)
	}
	defer loaded.Close()
	again, _ := loaded.Serialize()
	if string(again) != string(state) {
		t.Fatal("a loaded state writes other bytes")
	}
	other, _ := NewDiagnosis("10.0.1.25", "10.0.2.10", 5432, TCP)
	defer other.Close()
	if err := other.Merge(loaded); err == nil || !strings.Contains(err.Error(), "different questions") {
		t.Fatalf("merging another question: %v", err)
	}
	if _, err := LoadDiagnosis(state[:len(state)/2]); err == nil {
		t.Fatal("a cut state loaded")
	}
}

func TestWrongPortNearMiss(t *testing.T) {
	d, err := Diagnose("10.0.1.25", "10.0.2.10", 3306, TCP, examples(t, "wrong-port.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	found := false
	for _, m := range d.NearMisses() {
		found = found || (m.Kind == "other-port" && m.Port == 5432)
	}
	if !found {
		t.Fatalf("near misses %v", d.NearMisses())
	}
}

func TestSweepMerge(t *testing.T) {
	dir := filepath.Dir(examples(t, "x"))
	whole, _ := NewSweep()
	defer whole.Close()
	r, _ := NewReader(dir)
	if err := whole.Run(r); err != nil {
		t.Fatal(err)
	}
	r.Close()
	files, _ := filepath.Glob(filepath.Join(dir, "*.log"))
	merged, _ := NewSweep()
	defer merged.Close()
	for _, f := range files {
		part, _ := NewSweep()
		r, _ := NewReader(f)
		part.Run(r)
		state, _ := part.Serialize()
		loaded, err := LoadSweep(state)
		if err != nil {
			t.Fatal(err)
		}
		merged.Merge(loaded)
		loaded.Close()
		part.Close()
		r.Close()
	}
	a, _ := whole.Results()
	b, _ := merged.Results()
	if len(a) == 0 || len(a) != len(b) || a[0] != b[0] {
		t.Fatalf("sweep %v merged %v", a, b)
	}
}
