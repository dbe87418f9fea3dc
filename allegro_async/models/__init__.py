"""pydantic v2 models of Allegro resources: snake_case fields with camelCase aliases, unknown
fields kept, enums that tolerate new values."""
