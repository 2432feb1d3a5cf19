"""Use cases: functions that take services, a unit of work, an actor and a command. They never commit."""
