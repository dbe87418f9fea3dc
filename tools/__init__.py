"""Development tools of allegro-async (not shipped in the wheel)."""
