#!/usr/bin/python3
"""Writes cases.json: what Ansible's parse_kv returns for each case below.

Run with the python that has ansible-core (2.14): /usr/bin/python3 gen.py.
kv_test.go compares lvslab's ParseKV with every case.
"""
import json
import os

from ansible.parsing.splitter import parse_kv
from ansible.release import __version__

CASES = [
    # (argument string, check_raw)
    ("name=nginx state=started", False),
    ("src=a dest=/b mode=0644", False),
    ("name=nginx enabled=yes", False),
    ('msg="hello world"', False),
    ("msg='hello world'", False),
    ('msg="a \\"quoted\\" word"', False),
    ("msg=a\\nb", False),
    ("msg=tab\\there", False),
    ("msg=\\x41\\u00e9", False),
    ('dest={{ base }}/x mode=0644', False),
    ('msg="{{ a }} and {{ b }}"', False),
    ("msg={{ x | default('a b') }}", False),
    ("msg={% if a %}yes{% else %}no{% endif %}", False),
    ("msg={% if a == 1 %} one {% endif %} after=1", False),
    ("a=b=c", False),
    ("a=b==c d= e", False),
    ("line='x=1'", False),
    ("a\\=b=c", False),
    ("a\\=b", False),
    ("=x", False),
    ("  key = value", False),
    ("a=1 a=2 b=3", False),
    ("a=1  b=2", False),
    ("a=1\nb=2", False),
    ("a='x\ny' b=2", False),
    ("free words here", False),
    ("name=x free", False),
    ("msg=\"it's\"", False),
    ("msg='unterminated", False),
    ("msg={{ unbalanced", False),
    ("echo hello", True),
    ("echo hi chdir=/tmp", True),
    ("chdir=/tmp creates=/etc/x echo hi", True),
    ("ls -l removes=/a executable=/bin/bash", True),
    ("sysctl -qw net.ipv4.ip_forward=0", True),
    ("echo a=b c", True),
    ('echo "a b"  c', True),
    ("echo 'x y' creates='/p q'", True),
    ("echo {{ a }} {{ b | default('c d') }}", True),
    ("for i in 1 2; do echo $i; done", True),
    ("cat <<EOF\nline one\n  indented\nEOF\n", True),
    ("echo a \\\n  b", True),
    ("printf '%s\\n' x", True),
    ("warn=no stdin=hello cat", True),
    ("grep -c 'a=b' file", True),
    ("echo \"unterminated", True),
    ("if [ -f /x ]; then\n  echo yes\nfi", True),
    ("echo {% raw %}{{ x }}{% endraw %}", True),
    ("echo {# comment #} x", True),
    ("creates=/a", True),
    ("echo é chdir=/tmp", True),
    ("awk '{print $1}' f", True),
    ("# don't\necho hi", True),
    ("echo {{ a }", True),
    ("  two leading spaces", True),
]


def main():
    out = []
    for args, check_raw in CASES:
        case = {"in": args, "check_raw": check_raw}
        try:
            case["out"] = parse_kv(args, check_raw=check_raw)
        except Exception as e:  # AnsibleParserError and the like
            case["error"] = type(e).__name__
        out.append(case)
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "cases.json"), "w") as f:
        json.dump({"ansible": __version__, "cases": out}, f, indent=1, ensure_ascii=False)
        f.write("\n")


if __name__ == "__main__":
    main()
