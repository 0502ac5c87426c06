"""Residents' words: sentiment scoring, topics and redaction of personal details."""
