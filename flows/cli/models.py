"""`newsbridge models ...`: list and install translation packages (registered by flows/cli/main.py).

Imports of the engine (ctranslate2, argostranslate) happen inside the commands.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from flows.cli.options import AsJson, Output, Src, Tgt, output_dir

EXIT_INSTALL_FAILED = 4

app = typer.Typer(
    name="models",
    help="List and install Argos translation packages.", no_args_is_help=True, add_completion=False
)


@app.command("list")
def models_list(as_json: AsJson = False) -> None:
    """Installed packages: pair, version, whether it is a test model, path."""
    from tasks.translate.packages import models_dir, scan

    where = models_dir()
    listing = scan(where)
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "models_dir": str(where),
                    "packages": [
                        {
                            "pair": p.pair,
                            "version": p.version,
                            "model": p.model_id,
                            "is_test": p.is_test,
                            "kind": p.kind,
                            "path": str(p.path),
                        }
                        for p in listing.packages
                    ],
                    "problems": listing.problems,
                },
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    typer.echo(f"models dir: {where}")
    if not listing.packages:
        typer.echo("no packages installed (newsbridge models install PATH | --test | --online PAIR)")
    for p in listing.packages:
        flag = "TEST (nonsense output)" if p.is_test else p.kind
        typer.echo(f"{p.pair:8} {p.version:14} {flag:22} {p.path}")
    for problem in listing.problems:
        typer.echo(f"warning: {problem}", err=True)


@app.command("install")
def models_install(
    targets: Optional[list[str]] = typer.Argument(
        None, help="PATH (.argosmodel file, directory of them, or a bring-your-own model dir); with --online: pairs like zh-en."
    ),
    test: bool = typer.Option(False, "--test", help="Build and install the tiny TEST models (vi→en, zh→en)."),
    online: bool = typer.Option(False, "--online", help="Download the given pairs from the Argos package index."),
    hf: Optional[str] = typer.Option(
        None, "--hf", help="A Hugging Face model (repo id, downloaded; or a local snapshot directory): Marian/OPUS-MT, M2M100, NLLB."
    ),
    quantization: str = typer.Option("int8", "--quantization", help="With --hf: int8 (default), int8_float32, int16, float16, bfloat16, float32."),
    revision: Optional[str] = typer.Option(None, "--revision", help="With --hf and a repo id: branch, tag or commit."),
    src: Src = None,
    tgt: Tgt = None,
) -> None:
    """Install packages from a path, the tiny test models, the Argos index, or a Hugging Face model.

    With --hf, --src and --tgt name the pair (needed for M2M100/NLLB)."""
    from tasks.translate.packages import (
        ModelInstallError,
        install_online,
        install_path,
        install_test_models,
        models_dir,
    )

    targets = targets or []
    if sum([test, online, hf is not None, bool(targets) and not online]) != 1 or (online and not targets):
        typer.echo(
            "usage: newsbridge models install PATH | --test | --online PAIR [PAIR ...] | --hf REPO_OR_DIR", err=True
        )
        raise typer.Exit(2)
    where = models_dir()
    try:
        if test:
            installed = install_test_models(where, notice=lambda m: typer.echo(m, err=True))
        elif hf is not None:
            from tasks.translate.convert import install_hf

            typer.echo(f"converting {hf} ({quantization}) with CTranslate2's converter ...", err=True)
            installed = [install_hf(hf, src=src, tgt=tgt, quantization=quantization, revision=revision, packages=where)]
        elif online:
            installed = []
            for pair in targets:
                try:
                    installed += install_online([pair], where)
                except ModelInstallError as exc:
                    from tasks.translate.convert import hf_hint

                    hint = hf_hint(pair)
                    raise ModelInstallError(f"{exc}" + (f"\n{hint}" if hint else "")) from None
        else:
            installed = [info for t in targets for info in install_path(Path(t), where)]
    except ModelInstallError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_INSTALL_FAILED) from None
    for p in installed:
        flag = " (TEST model: nonsense output)" if p.is_test else ""
        lic = f" licence {p.licence}" if p.licence else ""
        typer.echo(f"installed {p.pair} {p.model_id}{lic} → {p.path}{flag}")


@app.command("compare")
def models_compare(
    model_a: str = typer.Argument(..., help="Installed model id (newsbridge models list), package folder, or packages dir."),
    model_b: str = typer.Argument(..., help="The candidate, e.g. a packages dir filled with NEWSBRIDGE_MODELS_DIR=DIR newsbridge models install --hf ..."),
    outlet: Optional[str] = typer.Option(None, "--outlet", help="Only this outlet's stories."),
    since: Optional[str] = typer.Option(None, "--since", help="Only documents fetched on or after this day (YYYY-MM-DD)."),
    output: Output = None,
    as_json: AsJson = False,
) -> None:
    """chrF/BLEU of two models on the archive's human versions (exported links), with bootstrap intervals."""
    from tasks.settings import get_settings
    from tasks.translate.memory import open_memory
    from tasks.translate.packages import ModelInstallError, models_dir
    from tasks.translate.quality import archive_links, compare_models, label, resolve_models

    output = output_dir(output)
    try:
        models = [(model_a, resolve_models(model_a, models_dir())), (model_b, resolve_models(model_b, models_dir()))]
    except ModelInstallError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    linked = archive_links(output, outlet=outlet, since=since)
    if not linked:
        typer.echo(f"error: no exported links with machine translations in {output}"
                   + (f" for outlet {outlet}" if outlet else "") + (f" since {since}" if since else ""), err=True)
        raise typer.Exit(1)
    memory = open_memory(get_settings().tm_location(output))
    try:
        rows = compare_models(linked, models, memory)
    finally:
        memory.close()
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for row in rows:
        typer.echo(f"{row['pair']}: {row['segments']} linked segment(s); chrF/BLEU (sacrebleu 0-100) [95 % bootstrap]")
        for m in row["models"]:
            if "missing" in m:
                typer.echo(f"  {m['spec']}: {m['missing']}")
                continue
            typer.echo(f"  {label(m['model'])}: chrF {m['chrf']:.2f} [{m['chrf_ci'][0]:.2f}, {m['chrf_ci'][1]:.2f}]"
                       f"  BLEU {m['bleu']:.2f} [{m['bleu_ci'][0]:.2f}, {m['bleu_ci'][1]:.2f}]")
        if "difference" in row:
            d = row["difference"]
            typer.echo(f"  second − first: chrF [{d['chrf'][0]:+.2f}, {d['chrf'][1]:+.2f}]  BLEU [{d['bleu'][0]:+.2f}, {d['bleu'][1]:+.2f}]"
                       " (an interval that excludes 0 is a real difference on these stories)")

