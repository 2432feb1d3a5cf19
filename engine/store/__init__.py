"""Persistence. The only package of the engine that imports SQLModel / SQLAlchemy."""
