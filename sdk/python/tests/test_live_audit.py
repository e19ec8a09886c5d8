"""The audit log and reports against the live service: entries page after page, one entry with its inclusion
proof checked here (RFC 6962), the whole log verified, the export, and the compliance report as JSON, HTML and
PDF (where the service has Chromium)."""
import hashlib
import unittest

from tests import support
from veil_client import AuditEntry, VeilApiError

try:
    import pandas  # noqa: F401
    HAVE_PANDAS = True
except ImportError:
    HAVE_PANDAS = False


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def root_from_proof(index: int, size: int, leaf: bytes, proof) -> bytes:
    """RFC 9162 section 2.1.3.2: the root an inclusion proof leads to."""
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        p = bytes.fromhex(p)
        if sn == 0:
            raise AssertionError("proof too long")
        if fn & 1 or fn == sn:
            r = _node(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = _node(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise AssertionError("proof too short")
    return r


class Audit(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        support.require_service()
        cls.admin = support.admin()
        cls.auditor = support.client_for("auditor")
        cls.acc = support.account(epsilon=2)
        support.client_for("data-steward").spend(cls.acc, epsilon=0.1, purpose="audited release")

    def test_entries_page_after_page(self):
        everything = self.auditor.audit_entries(limit=1000)
        self.assertGreater(len(everything.entries), 5)
        self.assertIsNotNone(everything.head)
        walked = list(self.auditor.all_audit_entries(page_size=4))
        self.assertEqual([e.seq for e in walked], [e.seq for e in everything.entries])
        self.assertTrue(all(isinstance(e, AuditEntry) for e in walked))
        self.assertEqual(len({e.seq for e in walked}), len(walked))
        spend = next(e for e in walked if e.action == "budget.spend" and e.account == self.acc)
        self.assertEqual(spend.purpose, "audited release")
        later = list(self.auditor.all_audit_entries(from_=walked[3].seq, page_size=2))
        self.assertEqual([e.seq for e in later], [e.seq for e in walked[3:]])
        page = self.auditor.audit_entries(from_=walked[2].seq, limit=2)
        self.assertEqual([e.seq for e in page.entries], [walked[2].seq, walked[3].seq])

    def test_a_filtered_timeline_newest_first(self):
        everything = self.auditor.audit_entries(limit=1000).entries
        budget = [e.seq for e in reversed(everything) if e.action.startswith("budget.")]
        self.assertGreater(len(budget), 2)
        newest = self.auditor.audit_entries(order="desc", action="budget.", limit=2).entries
        self.assertEqual([e.seq for e in newest], budget[:2])
        older = self.auditor.audit_entries(order="desc", action="budget.", before=newest[-1].seq, limit=1000)
        self.assertEqual([e.seq for e in older.entries], budget[2:])
        spends = self.auditor.audit_entries(action="budget.spend", outcome="granted", account=self.acc).entries
        self.assertTrue(spends and all(e.action == "budget.spend" and e.account == self.acc for e in spends))

    def test_an_entry_with_its_inclusion_proof(self):
        entry = next(iter(self.auditor.all_audit_entries(page_size=1)))
        got = self.auditor.audit_entry(entry.seq)
        self.assertEqual(got.entry, entry)
        proof = got.proof
        self.assertEqual((proof["seq"], proof["leafHash"]), (entry.seq, entry.leaf_hash))
        head = proof["head"]
        root = root_from_proof(entry.seq, head["size"], bytes.fromhex(entry.leaf_hash), proof["proof"])
        self.assertEqual(root.hex(), head["root"])
        self.assertTrue(head["signature"])

    def test_the_log_verifies_and_exports(self):
        v = self.auditor.verify_audit()
        self.assertTrue(v.ok, v.problems)
        self.assertTrue(v.budget["ok"])
        self.assertEqual(v.problems, [])
        exported = self.auditor.export_audit()
        self.assertGreater(len(exported.entries), 0)
        self.assertRegex(exported.public_key or "", r"^[0-9a-f]+$")
        self.assertLessEqual(len(exported.entries), v.size)

    def test_reports(self):
        report = self.auditor.report("gdpr")
        self.assertEqual((report["kind"], report["regulation"]), ("veil-compliance-report", "gdpr"))
        self.assertEqual(report["scope"]["account"], support.ORG)
        self.assertGreater(report["summary"]["total"], 0)
        html = self.auditor.report("hipaa", format="html")
        self.assertIsInstance(html, bytes)
        self.assertTrue(html.lstrip().lower().startswith(b"<!doctype html"))
        try:
            pdf = self.auditor.report("ccpa", format="pdf")
        except VeilApiError as e:
            if e.code == "unsupported_format":
                self.skipTest(f"the service cannot print PDFs: {e.message}")
            raise
        self.assertTrue(pdf.startswith(b"%PDF"))

    def test_an_analyst_may_not_read_the_log(self):
        with self.assertRaises(VeilApiError) as cm:
            support.client_for("analyst").verify_audit()
        self.assertEqual((cm.exception.status, cm.exception.code), (403, "forbidden"))

    def test_frames(self):
        if HAVE_PANDAS:
            frame = self.auditor.audit_frame()
            self.assertIn("action", frame.columns)
            self.assertEqual(len(self.auditor.spends_frame(self.acc)), 1)
        else:
            with self.assertRaises(ImportError) as cm:
                self.auditor.audit_frame()
            self.assertIn("pandas", str(cm.exception))
            with self.assertRaises(ImportError):
                self.auditor.spends_frame(self.acc)


if __name__ == "__main__":
    unittest.main()
