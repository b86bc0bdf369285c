"""Build pipeline/components/data/verb_forms.txt: words that are verbs in running text.

    python scripts/build_verb_forms.py            # writes the shipped list
    python scripts/build_verb_forms.py --show 40  # also prints the most frequent entries

Phrase mentions (pipeline/components/mention_phrases.py) take plain words before a head noun as
its modifiers: "motor neuron death", "caregiver burden". Without a tagger, a verb in front of
such a phrase looked like a modifier too: "… may reflect temporal lobe dysfunction" became the
mention "reflect temporal lobe dysfunction", "… includes exercise" an intervention "includes
exercise". This list names the words that are verbs by how the unlabelled text of ../shared/data
uses them (the pretraining text of scripts/train_ner.py: no sentence of gold/train, gold/dev,
the seed article, BC5CDR dev or BioRED Dev):
- a base form: seen at least MIN_AFTER_VERB_CUE times right after "to" or a modal ("to reflect",
  "may inform"), at least once after a modal, and at most once per RATIO such uses right after a
  determiner ("the control" and
  "to control" make "control" a noun as well; "the reflect" is never written);
- a third-person form ("includes", "relieves"): the base form plus "s" or "es", the base form a
  verb as above, and the form itself in the text but never after an article.
"""
from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from pipeline.components.linking import FUNCTION_WORDS  # noqa: E402
from train_ner import DATA, unlabelled_texts  # noqa: E402

OUT = ROOT / "pipeline" / "components" / "data" / "verb_forms.txt"
WORD_RE = re.compile(r"[A-Za-z][A-Za-z'\-]*[A-Za-z]|[A-Za-z]")
MODALS = {"may", "might", "can", "could", "will", "would", "should", "must", "cannot"}
VERB_CUES = MODALS | {"to"}
ARTICLES = {"the", "a", "an"}
DETERMINERS = ARTICLES | {"this", "these", "those", "their", "its", "our", "his", "her", "each"}
MIN_AFTER_VERB_CUE = 3
RATIO = 10


class Contexts:
    """How often each lower-cased word occurs, and right after a verb cue, a modal, a determiner
    and an article."""

    def __init__(self, texts):
        self.total, self.after_cue, self.after_modal = Counter(), Counter(), Counter()
        self.after_determiner, self.after_article = Counter(), Counter()
        for text in texts:
            words = [w.lower() for w in WORD_RE.findall(text)]
            self.total.update(words)
            for previous, word in zip(words, words[1:]):
                if previous in VERB_CUES:
                    self.after_cue[word] += 1
                    self.after_modal[word] += previous in MODALS
                elif previous in DETERMINERS:
                    self.after_determiner[word] += 1
                    self.after_article[word] += previous in ARTICLES


def third_person(base: str) -> str:
    return base + ("es" if base.endswith(("s", "sh", "ch", "x", "z", "o")) else "s")


def verb_forms(seen: Contexts) -> list[str]:
    """Base forms used after "to" and at least once after a modal ("switched to levodopa" is
    no verb use), hardly ever after a determiner; and their third-person forms that occur in the
    text and never after an article ("this includes" is a verb use, "the includes" is not written)."""
    base = {w for w, n in seen.after_cue.items()
            if n >= MIN_AFTER_VERB_CUE and seen.after_modal[w] and seen.after_determiner[w] * RATIO <= n
            and len(w) > 2 and w not in FUNCTION_WORDS and not w.endswith("ly")}
    inflected = {third_person(w) for w in base}
    return sorted(base | {w for w in inflected if seen.total[w] and not seen.after_article[w] and not seen.after_cue[w]})


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--show", type=int, default=0, help="print the N base forms seen most after a verb cue")
    args = parser.parse_args(argv)
    texts, counts = unlabelled_texts(args.data)
    seen = Contexts(texts)
    forms = verb_forms(seen)
    header = (f"# verb forms by their use in {len(texts)} unlabelled texts of ../shared/data "
              f"(scripts/build_verb_forms.py; min {MIN_AFTER_VERB_CUE} uses after to/modals, "
              f"at most 1 in {RATIO} after a determiner)\n")
    args.out.write_text(header + "\n".join(forms) + "\n", encoding="utf-8")
    print(f"{args.out}: {len(forms)} verb forms from {len(texts)} texts")
    if args.show:
        kept = set(forms)
        print(", ".join(w for w, _ in seen.after_cue.most_common() if w in kept)[:3000])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
