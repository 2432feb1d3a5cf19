"""The city's Intelligent Operations Center (IOC): signed CloudEvents over an HTTP webhook.

- `settings.IocSettings` — `MOTCUA_IOC_*` configuration;
- `client.IocClient` — the HTTP client (structured-mode CloudEvents, HMAC-SHA256 signature);
- `sink` — `WebhookSink` and `LogSink`, the adapters of the engine's `EventSink`; `build_sink` picks one;
- `fake.RecordingSink` — an in-process receiver for tests.
"""
