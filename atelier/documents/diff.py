"""Revision diffs: what changed in the text of each file between two sets of files (on the
order pages, two consecutive submissions).

Files are paired by title (ignoring case), else by name; text is compared line by line, and
within a changed line word by word, with long unchanged runs folded away.
"""

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from .storage import StoredFile
from .text import NotPreviewable, extract_text

CONTEXT = 3  # unchanged lines shown around a change
# Past these, comparing costs more than it is worth on a page (difflib is quadratic at worst).
MAX_LINES = 20_000
MAX_CHARS = 2_000_000
MAX_LINE_TOKENS = 2_000
SIMILAR = 0.4  # below this, a changed line reads better as one removed and one added
_TOKENS = re.compile(r"\w+|\s+|[^\w\s]")


@dataclass(frozen=True)
class Segment:
    text: str
    changed: bool = False


@dataclass(frozen=True)
class Row:
    kind: str  # "same", "removed", "added", or "skipped" (a folded run of unchanged lines)
    old_number: int | None = None
    new_number: int | None = None
    segments: tuple[Segment, ...] = ()
    skipped: int = 0


@dataclass(frozen=True)
class FileDiff:
    old: StoredFile | None
    new: StoredFile | None
    # "changed", "unchanged", "added", "removed", "no_text" (a PDF, an image...) or "refused"
    status: str
    rows: list[Row] = field(default_factory=list)
    reason: str = ""

    @property
    def label(self) -> str:
        file = self.new or self.old
        return file.title or file.name


# --- text -----------------------------------------------------------------------------------


def diff_text(old: str, new: str, *, context: int = CONTEXT) -> list[Row]:
    """Rows for people to read, empty when the texts are the same."""
    if old == new:
        return []
    a, b = old.splitlines(), new.splitlines()
    # autojunk helps difflib on long texts; on short ones it would hide common lines.
    opcodes = SequenceMatcher(None, a, b, autojunk=len(a) + len(b) > 4000).get_opcodes()
    rows: list[Row] = []
    for index, (tag, i1, i2, j1, j2) in enumerate(opcodes):
        if tag == "equal":
            head = 0 if index == 0 else context
            tail = 0 if index == len(opcodes) - 1 else context
            rows += _unchanged(a, i1, i2, j1, head=head, tail=tail)
        else:
            rows += _changed(a[i1:i2], b[j1:j2], i1, j1)
    return rows


def _same(a: Sequence[str], i: int, j: int) -> Row:
    return Row("same", i + 1, j + 1, (Segment(a[i]),))


def _unchanged(a: Sequence[str], i1: int, i2: int, j1: int, *, head: int, tail: int) -> list[Row]:
    count = i2 - i1
    if count <= head + tail + 1:  # folding a single line saves nothing
        return [_same(a, i1 + k, j1 + k) for k in range(count)]
    rows = [_same(a, i1 + k, j1 + k) for k in range(head)]
    rows.append(Row("skipped", skipped=count - head - tail))
    rows += [_same(a, i1 + k, j1 + k) for k in range(count - tail, count)]
    return rows


def _changed(old: Sequence[str], new: Sequence[str], i1: int, j1: int) -> list[Row]:
    paired, removed, added = [], [], []
    for k in range(max(len(old), len(new))):
        words = _word_diff(old[k], new[k]) if k < len(old) and k < len(new) else None
        if words is not None:
            paired += [
                Row("removed", i1 + k + 1, None, words[0]),
                Row("added", None, j1 + k + 1, words[1]),
            ]
            continue
        if k < len(old):
            removed.append(Row("removed", i1 + k + 1, None, (Segment(old[k]),)))
        if k < len(new):
            added.append(Row("added", None, j1 + k + 1, (Segment(new[k]),)))
    return paired + removed + added


def _word_diff(old: str, new: str) -> tuple[tuple[Segment, ...], tuple[Segment, ...]] | None:
    """The two lines with their changed words marked, or None when they have too little in
    common (or are too long) for word marks to help."""
    a, b = _TOKENS.findall(old), _TOKENS.findall(new)
    if len(a) > MAX_LINE_TOKENS or len(b) > MAX_LINE_TOKENS:
        return None
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    if matcher.ratio() < SIMILAR:
        return None
    left: list[Segment] = []
    right: list[Segment] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if i2 > i1:
            left.append(Segment("".join(a[i1:i2]), tag != "equal"))
        if j2 > j1:
            right.append(Segment("".join(b[j1:j2]), tag != "equal"))
    return _tidy(left), _tidy(right)


def _tidy(segments: list[Segment]) -> tuple[Segment, ...]:
    """Join neighbours of the same kind, and mark the blank between two changed words as
    changed too, so "<del>two</del> <del>words</del>" reads as one change."""
    for k in range(1, len(segments) - 1):
        middle = segments[k]
        blank = not middle.changed and not middle.text.strip()
        if blank and segments[k - 1].changed and segments[k + 1].changed:
            segments[k] = Segment(middle.text, True)
    merged: list[Segment] = []
    for segment in segments:
        if merged and merged[-1].changed == segment.changed:
            merged[-1] = Segment(merged[-1].text + segment.text, segment.changed)
        else:
            merged.append(segment)
    return tuple(merged)


# --- files ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FilePair:
    old: StoredFile | None
    new: StoredFile | None


def _title(file: StoredFile) -> str:
    return file.title.strip().casefold()


def pair_files(old_files: Iterable[StoredFile], new_files: Iterable[StoredFile]) -> list[FilePair]:
    """Two sets of files paired by title (ignoring case), then by name for those left; the
    rest are added (only in `new_files`) or removed (only in `old_files`)."""
    olds, news = list(old_files), list(new_files)
    matches: dict[int, StoredFile] = {}
    rules: list[Callable[[StoredFile], str]] = [_title, lambda file: file.name.casefold()]
    for key in rules:
        for new in news:
            if new.pk in matches or not key(new):
                continue
            old = next((old for old in olds if key(old) == key(new)), None)
            if old is not None:
                olds.remove(old)
                matches[new.pk] = old
    pairs = [FilePair(matches.get(new.pk), new) for new in news]
    return pairs + [FilePair(old, None) for old in olds]


def compare_files(pair: FilePair) -> FileDiff:
    old, new = pair.old, pair.new
    if old is None:
        return FileDiff(old, new, "added")
    if new is None:
        return FileDiff(old, new, "removed")
    if old.sha256 == new.sha256:
        return FileDiff(old, new, "unchanged")
    try:
        before, after = extract_text(old), extract_text(new)
    except NotPreviewable as refused:
        return FileDiff(old, new, "refused", reason=refused.reason)
    if before is None or after is None:
        return FileDiff(
            old, new, "no_text", reason="No text to compare (a PDF, an image or another kind)."
        )
    if (
        max(len(before), len(after)) > MAX_CHARS
        or max(before.count("\n"), after.count("\n")) > MAX_LINES
    ):
        return FileDiff(old, new, "refused", reason="Too long to compare here. Download both.")
    rows = diff_text(before, after)
    if not rows:
        return FileDiff(old, new, "unchanged", reason="The file changed, but not its text.")
    return FileDiff(old, new, "changed", rows)


def compare_file_sets(
    old_files: Iterable[StoredFile], new_files: Iterable[StoredFile]
) -> list[FileDiff]:
    """What changed from `old_files` to `new_files` (say, two submissions' files), file by file."""
    return [compare_files(pair) for pair in pair_files(old_files, new_files)]
