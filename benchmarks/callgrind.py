"""Callgrind from Python: client requests (count only the measured loop) and cost regions.

``build(directory)`` compiles, with gcc, from ``valgrind/callgrind.h``:

- ``libcgclient.so``, loaded with ctypes: ``start`` / ``stop`` instrumentation,
  ``zero`` the counters, ``dump`` them to a file named after the loop. Callgrind
  runs with ``--instr-atstart=no``, so imports, set-up and warm-up are not
  counted; only the code between ``start`` and ``stop`` is.
- ``_cgregions``, a Python extension (only for the breakdown): ``Region(index,
  func)`` calls ``func`` from the C function ``cgr_<index>``, so callgrind's
  inclusive count of ``cgr_<index>`` is the instructions spent in ``func`` and
  everything it calls. ``wrap_all`` swaps a function for its region wherever a
  module or class holds it. A region re-entered while open (recursion) counts once.
"""

from __future__ import annotations

import ctypes
import importlib
import inspect
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path
from types import FunctionType, ModuleType
from typing import Any

REGIONS = 512  # region slots compiled into _cgregions

_CLIENT_C = r"""
#include <valgrind/callgrind.h>
void cg_start(void) { CALLGRIND_START_INSTRUMENTATION; }
void cg_stop(void) { CALLGRIND_STOP_INSTRUMENTATION; }
void cg_zero(void) { CALLGRIND_ZERO_STATS; }
void cg_dump(const char *name) { CALLGRIND_DUMP_STATS_AT(name); }
int cg_running(void) { return RUNNING_ON_VALGRIND; }
"""

_REGIONS_C = r"""
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#define REGION(n) __attribute__((noinline, noclone)) PyObject *cgr_##n(PyObject *f, \
    PyObject *const *args, size_t nargsf, PyObject *kwnames) { \
    PyObject *r = PyObject_Vectorcall(f, args, nargsf, kwnames); \
    __asm__ volatile("" ::: "memory"); return r; }
#include "regions.h"

typedef struct {
    PyObject_HEAD PyObject *func; int index; int depth; vectorcallfunc vectorcall;
} Region;

static PyObject *region_vectorcall(PyObject *self, PyObject *const *args, size_t nargsf,
                                   PyObject *kwnames) {
    Region *r = (Region *)self;
    if (r->depth > 0) return PyObject_Vectorcall(r->func, args, nargsf, kwnames);
    r->depth++;
    PyObject *res = TABLE[r->index](r->func, args, nargsf, kwnames);
    r->depth--;
    return res;
}

static int region_init(Region *self, PyObject *args, PyObject *kw) {
    PyObject *func; int index;
    if (!PyArg_ParseTuple(args, "iO", &index, &func)) return -1;
    if (index < 0 || index >= NREGIONS) {
        PyErr_SetString(PyExc_ValueError, "region index");
        return -1;
    }
    Py_INCREF(func); Py_XSETREF(self->func, func);
    self->index = index; self->depth = 0; self->vectorcall = region_vectorcall;
    return 0;
}

static void region_dealloc(Region *self) { Py_XDECREF(self->func); Py_TYPE(self)->tp_free(self); }

static PyObject *region_get(PyObject *self, PyObject *obj, PyObject *type) {
    if (obj == NULL || obj == Py_None) { Py_INCREF(self); return self; }
    return PyMethod_New(self, obj);
}

static PyObject *region_getattro(PyObject *self, PyObject *name) {
    PyObject *res = PyObject_GenericGetAttr(self, name);
    if (res == NULL && PyErr_ExceptionMatches(PyExc_AttributeError)) {
        PyErr_Clear();
        return PyObject_GetAttr(((Region *)self)->func, name);
    }
    return res;
}

static PyMemberDef region_members[] = {
    {"__wrapped__", T_OBJECT, offsetof(Region, func), READONLY, NULL},
    {"index", T_INT, offsetof(Region, index), READONLY, NULL},
    {NULL}
};

static PyTypeObject RegionType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "_cgregions.Region",
    .tp_basicsize = sizeof(Region),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_VECTORCALL | Py_TPFLAGS_METHOD_DESCRIPTOR,
    .tp_vectorcall_offset = offsetof(Region, vectorcall),
    .tp_call = PyVectorcall_Call,
    .tp_descr_get = region_get,
    .tp_getattro = region_getattro,
    .tp_init = (initproc)region_init,
    .tp_new = PyType_GenericNew,
    .tp_dealloc = (destructor)region_dealloc,
    .tp_members = region_members,
};

static struct PyModuleDef mod = {PyModuleDef_HEAD_INIT, "_cgregions", NULL, -1, NULL};

PyMODINIT_FUNC PyInit__cgregions(void) {
    if (PyType_Ready(&RegionType) < 0) return NULL;
    PyObject *m = PyModule_Create(&mod);
    if (m == NULL) return NULL;
    Py_INCREF(&RegionType);
    PyModule_AddObject(m, "Region", (PyObject *)&RegionType);
    PyModule_AddIntConstant(m, "NREGIONS", NREGIONS);
    return m;
}
"""


def _gcc(args: list[str]) -> None:
    gcc = shutil.which("gcc") or shutil.which("cc")
    if gcc is None:
        raise SystemExit("the callgrind suite needs gcc (apt-get install gcc)")
    subprocess.run([gcc, *args], check=True)


def build(directory: Path, *, regions: bool) -> None:
    """Compile the client-request library (and the region extension) into ``directory``."""
    if not Path("/usr/include/valgrind/callgrind.h").exists():
        raise SystemExit("valgrind/callgrind.h not found (apt-get install valgrind)")
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "cgclient.c").write_text(_CLIENT_C)
    _gcc(["-O1", "-shared", "-fPIC", "-o", str(directory / "libcgclient.so"),
          str(directory / "cgclient.c")])  # fmt: skip
    if not regions:
        return
    body = [f"REGION({i})" for i in range(REGIONS)]
    table = ", ".join(f"cgr_{i}" for i in range(REGIONS))
    (directory / "regions.h").write_text(
        "\n".join(body) + f"\n#define NREGIONS {REGIONS}\n"
        "typedef PyObject *(*region_fn)(PyObject *, PyObject *const *, size_t, PyObject *);\n"
        f"static region_fn TABLE[{REGIONS}] = {{{table}}};\n"
    )
    (directory / "regions.c").write_text(_REGIONS_C.replace("#include <Python.h>",
        "#include <Python.h>\n#include <structmember.h>"))  # fmt: skip
    suffix = sysconfig.get_config_var("EXT_SUFFIX") or ".so"
    _gcc(["-O1", "-fno-optimize-sibling-calls", "-shared", "-fPIC",
          f"-I{sysconfig.get_paths()['include']}", "-I", str(directory),
          "-o", str(directory / f"_cgregions{suffix}"), str(directory / "regions.c")])  # fmt: skip


class Client:
    """The callgrind client requests, through ctypes."""

    def __init__(self, directory: Path) -> None:
        self._lib = ctypes.CDLL(str(directory / "libcgclient.so"))
        self._lib.cg_dump.argtypes = [ctypes.c_char_p]

    @property
    def running(self) -> bool:
        return bool(self._lib.cg_running())

    def start(self) -> None:
        self._lib.cg_zero()
        self._lib.cg_start()

    def stop(self, name: str) -> None:
        self._lib.cg_stop()
        self._lib.cg_dump(name.encode())


def totals(path: Path) -> int:
    """The instruction count (``totals:`` line) of one callgrind dump."""
    for line in path.read_text().splitlines():
        if line.startswith(("totals:", "summary:")) and int(line.split()[1]) > 0:
            return int(line.split()[1])
    raise ValueError(f"no instruction total in {path}")


def inclusive_regions(path: Path) -> dict[int, int]:
    """Inclusive instruction count of every ``cgr_<n>`` region in one dump."""
    out = subprocess.run(
        ["callgrind_annotate", "--inclusive=yes", "--threshold=100", str(path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    found: dict[int, int] = {}
    for line in out.splitlines():
        m = re.match(r"\s*([\d,]+)\s.*\bcgr_(\d+)\b", line)
        if m:
            found[int(m.group(2))] = int(m.group(1).replace(",", ""))
    return found


# --- swapping functions for regions ---------------------------------------------------


def resolve(target: str) -> Any:
    """``"package.module:Class.method"`` -> the function object (None when absent)."""
    module_name, _, qualname = target.partition(":")
    try:
        obj: Any = importlib.import_module(module_name)
        for part in qualname.split("."):
            obj = inspect.getattr_static(obj, part)
    except (ImportError, AttributeError):
        return None
    return obj.__func__ if isinstance(obj, staticmethod) else obj


def functions_of(package: str) -> dict[str, FunctionType]:
    """Every plain function and method defined in ``package``'s loaded modules."""
    found: dict[str, FunctionType] = {}
    for name, module in list(sys.modules.items()):
        if not (name == package or name.startswith(package + ".")) or module is None:
            continue
        for attr, value in vars(module).items():
            if isinstance(value, FunctionType) and value.__module__ == name:
                found[f"{name}:{attr}"] = value
            elif isinstance(value, type) and value.__module__ == name:
                for meth, member in vars(value).items():
                    fn = member.__func__ if isinstance(member, staticmethod) else member
                    if isinstance(fn, FunctionType) and not meth.startswith("__"):
                        found[f"{name}:{value.__qualname__}.{meth}"] = fn
    return found


def _holders(prefixes: tuple[str, ...]) -> list[dict[str, Any] | type]:
    holders: list[dict[str, Any] | type] = []
    for name, module in list(sys.modules.items()):
        if isinstance(module, ModuleType) and name.startswith(prefixes):
            holders.append(vars(module))
            holders.extend(v for v in vars(module).values() if isinstance(v, type))
    return holders


def wrap_all(functions: dict[str, Any], prefixes: tuple[str, ...]) -> dict[int, str]:
    """Swap each function for a region wherever a module or class under ``prefixes``
    holds it; returns region index -> label."""
    from _cgregions import Region  # type: ignore[import-not-found]

    by_id: dict[int, tuple[str, Any]] = {}
    for label, fn in functions.items():
        if fn is not None:
            by_id.setdefault(id(fn), (label, fn))
    if len(by_id) > REGIONS:
        raise ValueError(f"{len(by_id)} regions asked, {REGIONS} compiled")
    regions = {fid: Region(i, fn) for i, (fid, (_, fn)) in enumerate(by_id.items())}
    labels = {regions[fid].index: label for fid, (label, _) in by_id.items()}
    for holder in _holders(prefixes):
        items = list(holder.items() if isinstance(holder, dict) else vars(holder).items())
        for key, value in items:
            raw = value.__func__ if isinstance(value, staticmethod) else value
            region = regions.get(id(raw))
            if region is None or raw is not by_id[id(raw)][1]:
                continue
            new = staticmethod(region) if isinstance(value, staticmethod) else region
            if isinstance(holder, dict):
                holder[key] = new
            else:
                setattr(holder, key, new)
    return labels
