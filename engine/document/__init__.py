"""Printed documents of the one-stop mechanism (DOMAIN.md §7): what is due, with what data."""
