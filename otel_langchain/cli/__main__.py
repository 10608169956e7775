"""``python -m otel_langchain.cli``: the same as the ``otel-langchain`` command."""

from __future__ import annotations

import sys

from otel_langchain.cli import main

sys.exit(main())
