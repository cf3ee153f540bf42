"""`python -m example_provider`: the same as the `example-provider` command."""

from __future__ import annotations

import sys

from example_provider.cli import main

sys.exit(main())
