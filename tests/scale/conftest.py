"""Puts the shared harness (tests/lib) on sys.path and loads its fixtures."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

from cairn_fixtures import *  # noqa: E402,F401,F403
