"""One module per registry (grammar, unit types, status words) and the clients that reach them."""
