"""Build the spaCy pipeline from `pipeline/config.cfg`.

Every stage is a registered component (see `pipeline/components/`); the config
says which run, in which order, with which settings.
"""

from __future__ import annotations

import warnings
from functools import lru_cache
from pathlib import Path

import spacy
from spacy.language import Language
from scispacy.custom_tokenizer import combined_rule_tokenizer

CONFIG_PATH = Path(__file__).with_name("config.cfg")

# scispaCy's tokenizer regex triggers a harmless FutureWarning in Python's re module.
warnings.filterwarnings("ignore", message="Possible set union", category=FutureWarning)


@spacy.registry.tokenizers("alsfacts.scispacy_tokenizer.v1")
def create_scispacy_tokenizer():
    def make_tokenizer(nlp: Language):
        # scispaCy builds on the language's default tokenizer, which does not exist yet
        # while the config is being resolved: lend it one that shares the vocab.
        return combined_rule_tokenizer(type(nlp)(vocab=nlp.vocab))

    return make_tokenizer


def _register_components() -> None:
    """Import the modules whose decorators register the pipeline's factories."""
    from pipeline.components import (  # noqa: F401
        abbreviations, anaphora, claim_model, claims, context, descriptors, entities, gene_lists, mention_filter,
        mention_repeats, ner, sentences, strength, trial_registries,
    )


def make_base_nlp() -> Language:
    """Blank English with scispaCy's tokenizer and the sentence segmenter."""
    _register_components()
    nlp = spacy.blank("en")
    nlp.tokenizer = combined_rule_tokenizer(nlp)
    nlp.add_pipe("alsfacts_sentences")
    return nlp


# Components with trained models; `--fast` runs the pipeline without them (dictionary and rules only),
# and without the silver documents' names, which only the mention filter vets (FAST_SETTINGS).
LEARNED_PIPES = ("ner", "mention_filter", "claim_model")
FAST_SETTINGS = {"components.entities.silver_terms": False}


def build_nlp(config_path: Path = CONFIG_PATH, without: tuple[str, ...] = (), settings: dict | None = None) -> Language:
    """The full extraction pipeline, as the config describes it (less the pipes in `without`;
    `settings`: config values by dotted path, as `spacy train` overrides them)."""
    _register_components()
    config = spacy.util.load_config(config_path, overrides=settings or {})
    if without:
        config["nlp"]["pipeline"] = [name for name in config["nlp"]["pipeline"] if name not in without]
    return spacy.util.load_model_from_config(config, auto_fill=True, validate=True)


@lru_cache(maxsize=1)
def shared_nlp() -> Language:
    """One pipeline per process (workers and tests reuse it)."""
    return build_nlp()


@lru_cache(maxsize=1)
def shared_fast_nlp() -> Language:
    """The dictionary-and-rules pipeline of `alsfacts extract --fast`, one per process."""
    return build_nlp(without=LEARNED_PIPES, settings=FAST_SETTINGS)
