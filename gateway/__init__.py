"""Entry points: the gRPC server, the CLI, settings and the embedded one-machine runtime."""
