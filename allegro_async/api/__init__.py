"""Every operation of Allegro's spec, typed: the layer generated from the official OpenAPI spec."""
