import numpy as np
import pytest

from digitpad.paths import resource_path
from digitpad.network.prototypes import PrototypeError, load_prototypes, parse_prototypes


def test_shipped_prototypes_are_ten_distinct_7_by_12_bitmaps():
    prototypes = load_prototypes()
    assert prototypes.shape == (10, 12, 7)
    assert set(np.unique(prototypes)) == {-1.0, 1.0}
    flat = prototypes.reshape(10, -1)
    distances = ((flat[:, None] - flat[None]) ** 2).sum(-1)
    assert (distances[~np.eye(10, dtype=bool)] >= 16).all()  # every pair differs in ≥ 4 pixels


def test_one_prototype_reads_as_the_digit_it_is():
    one = load_prototypes()[1]
    # a "1": a vertical stroke in column 3 from the top to the base
    assert (one[1:10, 3] == 1).all()
    assert (one[:, 0] == -1).all() and (one[:, 6] == -1).all()


def _text_with(line_number: int, replacement: str) -> str:
    lines = resource_path("prototypes.txt").read_text().splitlines()
    lines[line_number - 1] = replacement
    return "\n".join(lines)


def _first_row_line() -> int:
    lines = resource_path("prototypes.txt").read_text().splitlines()
    return next(i for i, line in enumerate(lines, 1) if line.startswith("digit 0")) + 1


def test_a_row_of_the_wrong_width_is_reported_with_its_line():
    line = _first_row_line()
    with pytest.raises(PrototypeError, match=rf"x\.txt:{line}: .*8 characters, expected 7"):
        parse_prototypes(_text_with(line, "..###..."), "x.txt")


def test_a_bad_character_is_reported_with_its_line():
    line = _first_row_line()
    with pytest.raises(PrototypeError, match=rf":{line}: unexpected character"):
        parse_prototypes(_text_with(line, "..#o#.."), "x.txt")


def test_a_missing_row_and_a_missing_digit_are_reported():
    text = resource_path("prototypes.txt").read_text()
    short = text.replace("digit 1\n...#...\n", "digit 1\n", 1)
    with pytest.raises(PrototypeError, match="digit 1 has 11 rows"):
        parse_prototypes(short)
    without_nine = text[:text.index("digit 9")]
    with pytest.raises(PrototypeError, match=r"missing digit\(s\) \[9\]"):
        parse_prototypes(without_nine)
