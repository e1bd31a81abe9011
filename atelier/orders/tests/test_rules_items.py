"""The quality loop's pure rules: a pasted revision request splits into points
(rules.split_items), and a QC scorecard decides by itself (rules.scorecard_decision).
No database."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from atelier.orders import rules
from atelier.orders.rules import Mark

MARKERS = ["- ", "* ", "• ", "1. ", "2) ", "[ ] "]

# --- split_items: examples ---------------------------------------------------------------------


@pytest.mark.parametrize("marker", MARKERS)
def test_each_marker_kind_starts_a_point_and_is_dropped(marker):
    # given a list pasted with one kind of marker
    text = f"{marker}Add my 2024 promotion\n{marker}Shorter summary"

    # when it is split
    items = rules.split_items(text)

    # then each marked line is a point, without its marker
    assert items == ["Add my 2024 promotion", "Shorter summary"]


def test_markers_of_every_kind_mix_in_one_list():
    text = "- one\n* two\n• three\n1. four\n2) five\n[ ] six\n[x] seven\n10. eight"

    assert rules.split_items(text) == [
        "one",
        "two",
        "three",
        "four",
        "five",
        "six",
        "seven",
        "eight",
    ]


def test_indented_markers_still_start_points():
    assert rules.split_items("  - one\n\t* two") == ["one", "two"]


def test_a_line_without_a_marker_continues_the_point_above():
    # given a list whose first point runs over two lines
    text = "- Rewrite the summary so that\n  it mentions the promotion\n- Fix the dates"

    # when it is split
    items = rules.split_items(text)

    # then the second line joins the first point, with one space
    assert items == ["Rewrite the summary so that it mentions the promotion", "Fix the dates"]


def test_blank_lines_between_points_are_ignored():
    assert rules.split_items("\n- one\n\n\n- two\n   \n") == ["one", "two"]


def test_a_line_before_the_first_marker_is_a_point_of_its_own():
    # given an introduction followed by a list
    text = "Please change these:\n- the dates\n- the title"

    # then the introduction is kept as a point (nothing above it to continue)
    assert rules.split_items(text) == ["Please change these:", "the dates", "the title"]


def test_without_markers_each_non_blank_line_is_a_point():
    # given plain lines, with blanks and stray spaces
    text = "  Add my promotion  \n\nShorter summary\n   \nFix the dates\n"

    # then each non-blank line is one point, trimmed
    assert rules.split_items(text) == ["Add my promotion", "Shorter summary", "Fix the dates"]


def test_one_sentence_is_one_point():
    assert rules.split_items("Please add my promotion.") == ["Please add my promotion."]


@pytest.mark.parametrize("text", ["", "   ", "\n\n", " \n\t\n", None])
def test_empty_text_has_no_points(text):
    assert rules.split_items(text) == []


def test_numbers_that_are_not_list_markers_stay_in_the_text():
    # a year or a figure at the start of a line is no "1. " marker
    assert rules.split_items("2024. was a good year\n-5 degrees") == [
        "2024. was a good year",
        "-5 degrees",
    ]


def test_a_marker_inside_a_point_is_text():
    assert rules.split_items("- use - dashes - freely\n- 1. and numbers") == [
        "use - dashes - freely",
        "1. and numbers",
    ]


@pytest.mark.parametrize(
    "text",
    [
        "- Fix the dates\n- Shorter summary\n- ",  # a new bullet started and left empty
        "- Fix the dates\n-\n- Shorter summary",
        "[ ] Fix the dates\n[ ]\n[ ] Shorter summary\n[ ] ",  # a template's unused boxes
        "1. Fix the dates\n2. Shorter summary\n3.",
    ],
)
def test_an_empty_marker_line_adds_nothing(text):
    # given a pasted list with a marker and nothing after it
    # when it is split
    items = rules.split_items(text)

    # then the empty bullet is no point and no stray marker joins a real point
    assert items == ["Fix the dates", "Shorter summary"]


def test_an_empty_marker_followed_by_text_makes_that_text_the_point():
    assert rules.split_items("-\n  Fix the dates\n- Shorter summary") == [
        "Fix the dates",
        "Shorter summary",
    ]


# --- split_items: properties -------------------------------------------------------------------

# A point as a person types it: some text on one line, no surrounding blanks.
points = (
    st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=1, max_size=40)
    .map(str.strip)
    .filter(lambda t: t != "" and t.splitlines() == [t])
)


@settings(max_examples=100, deadline=None)
@given(texts=st.lists(points, min_size=1, max_size=8))
def test_a_dash_list_splits_back_into_its_points(texts):
    # given points joined into a "- " list
    text = "\n".join(f"- {t}" for t in texts)

    # when it is split, then the points come back, in order
    assert rules.split_items(text) == texts


@settings(max_examples=100, deadline=None)
@given(
    entries=st.lists(
        st.tuples(st.sampled_from(MARKERS), points, st.sampled_from(["", "\n", "\n- ", "\n  \n"])),
        min_size=1,
        max_size=8,
    )
)
def test_any_markers_blank_lines_and_empty_bullets_give_back_the_points(entries):
    # given a list with a marker of any kind per point, blank lines and empty bullets between
    text = "\n".join(f"{marker}{t}{gap}" for marker, t, gap in entries)

    # when it is split, then exactly the points come back, in order
    assert rules.split_items(text) == [t for _, t, _ in entries]


@settings(max_examples=100, deadline=None)
@given(text=st.text(st.sampled_from(list("ab -*•1.)[]x \t\n")), max_size=60))
def test_no_point_is_blank_untrimmed_or_more_than_one_line(text):
    # given any text made of letters, markers, spaces and line breaks
    items = rules.split_items(text)

    # then every point is some trimmed text on one line, and there are never more points than
    # non-blank lines
    assert all(item and item == item.strip() and "\n" not in item for item in items)
    assert len(items) <= len([line for line in text.splitlines() if line.strip()])


# --- scorecard_decision ------------------------------------------------------------------------


def test_an_empty_scorecard_approves():
    assert rules.scorecard_decision([]) == "approve"


def test_every_point_passed_approves():
    marks = [Mark("Follows the brief", True), Mark("No typos", True, "Checked twice.")]

    assert rules.scorecard_decision(marks) == "approve"


@pytest.mark.parametrize("failed", [0, 1, 2])
def test_any_failed_point_sends_the_work_back(failed):
    # given three points, one of which failed
    marks = [Mark(f"Point {n}", n != failed, "Not done." if n == failed else "") for n in range(3)]

    # then the card says revise, wherever the failure is
    assert rules.scorecard_decision(marks) == "revise"


def test_every_point_failed_sends_the_work_back():
    assert rules.scorecard_decision([Mark("A", False, "x"), Mark("B", False, "y")]) == "revise"


def test_a_mark_is_a_value_with_no_comment_by_default():
    assert Mark("No typos", True) == Mark("No typos", True, "")
    with pytest.raises(AttributeError):
        Mark("No typos", True).passed = False  # type: ignore[misc]
