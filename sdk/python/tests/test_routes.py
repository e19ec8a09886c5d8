"""ROUTES_COVERED: every value a method of Client, the same routes as the TypeScript client's table, one
``"KEY": "value",`` pair per line (other tests parse the file with a regex)."""
import inspect
import os
import re
import unittest

from veil_client import Client
from veil_client.routes import ROUTES_COVERED

HERE = os.path.dirname(os.path.abspath(__file__))
ROUTES_FILE = os.path.join(HERE, "..", "veil_client", "routes.py")
TS_CLIENT = os.path.join(HERE, "..", "..", "..", "src", "client", "client.ts")


class RoutesCovered(unittest.TestCase):
    def test_every_value_is_a_method_of_client(self):
        for route, name in ROUTES_COVERED.items():
            with self.subTest(route=route):
                self.assertTrue(callable(getattr(Client, name, None)), f"Client.{name} for {route}")
                self.assertFalse(name.startswith("_"))

    def test_keys_look_like_routes(self):
        for route in ROUTES_COVERED:
            self.assertRegex(route, r"^(GET|POST|PUT|DELETE|PATCH) /\S+$")

    def test_one_pair_per_line(self):
        with open(ROUTES_FILE, encoding="utf-8") as f:
            text = f.read()
        pairs = dict(re.findall(r'^\s*"([^"]+)": "([^"]+)",\s*$', text, flags=re.M))
        self.assertEqual(pairs, ROUTES_COVERED)

    def test_same_routes_as_the_typescript_client(self):
        if not os.path.exists(TS_CLIENT):
            self.skipTest("src/client/client.ts is not beside this SDK")
        with open(TS_CLIENT, encoding="utf-8") as f:
            ts = f.read()
        table = ts[ts.index("ROUTES_COVERED"):]
        table = table[: table.index("});")]
        ts_routes = dict(re.findall(r"'([A-Z]+ /[^']*)': '(\w+)'", table))
        self.assertEqual(set(ROUTES_COVERED), set(ts_routes))
        # the same method, in snake_case
        for route, name in ts_routes.items():
            self.assertEqual(ROUTES_COVERED[route], re.sub(r"([A-Z])", lambda m: "_" + m.group(1).lower(), name))

    def test_methods_are_documented(self):
        for name in set(ROUTES_COVERED.values()):
            self.assertTrue(inspect.getdoc(getattr(Client, name)) or name.startswith(("list_", "get_", "revoke",
                                                                                          "disable", "export")),
                            name)


if __name__ == "__main__":
    unittest.main()
