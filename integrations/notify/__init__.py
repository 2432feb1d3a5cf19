"""Citizen notifications: the e-mail (SMTP) and SMS-gateway (HTTP) adapters of the message channels."""
