"""The QC checklists a new service starts with: what a reviewer checks in writing, translation
and voice-over work. Agents edit a service's list afterwards (its policy's `qc_checklist`)."""

WRITING = [
    "Follows the customer's instructions and brief",
    "Spelling, grammar and punctuation are clean",
    "Structure and formatting are consistent and readable",
    "Facts, names, dates and figures match the customer's documents",
    "Tone and length suit the purpose",
]
TRANSLATION = [
    "Meaning is complete and accurate: nothing added or left out",
    "Terminology and names are consistent with the glossary and source",
    "Reads naturally in the target language",
    "Numbers, dates and units are converted and formatted correctly",
    "Layout and formatting match the source document",
]
VOICE_OVER = [
    "Script read in full, with no omissions or misreadings",
    "Pronunciation of names and terms is correct",
    "Audio is clean: no noise, clipping or room echo",
    "Pace, tone and timing match the brief",
    "Delivered in the requested file format, length and levels",
]
MAX_POINTS = 20
MAX_POINT_LENGTH = 200


def default_checklist(slug: str) -> list[str]:
    """The starting checklist for a service, chosen by what its slug says it is."""
    if "translat" in slug:
        return list(TRANSLATION)
    if "voice" in slug or "audio" in slug:
        return list(VOICE_OVER)
    return list(WRITING)
