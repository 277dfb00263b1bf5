"""hotclone: clone production into a temporary environment, fix, diff, promote.

The repository keeps its layers at the top (core/, tui/, cli/, styles/); this package
links them in (symlinks), so that every tool, the wheel and an editable install see
one namespace, `hotclone.core` and so on, and nothing named `core` lands in
site-packages.
"""
