"""Text: from page bytes to language-tagged sentences.

Owns charset decoding, main-text and metadata extraction (and its paragraph votes),
sentence segmentation with offsets, and language detection of every segment.
"""
