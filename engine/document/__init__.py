"""Printed documents of the one-stop mechanism (docs/domain.md §7): what is due, with what data."""
