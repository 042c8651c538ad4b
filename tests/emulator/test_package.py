"""Tests for the layout of scripts/fakegemini, the package behind
scripts/fake-gemini: every module imports on its own, says what it owns,
and imports only the modules its package docstring lists below it; the
command runs from any directory, through a symlink and in isolated mode;
and a few of the pure functions, table-driven.  Standard library only.
"""

import ast
import os
import random
import re
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SCRIPTS = os.path.join(ROOT, "scripts")
PKG = os.path.join(SCRIPTS, "fakegemini")
FAKE = os.path.join(SCRIPTS, "fake-gemini")

sys.path.insert(0, SCRIPTS)
import fakegemini  # noqa: E402
from fakegemini import answers, faults, gemini, openai  # noqa: E402


def modules():
    return sorted(f[:-3] for f in os.listdir(PKG) if f.endswith(".py") and f != "__init__.py")


def layers():
    """The module list of the package docstring, top first."""
    return re.findall(r"^  ([a-z]+) +\S", fakegemini.__doc__, re.M)


def relative_imports(name):
    with open(os.path.join(PKG, name + ".py"), encoding="utf-8") as f:
        tree = ast.parse(f.read())
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                out.add(node.module)
            else:
                out.update(a.name for a in node.names if a.name != "VERSION")
    return out


class Layout(unittest.TestCase):
    def test_each_module_imports_alone(self):
        # One interpreter per module, so an import cycle cannot hide
        # behind a module another test imported first.
        for name in modules():
            with self.subTest(module=name):
                r = subprocess.run([sys.executable, "-c", "import fakegemini." + name],
                                   cwd=SCRIPTS, capture_output=True, text=True)
                self.assertEqual(r.returncode, 0, r.stderr)

    def test_each_module_has_a_docstring(self):
        for name in modules():
            with self.subTest(module=name):
                with open(os.path.join(PKG, name + ".py"), encoding="utf-8") as f:
                    doc = ast.get_docstring(ast.parse(f.read()))
                self.assertTrue(doc and len(doc) > 40, "%s.py: no docstring" % name)

    def test_the_package_docstring_lists_every_module(self):
        self.assertEqual(sorted(layers()), modules())

    def test_imports_go_down_the_list(self):
        order = layers()
        for name in order:
            for dep in relative_imports(name):
                with self.subTest(module=name, imports=dep):
                    self.assertGreater(order.index(dep), order.index(name),
                                       "%s imports %s, listed above it" % (name, dep))


class Command(unittest.TestCase):
    def version(self, argv, cwd):
        r = subprocess.run(argv + ["--version"], cwd=cwd, capture_output=True, text=True)
        self.assertEqual((r.returncode, r.stderr), (0, ""))
        self.assertEqual(r.stdout, "fake-gemini %s\n" % fakegemini.VERSION)

    def test_runs_from_any_directory(self):
        with tempfile.TemporaryDirectory() as d:
            self.version([sys.executable, FAKE], d)
            self.version([FAKE], "/")

    def test_runs_through_a_symlink(self):
        with tempfile.TemporaryDirectory() as d:
            link = os.path.join(d, "fake-gemini")
            os.symlink(FAKE, link)
            self.version([sys.executable, link], d)

    def test_runs_isolated(self):
        # -I: no PYTHONPATH, no user site, and the script's directory is not
        # put on sys.path for it; the command adds the package itself.
        with tempfile.TemporaryDirectory() as d:
            self.version([sys.executable, "-I", FAKE], d)

    def test_help_names_every_outcome_and_modifier(self):
        r = subprocess.run([sys.executable, FAKE, "--help"], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0)
        self.assertTrue(r.stdout.startswith("usage: fake-gemini "))
        for name in list(faults.OUTCOMES) + list(faults.MODIFIERS):
            self.assertRegex(r.stdout, r"\n  %s +\S" % re.escape(name))


class Faults(unittest.TestCase):
    def test_parse_directives(self):
        cases = [
            ("no directive", [], {}),
            ("[[fake:503]]", [("503", None)], {}),
            ("a [[fake:500x2,429x1]] b", [("500", 2), ("429", 1)], {}),
            ("[[FAKE:500X2 503]]", [("500", 2), ("503", None)], {}),
            ("[[fake:sleep=250, nullsx1]]", [], {"sleep": (250.0, None), "nulls": (None, 1)}),
            ("[[fake:400-echo-key pad=7]]", [("400-echo-key", None)], {"pad": (7.0, None)}),
        ]
        for text, outcomes, mods in cases:
            with self.subTest(text=text):
                self.assertEqual(faults.parse_directives(text), (outcomes, mods))

    def test_bad_directives(self):
        for text in ("[[fake:nonsense]]", "[[fake:sleep=x]]", "[[fake:sleep]]", "[[fake:a!b]]"):
            with self.subTest(text=text):
                self.assertRaises(faults.DirectiveError, faults.parse_directives, text)

    def test_sequence(self):
        outcomes = [("500", 2), ("429", 1)]
        got = [faults.pick_outcome(outcomes, a) for a in range(5)]
        self.assertEqual(got, ["500", "500", "429", None, None])
        self.assertEqual(faults.pick_outcome([("hang", None)], 9), "hang")

    def test_choose(self):
        rng = random.Random(1)
        self.assertEqual(faults.choose([("503", 1)], 0, rng, 1.0, [("500", 1.0)]), "503")
        self.assertIsNone(faults.choose([], 0, rng, 0.0, [("500", 1.0)]))
        self.assertEqual(faults.choose([], 0, rng, 1.0, [("drop", 1.0)]), "drop")
        # A directive's fault draws nothing: the latency drawn next stays
        # the same whatever --error-rate is.
        a, b = random.Random(7), random.Random(7)
        faults.choose([("500", None)], 0, a, 1.0, [("503", 1.0)])
        self.assertEqual(a.random(), b.random())

    def test_parse_kinds(self):
        self.assertEqual(faults.parse_kinds("500:3, 503,drop:0.5"),
                         [("500", 3.0), ("503", 1.0), ("drop", 0.5)])
        self.assertRaises(ValueError, faults.parse_kinds, "500,bogus")


class Shapes(unittest.TestCase):
    SCHEMA = {"type": "object", "properties": {"name": {"type": "string"},
                                               "age": {"type": "integer"}},
              "required": ["name", "age"]}

    def test_answers_are_reproducible(self):
        a = answers.make_text("name: Ann\nage: 41", self.SCHEMA, True, None, {})
        b = answers.make_text("name: Ann\nage: 41 [[fake:sleep=1]]", self.SCHEMA, True, None, {})
        self.assertEqual(a[0], b[0])
        self.assertEqual(a[1], {"name": "Ann", "age": 41})

    def test_gemini_answer_counts_tokens(self):
        gc = {"responseMimeType": "application/json", "responseJsonSchema": self.SCHEMA}
        obj, toks = gemini.answer("gemini-2.5-flash", gc, "name: Ann\nage: 41", None, {})
        usage = obj["usageMetadata"]
        self.assertEqual(toks, {"prompt": usage["promptTokenCount"],
                                "candidates": usage["candidatesTokenCount"], "thoughts": 0,
                                "cached": 0})
        self.assertEqual(obj["candidates"][0]["finishReason"], "STOP")
        obj, toks = gemini.answer("gemini-2.5-flash", gc, "name: Ann", None, {},
                                  "x" * 400 + "name: Ann", 64)
        usage = obj["usageMetadata"]
        self.assertEqual((usage["promptTokenCount"], usage["cachedContentTokenCount"]),
                         (103, 64))
        self.assertEqual(toks["cached"], 64)

    def test_echo_key_bodies(self):
        key = "k=&<>"
        for mod in (gemini, openai):
            for kind in ("400-echo-key", "401-echo-key"):
                with self.subTest(api=mod.__name__, kind=kind):
                    code, body, ctype = mod.echo_key(kind, key, 3, "m")
                    self.assertEqual(code, 401 if kind == "401-echo-key" else 400)
                    self.assertNotIn(b"k=&<>", body)
                    self.assertIn(b"k\\u003d\\u0026\\u003c\\u003e", body)
                    self.assertTrue(ctype.startswith("application/json"))
            code, body, ctype = mod.echo_key("html-echo-key", key, 0, "m")
            self.assertEqual((code, ctype), (502, gemini.HTML_CT))
            self.assertIn(b"k=&amp;&lt;&gt;", body)


if __name__ == "__main__":
    unittest.main()
