"""Statistics (docs/domain.md §6, §10): counters kept by triggers, Decision 766 scoring from configuration."""
