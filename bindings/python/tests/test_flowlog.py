"""The Python binding against the library just built: records, queries,
diagnoses and sweeps, errors with their place, states that serialise and
merge. Run with Debian's python3; FLOWLOG_LIBRARY names the library and
FLOWLOG_EXAMPLES_DATA, FLOWLOG_TEST_DATA the bundled data."""
import datetime
import gzip
import io
import ipaddress
import os
import subprocess
import tempfile
import unittest

import flowlog

EXAMPLES = os.environ.get("FLOWLOG_EXAMPLES_DATA", os.path.join(os.path.dirname(__file__), "../../../examples/data"))
TESTDATA = os.environ.get("FLOWLOG_TEST_DATA", os.path.join(os.path.dirname(__file__), "../../../tests/data"))
FLOWLOG = os.environ.get("FLOWLOG_CLI")
INBOUND = os.path.join(EXAMPLES, "lambda-rds-nacl-inbound.log")
RETURN = os.path.join(EXAMPLES, "lambda-rds-nacl-return.log")
WORKING = os.path.join(EXAMPLES, "lambda-rds-working.log")


def line(sport, dst="10.0.0.2", action="ACCEPT"):
    return f"2 1 eni-1 10.0.0.1 {dst} {sport} 443 6 1 40 1700000000 1700000060 {action} OK\n".encode()


class Records(unittest.TestCase):
    def test_typed_fields_by_name_and_attribute(self):
        rec = next(iter(flowlog.records(INBOUND)))
        self.assertEqual(rec["srcaddr"], ipaddress.ip_address("10.0.1.25"))
        self.assertEqual(rec.dstport, 3306)
        self.assertEqual(rec.flow_direction, "egress")
        self.assertEqual(rec["interface-id"], rec.interface_id)
        self.assertEqual((os.path.basename(rec.path), rec.line), ("lambda-rds-nacl-inbound.log", 2))

    def test_dash_is_none_and_every_line_is_accounted(self):
        data = line(1) + b"not a record\n" + line(2).replace(b"10.0.0.2", b"-")
        with flowlog.Reader(data=data) as r:
            recs = list(r)
            self.assertEqual([x.dstaddr for x in recs], [ipaddress.ip_address("10.0.0.2"), None])
            self.assertEqual(r.counts()["errors"], 1)
            self.assertEqual(r.counts()["lines"], 3)
            self.assertEqual((r.errors[0].path, r.errors[0].line), ("<memory>", 2))
            self.assertIn("fields", r.errors[0].message)

    def test_strict_raises_the_first_bad_line(self):
        with self.assertRaises(flowlog.FlowlogError) as cm:
            list(flowlog.records(data=line(1) + b"garbage\n", strict=True))
        self.assertEqual(cm.exception.line, 2)

    def test_gzip_file_objects_and_on_error(self):
        told = []
        data = io.BytesIO(gzip.compress(line(1) + line(2) + b"x\n"))
        recs = list(flowlog.records(data=data, on_error=told.append))
        self.assertEqual([r.srcport for r in recs], [1, 2])
        self.assertEqual([e.line for e in told], [3])

    def test_missing_path_is_a_failed_input_not_silence(self):
        with flowlog.Reader(["/nonexistent/flows.log", INBOUND]) as r:
            n = sum(1 for _ in r)
            self.assertEqual(n, 5)
            self.assertEqual(r.counts()["input_errors"], 1)
            self.assertEqual([i["status"] for i in r.inputs()], ["failed", "complete"])
        with self.assertRaises(flowlog.FlowlogError):
            flowlog.Reader("/nonexistent/flows.log", strict=True)

    def test_a_format_string(self):
        data = b"eni-1 10.0.0.1 80\n"
        recs = list(flowlog.records(data=data, format="${interface-id} ${srcaddr} ${dstport}"))
        self.assertEqual(dict(recs[0]), {"interface-id": "eni-1", "srcaddr": ipaddress.ip_address("10.0.0.1"),
                                         "dstport": 80})


class Queries(unittest.TestCase):
    def test_rows_as_dicts_with_python_values(self):
        rows = flowlog.query("stats count(*) as n, min(@timestamp) as t by action | sort action", INBOUND)
        self.assertEqual([(r["action"], r["n"]) for r in rows], [("ACCEPT", 3), ("REJECT", 2)])
        self.assertEqual(rows[0]["t"], datetime.datetime(2024, 1, 2, 12, 0, tzinfo=datetime.timezone.utc))

    def test_streaming_rows_and_the_same_as_the_cli(self):
        q = 'filter action = "REJECT" | fields srcAddr, dstPort'
        rows = list(flowlog.query_rows(q, [INBOUND, RETURN]))
        self.assertEqual(rows, flowlog.query(q, [INBOUND, RETURN]))
        if FLOWLOG:
            out = subprocess.run([FLOWLOG, "query", "--csv", q, INBOUND, RETURN], capture_output=True, text=True,
                                 check=True).stdout.splitlines()
            self.assertEqual(out[1:], [f"{r['srcAddr']},{r['dstPort']}" for r in rows])

    def test_compile_errors_carry_the_message(self):
        with self.assertRaises(flowlog.FlowlogError) as cm:
            flowlog.query("stats count(*) by dstprot", INBOUND)
        self.assertEqual(cm.exception.name, "FLOWLOG_E_QUERY")
        self.assertIn("dstport", str(cm.exception))

    def test_spilling_gives_the_same_rows(self):
        data = b"".join(line(p, dst=f"10.{p % 200}.{p % 7}.{p % 250}") for p in range(1, 30000))
        q = "stats count(*) as n by dstAddr, srcPort | sort n desc, srcPort"
        with tempfile.TemporaryDirectory() as tmp, flowlog.Query(q, max_memory=1 << 20, temp_dir=tmp) as spilled:
            rows = spilled.run(data=data)
            self.assertGreater(spilled.spilled, 0)
            self.assertEqual(os.listdir(tmp), [])
        self.assertEqual(rows, flowlog.query(q, data=data))


class QueryStates(unittest.TestCase):
    def test_parts_merged_give_one_pass(self):
        q = "stats count(*) as n, sum(bytes) as b by srcAddr, dstPort"
        files = [INBOUND, RETURN, WORKING]
        merged = flowlog.Query(q)
        for f in files:
            merged.merge(flowlog.Query(q).feed(f).serialize())
        whole = flowlog.Query(q).feed(files)
        self.assertEqual(merged.serialize(), whole.serialize())
        self.assertEqual(merged.result(), flowlog.query(q, files))
        with self.assertRaises(flowlog.FlowlogError) as cm:
            flowlog.Query("stats count(*) by dstPort").merge(whole.serialize())
        self.assertIn("another query", str(cm.exception))


class Diagnoses(unittest.TestCase):
    def test_lambda_to_rds(self):
        d = flowlog.diagnose("10.0.1.25", "10.0.2.10", 3306, paths=INBOUND)
        self.assertEqual((d.verdict, d.side, d.complete), ("blocked", "server", True))
        self.assertIn("security group", d.explanation)
        self.assertEqual(d.evidence["forward"]["records_reject"], 2)
        self.assertEqual(flowlog.diagnose("10.0.1.25", "10.0.2.10", 3306, paths=WORKING).verdict, "established")

    def test_incomplete_evidence_says_so(self):
        d = flowlog.diagnose("10.0.1.25", "10.0.2.10", 3306, paths=["/nonexistent.log", RETURN])
        self.assertFalse(d.complete)
        self.assertIn("incomplete-input", d.warnings)
        self.assertEqual(d.verdict, "return-blocked")

    def test_wrong_port_has_near_misses(self):
        d = flowlog.diagnose("10.0.1.25", "10.0.2.10", 3306, paths=os.path.join(EXAMPLES, "wrong-port.log"))
        kinds = {(m["kind"], m["port"]) for m in d.near_misses}
        self.assertIn(("other-port", 5432), kinds)

    def test_states_serialise_and_merge_to_the_one_pass_answer(self):
        whole = flowlog.diagnose("10.0.1.25", "10.0.2.10", 3306, paths=[INBOUND, RETURN]).serialize()
        parts = [flowlog.diagnose("10.0.1.25", "10.0.2.10", 3306, paths=p).serialize() for p in (INBOUND, RETURN)]
        merged = flowlog.Diagnosis.deserialize(parts[0]).merge(flowlog.Diagnosis.deserialize(parts[1]))
        self.assertEqual(merged.serialize(), whole)
        with self.assertRaises(flowlog.FlowlogError):
            flowlog.Diagnosis.deserialize(whole[:-5])
        with self.assertRaises(flowlog.FlowlogError):
            merged.merge(flowlog.diagnose("10.0.1.25", "10.0.2.10", 5432, paths=INBOUND))

    def test_a_configuration_is_evidence_or_an_error(self):
        config = os.path.join(EXAMPLES, "config", "lambda-rds-nacl-inbound")
        if not os.path.isdir(config):
            self.skipTest("no example configuration")
        d = flowlog.diagnose("10.0.1.25", "10.0.2.10", 3306, paths=INBOUND, config=config)
        self.assertEqual((d.verdict, d.side), ("blocked", "server"))
        self.assertEqual({e["side"] for e in d.enis}, {"client", "server"})
        with self.assertRaises(flowlog.FlowlogError) as cm:
            flowlog.diagnose("10.0.1.25", "10.0.2.10", 3306, paths=INBOUND, config="/nonexistent/config")
        self.assertIn("/nonexistent/config", str(cm.exception))


class Sweeps(unittest.TestCase):
    def test_problems_and_merge(self):
        s = flowlog.sweep(EXAMPLES)
        top = s.results[0]
        self.assertIn(top["verdict"], ("blocked", "return-blocked", "refused", "no-response"))
        self.assertIsInstance(top["client"], (ipaddress.IPv4Address, ipaddress.IPv6Address))
        files = sorted(os.path.join(EXAMPLES, f) for f in os.listdir(EXAMPLES) if f.endswith(".log"))
        merged = flowlog.Sweep()
        for f in files:
            merged.merge(flowlog.sweep(f))
        self.assertEqual(merged.results, s.results)


if __name__ == "__main__":
    unittest.main()
