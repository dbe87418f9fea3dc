"""Services: one module per API area, thin: build the request, parse the model."""
