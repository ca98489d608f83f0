"""Robustness of detection to rewording and obfuscation, on data the detectors were not fitted to.

Per transform (paraphrase, typo, base64, hex, rot13, spaced, zero-width, homoglyph, leet) and per
language, recall of the shipped config on the blind set (gm-heldout), and of the learned config under
leave-one-family-out (each family's variants scored by heads fitted without that family). Floors are
the figures reached (minus 0.01); a change that makes a variant slip through more often fails here.
"""

from typing import Any

import pytest

from tests.quality import holdout, holdout_figures

# Cold, the model build and the fold heads take tens of minutes (cached in ~/.cache/guardmesh/detect after).
pytestmark = pytest.mark.timeout(3600)

LANGUAGES_MIN = 6
"""Languages other than English with blind attacks in them (issue 10 asks for 6 or more)."""
# (config, goal, table, group) -> minimum recall; table is blind_by_transform, blind_by_language or lofo_by_transform.
FLOORS: dict[tuple[str, str, str, str], float] = {
    ("default", "injection", "blind_by_language", "ar"): 0.132,
    ("default", "injection", "blind_by_language", "de"): 0.311,
    ("default", "injection", "blind_by_language", "en"): 0.437,
    ("default", "injection", "blind_by_language", "es"): 0.204,
    ("default", "injection", "blind_by_language", "fr"): 0.275,
    ("default", "injection", "blind_by_language", "it"): 0.132,
    ("default", "injection", "blind_by_language", "ja"): 0.132,
    ("default", "injection", "blind_by_language", "ko"): 0.132,
    ("default", "injection", "blind_by_language", "pt"): 0.132,
    ("default", "injection", "blind_by_language", "ru"): 0.204,
    ("default", "injection", "blind_by_language", "zh"): 0.275,
    ("default", "injection", "blind_by_transform", "base64"): 0.632,
    ("default", "injection", "blind_by_transform", "hex"): 0.99,
    ("default", "injection", "blind_by_transform", "homoglyph"): 0.585,
    ("default", "injection", "blind_by_transform", "lang:ar"): 0.132,
    ("default", "injection", "blind_by_transform", "lang:de"): 0.311,
    ("default", "injection", "blind_by_transform", "lang:es"): 0.204,
    ("default", "injection", "blind_by_transform", "lang:fr"): 0.275,
    ("default", "injection", "blind_by_transform", "lang:it"): 0.132,
    ("default", "injection", "blind_by_transform", "lang:ja"): 0.132,
    ("default", "injection", "blind_by_transform", "lang:ko"): 0.132,
    ("default", "injection", "blind_by_transform", "lang:pt"): 0.132,
    ("default", "injection", "blind_by_transform", "lang:ru"): 0.204,
    ("default", "injection", "blind_by_transform", "lang:zh"): 0.275,
    ("default", "injection", "blind_by_transform", "leet"): 0.0,
    ("default", "injection", "blind_by_transform", "none"): 0.7,
    ("default", "injection", "blind_by_transform", "paraphrase"): 0.447,
    ("default", "injection", "blind_by_transform", "rot13"): 0.0,
    ("default", "injection", "blind_by_transform", "spaced"): 0.0,
    ("default", "injection", "blind_by_transform", "typo"): 0.302,
    ("default", "injection", "blind_by_transform", "zero-width"): 0.513,
    ("default", "tool-poisoning", "blind_by_language", "en"): 0.535,
    ("default", "tool-poisoning", "blind_by_transform", "base64"): 0.523,
    ("default", "tool-poisoning", "blind_by_transform", "hex"): 0.99,
    ("default", "tool-poisoning", "blind_by_transform", "homoglyph"): 0.561,
    ("default", "tool-poisoning", "blind_by_transform", "leet"): 0.132,
    ("default", "tool-poisoning", "blind_by_transform", "none"): 0.694,
    ("default", "tool-poisoning", "blind_by_transform", "paraphrase"): 0.572,
    ("default", "tool-poisoning", "blind_by_transform", "rot13"): 0.0,
    ("default", "tool-poisoning", "blind_by_transform", "spaced"): 0.132,
    ("default", "tool-poisoning", "blind_by_transform", "typo"): 0.482,
    ("default", "tool-poisoning", "blind_by_transform", "zero-width"): 0.632,
    ("learned", "injection", "blind_by_language", "ar"): 0.204,
    ("learned", "injection", "blind_by_language", "de"): 0.311,
    ("learned", "injection", "blind_by_language", "en"): 0.459,
    ("learned", "injection", "blind_by_language", "es"): 0.311,
    ("learned", "injection", "blind_by_language", "fr"): 0.275,
    ("learned", "injection", "blind_by_language", "it"): 0.168,
    ("learned", "injection", "blind_by_language", "ja"): 0.132,
    ("learned", "injection", "blind_by_language", "ko"): 0.204,
    ("learned", "injection", "blind_by_language", "pt"): 0.132,
    ("learned", "injection", "blind_by_language", "ru"): 0.275,
    ("learned", "injection", "blind_by_language", "zh"): 0.275,
    ("learned", "injection", "blind_by_transform", "base64"): 0.68,
    ("learned", "injection", "blind_by_transform", "hex"): 0.99,
    ("learned", "injection", "blind_by_transform", "homoglyph"): 0.609,
    ("learned", "injection", "blind_by_transform", "lang:ar"): 0.204,
    ("learned", "injection", "blind_by_transform", "lang:de"): 0.311,
    ("learned", "injection", "blind_by_transform", "lang:es"): 0.311,
    ("learned", "injection", "blind_by_transform", "lang:fr"): 0.275,
    ("learned", "injection", "blind_by_transform", "lang:it"): 0.168,
    ("learned", "injection", "blind_by_transform", "lang:ja"): 0.132,
    ("learned", "injection", "blind_by_transform", "lang:ko"): 0.204,
    ("learned", "injection", "blind_by_transform", "lang:pt"): 0.132,
    ("learned", "injection", "blind_by_transform", "lang:ru"): 0.275,
    ("learned", "injection", "blind_by_transform", "lang:zh"): 0.275,
    ("learned", "injection", "blind_by_transform", "leet"): 0.0,
    ("learned", "injection", "blind_by_transform", "none"): 0.72,
    ("learned", "injection", "blind_by_transform", "paraphrase"): 0.471,
    ("learned", "injection", "blind_by_transform", "rot13"): 0.0,
    ("learned", "injection", "blind_by_transform", "spaced"): 0.0,
    ("learned", "injection", "blind_by_transform", "typo"): 0.315,
    ("learned", "injection", "blind_by_transform", "zero-width"): 0.561,
    ("learned", "injection", "lofo_by_transform", "base64"): 0.647,
    ("learned", "injection", "lofo_by_transform", "hex"): 0.704,
    ("learned", "injection", "lofo_by_transform", "homoglyph"): 0.784,
    ("learned", "injection", "lofo_by_transform", "lang:ar"): 0.448,
    ("learned", "injection", "lofo_by_transform", "lang:de"): 0.49,
    ("learned", "injection", "lofo_by_transform", "lang:es"): 0.323,
    ("learned", "injection", "lofo_by_transform", "lang:fr"): 0.615,
    ("learned", "injection", "lofo_by_transform", "lang:it"): 0.115,
    ("learned", "injection", "lofo_by_transform", "lang:ja"): 0.531,
    ("learned", "injection", "lofo_by_transform", "lang:ko"): 0.365,
    ("learned", "injection", "lofo_by_transform", "lang:pt"): 0.323,
    ("learned", "injection", "lofo_by_transform", "lang:ru"): 0.406,
    ("learned", "injection", "lofo_by_transform", "lang:zh"): 0.448,
    ("learned", "injection", "lofo_by_transform", "leet"): 0.313,
    ("learned", "injection", "lofo_by_transform", "none"): 0.53,
    ("learned", "injection", "lofo_by_transform", "paraphrase"): 0.61,
    ("learned", "injection", "lofo_by_transform", "rot13"): 0.225,
    ("learned", "injection", "lofo_by_transform", "spaced"): 0.048,
    ("learned", "injection", "lofo_by_transform", "typo"): 0.707,
    ("learned", "injection", "lofo_by_transform", "zero-width"): 0.813,
    ("learned", "tool-poisoning", "blind_by_language", "en"): 0.552,
    ("learned", "tool-poisoning", "blind_by_transform", "base64"): 0.523,
    ("learned", "tool-poisoning", "blind_by_transform", "hex"): 0.99,
    ("learned", "tool-poisoning", "blind_by_transform", "homoglyph"): 0.585,
    ("learned", "tool-poisoning", "blind_by_transform", "leet"): 0.132,
    ("learned", "tool-poisoning", "blind_by_transform", "none"): 0.694,
    ("learned", "tool-poisoning", "blind_by_transform", "paraphrase"): 0.59,
    ("learned", "tool-poisoning", "blind_by_transform", "rot13"): 0.0,
    ("learned", "tool-poisoning", "blind_by_transform", "spaced"): 0.132,
    ("learned", "tool-poisoning", "blind_by_transform", "typo"): 0.505,
    ("learned", "tool-poisoning", "blind_by_transform", "zero-width"): 0.68,
    ("learned", "tool-poisoning", "lofo_by_transform", "none"): 0.823,
    ("learned", "tool-poisoning", "lofo_by_transform", "paraphrase"): 0.792,
    ("learned", "tool-poisoning", "lofo_by_transform", "typo"): 0.651,
}


@pytest.fixture(scope="module")
def figures() -> dict[str, Any]:
    return holdout_figures.summary(holdout.evaluate())


def test_every_transform_and_six_languages_are_measured(figures: dict[str, Any]) -> None:
    conf = figures["configs"]["default"]
    transforms = set(conf["injection"]["blind_by_transform"]) | set(conf["tool-poisoning"]["blind_by_transform"])
    assert {"paraphrase", "typo", "base64", "hex", "spaced", "zero-width"} <= transforms, transforms
    languages = set(conf["injection"]["blind_by_language"]) - {"en"}
    assert len(languages) >= LANGUAGES_MIN, languages


@pytest.mark.parametrize("key", sorted(FLOORS))
def test_recall_on_each_variant_does_not_fall(figures: dict[str, Any], key: tuple[str, str, str, str]) -> None:
    config, goal, table, group = key
    m = figures["configs"][config][goal][table][group]
    assert m["recall"] is not None, (key, m)
    assert m["recall"] >= FLOORS[key], (key, m)
