"""``pet2rep generate``: reports from an OpenAI-compatible endpoint (vLLM, SGLang, TGI, closed APIs) for every case.

Writes a predictions JSONL that ``pet2rep score`` and the leaderboard accept, and its sidecar ``.meta.json``.
Run the same command again to resume: cases already in the output are skipped, failed ones are retried.
"""

from __future__ import annotations

import argparse
import json

from pet2rep.vocab import IMAGE_CONFIGS, LANGS


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "generate",
        help="generate reports with a model behind an OpenAI-compatible endpoint (vLLM, SGLang, closed APIs)",
        description="Send every case of a dataset config (the benchmark's prompt, the images as PNG data URLs in "
        "model order) to POST API_BASE/chat/completions and write the reports as a predictions JSONL. Resumable: "
        "cases already in --out are skipped.",
    )
    parser.add_argument("--api-base", required=True, help="base URL of the API, e.g. http://localhost:8000/v1")
    parser.add_argument("--model", required=True, help="model name the endpoint serves")
    parser.add_argument(
        "--api-key-env",
        default=None,
        metavar="VAR",
        help="environment variable holding the API key (e.g. OPENAI_API_KEY); default: no key",
    )
    parser.add_argument(
        "--data",
        default=None,
        help="dataset: a local `pet2rep build` folder or a Hub id (default: $PET2REP_DATASET, else data/pet2rep)",
    )
    parser.add_argument("--config", default="fused", choices=IMAGE_CONFIGS, help="dataset config (default: fused)")
    parser.add_argument("--split", default="test", help="dataset split (default: test)")
    parser.add_argument(
        "--lang", choices=LANGS, default="zh", help="prompt language; en: cases with an English report"
    )
    parser.add_argument("--out", required=True, help="predictions JSONL (resumed when it exists)")
    parser.add_argument("--concurrency", type=int, default=4, help="requests in flight at once (default: 4)")
    parser.add_argument("--max-tokens", type=int, default=1024, help="new tokens per report (default: 1024)")
    parser.add_argument("--temperature", type=float, default=0.0, help="sampling temperature (default: 0, greedy)")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per try of a request (default: 300)")
    parser.add_argument("--retries", type=int, default=5, help="further tries on 429/5xx/timeouts (default: 5)")
    parser.add_argument("--limit", type=int, default=None, help="only the first N cases (a smoke test)")
    parser.add_argument(
        "--extra-body",
        default=None,
        metavar="JSON",
        help='more request fields, e.g. \'{"chat_template_kwargs": {"enable_thinking": false}}\'',
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import os

    from pet2rep.dataset.load import resolve_dataset
    from pet2rep.errors import EndpointError, InputError
    from pet2rep.generate import generate

    api_key = None
    if args.api_key_env:
        api_key = os.environ.get(args.api_key_env)
        if not api_key:
            raise InputError(f"--api-key-env {args.api_key_env}: that environment variable is not set or empty")
    extra_body = None
    if args.extra_body:
        try:
            extra_body = json.loads(args.extra_body)
        except json.JSONDecodeError as e:
            raise InputError(f"--extra-body must be a JSON object; got {args.extra_body!r} ({e})") from e
        if not isinstance(extra_body, dict):
            raise InputError(f"--extra-body must be a JSON object; got {type(extra_body).__name__}")
    summary = generate(
        api_base=args.api_base,
        model=args.model,
        dataset=resolve_dataset(args.data),
        out=args.out,
        config=args.config,
        split=args.split,
        lang=args.lang,
        api_key=api_key,
        concurrency=args.concurrency,
        max_tokens=args.max_tokens,
        temperature=args.temperature,
        timeout_s=args.timeout,
        retries=args.retries,
        limit=args.limit,
        extra_body=extra_body,
        progress=False if args.no_progress else None,
    )
    print(format_summary(summary, args.model))
    if summary.aborted:
        missing = summary.missing
        raise EndpointError(
            f"{summary.aborted}; {len(missing)} of {summary.cases} cases have no report ({_ids(missing)}); "
            f"{summary.out} holds only real reports: rerun the same command to continue"
        )
    if summary.errors:
        raise EndpointError(
            f"{len(summary.errors)} of {summary.cases} cases failed ({_ids(summary.missing)}; reasons above and in "
            f"{summary.sidecar.name}); rerun the same command to retry them"
        )
    return 0


def _ids(ids: list[str], show: int = 5) -> str:
    shown = ", ".join(ids[:show])
    return shown + (f" and {len(ids) - show} more" if len(ids) > show else "")


def format_summary(summary, model: str) -> str:
    """The lines printed after a run: counts, tokens, times, files, then one line per failed case."""
    lines = [
        f"{model}: {summary.cases} cases, {summary.already_done} already in {summary.out.name}, "
        f"{summary.requested} requested: {summary.succeeded} succeeded, {len(summary.errors)} failed"
        + (f", {len(summary.not_attempted)} not attempted" if summary.not_attempted else ""),
    ]
    if summary.succeeded:
        per_case = summary.wall_s / max(1, summary.succeeded + len(summary.errors))
        lines.append(
            f"  this run: {summary.prompt_tokens} prompt + {summary.completion_tokens} completion tokens, "
            f"{summary.wall_s:.1f} s ({per_case:.2f} s per case), {summary.retried} case(s) retried, "
            f"{summary.truncated} stopped at --max-tokens"
        )
    prompt_tokens, completion_tokens = summary.usage.get("prompt_tokens", 0), summary.usage.get("completion_tokens", 0)
    lines.append(
        f"  {summary.out}: {summary.reports} of {summary.cases} reports, {prompt_tokens} prompt + "
        f"{completion_tokens} completion tokens in all; sidecar {summary.sidecar}"
    )
    groups: dict[tuple, list[str]] = {}
    for error in summary.errors:  # one line per distinct reason: a dead server fails every case the same way
        tries = f" after {error.attempts} tries" if error.attempts > 1 else ""
        groups.setdefault((error.kind, tries, error.message), []).append(error.case_id)
    for (kind, tries, message), ids in groups.items():
        lines.append(f"  failed {_ids(ids)}: {kind}{tries}: {message}")
    return "\n".join(lines)
