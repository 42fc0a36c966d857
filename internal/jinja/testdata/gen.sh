#!/bin/sh
# Regenerates ansible.golden.json with ansible-core (the system's python3).
cd "$(dirname "$0")" && exec /usr/bin/python3 gen.py
