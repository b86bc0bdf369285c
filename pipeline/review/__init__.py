"""Curation web app for extracted facts: queue, fact, document and claim views, audit log."""

from pipeline.review.app import create_app

__all__ = ["create_app"]
