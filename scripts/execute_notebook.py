#!/usr/bin/env python3
"""Executes notebooks with the sglab-rust kernel and writes the executed copies.

    execute_notebook.py IN.ipynb OUT.ipynb [IN.ipynb OUT.ipynb ...]

All notebooks run in order in one kernel, in the folder of the first (each notebook's first
cell `:dep sglab = { path = ".." }` is relative to it, so they must share a folder): evcxr
type-checks sglab's whole dependency graph when a kernel first loads it (30-60 s), and one
kernel pays that once instead of once per notebook. Between notebooks evcxr's `:clear` drops
what the notebook before defined (a variable of one would otherwise shadow a function of the
next) and restarts the process that runs the cells, keeping the compiled crates and the
loaded graph. Each notebook starts with `sglab::display::init_notebook()`, which embeds
plotly.js in that notebook again, and its execution counts are renumbered from 1.

A cell fails when the kernel reports an error (a compile error, an error returned with `?`)
or when it panicked: evcxr prints a panic to stderr and carries on, so the stderr stream is
checked for Rust's "panicked at". On the first failing cell it stops, writes what ran of that
notebook, prints the notebook, the cell's number and first line and the error, and exits with
status 1.
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


def renumber(nb) -> None:
    """Execution counts from 1 within this notebook (the shared kernel counts across them)."""
    count = 0
    for cell in nb.cells:
        if cell.cell_type != "code" or cell.get("execution_count") is None:
            continue
        count += 1
        cell.execution_count = count
        for output in cell.get("outputs", []):
            if "execution_count" in output:
                output["execution_count"] = count


def run_cells(client: NotebookClient, nb, source: Path):
    """Executes every code cell; returns (number, cell, message) of the first failure or None."""
    code_number = 0
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        code_number += 1
        cell_started = time.time()
        try:
            client.execute_cell(cell, index)
        except CellExecutionError as error:
            return code_number, cell, str(error)
        panic = panic_message(cell)
        if panic:
            return code_number, cell, panic
        print(f"  {source.name} cell {code_number} ({first_line(cell)!r}): {time.time() - cell_started:.1f} s", flush=True)
    return None


def main() -> int:
    args = sys.argv[1:]
    if not args or len(args) % 2:
        print(__doc__, file=sys.stderr)
        return 2
    pairs = [(Path(args[i]), Path(args[i + 1])) for i in range(0, len(args), 2)]
    folders = {source.parent.resolve() for source, _ in pairs}
    if len(folders) > 1:
        print(f"the notebooks must share one folder (their `:dep` paths are relative to it), got {sorted(map(str, folders))}", file=sys.stderr)
        return 2
    notebooks = [nbformat.read(source, as_version=4) for source, _ in pairs]
    first = NotebookClient(
        notebooks[0],
        kernel_name="sglab-rust",
        timeout=None,  # training and the first dependency build take minutes
        startup_timeout=600,
        resources={"metadata": {"path": str(folders.pop())}},
    )
    all_started = time.time()
    with first.setup_kernel():
        for k, ((source, target), nb) in enumerate(zip(pairs, notebooks)):
            if k == 0:
                client = first
            else:
                # A clean slate: evcxr's `:clear` drops the variables, items and dependencies
                # of the notebooks before and restarts the process that runs the cells, while
                # the kernel keeps its compiled crates and its loaded dependency graph. It runs
                # in a scratch notebook, since nbclient writes a cell back into its notebook.
                clear = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(":clear")])
                clearing = NotebookClient(clear, km=first.km, timeout=600, resources=first.resources)
                clearing.kc = first.kc
                clearing.execute_cell(clear.cells[0], 0)
                client = NotebookClient(nb, km=first.km, timeout=None, resources=first.resources)
                client.kc = first.kc
            started = time.time()
            failure = run_cells(client, nb, source)
            renumber(nb)
            target.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, target)
            if failure:
                number, cell, message = failure
                print(f"{source}: code cell {number} ({first_line(cell)!r}) failed:\n{message}", file=sys.stderr)
                print(f"{source}: failed after {time.time() - started:.0f} s; partial output in {target}")
                return 1
            print(f"{source}: executed in {time.time() - started:.0f} s -> {target}", flush=True)
    if len(pairs) > 1:
        print(f"{len(pairs)} notebooks executed in one kernel in {time.time() - all_started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
