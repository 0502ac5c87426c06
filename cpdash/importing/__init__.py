"""Bringing a department's own exports in: mapping, transforms, profiles and the store."""
