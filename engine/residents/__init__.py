"""Residents: the population database (Cơ sở dữ liệu quốc gia về dân cư) as the engine sees it."""
