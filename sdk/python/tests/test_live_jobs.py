"""Jobs against the live service: a dataset uploaded and registered, a DP training job on UCI Adult waited for by
its event stream and by polling (the same events), its model file checked against its fingerprint, a synthetic-data
job and its CSV, a cancelled job, and the refusals of a submission."""
import csv
import hashlib
import io
import json
import os
import time
import unittest

from tests import support
from veil_client import JobProgress, VeilApiError


class Jobs(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        support.require_service()
        cls.data = support.datasets_dir()
        cls.steward = support.client_for("data-steward")
        cls.analyst = support.client_for("analyst")
        cls.ml = support.account(epsilon=6)
        cls.adult = support.unique("adult_")
        cls.titanic = support.unique("titanic_")
        path = os.path.join(cls.data, "adult", "adult.csv")
        cls.uploaded = cls.steward.upload_dataset(cls.adult, path)
        with open(path, "rb") as f:
            cls.adult_bytes = f.read()
        cls.registered = cls.steward.register_dataset(cls.adult, ["research"], description="UCI Adult",
                                                      retain_until="2099-12-31")
        with open(os.path.join(cls.data, "titanic", "titanic.csv"), "rb") as f:
            cls.steward.upload_dataset(cls.titanic, f)
        cls.steward.register_dataset(cls.titanic, ["research"])
        t = time.monotonic()
        cls.train = cls.analyst.submit_job("train", {
            "data": {"kind": "csv", "path": f"{cls.adult}.csv", "label": "income>50K"},
            "privacy": {"epsilon": 1, "publicSize": 30000},
            "epochs": 1,
            "ledger": {"account": cls.ml, "dataset": cls.adult, "purpose": "research"},
        })
        cls.submit_seconds = time.monotonic() - t

    def test_the_dataset_upload_and_registration(self):
        expected = "sha256:" + hashlib.sha256(self.adult_bytes).hexdigest()
        self.assertEqual((self.uploaded.name, self.uploaded.size, self.uploaded.fingerprint),
                         (self.adult, len(self.adult_bytes), expected))
        self.assertEqual((self.registered.fingerprint, self.registered.purposes), (expected, ["research"]))
        # sent as a date, answered as a timestamp at midnight UTC
        self.assertTrue(self.registered.retain_until.startswith("2099-12-31"), self.registered.retain_until)
        self.assertIn(self.adult, {d.name for d in self.analyst.list_datasets()})
        with self.assertRaises(VeilApiError) as cm:
            self.steward.upload_dataset(self.adult, b"a,b\n1,2\n")
        self.assertEqual((cm.exception.status, cm.exception.code), (409, "dataset_registered"))
        with self.assertRaises(VeilApiError) as cm:
            self.analyst.upload_dataset(support.unique("x"), b"a\n1\n")
        self.assertEqual(cm.exception.code, "forbidden")

    def test_a_dp_training_job_on_adult_streamed_then_polled(self):
        job = self.train
        self.assertTrue(job.id.startswith("j_"))
        self.assertEqual((job.kind, job.spend["account"], job.spend["reservation"]), ("train", self.ml, "reserved"))
        streamed = []
        done = self.analyst.wait_for_job(job.id, streamed.append, timeout=120)
        self.assertIsNone(done.error)
        self.assertEqual(done.state, "succeeded")
        self.assertEqual(done.spend["reservation"], "consumed")
        kinds = [e.kind for e in streamed]
        self.assertIn("train-epoch", kinds)
        self.assertIn("ledger", kinds)
        self.assertTrue(all(isinstance(e, JobProgress) for e in streamed))
        seqs = [e.seq for e in streamed]
        self.assertEqual(seqs, sorted(set(seqs)))
        epoch = next(e for e in streamed if e.kind == "train-epoch")
        self.assertEqual(epoch.event["epoch"], 1)
        self.assertRegex(epoch.at, r"^\d{4}-")

        summary = done.summary
        self.assertLessEqual(summary["epsilonSpent"], 1.0 + 1e-9)
        self.assertGreater(summary["epsilonSpent"], 0.5)
        self.assertGreater(summary["testAccuracy"], 0.6)
        self.assertEqual(summary["epochs"], 1)

        polled = []
        again = self.analyst.wait_for_job(job.id, polled.append, mode="poll", interval=0.2, timeout=60)
        self.assertEqual(again.state, "succeeded")
        self.assertEqual([e.seq for e in polled], seqs)
        self.assertEqual([e.event for e in polled], [e.event for e in streamed])
        self.assertEqual([e.seq for e in self.analyst.job_events(job.id, after=seqs[1])], seqs[2:])
        # a stream started after the end passes on only what comes after `after`
        tail = []
        self.analyst.wait_for_job(job.id, tail.append, after=seqs[-2])
        self.assertEqual([e.seq for e in tail], seqs[-1:])

        self.assertTrue(done.files)
        for f in done.files:
            content, fingerprint = self.analyst.job_file(job.id, f["name"])
            self.assertGreater(len(content), 0)
            self.assertEqual(fingerprint, f["fingerprint"])
            self.assertEqual(fingerprint, "sha256:" + hashlib.sha256(content).hexdigest())
        model = self.analyst.job_file(job.id, "model.json") if "model.json" in {f["name"] for f in done.files} \
            else self.analyst.job_file(job.id, done.files[0]["name"])
        self.assertTrue(model.verify())
        if any(f["name"].endswith(".json") for f in done.files):
            name = next(f["name"] for f in done.files if f["name"].endswith(".json"))
            json.loads(self.analyst.job_file(job.id, name).content)
        with self.assertRaises(VeilApiError) as cm:
            self.analyst.job_file(job.id, "nothing.bin")
        self.assertEqual((cm.exception.status, cm.exception.code), (404, "not_found"))

        self.assertIn(job.id, {j.id for j in self.analyst.list_jobs(state="succeeded")})
        spends = list(self.analyst.all_spends(self.ml))
        self.assertIn(job.spend["id"], {s.id for s in spends})
        self.assertEqual(next(s for s in spends if s.id == job.spend["id"]).dataset, f"{support.ORG}.{self.adult}")

    def test_a_synthetic_data_job(self):
        with open(os.path.join(self.data, "titanic", "titanic-domain.json"), encoding="utf-8") as f:
            domain = json.load(f)
        job = self.analyst.submit_job("synth", {
            "data": f"{self.titanic}.csv", "domain": domain, "method": "mst", "epsilon": 1, "delta": 1e-6,
            "rows": 150, "ledger": {"account": self.ml, "dataset": self.titanic, "purpose": "research"},
        }, priority=5)
        self.assertEqual(job.priority, 5)
        done = self.analyst.wait_for_job(job.id, timeout=120)
        self.assertEqual(done.state, "succeeded", done.error)
        self.assertEqual(done.summary["rows"], 150)
        self.assertEqual(done.summary["method"], "mst")
        self.assertEqual(sorted(f["name"] for f in done.files), ["synth-model.json", "synthetic.csv"])
        synthetic = self.analyst.job_file(job.id, "synthetic.csv")
        self.assertTrue(synthetic.verify())
        rows = list(csv.DictReader(io.StringIO(synthetic.content.decode("utf-8"))))
        self.assertEqual(len(rows), 150)
        self.assertEqual(set(rows[0]), set(domain))

    def test_a_cancelled_job(self):
        job = self.analyst.submit_job("synth", {
            "data": f"{self.titanic}.csv", "domain": {"Pclass": 3, "Sex": 2, "Survived": 3, "Age": 91, "SibSp": 9,
                                                     "Parch": 7, "Fare": 32, "Embarked": 3, "Cabin": 9},
            "method": "mst", "epsilon": 0.5, "delta": 1e-6, "rows": 10,
            "ledger": {"account": self.ml, "dataset": self.titanic, "purpose": "research"},
        })
        cancelled = self.analyst.cancel_job(job.id)
        self.assertTrue(cancelled.cancel_requested or cancelled.state == "cancelled")
        final = self.analyst.wait_for_job(job.id, mode="poll", interval=0.2, timeout=60)
        self.assertIn(final.state, ("cancelled", "succeeded"))  # it may have finished before the cancel arrived
        if final.state == "cancelled" and final.spend["reservation"] != "consumed":
            self.assertEqual(final.spend["reservation"], "refunded")

    def test_refused_submissions(self):
        # on Titanic (small): a submission reads its data to plan the charge
        spec = {"data": {"kind": "csv", "path": f"{self.titanic}.csv", "label": "Survived"},
                "privacy": {"epsilon": 1, "publicSize": 1000}, "epochs": 1}
        cases = [
            ("train", spec, 400, "budget_required"),
            ("train", {**spec, "ledger": {"account": self.ml, "purpose": "research"},
                       "data": {"kind": "csv", "path": "../../etc/passwd", "label": "x"}}, 400, "invalid_path"),
            ("train", {**spec, "ledger": {"account": "othercorp/ml", "purpose": "research"}}, 403, "foreign_account"),
            ("train", {**spec, "ledger": {"account": self.ml, "dataset": self.titanic, "purpose": "marketing"}},
             403, "consent_refused"),
            ("train", {**spec, "privacy": {"epsilon": 50, "publicSize": 1000},
                       "ledger": {"account": self.ml, "dataset": self.titanic, "purpose": "research"}},
             409, "budget_exceeded"),
            ("mine", spec, 400, None),
        ]
        for kind, s, status, code in cases:
            with self.subTest(code=code or kind):
                with self.assertRaises(VeilApiError) as cm:
                    self.analyst.submit_job(kind, s)
                self.assertEqual(cm.exception.status, status, cm.exception)
                if code:
                    self.assertEqual(cm.exception.code, code, cm.exception)
        with self.assertRaises(VeilApiError) as cm:
            support.client_for("auditor").submit_job("train", spec)
        self.assertEqual(cm.exception.code, "forbidden")


if __name__ == "__main__":
    unittest.main()
