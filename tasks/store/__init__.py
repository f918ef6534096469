"""Store: everything written to the output directory.

Owns atomic files, safe paths, content-addressed raw snapshots, stored documents and run
records.
"""
