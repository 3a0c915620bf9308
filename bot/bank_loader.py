"""Load the scenario bank from content directories and report every problem as `file: field: problem`."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from bot.scenarios import LETTERS, REFERENCE, Bank, Code, Dilemma, Pack

M = TypeVar("M", bound=BaseModel)
# libyaml's loader is several times faster than the pure-Python one and just as safe.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

BUILTIN_CONTENT = Path(__file__).resolve().parent.parent / "content"
PACK_FILE = "pack.yaml"
TOPICS_FILE = "topics.yaml"
CODES_DIR = "codes"
SHINGLE_WORDS = 4
NEAR_DUPLICATE_JACCARD = 0.5
COPIED_REASONING_JACCARD = 0.6
_GIVEAWAY = re.compile(
    rf"\b(?:correct(?:ly)?|right answer|best answer)\b|\b(?:option|answer|choice)\s+[{LETTERS}]\b|\([{LETTERS}]\)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Problem:
    file: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.field}: {self.message}"


class InvalidBank(Exception):
    """The bank has problems; the bot must not start on it."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(problem) for problem in problems))


@dataclass
class _Loading:
    bank: Bank = field(default_factory=Bank)
    problems: list[Problem] = field(default_factory=list)
    dilemma_files: dict[str, Path] = field(default_factory=dict)
    dilemma_folders: dict[str, str] = field(default_factory=dict)

    def problem(self, path: Path, where: str, message: str) -> None:
        self.problems.append(Problem(str(path), where, message))


def load_bank(extra_dirs: Iterable[Path] = (), builtin: Path = BUILTIN_CONTENT) -> Bank:
    """Load and validate every pack; raise InvalidBank listing every problem found."""
    bank, problems = check_bank(extra_dirs, builtin)
    if problems:
        raise InvalidBank(problems)
    return bank


def check_bank(extra_dirs: Iterable[Path] = (), builtin: Path = BUILTIN_CONTENT) -> tuple[Bank, list[Problem]]:
    loading = _Loading()
    roots = [builtin, *extra_dirs]
    for root in roots:
        if not root.is_dir():
            loading.problem(root, "directory", "does not exist or is not a directory")
            continue
        _load_catalog(root, loading)
    for root in roots:
        if root.is_dir():
            for pack_dir in _pack_dirs(root):
                _load_pack(pack_dir, loading)
    _check_dilemmas(loading)
    return loading.bank, loading.problems


def _pack_dirs(root: Path) -> Iterator[Path]:
    if (root / PACK_FILE).is_file():
        yield root
        return
    for child in sorted(root.iterdir()):
        if child.is_dir() and child.name != CODES_DIR and (child / PACK_FILE).is_file():
            yield child
        elif child.is_dir() and child.name != CODES_DIR and any(child.rglob("*.yaml")):
            yield child  # reported below as a pack without pack.yaml


def _read_yaml(path: Path, loading: _Loading) -> Any:
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER)
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        loading.problem(path, "yaml", " ".join(str(error).split()))
        return None


def _parse(model: type[M], data: Any, path: Path, loading: _Loading) -> M | None:
    if not isinstance(data, dict):
        loading.problem(path, "file", "must be a YAML mapping")
        return None
    try:
        return model.model_validate(data)
    except ValidationError as error:
        for detail in error.errors():
            where = ".".join(str(part) for part in detail["loc"]) or "file"
            message = detail["msg"].removeprefix("Value error, ")
            loading.problem(path, where, message)
        return None


def _load_catalog(root: Path, loading: _Loading) -> None:
    topics_path = root / TOPICS_FILE
    if topics_path.is_file():
        topics = _read_yaml(topics_path, loading)
        if isinstance(topics, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in topics.items()):
            loading.bank.topics.update(topics)
        elif topics is not None:
            loading.problem(topics_path, "file", "must map topic slugs to titles")
    for code_path in sorted((root / CODES_DIR).glob("*.yaml")):
        code = _parse(Code, _read_yaml(code_path, loading), code_path, loading)
        if code is None:
            continue
        if code.id in loading.bank.codes:
            loading.problem(code_path, "id", f"code {code.id} is already defined by another file")
            continue
        loading.bank.codes[code.id] = code


def _load_pack(pack_dir: Path, loading: _Loading) -> None:
    pack_path = pack_dir / PACK_FILE
    if not pack_path.is_file():
        loading.problem(pack_dir, PACK_FILE, "missing: every pack directory needs one")
        return
    pack = _parse(Pack, _read_yaml(pack_path, loading), pack_path, loading)
    if pack is None:
        return
    if pack.id in loading.bank.packs:
        loading.problem(pack_path, "id", f"pack {pack.id} is already defined")
        return
    loading.bank.packs[pack.id] = pack
    for path in sorted(pack_dir.rglob("*.yaml")):
        if path == pack_path:
            continue
        dilemma = _parse(Dilemma, _read_yaml(path, loading), path, loading)
        if dilemma is None:
            continue
        if path.stem != dilemma.id:
            loading.problem(path, "id", f"'{dilemma.id}' must match the file name '{path.stem}'")
        if dilemma.id in loading.bank.dilemmas:
            loading.problem(path, "id", f"duplicate: already used by {loading.dilemma_files[dilemma.id]}")
            continue
        loading.bank.dilemmas[dilemma.id] = dilemma.model_copy(update={"pack": pack.id})
        loading.dilemma_files[dilemma.id] = path
        loading.dilemma_folders[dilemma.id] = path.parent.name


def _check_dilemmas(loading: _Loading) -> None:
    bank = loading.bank
    for dilemma_id, dilemma in bank.dilemmas.items():
        path = loading.dilemma_files[dilemma_id]
        if dilemma.topic not in bank.topics:
            loading.problem(path, "topic", f"unknown topic '{dilemma.topic}' (not in {TOPICS_FILE})")
        elif loading.dilemma_folders[dilemma_id] != dilemma.topic:
            loading.problem(path, "topic", f"'{dilemma.topic}' but the file sits in folder "
                            f"'{loading.dilemma_folders[dilemma_id]}'")
        _check_references(dilemma, path, loading)
        _check_giveaway(dilemma, path, loading)
        _check_copied_reasoning(dilemma, path, loading)
    _check_near_duplicates(loading)


def _check_references(dilemma: Dilemma, path: Path, loading: _Loading) -> None:
    for index, reference in enumerate(dilemma.references):
        match = REFERENCE.match(reference)
        where = f"references.{index}"
        if match is None:
            loading.problem(path, where, f"'{reference}' must read '<CODE> <section>', e.g. 'ACA B.4.a'")
            continue
        code = loading.bank.codes.get(match["code"])
        if code is None:
            loading.problem(path, where, f"unknown code '{match['code']}' (no file in {CODES_DIR}/ defines it)")
        elif match["section"] not in code.sections:
            loading.problem(path, where, f"unknown section '{match['section']}' of {code.id}")
    for counted, value in Counter(dilemma.references).items():
        if value > 1:
            loading.problem(path, "references", f"'{counted}' is listed {value} times")


def _check_giveaway(dilemma: Dilemma, path: Path, loading: _Loading) -> None:
    for where in ("situation", "question"):
        match = _GIVEAWAY.search(getattr(dilemma, where))
        if match:
            loading.problem(path, where, f"gives the answer away ('{match.group(0)}')")


def _check_copied_reasoning(dilemma: Dilemma, path: Path, loading: _Loading) -> None:
    sets = [shingles(option.reasoning) for option in dilemma.options]
    for (i, first), (j, second) in combinations(enumerate(sets), 2):
        if len(first & second) / len(first | second) >= COPIED_REASONING_JACCARD:
            loading.problem(path, f"options.{j}.reasoning", f"copies the reasoning of option {LETTERS[i]}")


def shingles(text: str) -> set[str]:
    words = re.findall(r"[a-z0-9']+", text.lower())
    return {" ".join(words[i : i + SHINGLE_WORDS]) for i in range(max(1, len(words) - SHINGLE_WORDS + 1))}


def _check_near_duplicates(loading: _Loading) -> None:
    """Flag situations that share most of their wording, via an inverted index of word shingles."""
    sets = {did: shingles(d.situation) for did, d in loading.bank.dilemmas.items()}
    holders: defaultdict[str, list[str]] = defaultdict(list)
    for did, shingle_set in sets.items():
        for shingle in shingle_set:
            holders[shingle].append(did)
    shared: Counter[tuple[str, str]] = Counter()
    for ids in holders.values():
        if len(ids) > 1:
            shared.update(combinations(sorted(ids), 2))
    for (first, second), common in shared.items():
        union = len(sets[first]) + len(sets[second]) - common
        if union and common / union >= NEAR_DUPLICATE_JACCARD:
            loading.problem(loading.dilemma_files[second], "situation",
                            f"nearly the same wording as {loading.dilemma_files[first]} "
                            f"({common / union:.0%} shared phrases)")
