#!/usr/bin/env python3
"""Reference values for sglab::stats, computed with scipy and statsmodels.

Run once (and again only when a case is added), from the repository root:

    python3 -m venv ~/.cache/sglab/refvenv
    ~/.cache/sglab/refvenv/bin/pip install scipy==1.14.1 statsmodels==0.14.4 numpy
    ~/.cache/sglab/refvenv/bin/python scripts/stats_reference.py > tests/fixtures/stats_reference.json

Every case stores its inputs with the statistic and p-value scipy reports, so the Rust test
needs nothing but the JSON file.
"""
import json

import numpy as np
import scipy
import scipy.stats as st
import statsmodels
from statsmodels.stats.multitest import multipletests

A = [0.81, 0.77, 0.84, 0.79, 0.88, 0.72, 0.80, 0.83]
B = [0.74, 0.70, 0.79, 0.75, 0.78, 0.69, 0.77, 0.73, 0.71]
C = [0.91, 0.88, 0.86, 0.90, 0.93]
A_SHIFTED = [round(v + 0.005, 3) for v in A]  # no value in common with B
TIED_A = [1, 2, 2, 3, 3, 3, 4, 5]
TIED_B = [2, 3, 3, 4, 4, 5, 6, 6, 7]
SAME_VAR_A = [1.0, 2.0, 3.0, 4.0, 5.0]
SAME_VAR_B = [2.0, 3.0, 4.0, 5.0, 6.0]
PAIR_X = [0.62, 0.71, 0.58, 0.66, 0.74, 0.69, 0.61, 0.70, 0.65, 0.72]
PAIR_Y = [0.60, 0.66, 0.59, 0.61, 0.70, 0.64, 0.57, 0.69, 0.60, 0.66]
TIED_PAIR_X = [5, 7, 6, 9, 8, 7, 6, 5, 8, 9, 7, 6]
TIED_PAIR_Y = [4, 6, 6, 7, 7, 5, 5, 4, 6, 8, 7, 5]
BIG_X = [float(v) for v in np.round(np.sin(np.arange(60) * 1.3) * 3 + np.arange(60) * 0.05, 3)]
BIG_Y = [float(v) for v in np.round(np.cos(np.arange(60) * 0.7) * 3 + np.arange(60) * 0.04, 3)]

cases = []


def add(kind, inputs, statistic, pvalue, **extra):
    case = {"kind": kind, "inputs": inputs, "statistic": float(statistic), "p": float(pvalue)}
    case.update(extra)
    cases.append(case)


for alt in ["two-sided", "less", "greater"]:
    for a, b in [(A, B), (SAME_VAR_A, SAME_VAR_B), (B, C), ([1.0, 2.0], [3.0, 5.0, 4.0])]:
        r = st.ttest_ind(a, b, equal_var=True, alternative=alt)
        add("student", {"a": a, "b": b}, r.statistic, r.pvalue, alternative=alt, df=float(r.df))
        r = st.ttest_ind(a, b, equal_var=False, alternative=alt)
        add("welch", {"a": a, "b": b}, r.statistic, r.pvalue, alternative=alt, df=float(r.df))
    for x, y in [(PAIR_X, PAIR_Y), (TIED_PAIR_X, TIED_PAIR_Y), ([1.0, 2.5], [0.5, 1.0])]:
        r = st.ttest_rel(x, y, alternative=alt)
        add("paired-t", {"a": x, "b": y}, r.statistic, r.pvalue, alternative=alt, df=float(r.df))

    # Wilcoxon signed-rank: exact without ties or zeros (n = 1..10), normal approximation with
    # tie correction, with and without continuity correction.
    for x, y in [(PAIR_X, PAIR_Y), (PAIR_X[:3], PAIR_Y[:3]), (PAIR_X[:1], PAIR_Y[:1]), (PAIR_X[:2], PAIR_Y[:2])]:
        r = st.wilcoxon(x, y, alternative=alt, method="exact")
        add("wilcoxon", {"a": x, "b": y}, r.statistic, r.pvalue, alternative=alt, method="exact")
    for x, y in [(TIED_PAIR_X, TIED_PAIR_Y), (BIG_X, BIG_Y), (PAIR_X, PAIR_Y)]:
        for corr in [False, True]:
            r = st.wilcoxon(x, y, alternative=alt, method="approx", correction=corr)
            add("wilcoxon", {"a": x, "b": y}, r.statistic, r.pvalue, alternative=alt, method="approx", continuity=corr)

    # Mann-Whitney U: exact (no ties, small) and asymptotic with tie and continuity correction.
    for a, b in [(A_SHIFTED, B), (A, B), (B, C), ([1.0], [2.0, 3.0])]:
        r = st.mannwhitneyu(a, b, alternative=alt, method="exact")
        add("mann-whitney", {"a": a, "b": b}, r.statistic, r.pvalue, alternative=alt, method="exact")
    for a, b in [(TIED_A, TIED_B), (A, B), (BIG_X, BIG_Y)]:
        for corr in [False, True]:
            r = st.mannwhitneyu(a, b, alternative=alt, method="asymptotic", use_continuity=corr)
            add("mann-whitney", {"a": a, "b": b}, r.statistic, r.pvalue, alternative=alt, method="asymptotic", continuity=corr)

    # Correlations.
    for x, y in [(PAIR_X, PAIR_Y), (BIG_X, BIG_Y), (TIED_PAIR_X, TIED_PAIR_Y), ([1.0, 2.0, 4.0], [1.0, 3.0, 2.0])]:
        r = st.pearsonr(x, y, alternative=alt)
        add("pearson", {"a": x, "b": y}, r.statistic, r.pvalue, alternative=alt)
        r = st.spearmanr(x, y, alternative=alt)
        add("spearman", {"a": x, "b": y}, r.statistic, r.pvalue, alternative=alt)

for groups in [[A, B, C], [TIED_A, TIED_B, [3, 3, 4]], [[1.0], [2.0, 3.0]]]:
    r = st.kruskal(*groups)
    add("kruskal", {"groups": groups}, r.statistic, r.pvalue)

# Friedman: blocks (rows) × treatments; scipy takes one sequence per treatment.
for treatments in [[PAIR_X, PAIR_Y, [v + 0.01 for v in PAIR_X[::-1]]], [TIED_PAIR_X, TIED_PAIR_Y, TIED_PAIR_X[::-1], TIED_PAIR_Y[::-1]]]:
    r = st.friedmanchisquare(*treatments)
    add("friedman", {"groups": treatments}, r.statistic, r.pvalue)

P_VECTORS = [
    [0.01, 0.04, 0.03, 0.005, 0.2, 0.5],
    [0.001, 0.008, 0.039, 0.041, 0.042, 0.06, 0.074, 0.205, 0.212, 0.216],
    [0.5],
    [0.04, 0.04, 0.04],
]
corrections = []
for p in P_VECTORS:
    for method, name in [("holm", "holm"), ("fdr_bh", "benjamini-hochberg"), ("bonferroni", "bonferroni")]:
        _, adjusted, _, _ = multipletests(p, method=method)
        corrections.append({"method": name, "p": p, "adjusted": [float(v) for v in adjusted]})

print(json.dumps({
    "generated_by": "scripts/stats_reference.py",
    "scipy": scipy.__version__,
    "statsmodels": statsmodels.__version__,
    "numpy": np.__version__,
    "cases": cases,
    "corrections": corrections,
}, indent=1))
