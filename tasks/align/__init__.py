"""Align: links between versions.

Owns sentence alignment (a segment and its translation, a story's human versions), the
pairing of an outlet's stored articles into stories, and story alignment.
"""
