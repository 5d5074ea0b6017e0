"""Creator Platform API: the legacy backend's product, built on rescope's container and runtime."""
