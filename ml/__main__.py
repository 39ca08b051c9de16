"""`python -m ml ...` entry point."""

import sys

from ml.cli import main

sys.exit(main())
