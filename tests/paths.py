"""Where the tests and the checkout live, for tests at any depth."""

from pathlib import Path

TESTS_DIR = Path(__file__).resolve().parent
REPO = TESTS_DIR.parent
