#!/usr/bin/python3
"""Renders every case of cases.txt with ansible-core's Templar (the oracle)
and writes ansible.golden.json. Run from anywhere: /usr/bin/python3 gen.py

cases.txt: one template per line; blank lines and lines starting with "#"
are skipped. Non-string results are rendered with "| to_json" in the case
itself, so that the table compares values and not Python reprs.

The collections of Debian's `ansible` package (ansible.utils' ipaddr
family, and the redirects that make `ipaddr` resolve unqualified) need
no setup: importing ansible.plugins.loader installs ansible-core's
collection finder over the system's collection paths, as the CLI does.
"""
import json
import os
import sys

from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar

HERE = os.path.dirname(os.path.abspath(__file__))

# The variables of every case; dict keys are sorted so that Python's
# insertion order is the order lvslab sees.
VARS = {
    "dicts": [{"k": "a", "v": 1}, {"k": "b", "v": 2}],
    "empty": "",
    "hosts": ["web1", "web2", "db1"],
    "mixed": ["a", "A", "b", 1, 1.0, True],
    "nested": {"a": {"b": {"c": 1}, "l": [1, 2]}, "x": 1},
    "nested2": {"a": {"b": {"d": 2}, "l": [3]}, "y": 2},
    "none": None,
    "num": 42,
    "numstr": "17",
    "pi": 3.14159,
    "playbook_dir": os.path.join(HERE, "lookup"),
    "res_changed": {"changed": True, "failed": False, "rc": 0},
    "res_failed": {"changed": False, "failed": True, "rc": 1},
    "res_loop": {"results": [{"changed": False}, {"changed": True}]},
    "res_ok": {"changed": False, "failed": False, "rc": 0},
    "res_skipped": {"changed": False, "skipped": True},
    "text": "Hello World\nsecond line",
    "users": [
        {"groups": ["wheel", "adm"], "name": "alice", "shell": "/bin/bash", "uid": 1000},
        {"groups": [], "name": "bob", "uid": 1001},
        {"groups": ["adm"], "name": "carol", "shell": "/bin/zsh", "uid": 1002},
    ],
    "vers": ["1.2.10", "1.10", "2.0.0"],
}


def main():
    loader = DataLoader()
    loader.set_basedir(VARS["playbook_dir"])
    templar = Templar(loader=loader, variables=VARS)
    cases = []
    with open(os.path.join(HERE, "cases.txt")) as f:
        for line in f:
            line = line.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                continue
            case = {"template": line}
            try:
                # escape_backslashes=False: string literals mean what
                # Jinja2 says, as in a template file.
                r = templar.template(line, escape_backslashes=False)
                if isinstance(r, bool):
                    r = str(r)
                if not isinstance(r, str):
                    case["error"] = "non-string result %s: add | to_json to the case" % type(r).__name__
                    print(case["error"], line, file=sys.stderr)
                else:
                    case["want"] = str(r)
            except Exception as e:  # the oracle's error is the expectation
                case["error"] = type(e).__name__ + ": " + str(e).split("\n")[0]
            case["compare"] = "json" if line.rstrip().endswith("to_json }}") and "error" not in case else "text"
            cases.append(case)
    with open(os.path.join(HERE, "ansible.golden.json"), "w") as f:
        json.dump({"vars": VARS, "cases": cases}, f, indent=1, sort_keys=True)
        f.write("\n")
    print("%d cases" % len(cases), file=sys.stderr)


main()
