"""One module per run kind: how its span starts, what it records, how it ends; the registry.

- ``_base``: ``Run``, what every kind shares (start under the parent run, the
  context, errors, ending once), and ``Tracing``, what a handler's runs record
  through.
- ``chain``, ``model``, ``tool``, ``retriever``: the run kinds.
- ``skipped``: a run ``skip=`` matched (no span of its own), and the chain starter.
- ``budget``: the ``track_usage()`` budget check before a model call.
- ``registry``: open runs by id, bounded in number and age; ``collected``: the
  runs of a handler the garbage collector took.
"""
