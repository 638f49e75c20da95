"""Writing an evaluation: report.json (everything), report.md (variants x metrics, then failures), PNG plots."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Sequence

from evals.runner import TurnResult, results_as_dicts

# Columns of the markdown table, in reading order: retrieval, citations, answers, abstention, latency.
TABLE_METRICS = [
    "correct", "confidently_wrong_count", "verdict_accuracy", "verdict_macro_f1", "not_stated_recall",
    "hit@1", "hit@5", "recall@5", "mrr@10", "ndcg@10",
    "citation_precision", "citation_recall", "multi_citation_recall", "sentence_support",
    "key_fact_recall", "token_f1", "rouge_l",
    "abstain_precision", "abstain_recall", "false_abstention", "date_filter_correct",
    "latency_p50_ms", "latency_p95_ms",
]
PLOT_METRICS = TABLE_METRICS[:-2]


def _fmt(v: float | None, key: str) -> str:
    if v is None:
        return "-"
    return f"{v:.0f}" if key.endswith(("_ms", "_count")) else f"{v:.3f}"


def failures(results: Sequence[TurnResult]) -> list[tuple[TurnResult, str]]:
    """Turns that went wrong, with why: a missed paper, a missing fact, a wrong abstention, a wrong filter."""
    out = []
    for r in results:
        m = r.metrics
        why = []
        if m.get("confidently_wrong"):
            why.append("CONFIDENTLY WRONG")
        if r.gold_verdict and m.get("verdict_correct") == 0:
            why.append(f"verdict {r.verdict or '-'} (expected {r.gold_verdict})")
        if r.expect in ("not-stated", "correction", "clarify") and not m.get("correct"):
            why.append(f"expected {r.expect}, got {r.kind}")
        if m.get("correct") == 0 and not why and r.exact:
            why.append("papers listed are not exactly the ones asked for")
        if not r.answerable and not r.abstained:
            why.append("answered a question the collection does not cover")
        if r.answerable and r.abstained:
            why.append("abstained on an answerable question")
        if r.answerable and m.get("hit@5") == 0:
            why.append("no gold paper in the top 5")
        if r.answerable and not r.abstained and m.get("citation_recall") == 0:
            why.append("cited no gold paper")
        if m.get("key_fact_recall") is not None and m["key_fact_recall"] < 0.5 and not r.abstained:
            why.append(f"key facts {m['key_fact_recall']:.0%}")
        if m.get("date_filter_correct") == 0:
            why.append(f"date filter {r.filters} != expected {r.expected_filters}")
        if m.get("correct") == 0 and not why:
            why.append("not fully right")
        if why:
            out.append((r, "; ".join(why)))
    return out


def metrics_table(variants: dict[str, dict[str, Any]], default: str, metrics: Sequence[str] = TABLE_METRICS) -> list[str]:
    lines = ["| variant | " + " | ".join(metrics) + " |", "|---|" + "---|" * len(metrics)]
    for name, agg in variants.items():
        label = f"**{name}**" if name == default else name
        lines.append(f"| {label} | " + " | ".join(_fmt(agg.get(k), k) for k in metrics) + " |")
    return lines


def write_markdown(path: Path, summary: dict[str, Any], by_variant: dict[str, list[TurnResult]], default: str) -> None:
    lines = [
        f"# PaperRAG evaluation: {summary.get('name', summary['dataset'])}",
        "",
        f"Dataset: `{summary['dataset']}` ({summary['items']} items, {summary['turns']} turns). "
        f"Corpus: {', '.join(f'`{c}`' for c in summary['corpus'])}. Default variant: **{default}**. "
        "`plain-bm25` and `plain-dense` are whole-abstract baselines (evals/baselines.py): retrieval only.",
        "",
        *metrics_table(summary["variants"], default),
    ]
    for part, variants in (summary.get("splits") or {}).items():
        lines += ["", f"### {part} half ({'constants may be chosen on it' if part == 'tune' else 'never tuned on'})",
                  "", *metrics_table(variants, default)]
    lines += [
        "",
        "Retrieval metrics use the first 10 papers; citation and answer metrics the answer at the configured top_k. "
        "`sentence_support`: share of answer sentences whose cited abstracts contain at least 60% of the "
        "sentence's terms and a sentence with cosine >= 0.5 (see `evals/metrics.py`).",
        "",
    ]
    cal = summary.get("calibration")
    if cal:
        lines += [
            "## Abstention threshold",
            "",
            f"Configured `retrieval.abstain_threshold`: {summary['abstain_threshold']:.3f}. On this dataset "
            f"({default}) the best separating threshold is {cal['threshold']:.3f} (balanced accuracy "
            f"{cal['balanced_accuracy']:.3f}); answerable evidence starts at {cal['answerable_min']:.3f}, "
            f"unanswerable tops out at {cal['unanswerable_max']:.3f}.",
            "",
        ]
    fails = failures(by_variant[default])
    if fails and by_variant[default] and by_variant[default][0].split:
        fails.sort(key=lambda f: f[0].split != "held-out")
    lines += [f"## Failing questions ({default}): {len(fails)} of {len(by_variant[default])} turns", ""]
    for r, why in fails:
        lines += [
            f"### {r.item_id} (turn {r.turn + 1}, {r.type}): {why}",
            "",
            f"- question: {r.question}",
            f"- expected: {'; '.join(r.gold_titles) or 'not found'}",
            f"- reference: {r.reference_answer}",
            f"- retrieved: {'; '.join(r.ranked_titles[:5])}",
            f"- cited: {'; '.join(r.cited_titles) or '-'}",
            f"- answer: {r.answer}",
            "",
        ]
    path.write_text("\n".join(lines), encoding="utf-8")


def write_plots(out: Path, summary: dict[str, Any], by_variant: dict[str, list[TurnResult]]) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(summary["variants"])
    metrics = [m for m in PLOT_METRICS if not m.endswith("_count")
               and any(summary["variants"][n].get(m) is not None for n in names)]
    fig, ax = plt.subplots(figsize=(max(10, len(metrics) * 0.9), 5))
    width = 0.8 / max(len(names), 1)
    for i, name in enumerate(names):
        vals = [summary["variants"][name].get(m) or 0.0 for m in metrics]
        ax.bar([j + i * width for j in range(len(metrics))], vals, width, label=name)
    ax.set_xticks([j + width * (len(names) - 1) / 2 for j in range(len(metrics))])
    ax.set_xticklabels(metrics, rotation=40, ha="right")
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("score (higher is better; false_abstention: lower)")
    ax.set_title("PaperRAG: metrics per variant")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    metrics_png = out / "metrics.png"
    fig.savefig(metrics_png, dpi=120)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(8, 4.5))
    data = [[r.latency_ms for r in by_variant[n]] for n in names]
    ax.boxplot(data, showfliers=True)
    ax.set_xticks(range(1, len(names) + 1))
    ax.set_xticklabels(names, rotation=20, ha="right")
    ax.set_yscale("log")
    ax.set_ylabel("latency per question (ms, log scale)")
    ax.set_title("PaperRAG: answer latency per variant")
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    latency_png = out / "latency.png"
    fig.savefig(latency_png, dpi=120)
    plt.close(fig)
    return [metrics_png, latency_png]


def write_report(
    out: Path, summary: dict[str, Any], by_variant: dict[str, list[TurnResult]], default: str
) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    data = {**summary, "results": {n: results_as_dicts(rs) for n, rs in by_variant.items()}}
    (out / "report.json").write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")
    write_markdown(out / "report.md", summary, by_variant, default)
    return [out / "report.json", out / "report.md", *write_plots(out, summary, by_variant)]


# ----- the report over every data set ---------------------------------------------------------------------------
SUITE_METRICS = [
    "correct", "confidently_wrong_count", "verdict_accuracy", "hit@1", "mrr@10", "ndcg@10", "citation_recall",
    "multi_citation_recall", "key_fact_recall", "token_f1", "abstain_recall", "false_abstention", "latency_p95_ms",
]


def write_suite_report(out: Path, summaries: dict[str, dict[str, Any]], defaults: dict[str, str]) -> list[Path]:
    """out/report.md and summary.png: every data set's variants side by side, the gate, how constants were set."""
    from evals.gate import check_suite, load_thresholds
    from rag import tuning

    out.mkdir(parents=True, exist_ok=True)
    lines = ["# PaperRAG evaluation", "", "One section per data set; details, failing questions and plots in each "
             "data set's folder. `plain-*` are whole-abstract baselines (retrieval only).", ""]
    for name, summary in summaries.items():
        lines += [f"## {name}", "", f"{summary['items']} items, {summary['turns']} turns; "
                  f"[details]({name}/report.md)", "", *metrics_table(summary["variants"], defaults[name], SUITE_METRICS)]
        for part, variants in (summary.get("splits") or {}).items():
            lines += ["", f"{part} half:", "", *metrics_table(variants, defaults[name], SUITE_METRICS)]
        lines.append("")
    problems = check_suite(summaries, load_thresholds())
    lines += ["## Quality gate (evals/thresholds.yaml)", ""]
    lines += [f"- {p}" for p in problems] if problems else ["Passed on every data set."]
    lines += ["", "## How the constants were chosen (rag/tuning.py)", "", "| constant | value | chosen on | why |",
              "|---|---|---|---|"]
    lines += [f"| `{n}` | {v} | {on} | {why} |" for n, v, on, why in tuning.table()]
    lines += ["", "![hit@1 and MRR@10 per data set](summary.png)", ""]
    (out / "report.md").write_text("\n".join(lines), encoding="utf-8")
    (out / "report.json").write_text(
        json.dumps({"datasets": summaries, "gate": problems}, indent=2, ensure_ascii=False), encoding="utf-8"
    )
    return [out / "report.md", out / "report.json", _summary_plot(out / "summary.png", summaries)]


def _summary_plot(path: Path, summaries: dict[str, dict[str, Any]]) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(summaries)
    fig, axes = plt.subplots(1, len(names), figsize=(6 * len(names), 4.5), squeeze=False)
    for ax, name in zip(axes[0], names):
        variants = summaries[name]["variants"]
        labels = list(variants)
        for j, metric in enumerate(("hit@1", "mrr@10")):
            vals = [variants[v].get(metric) or 0.0 for v in labels]
            ax.bar([i + j * 0.4 for i in range(len(labels))], vals, 0.4, label=metric)
        ax.set_xticks([i + 0.2 for i in range(len(labels))])
        ax.set_xticklabels(labels, rotation=30, ha="right")
        low = min((variants[v].get("hit@1") or 1.0) for v in labels)
        ax.set_ylim(max(0.0, low - 0.1), 1.0)
        ax.set_title(name)
        ax.grid(axis="y", alpha=0.3)
    axes[0][-1].legend(loc="lower right")
    fig.suptitle("Retrieval per variant (plain-*: whole-abstract baselines)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
