"""Services: one module per API area, thin: check the arguments (:mod:`allegro_async._args`),
build the request, parse the model."""
