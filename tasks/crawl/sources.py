"""Load and validate sources.yaml; errors name file, line and field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from tasks.models import FetchDefaults, Outlet, Source, SourcesFile


class ConfigError(Exception):
    """An invalid configuration file; `str()` is `file:line: field: message` lines."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


def _line_of(node: yaml.Node | None, loc: tuple[Any, ...]) -> int:
    """Line (1-based) of the YAML node at pydantic error location `loc`."""
    best = node.start_mark.line + 1 if node is not None else 1
    for key in loc:
        if node is None:
            break
        if isinstance(node, yaml.MappingNode) and isinstance(key, str):
            for k, v in node.value:
                if k.value == key:
                    best = k.start_mark.line + 1
                    node = v
                    break
            else:
                break
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int):
            if 0 <= key < len(node.value):
                node = node.value[key]
                best = node.start_mark.line + 1
            else:
                break
        else:
            break
    return best


def _field_name(loc: tuple[Any, ...], data: Any) -> str:
    parts: list[str] = []
    for key in loc:
        if isinstance(key, int):
            parts.append(f"[{key}]")
        else:
            parts.append(("." if parts else "") + str(key))
    name = "".join(parts) or "(file)"
    # Name the source by id too, so "sources[3].url" reads as the source it is.
    if len(loc) >= 2 and loc[0] in ("sources", "outlets") and isinstance(loc[1], int):
        try:
            sid = data[loc[0]][loc[1]].get("id")
            if sid:
                name += f" ({'source' if loc[0] == 'sources' else 'outlet'} '{sid}')"
        except (KeyError, IndexError, TypeError, AttributeError):
            pass
    return name


def parse_sources(text: str, path: str = "sources.yaml") -> SourcesFile:
    """Parse sources.yaml text with a safe loader and validate it."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.load(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        raise ConfigError([f"{path}:{line}: (yaml): {getattr(exc, 'problem', None) or exc}"]) from exc
    if not isinstance(data, dict):
        raise ConfigError([f"{path}:1: (file): must be a mapping with a 'sources:' and/or 'outlets:' list"])
    try:
        parsed = SourcesFile.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = tuple(err["loc"])
            problems.append(f"{path}:{_line_of(node, loc)}: {_field_name(loc, data)}: {err['msg']}")
        raise ConfigError(problems) from exc
    seen: dict[str, int] = {}
    problems = []
    for i, src in enumerate(parsed.sources):
        if src.id in seen:
            line = _line_of(node, ("sources", i, "id"))
            problems.append(
                f"{path}:{line}: sources[{i}].id: duplicate id '{src.id}' "
                f"(first used by sources[{seen[src.id]}])"
            )
        seen.setdefault(src.id, i)
    outlet_seen: dict[str, int] = {}
    for i, outlet in enumerate(parsed.outlets):
        if outlet.id in outlet_seen:
            # An outlet may share its id with a listed source of it (`--only ID` selects both).
            line = _line_of(node, ("outlets", i, "id"))
            problems.append(
                f"{path}:{line}: outlets[{i}].id: duplicate id '{outlet.id}' (first used by outlets[{outlet_seen[outlet.id]}])"
            )
        outlet_seen.setdefault(outlet.id, i)
    if problems:
        raise ConfigError(problems)
    return parsed


def load_sources(path: Path | str) -> SourcesFile:
    """Read and validate a sources file; ConfigError names file:line: field."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConfigError([f"{p}:0: (file): not found"]) from exc
    except UnicodeDecodeError as exc:
        raise ConfigError([f"{p}:0: (file): not valid UTF-8 ({exc.reason})"]) from exc
    return parse_sources(text, str(p))


def configured_ids(cfg: SourcesFile) -> list[str]:
    """Every id a run's `only` may name: the listed sources' and the outlets', in file order, once each."""
    return list(dict.fromkeys([s.id for s in cfg.sources] + [o.id for o in cfg.outlets]))


def select_sources(cfg: SourcesFile, only: list[str] | None) -> list[Source]:
    """The listed sources to run; ids in `only` may name sources or outlets; unknown ids are a ConfigError."""
    if not only:
        return list(cfg.sources)
    known = configured_ids(cfg)
    unknown = [i for i in only if i not in known]
    if unknown:
        raise ConfigError([f"only: unknown source id(s): {', '.join(unknown)} (valid ids: {', '.join(known) or 'none'})"])
    wanted = set(only)
    return [s for s in cfg.sources if s.id in wanted]


def select_outlets(cfg: SourcesFile, only: list[str] | None) -> list[Outlet]:
    """The outlets to discover: all, or those named in `only` (validated by select_sources)."""
    if not only:
        return list(cfg.outlets)
    return [o for o in cfg.outlets if o.id in set(only)]


def effective_politeness(defaults: FetchDefaults, source: Source) -> tuple[float, int]:
    """(min_delay_seconds, per_host_concurrency) for a source after overrides."""
    delay = source.min_delay_seconds if source.min_delay_seconds is not None else defaults.min_delay_seconds
    conc = source.per_host_concurrency if source.per_host_concurrency is not None else defaults.per_host_concurrency
    return delay, conc
