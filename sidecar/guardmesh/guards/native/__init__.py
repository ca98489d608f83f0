"""Built-in guards, each in its own module, built from its typed settings."""
