"""Runs docs/sdk-python.md: every ```python block, in order, in one namespace, against the live service
(VEIL_URL, VEIL_API_KEY, VEIL_DATASETS from scripts/with-service.mjs). Set VEIL_DOCS_ECHO=1 to see what the
walk-through prints."""
import contextlib
import io
import os
import re
import sys
import unittest

from tests import support

DOC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "docs", "sdk-python.md")


def python_blocks(text: str):
    """The ```python blocks of a Markdown text, in order (other fences, e.g. ```sh, are not run)."""
    return [m.group(1) for m in re.finditer(r"^```python[ \t]*\n(.*?)^```[ \t]*$", text, flags=re.S | re.M)]


class Docs(unittest.TestCase):
    def test_the_walk_through_runs(self):
        support.require_service()
        support.datasets_dir()
        if not os.path.exists(DOC):
            self.skipTest("docs/sdk-python.md is not beside this SDK")
        with open(DOC, encoding="utf-8") as f:
            blocks = python_blocks(f.read())
        self.assertGreaterEqual(len(blocks), 10)
        ns = {"__name__": "__sdk_python_doc__"}
        out = io.StringIO()
        for i, code in enumerate(blocks):
            compiled = compile(code, f"docs/sdk-python.md (python block {i + 1})", "exec")
            try:
                with contextlib.redirect_stdout(out):
                    exec(compiled, ns)  # noqa: S102 - the documentation's own code
            except Exception as e:
                self.fail(f"python block {i + 1} failed: {type(e).__name__}: {e}\n--- block ---\n{code}"
                          f"--- printed so far ---\n{out.getvalue()[-2000:]}")
        if os.environ.get("VEIL_DOCS_ECHO"):
            sys.stderr.write(out.getvalue())
        # what the walk-through says happened
        self.assertEqual(ns["done"].state, "succeeded")
        self.assertGreater(ns["summary"]["testAccuracy"], 0.6)
        self.assertLessEqual(ns["summary"]["epsilonSpent"], 1 + 1e-9)
        self.assertEqual(ns["synth"].state, "succeeded")
        self.assertEqual(len(ns["rows"]), 500)
        self.assertTrue(ns["check"].ok)
        self.assertEqual(ns["again"].state, "succeeded")
        self.assertGreater(len(ns["polled"]), 0)
        self.assertEqual(len(ns["first_two"]), 2)
        self.assertIn("epoch 1: epsilon", out.getvalue())
        self.assertIn("refused:", out.getvalue())
        self.assertIn("403 forbidden", out.getvalue())


class Extraction(unittest.TestCase):
    def test_only_python_fences_are_run(self):
        text = "a\n```sh\necho no\n```\n```python\nx = 1\n```\n```py\ny = 2\n```\n```python\nz = x\n```\n"
        self.assertEqual(python_blocks(text), ["x = 1\n", "z = x\n"])


if __name__ == "__main__":
    unittest.main()
