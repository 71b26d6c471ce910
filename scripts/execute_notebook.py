#!/usr/bin/env python3
"""Executes one notebook with the sglab-rust kernel and writes the executed copy.

    execute_notebook.py IN.ipynb OUT.ipynb

Runs in the notebook's folder (its first cell's `:dep sglab = { path = ".." }` is relative
to it), cell by cell. A cell fails when
the kernel reports an error (a compile error, an error returned with `?`) or when it panicked:
evcxr prints a panic to stderr and carries on, so the stderr stream is checked for Rust's
"panicked at". On the first failing cell it stops, writes what ran so far, prints the
notebook, the cell's number and first line and the error, and exits with status 1.
"""
import re
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

PANIC = re.compile(r"^thread '.*' (\(\d+\) )?panicked at ", re.MULTILINE)


def first_line(cell) -> str:
    lines = [l for l in cell.source.splitlines() if l.strip()]
    return lines[0] if lines else "(empty)"


def panic_message(cell) -> str | None:
    stderr = "".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("output_type") == "stream" and o.get("name") == "stderr")
    match = PANIC.search(stderr)
    if not match:
        return None
    return "\n".join(stderr[match.start():].splitlines()[:2])


def main() -> int:
    source, target = Path(sys.argv[1]), Path(sys.argv[2])
    nb = nbformat.read(source, as_version=4)
    client = NotebookClient(
        nb,
        kernel_name="sglab-rust",
        timeout=None,  # training and the first dependency build take minutes
        startup_timeout=600,
        resources={"metadata": {"path": str(source.parent.resolve())}},
    )
    started = time.time()
    failure = None
    code_number = 0
    with client.setup_kernel():
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            code_number += 1
            cell_started = time.time()
            try:
                client.execute_cell(cell, index)
            except CellExecutionError as error:
                failure = (code_number, cell, str(error))
                break
            panic = panic_message(cell)
            if panic:
                failure = (code_number, cell, panic)
                break
            print(f"  cell {code_number} ({first_line(cell)!r}): {time.time() - cell_started:.1f} s", flush=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, target)
    if failure:
        number, cell, message = failure
        print(f"{source}: code cell {number} ({first_line(cell)!r}) failed:\n{message}", file=sys.stderr)
        print(f"{source}: failed after {time.time() - started:.0f} s; partial output in {target}")
        return 1
    print(f"{source}: executed in {time.time() - started:.0f} s -> {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
