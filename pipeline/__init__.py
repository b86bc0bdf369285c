"""alsfacts: entities and claims, with exact sources, from ALS literature."""

__version__ = "0.1.0"
