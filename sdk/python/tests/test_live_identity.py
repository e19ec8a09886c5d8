"""Identity against the live service: the caller, principals of each role and their keys, and the service's
refusals mapped to VeilApiError (403 for an analyst's admin call, 404, 400 with the field, 401 for a revoked key)."""
import unittest

from tests import support
from veil_client import Client, VeilApiError


class Identity(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        support.require_service()
        cls.admin = support.admin()

    def test_me_and_the_organisation(self):
        me = self.admin.me()
        self.assertEqual((me.org, me.role, me.via, me.scopes), (support.ORG, "admin", "api-key", None))
        self.assertTrue(me.principal_id.startswith("p_"))
        self.assertIn("keys.manage", me.permissions)
        org = self.admin.organisation()
        self.assertEqual(org.name, support.ORG)
        self.assertRegex(org.created_at, r"^\d{4}-\d\d-\d\dT")

    def test_principals_of_each_role_with_keys(self):
        for role in ("admin", "data-steward", "analyst", "auditor"):
            with self.subTest(role=role):
                name = support.unique("p_")
                p = self.admin.create_principal(name, role)
                self.assertEqual((p.name, p.role, p.org, p.disabled_at), (name, role, support.ORG, None))
                self.assertEqual(self.admin.get_principal(p.id), p)
                created = self.admin.create_key(p.id, label=f"{role} key")
                self.assertTrue(created.api_key.startswith("veil_"))
                self.assertEqual((created.key.principal_id, created.key.label), (p.id, f"{role} key"))
                c = Client(self.admin.base_url, created.api_key)
                me = c.me()
                self.assertEqual((me.principal_id, me.role, me.name), (p.id, role, name))
        self.assertLessEqual({"admin", "data-steward", "analyst", "auditor"},
                             {p.role for p in self.admin.list_principals()})

    def test_scoped_keys_revoked_keys_and_disabled_principals(self):
        p = self.admin.create_principal(support.unique("scoped_"), "auditor")
        scoped = self.admin.create_key(p.id, scopes=["org.read"])
        self.assertEqual(scoped.key.scopes, ["org.read"])
        c = Client(self.admin.base_url, scoped.api_key)
        self.assertEqual(c.me().scopes, ["org.read"])
        with self.assertRaises(VeilApiError) as cm:
            c.audit_entries(limit=1)  # an auditor may, this key may not
        self.assertEqual((cm.exception.status, cm.exception.code), (403, "forbidden"))
        with self.assertRaises(VeilApiError) as cm:
            self.admin.create_key(p.id, scopes=["budget.manage"])
        self.assertEqual((cm.exception.status, cm.exception.code), (403, "scope_not_allowed"))
        self.assertIn(scoped.key.id, {k.id for k in self.admin.list_keys()})
        revoked = self.admin.revoke_key(scoped.key.id)
        self.assertIsNotNone(revoked.revoked_at)
        with self.assertRaises(VeilApiError) as cm:
            c.me()
        self.assertEqual((cm.exception.status, cm.exception.code), (401, "key_revoked"))

        other = self.admin.create_key(p.id)
        self.assertIsNotNone(self.admin.disable_principal(p.id).disabled_at)
        with self.assertRaises(VeilApiError) as cm:
            Client(self.admin.base_url, other.api_key).me()
        self.assertEqual((cm.exception.status, cm.exception.code), (401, "principal_disabled"))

    def test_an_unknown_key_is_401(self):
        with self.assertRaises(VeilApiError) as cm:
            Client(self.admin.base_url, "veil_0000000000000000_nope").me()
        self.assertEqual(cm.exception.status, 401)
        self.assertEqual(cm.exception.code, "invalid_api_key")

    def test_an_analyst_doing_admin_things_is_403(self):
        analyst = support.client_for("analyst")
        for call in (lambda: analyst.create_principal("x", "admin"), analyst.list_keys,
                     lambda: analyst.create_account(f"{support.ORG}/mine", 1, 1e-5), analyst.metrics,
                     lambda: analyst.audit_entries()):
            with self.subTest(call=call):
                with self.assertRaises(VeilApiError) as cm:
                    call()
                e = cm.exception
                self.assertEqual((e.status, e.code), (403, "forbidden"))
                self.assertRegex(e.request_id or "", r"^r_")
                self.assertTrue(e.method and e.path.startswith("/"))

    def test_not_found_and_bad_input(self):
        with self.assertRaises(VeilApiError) as cm:
            self.admin.get_job("j_00000000000000000000")
        self.assertEqual((cm.exception.status, cm.exception.code), (404, "not_found"))
        with self.assertRaises(VeilApiError) as cm:
            self.admin.get_principal("p_00000000000000000000")
        self.assertEqual((cm.exception.status, cm.exception.code), (404, "not_found"))
        with self.assertRaises(VeilApiError) as cm:
            self.admin.audit_entry(10 ** 9)
        self.assertEqual((cm.exception.status, cm.exception.code), (404, "not_found"))
        with self.assertRaises(VeilApiError) as cm:
            self.admin.get_job("not-a-job-id")
        self.assertEqual((cm.exception.status, cm.exception.code), (400, "bad_request"))
        with self.assertRaises(VeilApiError) as cm:
            self.admin.create_principal("x", "superuser")
        self.assertEqual((cm.exception.status, cm.exception.code), (400, "bad_request"))
        self.assertIn("role", cm.exception.message)
        with self.assertRaises(VeilApiError) as cm:
            self.admin.create_account(f"{support.ORG}/neg", -1, 1e-5)
        self.assertEqual((cm.exception.status, cm.exception.code), (400, "bad_request"))
        self.assertIn("epsilon", cm.exception.message)
        with self.assertRaises(VeilApiError) as cm:
            self.admin.create_account("othercorp", 1, 1e-5)
        self.assertEqual((cm.exception.status, cm.exception.code), (403, "foreign_account"))
        with self.assertRaises(VeilApiError) as cm:
            self.admin.report("sox")
        self.assertEqual((cm.exception.status, cm.exception.code), (400, "bad_request"))


if __name__ == "__main__":
    unittest.main()
