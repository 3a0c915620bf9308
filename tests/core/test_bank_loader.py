"""`casebook content check`: the shipped bank passes, and each kind of broken file is named with its field."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from adapters.cli import main
from bot.bank_loader import check_bank
from bot.scenarios import Bank

GOOD = {
    "id": "sample-dilemma",
    "title": "A sample dilemma",
    "topic": "group-work",
    "tags": ["group"],
    "difficulty": 2,
    "exams": ["NCE"],
    "situation": " ".join(["A counselor leads a weekly group and a member raises a concern about privacy."] * 5),
    "question": "What is the most ethical first action?",
    "options": [
        {"text": "Raise it in the group.", "best": True,
         "reasoning": "Working it through in the group builds shared accountability for privacy."},
        {"text": "Meet the other member alone.",
         "reasoning": "A private confrontation takes the problem out of the group that owns it."},
        {"text": "Restate the rules and move on.",
         "reasoning": "Restating rules without exploring the breach leaves the member's worry unheard."},
    ],
    "takeaway": "Group problems are solved in the group.",
    "discussion": "When would you meet the member privately first?",
    "references": ["ACA B.4.a"],
}


def _pack(tmp_path: Path, dilemmas: dict[str, dict[str, object]], topic_dir: str = "group-work") -> Path:
    pack = tmp_path / "mypack"
    (pack / topic_dir).mkdir(parents=True)
    (pack / "pack.yaml").write_text("id: mypack\ntitle: My pack\n")
    for name, data in dilemmas.items():
        (pack / topic_dir / f"{name}.yaml").write_text(yaml.safe_dump(data))
    return pack


def _problems(tmp_path: Path, dilemmas: dict[str, dict[str, object]], topic_dir: str = "group-work") -> list[str]:
    _, problems = check_bank([_pack(tmp_path, dilemmas, topic_dir)])
    return [str(p) for p in problems if "mypack" in p.file]


def test_the_shipped_bank_is_valid(bank: Bank) -> None:
    assert len(bank.dilemmas) >= 12
    assert len({d.topic for d in bank.dilemmas.values()}) >= 6


def test_the_founding_dilemma_is_in_the_bank(bank: Bank) -> None:
    founding = bank.dilemmas["group-member-repeats-disclosures"]
    assert founding.topic == "group-work"
    best = founding.option(founding.best_letter).text.lower()
    assert "group" in best


def test_a_valid_extra_pack_loads_beside_the_builtin_one(tmp_path: Path) -> None:
    assert _problems(tmp_path, {"sample-dilemma": GOOD}) == []


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"options": [{**GOOD["options"][0]}, {**GOOD["options"][1], "best": True}, GOOD["options"][2]]},  # type: ignore[index]
         "options", "exactly one"),
        ({"options": [{**GOOD["options"][0]}, {"text": "No reason given."}, GOOD["options"][2]]},  # type: ignore[index]
         "options.1.reasoning", "Field required"),
        ({"references": ["ACA Z.9.z"]}, "references.0", "unknown section"),
        ({"references": ["XYZ 1.01"]}, "references.0", "unknown code"),
        ({"situation": "Far too short to decide anything."}, "situation", "words"),
        ({"title": "x" * 101}, "title", "at most 100"),
        ({"topic": "astrology"}, "topic", "unknown topic"),
        ({"difficulty": 4}, "difficulty", "1, 2 or 3"),
        ({"options": GOOD["options"][:2]}, "options", "at least 3"),  # type: ignore[index]
        ({"question": "Which answer is correct here, option B or not?"}, "question", "gives the answer away"),
        ({"situation": GOOD["situation"] + " The right answer is obvious to her."}, "situation",  # type: ignore[operator]
         "gives the answer away"),
        ({"references": []}, "references", "at least 1"),
        ({"takeaway": "Two lines\nare not one line."}, "takeaway", "single line"),
    ],
)
def test_each_kind_of_broken_file_names_file_and_field(
    tmp_path: Path, change: dict[str, object], field: str, words: str
) -> None:
    problems = _problems(tmp_path, {"sample-dilemma": {**GOOD, **change}})
    assert any(f"sample-dilemma.yaml: {field}: " in p and words in p for p in problems), problems


def test_duplicate_ids_are_reported(tmp_path: Path) -> None:
    pack = _pack(tmp_path, {"sample-dilemma": GOOD})
    (pack / "other").mkdir()
    (pack / "other" / "sample-dilemma.yaml").write_text(yaml.safe_dump({**GOOD, "topic": "other"}))
    _, problems = check_bank([pack])
    assert any(p.field == "id" and "duplicate" in p.message for p in problems)


def test_a_file_name_must_match_its_id(tmp_path: Path) -> None:
    problems = _problems(tmp_path, {"another-name": GOOD})
    assert any("another-name.yaml: id: " in p for p in problems)


def test_broken_yaml_is_reported_not_raised(tmp_path: Path) -> None:
    pack = _pack(tmp_path, {})
    (pack / "group-work" / "broken.yaml").write_text("id: [unclosed\n")
    _, problems = check_bank([pack])
    assert any(p.field == "yaml" and p.file.endswith("broken.yaml") for p in problems)


def test_near_duplicate_situations_are_flagged(tmp_path: Path) -> None:
    twin = {**GOOD, "id": "sample-twin", "title": "A twin"}
    problems = _problems(tmp_path, {"sample-dilemma": GOOD, "sample-twin": twin})
    assert any(": situation: nearly the same wording" in p for p in problems)


def test_copied_option_reasoning_is_flagged(tmp_path: Path) -> None:
    options = [dict(o) for o in GOOD["options"]]  # type: ignore[attr-defined]
    options[2]["reasoning"] = options[1]["reasoning"]
    problems = _problems(tmp_path, {"sample-dilemma": {**GOOD, "options": options}})
    assert any("options.2.reasoning: copies the reasoning of option B" in p for p in problems)


def test_a_pack_directory_without_pack_yaml_is_reported(tmp_path: Path) -> None:
    loose = tmp_path / "loose" / "group-work"
    loose.mkdir(parents=True)
    (loose / "sample-dilemma.yaml").write_text(yaml.safe_dump(GOOD))
    _, problems = check_bank([tmp_path])
    assert any(p.field == "pack.yaml" for p in problems)


def test_content_check_exits_non_zero_naming_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pack = _pack(tmp_path, {"sample-dilemma": {**GOOD, "topic": "astrology"}})
    monkeypatch.setenv("CASEBOOK_CONTENT_DIRS", str(pack))
    assert main(["content", "check"]) == 1
    assert "sample-dilemma.yaml: topic: unknown topic 'astrology'" in capsys.readouterr().out


def test_content_commands_on_the_shipped_bank(capsys: pytest.CaptureFixture[str], bank: Bank) -> None:
    assert main(["content", "check"]) == 0
    assert main(["content", "stats", "--json"]) == 0
    assert '"total"' in capsys.readouterr().out
    assert main(["content", "show", "group-member-repeats-disclosures"]) == 0
    assert "References:" in capsys.readouterr().out
    assert main(["content", "show", "no-such-dilemma"]) == 1
    assert main(["content", "export", "--format", "json"]) == 0
    assert '"dilemmas"' in capsys.readouterr().out


def test_the_bot_refuses_to_start_on_an_invalid_bank(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pack = _pack(tmp_path, {"sample-dilemma": {**GOOD, "references": ["ACA Z.9"]}})
    monkeypatch.setenv("CASEBOOK_CONTENT_DIRS", str(pack))
    assert main(["run"]) == 2
    assert "sample-dilemma.yaml: references.0: unknown section" in capsys.readouterr().err
