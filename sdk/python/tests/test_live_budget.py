"""Budgets against the live service: an account hierarchy, spends read page after page, forecast and allocate,
a refused spend, the privacy calculators, webhooks and metrics."""
import unittest

from tests import support
from veil_client import VeilApiError


class Budgets(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        support.require_service()
        cls.steward = support.client_for("data-steward")
        cls.analyst = support.client_for("analyst")
        support.ensure_root()
        cls.team = support.account(epsilon=8)
        cls.ext = f"{cls.team}/ext"
        cls.steward.create_account(cls.ext, 4, 1e-5, accountant="rdp")
        cls.purposes = [f"release {i}" for i in range(7)]
        for i, p in enumerate(cls.purposes):
            r = cls.steward.spend(cls.ext, epsilon=0.05, purpose=p)
            if i == 0:
                cls.first_receipt = r

    def test_the_hierarchy(self):
        paths = {a.path: a for a in self.analyst.list_accounts()}
        self.assertEqual(paths[self.ext].parent, self.team)
        self.assertEqual(paths[self.team].parent, support.ORG)
        self.assertEqual((paths[self.ext].epsilon_limit, paths[self.ext].delta_limit, paths[self.ext].accountant),
                         (4, 1e-5, "rdp"))

    def test_a_spend_answers_with_its_receipt_and_the_status(self):
        r = self.first_receipt
        self.assertEqual((r.receipt.account, r.receipt.purpose), (self.ext, "release 0"))
        self.assertIn(self.team, r.receipt.epsilon_after)
        self.assertAlmostEqual(r.status.epsilon_spent, 0.05)
        self.assertEqual(r.status.account.path, self.ext)

    def test_spends_page_after_page(self):
        first = self.analyst.get_account(self.ext, limit=3)
        self.assertEqual(len(first.spends), 3)
        self.assertEqual(first.next, first.spends[-1].id)
        self.assertEqual(first.status.spends, 7)
        self.assertGreater(first.status.epsilon_remaining, 3)
        second = self.analyst.get_account(self.ext, limit=3, after=first.next)
        self.assertEqual([s.purpose for s in second.spends], self.purposes[3:6])
        walked = list(self.analyst.all_spends(self.ext, page_size=3))  # 3 pages
        self.assertEqual([s.purpose for s in walked], self.purposes)
        self.assertEqual(len({s.id for s in walked}), 7)
        self.assertEqual({s.status for s in walked}, {"granted"})
        self.assertEqual(walked[0].events, [{"kind": "pure-dp", "epsilon": 0.05}])
        # the parent's page holds its subtree's spends
        self.assertEqual([s.id for s in self.analyst.all_spends(self.team, page_size=2)], [s.id for s in walked])
        last = self.analyst.get_account(self.ext, limit=1000)
        self.assertIsNone(last.next)

    def test_forecast_and_allocate(self):
        f = self.analyst.forecast(self.ext, window=5)
        self.assertEqual(f["account"]["path"], self.ext)
        self.assertEqual(len(f["burnDown"]), 7)
        self.assertEqual(f["projection"]["status"], "projected")
        self.assertGreater(f["projection"]["spendsThatFit"], 0)
        a = self.analyst.allocate(self.team, [
            {"kind": "epsilon-delta", "delta": 1e-7, "weight": 1, "name": "a"},
            {"kind": "epsilon-delta", "delta": 1e-7, "weight": 2, "name": "b"}])
        self.assertEqual(a["mode"], "epsilon-delta")
        eps = {j["name"]: j["epsilon"] for j in a["jobs"]}
        self.assertAlmostEqual(eps["b"], 2 * eps["a"], places=2)
        d = self.analyst.allocate(self.team, [{"kind": "dp-sgd", "sampleRate": 0.01, "steps": 500}])
        self.assertGreater(d["jobs"][0]["noiseMultiplier"], 0)

    def test_a_spend_beyond_the_budget_is_409_and_sent_once(self):
        before = self.analyst.get_account(self.ext).status.spends
        with self.assertRaises(VeilApiError) as cm:
            self.steward.spend(self.ext, epsilon=50, purpose="too much")
        e = cm.exception
        self.assertEqual((e.status, e.code, e.method, e.path), (409, "budget_exceeded", "POST", "/v1/spends"))
        self.assertIn("Nothing was spent", e.message)
        self.assertEqual(self.analyst.get_account(self.ext).status.spends, before)
        with self.assertRaises(VeilApiError) as cm:
            self.analyst.spend(self.ext, epsilon=0.01, purpose="analysts may not")
        self.assertEqual(cm.exception.code, "forbidden")

    def test_an_account_that_does_not_exist(self):
        with self.assertRaises(VeilApiError) as cm:
            self.analyst.get_account(f"{self.team}/nope")
        # the service answers 400 invalid_input (not 404) for an account path that does not exist
        self.assertIn(cm.exception.status, (400, 404))
        self.assertIn(cm.exception.code, ("invalid_input", "not_found"))

    def test_the_privacy_calculators(self):
        e = self.analyst.privacy_epsilon({"kind": "dp-sgd", "sampleRate": 0.01, "noiseMultiplier": 1.1,
                                          "steps": 1000}, 1e-5)
        self.assertAlmostEqual(e["epsilon"], 1.71, places=1)
        pld = self.analyst.privacy_epsilon({"kind": "gaussian", "sigma": 2}, 1e-5, accountant="pld")
        self.assertGreater(pld["epsilon"], 0)
        c = self.analyst.privacy_calibrate(1.0, {"kind": "gaussian", "delta": 1e-5})
        self.assertAlmostEqual(c["sigma"], 3.73, places=1)
        back = self.analyst.privacy_calibrate(e["epsilon"], {"kind": "dp-sgd", "delta": 1e-5, "sampleRate": 0.01,
                                                             "steps": 1000})
        self.assertAlmostEqual(back["noiseMultiplier"], 1.1, places=2)
        m = self.analyst.privacy_max_steps(1.0, 1e-5, 0.01, 1.1)
        self.assertGreater(m["steps"], 100)
        self.assertLessEqual(m["epsilon"], 1.0)
        with self.assertRaises(VeilApiError) as cm:
            self.analyst.privacy_epsilon({"kind": "gaussian", "sigma": 2}, 1.5)
        self.assertEqual((cm.exception.status, cm.exception.code), (400, "bad_request"))
        self.assertIn("delta", cm.exception.message)

    def test_webhooks_and_metrics(self):
        admin = support.admin()
        created = self.steward.create_webhook("https://hooks.example.com/veil", kinds=["job.failed"], threshold=0.5)
        self.assertTrue(created.secret)
        self.assertEqual((created.webhook.kinds, created.webhook.threshold), (["job.failed"], 0.5))
        self.assertIn(created.webhook.id, {w.id for w in self.steward.list_webhooks()})
        self.assertIsNotNone(self.steward.disable_webhook(created.webhook.id).disabled_at)
        text = admin.metrics()
        self.assertIn("veil_http_requests_total", text)
        self.assertIn(f'veil_budget_epsilon_limit{{account="{self.ext}"}} 4', text)


if __name__ == "__main__":
    unittest.main()
