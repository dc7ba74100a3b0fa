"""examples/dask_diagnose.py on a LocalCluster of two worker processes: the
states merged from the workers are the bytes the same merge gives in one
process, for a diagnosis, a sweep and a query, and the report is the CLI's
over the same files. Skipped without Dask (Debian: python3-dask,
python3-distributed)."""
import importlib.util
import io
import os
import subprocess
import unittest

import flowlog

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.normpath(os.path.join(HERE, "..", "..", ".."))
EXAMPLES = os.environ.get("FLOWLOG_EXAMPLES_DATA", os.path.join(TOP, "examples", "data"))
FLOWLOG = os.environ.get("FLOWLOG_CLI")

try:
    from distributed import Client, LocalCluster
except ImportError:  # pragma: no cover - depends on the machine
    Client = None

spec = importlib.util.spec_from_file_location("dask_diagnose", os.path.join(TOP, "examples", "dask_diagnose.py"))
example = importlib.util.module_from_spec(spec)
spec.loader.exec_module(example)

QUESTION = {"client": "10.0.1.25", "server": "10.0.2.10", "port": 3306, "protocol": "tcp"}
QUERY = {"query": "stats count(*) as n, sum(bytes) as b, count_distinct(dstPort) as ports by srcAddr, action"}


@unittest.skipIf(Client is None, "Dask is not installed")
class OnACluster(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
        cls.client = Client(cls.cluster)
        cls.files = example.log_files([EXAMPLES])

    @classmethod
    def tearDownClass(cls):
        cls.client.close()
        cls.cluster.close()

    def test_the_workers_ran_it(self):
        self.assertEqual(len(self.client.scheduler_info()["workers"]), 2)
        self.assertGreater(len(self.files), 4)

    def same_bytes(self, kind, spec):
        on_cluster = example.run_on(self.client, kind, spec, self.files)
        here = example.run_here(kind, spec, self.files)
        self.assertEqual(on_cluster.serialize(), here.serialize())
        return on_cluster

    def test_a_diagnosis(self):
        whole = self.same_bytes("diagnose", QUESTION)
        self.assertEqual(whole.verdict, flowlog.diagnose(paths=self.files, **QUESTION).verdict)
        if FLOWLOG:
            out = io.StringIO()
            cli = subprocess.run([FLOWLOG, "diagnose", "--client", "10.0.1.25", "--server", "10.0.2.10", "--port",
                                  "3306", *self.files], capture_output=True, text=True, check=False)
            reported = subprocess.run([os.environ.get("PYTHON", "/usr/bin/python3"),
                                       os.path.join(TOP, "examples", "dask_diagnose.py"), "--workers", "2",
                                       "diagnose", "--client", "10.0.1.25", "--server", "10.0.2.10", "--port", "3306",
                                       *self.files], capture_output=True, text=True, check=False)
            out.write(reported.stdout)
            self.assertEqual(out.getvalue(), cli.stdout)

    def test_a_sweep(self):
        whole = self.same_bytes("sweep", {})
        self.assertEqual(whole.results, flowlog.sweep(paths=self.files).results)

    def test_a_query(self):
        whole = self.same_bytes("query", QUERY)
        self.assertEqual(whole.result(), flowlog.query(QUERY["query"], self.files))


if __name__ == "__main__":
    unittest.main()
